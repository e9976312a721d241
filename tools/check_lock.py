"""Check that every pin of constraints.txt installs from a wheel on each platform the README promises.

    python tools/check_lock.py                       # Python 3.11.5, the four platforms below
    python tools/check_lock.py --python-version 3.12 --python-version 3.13

For each platform (Linux x86_64 and aarch64 with glibc >= 2.28, macOS 14 or newer on arm64 and
x86_64) pip resolves every pin that applies there (its environment marker evaluated for that
platform) in one dry run: ``pip install --dry-run --no-deps --only-binary=:all: --platform ...
--python-version ...``. pip reads each wheel's metadata from the package index and installs
nothing. A pin without a matching wheel makes that run fail; the script names it, says whether it has
an sdist at least, and runs again without it, until the rest resolves. Prints one line per platform
(how many pins, how many pure-python and how many binary wheels) and exits 1 if any pin lacks a
wheel. pip's configuration is used as set up, except that local wheel folders and extra indexes
are left out (``PIP_CONFIG_FILE`` and ``PIP_FIND_LINKS``): the question is what the index offers
to everybody.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
OLDEST_PYTHON = "3.11.5"  # numpy 2.4.6 needs 3.11, soupsieve 4.1.4 needs 3.11.5


def manylinux(arch, glibc_minor=28):
    """pip --platform tags for glibc 2.<glibc_minor> and older (pip expands the legacy
    manylinux2014 tag to manylinux2010 and manylinux1 itself, but not manylinux_2_28)."""
    return [f"manylinux_2_{y}_{arch}" for y in range(glibc_minor, 16, -1)] + [f"manylinux2014_{arch}"]


# name -> (pip --platform tags, marker environment); pip expands a macOS tag to the older versions
PLATFORMS = {
    "linux x86_64": (manylinux("x86_64"), {"sys_platform": "linux", "platform_system": "Linux",
                                           "platform_machine": "x86_64"}),
    "linux aarch64": (manylinux("aarch64"), {"sys_platform": "linux", "platform_system": "Linux",
                                             "platform_machine": "aarch64"}),
    "macos arm64": (["macosx_14_0_arm64"], {"sys_platform": "darwin", "platform_system": "Darwin",
                                            "platform_machine": "arm64"}),
    "macos x86_64": (["macosx_14_0_x86_64"], {"sys_platform": "darwin", "platform_system": "Darwin",
                                              "platform_machine": "x86_64"}),
}


def pins(path=ROOT / "constraints.txt"):
    """The requirements of the lock file, in order (comments and blank lines skipped)."""
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(Requirement(line))
    return out


def applies(req, platform_env, python_version):
    major_minor = ".".join(python_version.split(".")[:2])
    env = {**default_environment(), **platform_env, "python_version": major_minor,
           "python_full_version": python_version, "os_name": "posix"}
    return req.marker is None or req.marker.evaluate(env)


def pip_env():
    env = {k: v for k, v in os.environ.items() if k not in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def dry_run(requirements, tags, python_version, binary_only=True):
    """pip's resolution of ``requirements`` for one platform: (returncode, report or None, stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
               "--quiet", "--target", str(Path(tmp) / "target"), "--report", str(report),
               "--python-version", python_version, "--implementation", "cp"]
        cmd += ["--only-binary=:all:"] if binary_only else ["--no-binary=:all:"]
        for tag in tags:
            cmd += ["--platform", tag]
        cmd += [str(r).split(";")[0].strip() for r in requirements]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=pip_env())
        data = json.loads(report.read_text()) if proc.returncode == 0 and report.exists() else None
        return proc.returncode, data, proc.stderr


def check(platform, python_version, requirements):
    """(True, binary wheel names) or (False, the pins without a wheel) for one platform."""
    tags, env = PLATFORMS[platform]
    wanted = [r for r in requirements if applies(r, env, python_version)]
    missing = []
    while True:
        code, report, err = dry_run(wanted, tags, python_version)
        if code == 0:
            break
        found = re.search(r"No matching distribution found for ([A-Za-z0-9._-]+)", err)
        culprit = [r for r in wanted if found and canonicalize_name(r.name) == canonicalize_name(found.group(1))]
        if not culprit:
            print(f"FAIL {platform:14s} Python {python_version}: pip failed: {err.strip()[-500:]}")
            return False, missing
        sdist = dry_run(culprit, tags, python_version, binary_only=False)[0] == 0
        missing.append(f"{culprit[0]}" + (" (an sdist only)" if sdist else " (no file at all)"))
        wanted.remove(culprit[0])  # and look for the next one
    files = [item["download_info"]["url"].rsplit("/", 1)[-1] for item in report["install"]]
    pure = sum(f.endswith("-none-any.whl") for f in files)
    binary = sorted(f for f in files if not f.endswith("-none-any.whl"))
    if missing:
        print(f"FAIL {platform:14s} Python {python_version}: no wheel for {', '.join(missing)}")
        return False, missing
    print(f"ok   {platform:14s} Python {python_version}: {len(files)} pins, {pure} pure-python wheels, "
          f"{len(binary)} binary wheels")
    return True, binary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-version", action="append",
                        help=f"e.g. 3.12 (repeatable; default {OLDEST_PYTHON}, the oldest the lock supports)")
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS), help="default: all four")
    parser.add_argument("--verbose", action="store_true", help="list the binary wheels found")
    args = parser.parse_args(argv)
    requirements = pins()
    bad = [r for r in requirements if len(r.specifier) != 1 or next(iter(r.specifier)).operator != "=="]
    if bad:
        sys.exit(f"constraints.txt must pin exact versions (name==version), got: {', '.join(map(str, bad))}")
    ok = True
    for version in args.python_version or [OLDEST_PYTHON]:
        for platform in args.platform or list(PLATFORMS):
            good, files = check(platform, version, requirements)
            ok &= good
            if args.verbose and good:
                print("     " + "\n     ".join(files))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

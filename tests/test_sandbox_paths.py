"""The sandbox works wherever the course and its Python live, /tmp included (CI clones the
course into a fresh folder; a venv there must not be hidden by the sandbox's private /tmp)."""
import shutil
import subprocess
import sys

import pytest

from lrcourse.grading import sandbox


def _mounts(cmd):
    """(option, source, target) of every bind and the /tmp tmpfs, in command-line order."""
    out = []
    for i, arg in enumerate(cmd):
        if arg in ("--ro-bind", "--bind"):
            out.append((arg, cmd[i + 1], cmd[i + 2]))
        elif arg == "--tmpfs":
            out.append((arg, None, cmd[i + 1]))
    return out


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is not installed")
def test_a_python_under_tmp_is_bound_after_the_private_tmp(monkeypatch, tmp_path):
    venv = tmp_path / "clone" / ".venv"
    (venv / "bin").mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(venv))
    cmd = sandbox.command(["true"], workdir=str(tmp_path / "w"), ipcdir=str(tmp_path / "i"), uid=None, env={},
                          limits=sandbox.Limits())
    mounts = _mounts(cmd)
    tmpfs = [i for i, m in enumerate(mounts) if m[0] == "--tmpfs" and m[2] == "/tmp"]
    binds = [i for i, m in enumerate(mounts) if m[0] != "--tmpfs" and m[2] == str(venv)]
    assert tmpfs and binds and tmpfs[0] < binds[0], mounts


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bubblewrap is not installed")
def test_the_sandboxed_python_starts_and_sees_lrcourse_but_not_the_course_folder(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "i").mkdir()
    code = ("import lrcourse, os, sys; print(lrcourse.__file__);"
            "print(any(os.path.isdir(os.path.join(p, 'solutions')) for p in sys.path if p))")
    cmd = sandbox.command([sys.executable, "-c", code], workdir=str(tmp_path / "w"), ipcdir=str(tmp_path / "i"),
                          uid=None, env={"PYTHONPATH": sandbox.PACKAGE_MOUNT}, limits=sandbox.Limits())
    if shutil.which("setpriv") is None or shutil.which("prlimit") is None:
        pytest.skip("setpriv/prlimit missing")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    where, sees_solutions = out.stdout.split()
    assert where.startswith(sandbox.PACKAGE_MOUNT) and sees_solutions == "False"

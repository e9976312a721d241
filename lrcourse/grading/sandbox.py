"""A bubblewrap sandbox around each grading kernel (Linux).

What one sandboxed kernel sees and may do:

- **Files**: a fresh, empty root. Read-only: the system folders (``/usr``, ``/bin``, ``/lib*``,
  ``/etc``), this Python (``sys.base_prefix``) and its environment (``sys.prefix``), and the
  ``lrcourse`` package alone, mounted at ``/opt/lrcourse/lrcourse`` (first on ``PYTHONPATH``).
  Writable: its own working folder (a temporary copy of the assignment's data files, the
  kernel's current folder), the folder of the kernel's channels (ipc sockets), and a private
  ``/tmp`` in memory of bounded size. Nothing else of the machine: no course folder (so no
  ``solutions/``, no other submission, no gradebook folder), no home folder.
- **Processes**: its own PID namespace and ``/proc``: it sees only its own processes, cannot
  signal the grader, and every process it starts dies with the kernel (``--die-with-parent``,
  and ``setpriv --pdeathsig`` ties the sandbox to the grading process: no process outlives
  the grading of its submission).
- **Network**: none (its own network namespace); the grader talks to the kernel over Unix
  sockets in the bind-mounted channel folder (jupyter_client's ``ipc`` transport).
- **Environment**: cleared; only PATH, HOME, locale, BLAS thread counts, the grader's seed
  and the audit channel are set.
- **Limits** (``prlimit``): address space (memory), file size, CPU seconds, no core files,
  and the number of processes. When the grader runs as root the kernel runs as an unused
  user id of its own, so the process limit applies to that kernel alone (the kernel
  does not enforce it for root).

It does not protect against kernel exploits or CPU contention between kernels, and it
cannot stop code inside the kernel from tampering with the kernel itself: that is what the
checks of ``kernel_side`` are for (heuristics, see there).
"""
from __future__ import annotations

import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "available", "bwrap_path", "command", "library_roots", "package_dir",
           "SANDBOX_MODES"]

SANDBOX_MODES = ("auto", "require", "off")
PACKAGE_MOUNT = "/opt/lrcourse"        # the lrcourse package appears as /opt/lrcourse/lrcourse
TMP_SIZE = 256 * 2**20                 # the private /tmp (in memory)


@dataclass
class Limits:
    """Resource limits of one kernel: memory (address space) in MB, largest file in MB,
    CPU seconds, number of processes (threads count too)."""
    memory_mb: int = 3072
    file_mb: int = 64
    cpu_s: int = 1200
    processes: int = 128


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def available() -> bool:
    """Is bubblewrap installed and does it work here (a container may forbid namespaces)?"""
    global _WORKS
    if _WORKS is None:
        path = bwrap_path()
        tools = [shutil.which("prlimit"), shutil.which("setpriv")]
        if path is None or not sys.platform.startswith("linux") or None in tools:
            _WORKS = False
        else:
            import subprocess
            try:
                r = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net",
                                    "--die-with-parent", "true"], capture_output=True, timeout=20)
                _WORKS = r.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _WORKS = False
    return _WORKS


_WORKS: bool | None = None


def package_dir() -> Path:
    """The folder of the lrcourse package the grader runs (bound read-only into kernels)."""
    return Path(__file__).resolve().parent.parent


def library_roots() -> list[str]:
    """Folders holding installed code (Python, its environment, lrcourse, system): code
    from anywhere else running in a kernel is the student's."""
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    roots.add(str(package_dir()))
    roots.add(PACKAGE_MOUNT)
    roots.update(("/usr", "/lib", "/lib64", "/bin"))
    return sorted(roots)


def _unused_uid() -> int:
    """A user id nobody on this machine uses: the kernel's processes are counted apart."""
    import pwd
    while True:
        uid = 200000 + secrets.randbelow(800000)
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid


def _user_processes() -> int:
    uid, n = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                n += entry.stat().st_uid == uid
            except OSError:
                pass
    return n


def _below(path: str, folders) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def prepare(folders) -> int | None:
    """Give the sandbox's writable folders to the kernel's user; return that user id
    (None when the grader is not root: the kernel keeps the grader's user)."""
    if os.getuid() != 0:
        return None
    uid = _unused_uid()
    for f in folders:
        os.chown(f, uid, uid)
    return uid


def command(argv: list[str], *, workdir: str, ipcdir: str, uid: int | None,
            env: dict[str, str], limits: Limits) -> list[str]:
    """The command line running ``argv`` (the kernel) inside the sandbox."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise RuntimeError("bubblewrap (bwrap) is not installed")
    nproc = limits.processes if uid is not None else _user_processes() + limits.processes
    # setpriv --pdeathsig: the sandbox also dies when the grading process above it is killed
    cmd = [shutil.which("setpriv") or "setpriv", "--pdeathsig", "KILL", "--",
           shutil.which("prlimit") or "prlimit",
           f"--as={limits.memory_mb * 2**20}", f"--fsize={limits.file_mb * 2**20}",
           f"--cpu={limits.cpu_s}", "--core=0", f"--nproc={nproc}", "--",
           bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--hostname", "grading", "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    system = [d for d in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")
              if os.path.exists(d)]
    for d in system:
        cmd += ["--ro-bind", d, d]
    python = sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)} |
                    {sys.prefix, os.path.dirname(os.path.realpath(sys.executable))})
    python = [p for p in python if os.path.isdir(p) and not _below(p, system)]
    made: set[str] = set()

    def parents(path):            # folders bwrap would otherwise create as root-only (0700)
        out = []
        for parent in reversed(Path(path).parents):
            p = str(parent)
            if p != "/" and p not in made and not _below(p, system):
                made.add(p)
                out += ["--perms", "0755", "--dir", p]
        return out

    # the private /tmp first: a Python (a venv, a clone of the course) that lives under /tmp is
    # bound on top of it, not hidden by it
    cmd += ["--perms", "1777", "--size", str(TMP_SIZE), "--tmpfs", "/tmp"]
    for root in python:
        cmd += parents(root) + ["--ro-bind", root, root]
    cmd += parents(f"{PACKAGE_MOUNT}/lrcourse") + [
        "--ro-bind", str(package_dir()), f"{PACKAGE_MOUNT}/lrcourse"]
    for d in (ipcdir, workdir):
        cmd += parents(d) + ["--bind", d, d]
    cmd += ["--chdir", workdir, "--"]
    if uid is not None:
        cmd += [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}",
                "--clear-groups", "--no-new-privs", "--"]
    return cmd + list(argv)

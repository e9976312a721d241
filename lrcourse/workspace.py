"""Copy the exercises into the learner's own folder, ``my_work/`` (git-ignored).

Learners work on their copies, so ``git pull`` and ``python -m lrcourse release`` never touch
their answers. A file that already exists in ``my_work/`` is never overwritten; new
exercises that arrive later are copied in the next time.

Run as ``python -m lrcourse.workspace [EXERCISES_DIR] [MY_WORK_DIR]`` (``make lab`` does).
"""
from __future__ import annotations

import shutil
import sys
from . import _validate as v

__all__ = ["copy_exercises"]


def copy_exercises(exercises="exercises", my_work="my_work"):
    """Copy every file under ``exercises`` to the same place under ``my_work`` unless it exists.

    Returns the list of destination paths that were created.
    """
    src, dst = v.path("exercises", exercises), v.path("my_work", my_work)
    if not src.is_dir():
        raise ValueError(f"exercises must be an existing folder, got {str(src)!r}")
    created = []
    for f in sorted(src.rglob("*")):
        if not f.is_file() or ".ipynb_checkpoints" in f.parts:
            continue
        target = dst / f.relative_to(src)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
        created.append(target)
    return created


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    created = copy_exercises(*args[:2])
    dest = args[1] if len(args) > 1 else "my_work"
    print(f"{dest}/: copied {len(created)} new exercise file(s); existing files left as they are.")


if __name__ == "__main__":
    main()

"""The repository's own consistency: dependencies in sync, every lesson linked, layout complete."""
import os
import re
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _name(req):
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0]).lower()


def _lock():
    """constraints.txt as {name: (version, marker or None, section)}; section "build" for the build backend."""
    pins, section = {}, "run"
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.startswith("# build backend"):
            section = "build"
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        spec, _, marker = text.partition(";")
        name, sep, version = spec.strip().partition("==")
        assert sep and re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version.strip()), f"not an exact pin: {line!r}"
        pins[_name(name)] = (version.strip(), marker.strip() or None, section)
    return pins


def _pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data["project"]["dependencies"], data["project"]["optional-dependencies"]["test"], data


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_environment_yml_pins_pyprojects_dependencies_at_the_locked_versions():
    deps, _, _ = _pyproject()
    lock = _lock()
    yml = (ROOT / "environment.yml").read_text().splitlines()
    start = yml.index("dependencies:") + 1
    section = [l for l in yml[start:] if l.startswith("  ")]
    conda = [l.strip()[2:] for l in section if l.startswith("  - ") and not l.strip().startswith("- pip")]
    assert [_name(c) for c in conda] == ["python"], "conda brings only Python; pip installs the rest"
    python = conda[0].replace(" ", "").split("=")[-1]
    assert python == "3.11", f"environment.yml's Python {python}: the lock is made and checked for 3.11"
    pip = [l.strip()[2:].strip() for l in section if l.startswith("      - ")]
    assert pip[0] == "-c constraints.txt" and pip[-1] == "-e .", "pip must install with the lock, then the course"
    pinned = dict(p.split("==") for p in pip[1:-1])
    assert {_name(n) for n in pinned} == {_name(d) for d in deps}, "environment.yml and pyproject.toml differ"
    for name, version in pinned.items():
        locked = lock[_name(name)][0]
        assert locked == version, f"environment.yml pins {name}=={version}, constraints.txt {locked}"


@pytest.mark.skipif(tomllib is None, reason="tomllib needs Python 3.11")
def test_the_lock_pins_every_dependency_within_pyprojects_ranges():
    from packaging.requirements import Requirement

    deps, test_deps, data = _pyproject()
    lock = _lock()
    for dep in deps + test_deps + data["build-system"]["requires"]:
        req = Requirement(dep)
        assert _name(req.name) in lock, f"{req.name} is not in constraints.txt"
        assert req.specifier.contains(lock[_name(req.name)][0]), f"the lock's {req.name} is outside {dep!r}"


def test_make_installs_from_the_lock():
    make = (ROOT / "Makefile").read_text()
    assert "LOCK   := constraints.txt" in make
    for stamp in ("$(VENV)/.lab-installed:", "$(VENV)/.test-installed:"):
        rule = make.split(stamp, 1)[1].split("\n\n", 1)[0]
        assert "$(LOCK)" in rule.splitlines()[0], f"{stamp} must be remade when the lock changes"
        assert "install -c $(LOCK)" in rule, f"{stamp} must install with the lock"


def _installed_closure():
    """{name: version} of lrcourse[test]'s dependencies, recursively, as installed here."""
    from importlib import metadata

    from packaging.requirements import Requirement

    dists = {_name(d.metadata["Name"]): d for d in metadata.distributions()}
    found, todo = {}, [("lrcourse", ("test",))]
    while todo:
        name, extras = todo.pop()
        dist = dists.get(name)
        if dist is None or (name, extras) in found:
            continue
        found[name, extras] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras + ("",)):
                todo.append((_name(req.name), tuple(sorted(req.extras))))
    return {name: version for (name, _), version in found.items() if name != "lrcourse"}


@pytest.mark.skipif(bool(os.environ.get("LRCOURSE_UNLOCKED")), reason="make test-latest: newest releases, no lock")
def test_installed_versions_equal_the_lock():
    """Every package lrcourse[test] needs, installed here, at the lock's version (and in the lock)."""
    lock = _lock()
    installed = _installed_closure()
    assert len(installed) > 50, "lrcourse[test] is not installed here"
    unpinned = sorted(set(installed) - set(lock))
    assert not unpinned, f"installed and needed but not in constraints.txt: {unpinned}"
    wrong = {n: (v, lock[n][0]) for n, v in installed.items() if v != lock[n][0]}
    assert not wrong, f"installed versions differ from constraints.txt (installed, locked): {wrong}"


def test_every_lesson_has_an_assignment_and_is_linked_from_the_index():
    index = (ROOT / "index.ipynb").read_text()
    lessons = sorted(p.stem for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    assert lessons, "no lessons"
    for slug in lessons:
        assert f"lessons/{slug}.ipynb" in index
        assert (ROOT / "solutions" / slug / f"{slug}.ipynb").exists(), f"no solution for {slug}"
        assert (ROOT / "exercises" / slug / f"{slug}.ipynb").exists(), f"no exercise for {slug}"


def test_import_lrcourse_does_not_load_matplotlib_or_widgets():
    code = "import sys, lrcourse; print(sorted(m for m in ('matplotlib', 'ipywidgets', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_make_lab_copies_exercises_without_overwriting(tmp_path):
    from lrcourse.workspace import copy_exercises

    src = tmp_path / "exercises" / "01_x"
    src.mkdir(parents=True)
    (src / "01_x.ipynb").write_text("new")
    (src / "data.csv").write_text("1,2")
    mine = tmp_path / "my_work" / "01_x"
    mine.mkdir(parents=True)
    (mine / "01_x.ipynb").write_text("my answers")
    created = copy_exercises(tmp_path / "exercises", tmp_path / "my_work")
    assert created == [mine / "data.csv"]
    assert (mine / "01_x.ipynb").read_text() == "my answers"
    assert copy_exercises(tmp_path / "exercises", tmp_path / "my_work") == []
    with pytest.raises(ValueError, match="exercises"):
        copy_exercises(tmp_path / "nope", tmp_path / "my_work")


def test_notebooks_are_committed_without_stray_outputs():
    """Only cells tagged nbval-check-output (or marked NBVAL_CHECK_OUTPUT) may carry outputs (nbval compares them)."""
    import nbformat

    for path in sorted(list((ROOT / "lessons").glob("*.ipynb")) + list((ROOT / "solutions").glob("*/*.ipynb"))
                       + list((ROOT / "exercises").glob("*/*.ipynb")) + [ROOT / "index.ipynb"]):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.outputs:
                checked = "nbval-check-output" in cell.metadata.get("tags", []) or "NBVAL_CHECK_OUTPUT" in cell.source
                assert checked, f"{path.name}: outputs in an unchecked cell"

"""The grader's part inside each grading kernel: verdicts the student's code cannot forge
easily, and evidence of tampering.

The grader's first cell, run before any student code, calls :func:`install` with a file
descriptor the grader opened on a file outside the sandbox (write-only, append). Then:

- **Pristine references.** numpy, builtins, math, ``lrcourse`` (with every ``lrcourse.checks``
  module) and the IPython/ipykernel classes are imported and snapshotted: which object each
  module attribute and class attribute is, and each Python function's code and defaults.
  Before and after every test, :func:`integrity` compares with the snapshot, puts back what
  was replaced (so the test runs against the pristine references) and reports it.
- **Verdicts.** A test cell is not run as a cell: the grader sends
  ``run_test(nonce, name, source)``, which executes the test's source itself, in the
  student's namespace, and writes one line ``LRC-VERDICT <mac> <payload>`` to the grader's
  file: whether it raised, its message, what was tampered with. The line is signed with a
  key made here at install and sent to the grader before any student code ran; the key is
  only a constant inside ``run_test``'s code, and everything ``run_test`` calls after the
  test is captured in its defaults (C functions), so replacing modules, IPython hooks,
  ``sys.excepthook`` or the kernel's reply changes nothing. A test without one valid verdict
  line fails. The test runs in a copy of the student's namespace (its own values, such as a
  hidden expected value, stay out of the student's globals) after the import statements of
  the solution's read-only cells are run again in it (a fake ``ex01`` bound by the student
  is replaced by the real module, and reported).
- **An audit hook** (it cannot be removed) reports at once, on the same file, what student
  code does that honest answers never do: frame inspection (``sys._getframe``,
  ``inspect.currentframe``/``stack``, frame and traceback internals), ``gc`` introspection,
  trace/profile hooks, ``ctypes``, replacing a function's code or defaults, reading
  ``run_test``'s code or defaults, compiling code under a library's file name.
- **Unexpected types.** Classes created by student code that define comparisons or
  conversions (``__eq__``, ``__bool__``, ``__float__``, ``__array_ufunc__``, ...) are reported.

This is in-process detection: it raises the bar, it is not a proof (code in the same process
can in principle undo anything). The sandbox (sandbox.py) is the hard boundary.
"""
from __future__ import annotations

import os
import re
import sys

__all__ = ["install", "integrity", "is_student_file"]

_MISSING = object()
_STATE: dict = {}
WATCHED_MODULES = ("builtins", "math", "operator", "functools", "json", "hmac", "hashlib",
                   "IPython.core.interactiveshell", "IPython.core.events",
                   "IPython.core.inputtransformer2", "IPython.core.displayhook",
                   "IPython.core.displaypub", "IPython.core.ultratb", "ipykernel.zmqshell",
                   "ipykernel.ipkernel", "ipykernel.kernelbase", "ipykernel.iostream",
                   "ipykernel.displayhook", "jupyter_client.session")
DUNDERS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__",
           "__int__", "__index__", "__complex__", "__array__", "__array_ufunc__",
           "__array_function__", "__instancecheck__", "__subclasscheck__", "__abs__",
           "__round__")
IPYTHON_LISTS = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
FRAME_ATTRS = {"f_code", "tb_frame", "gi_frame", "gi_code", "cr_frame", "cr_code",
               "ag_frame", "ag_code"}
FUNC_ATTRS = {"__code__", "__defaults__", "__kwdefaults__"}


def is_student_file(filename: str, roots=None) -> bool:
    """Does code compiled from ``filename`` come from the student (cells, files they wrote,
    exec'd strings) rather than an installed library or the grader's own tests?"""
    if not isinstance(filename, str):
        return True
    if filename.startswith(("<frozen ", "<lrcourse-")):
        return False
    roots = _STATE.get("roots", ()) if roots is None else roots
    return not any(filename == r or filename.startswith(r.rstrip("/") + "/") for r in roots)


def _watched_modules():
    names = set(WATCHED_MODULES)
    names.update(n for n in list(sys.modules)
                 if n == "numpy" or n.startswith(("numpy.", "lrcourse")))
    return sorted(n for n in names if sys.modules.get(n) is not None)


def _keep(module: str, key: str, value) -> bool:
    if module == "builtins" and (key in ("input", "raw_input") or key.startswith("_") and key
                                 not in ("__import__", "__build_class__")):
        return False                       # ipykernel swaps input() for each execution
    if module.startswith("lrcourse") and not (callable(value) or isinstance(value, type)
                                              or type(value).__name__ == "module"):
        return False                       # the library's own data may legitimately change
    return not key.startswith("__") or key in ("__import__", "__build_class__")


def _snapshot():
    import types
    modules, functions, classes = {}, [], []
    seen = set()
    for name in _watched_modules():
        mod = sys.modules[name]
        items = {k: v for k, v in list(vars(mod).items()) if _keep(name, k, v)}
        modules[name] = (mod, items)
        for v in items.values():
            if id(v) in seen:
                continue
            seen.add(id(v))
            if isinstance(v, types.FunctionType):
                functions.append((v, v.__code__, v.__defaults__, v.__kwdefaults__))
            elif isinstance(v, type) and getattr(v, "__module__", None) == name:
                classes.append((v, dict(vars(v))))
    return modules, functions, classes


def _all_classes():
    out, seen, stack = [], set(), [object]
    while stack:
        c = stack.pop()
        try:
            subs = type.__subclasses__(c)
        except TypeError:
            continue
        for s in subs:
            if id(s) not in seen:
                seen.add(id(s))
                out.append(s)
                stack.append(s)
    return out


def _code_file(f):
    f = getattr(f, "__func__", f)
    if isinstance(f, (classmethod, staticmethod, property)):
        f = getattr(f, "__func__", None) or getattr(f, "fget", None)
    code = getattr(f, "__code__", None)
    return code.co_filename if code is not None else None


def _ipython_state(shell):
    state = {"lists": {}, "events": {}, "instance": {}, "sys": {}}
    if shell is None:
        return state
    for n in IPYTHON_LISTS:
        lst = getattr(shell, n, None)
        if isinstance(lst, list):
            state["lists"][n] = (lst, tuple(lst))
    mgr = getattr(shell, "input_transformer_manager", None)
    for n in ("cleanup_transforms", "line_transforms", "token_transformers"):
        lst = getattr(mgr, n, None)
        if isinstance(lst, list):
            state["lists"]["input_transformer_manager." + n] = (lst, tuple(lst))
    events = getattr(shell, "events", None)
    for name, cbs in getattr(events, "callbacks", {}).items():
        state["events"][name] = tuple(cbs)
    kernel = getattr(shell, "kernel", None)
    for label, obj in (("shell", shell), ("kernel", kernel),
                       ("session", getattr(kernel, "session", None)),
                       ("displayhook", getattr(shell, "displayhook", None)),
                       ("display_pub", getattr(shell, "display_pub", None))):
        if obj is not None and hasattr(obj, "__dict__"):
            state["instance"][label] = (obj, {k: v for k, v in vars(obj).items()
                                              if callable(v)})
    state["sys"] = {n: getattr(sys, n, None) for n in
                    ("excepthook", "displayhook", "stdout", "stderr", "breakpointhook")}
    state["sys"]["gettrace()"] = sys.gettrace()
    state["sys"]["getprofile()"] = sys.getprofile()
    state["custom_exceptions"] = getattr(shell, "custom_exceptions", ())
    return state


def integrity(when, _st=None, _vars=vars, _id=id, _setattr=setattr, _mods=None, _ipy=None,
              _cls=None, _missing=_MISSING):
    """What differs from the pristine state (and is put back where it can be).

    Its state and helpers are in its defaults, set by :func:`install` (reading or changing
    a protected function's defaults is reported by the audit hook)."""
    problems = []
    modules, functions, classes = _st["snapshot"]
    for name, (mod, items) in modules.items():
        if _mods.get(name) is not mod:
            problems.append(f"sys.modules[{name!r}] was replaced")
            _mods[name] = mod
        d = _vars(mod)
        for k, v in items.items():
            if d.get(k, _missing) is not v:
                problems.append(f"{name}.{k} was replaced")
                d[k] = v
    for f, code, defaults, kwdefaults in functions:
        if f.__code__ is not code or f.__defaults__ is not defaults \
                or f.__kwdefaults__ is not kwdefaults:
            problems.append(f"the code of {f.__module__}.{f.__qualname__} was replaced")
            f.__code__, f.__defaults__, f.__kwdefaults__ = code, defaults, kwdefaults
    for cls, cdict in classes:
        now = _vars(cls)
        for k, v in cdict.items():
            if now.get(k, _missing) is not v:
                problems.append(f"{cls.__module__}.{cls.__qualname__}.{k} was replaced")
                try:
                    _setattr(cls, k, v)
                except (TypeError, AttributeError):
                    pass
    problems += _ipy(_st)
    problems += _cls(_st)
    return [f"{p} ({when})" for p in dict.fromkeys(problems)]


def _ipython_problems(st):
    import types
    problems = []
    old, roots = st["ipython"], st["roots"]
    new = _ipython_state(st["shell"])
    for n, (lst, items) in old["lists"].items():
        now = new["lists"].get(n)
        if now is None or now[0] is not lst or len(now[1]) != len(items) or \
                any(a is not b for a, b in zip(now[1], items)):
            problems.append(f"IPython's {n} were changed (input or AST transformers)")
    for name, cbs in new["events"].items():
        before = old["events"].get(name, ())
        for cb in cbs:
            if not any(cb is b or (type(cb) is type(b) is types.MethodType and cb == b)
                       for b in before) and \
                    is_student_file(_code_file(cb) or "<unknown>", roots):
                problems.append(f"an IPython {name!r} event hook was registered")
    for label, (obj, callables) in old["instance"].items():
        now = new["instance"].get(label)
        if now is None or now[0] is not obj:
            problems.append(f"the kernel's {label} object was replaced")
            continue
        for k, v in now[1].items():
            if callables.get(k, _MISSING) != v and not k.startswith("_ipython"):
                if hasattr(type(obj), k) or is_student_file(_code_file(v) or "<unknown>",
                                                            roots):
                    problems.append(f"{label}.{k} was replaced")
    for k, v in old["sys"].items():
        if new["sys"].get(k) != v:          # == : IPython makes a new bound method each time
            problems.append(f"sys.{k} was replaced")
    if new.get("custom_exceptions") != old.get("custom_exceptions"):
        problems.append("IPython custom exception handlers were set (set_custom_exc)")
    return problems


def _class_problems(st):
    problems = []
    known, roots = st["classes"], st["roots"]
    for cls in _all_classes():
        if id(cls) in known:
            continue
        module = sys.modules.get(getattr(cls, "__module__", None) or "")
        if module is not None and vars(module).get(cls.__name__) is cls \
                and not is_student_file(getattr(module, "__file__", None) or "<unknown>", roots):
            continue   # a library module's own class (e.g. an lrcourse dataclass imported after install)
        for name in DUNDERS:
            f = vars(cls).get(name)
            if f is not None and _code_file(f) is not None \
                    and is_student_file(_code_file(f), roots) \
                    and "__create_fn__" not in getattr(f, "__qualname__", ""):  # dataclasses
                problems.append(f"student code defines a class {cls.__qualname__} with {name} "
                                "(answers of unexpected types with overridden comparisons)")
                break
    return problems


def _code_names(code) -> set:
    """Every global or attribute name a code object (and the code nested in it) uses."""
    names, stack = set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(x for x in c.co_consts if type(x) is type(code))
    return names


def _make_hook(fd, protected, roots):
    state = {"busy": False}
    getframe = sys._getframe
    write = os.write
    watch = {"sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
             "gc.get_referents", "sys.settrace", "sys.setprofile", "sys.addaudithook",
             "object.__getattr__", "object.__setattr__", "object.__delattr__", "compile",
             "sys.monitoring.register_callback"}
    roots = tuple(r.rstrip("/") + "/" for r in roots)

    def student(filename):
        return not (filename.startswith(("<frozen ", "<lrcourse-")) or filename.startswith(roots))

    def hook(event, args):
        if event not in watch and not event.startswith("ctypes."):
            return
        if event in ("object.__getattr__", "object.__setattr__", "object.__delattr__"):
            name = args[1] if len(args) > 1 else None
            if id(args[0]) in protected and name in FUNC_ATTRS:
                pass                                      # always: nobody needs these
            elif event == "object.__getattr__" and name not in FRAME_ATTRS:
                return
            elif event != "object.__getattr__" and name not in FUNC_ATTRS:
                return
        if state["busy"]:
            return
        state["busy"] = True
        try:
            f = getframe(1)
            files = []
            while f is not None and len(files) < 3:
                files.append(f.f_code.co_filename)
                f = f.f_back
            mine = [student(x) for x in files]
            if event == "compile":
                name = args[1] if len(args) > 1 else ""
                if not (mine and mine[0] and isinstance(name, str)
                        and (name.startswith("<lrcourse-") or not student(name))):
                    return
            elif event.startswith(("object.",)) and id(args[0]) in protected:
                pass
            elif not (mine and (mine[0] or (files[0].endswith("/inspect.py")
                                            and len(mine) > 1 and mine[1]))):
                return
            what = event + (f" {args[1]}" if event.startswith("object.") else "")
            write(fd, ("LRC-EVENT " + what.replace("\n", " ")[:200] + "\n").encode())
        except Exception:
            pass
        finally:
            state["busy"] = False

    return hook


_RUNNER = '''
def run_test(nonce, name, source, imports="", *, _compile=compile, _exec=exec, _write=WRITE, _fd=FD,
             _digest=DIGEST, _repr=repr, _s=str.__str__, _type=type, _check=CHECK, _ns=NS,
             _base=BaseException, _len=len, _tuple=tuple, _encode=str.encode, _dict=dict,
             _module=type(sys), _callable=callable, _getattr=getattr, _names=NAMES):
    tampered = []
    try:
        tampered = _check("before the test")
    except _base as e:
        tampered = ["the integrity check itself failed"]
    ok, message = False, ""
    scope = _dict(_ns)                # the test's own values stay out of the student's reach
    try:                              # the setup's imports again: genuine np, ex01, ...
        genuine = {}
        _exec(_compile(imports, "<lrcourse-imports>", "exec", 0, True, 0), genuine)
        used = _names(_compile(source, "<lrcourse-test " + name + ">", "exec", 0, True, 0))
        for k, v in genuine.items():
            if k != "__builtins__":
                if k in used and k in scope and scope[k] is not v and (_type(v) is _module or _s(
                        _getattr(v, "__module__", "") or "").startswith("lrcourse.checks")):
                    tampered = tampered + ["the name " + _s(k) + " was rebound to another object"]
                scope[k] = v
    except _base:
        tampered = tampered + ["the setup's imports failed in the test"]
    try:
        code = _compile(source, "<lrcourse-test " + name + ">", "exec", 0, True, 0)
        _exec(code, scope)
        ok = True
    except _base as e:
        try:
            kind = _s(_type(e).__name__)
            text = _s(e.args[0]) if _len(e.args) == 1 and _type(e.args[0]) is str else ""
            message = kind + (": " + text if text else "")
        except _base:
            message = "an error that cannot be shown"
    try:
        for k, v in scope.items():    # imports and helpers the next tests may use
            if k not in _ns and (_type(v) is _module or _callable(v)):
                _ns[k] = v
    except _base:
        pass
    try:
        tampered = tampered + _check("during the test")
    except _base:
        tampered = tampered + ["the integrity check itself failed"]
    payload = _repr((_s(nonce), ok is True, _s(message)[:2000],
                     _tuple(_s(t)[:300] for t in tampered[:20])))
    mac = _digest(KEY, _encode(payload), "sha256").hex()
    _write(_fd, _encode("LRC-VERDICT " + mac + " " + payload + "\\n"))
'''


def install(fd: int, roots) -> None:
    """Capture the pristine state, add the audit hook and define ``run_test``; write the
    verdict key to ``fd``. Called once per kernel, before any student code."""
    if _STATE:
        raise RuntimeError("install() runs once per kernel")
    import _hashlib
    import importlib
    import pkgutil
    import secrets

    import numpy  # noqa: F401  (the tests' references: snapshot them pristine)
    import numpy.testing  # noqa: F401

    import lrcourse.checks
    for m in pkgutil.iter_modules(lrcourse.checks.__path__):
        try:                         # a broken checks module fails its own tests, not install
            importlib.import_module(f"lrcourse.checks.{m.name}")
        except Exception:
            pass
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    roots = tuple(roots)
    _STATE["roots"] = roots
    state = {"roots": roots, "shell": shell, "ipython": _ipython_state(shell)}
    integrity.__defaults__ = (state, vars, id, setattr, sys.modules, _ipython_problems,
                              _class_problems, _MISSING)
    protected = {id(integrity)}
    modules, functions, classes = _snapshot()
    functions = [f for f in functions if id(f[0]) not in protected]
    state["snapshot"] = (modules, functions, classes)
    state["classes"] = {id(c) for c in _all_classes()}
    key = secrets.token_hex(32)
    scope = {"WRITE": os.write, "FD": int(fd), "DIGEST": _hashlib.hmac_digest, "NAMES": _code_names,
             "CHECK": integrity, "KEY": bytes.fromhex(key),
             "NS": shell.user_ns if shell is not None else vars(sys.modules["__main__"])}
    source = _RUNNER
    for name in ("WRITE", "FD", "DIGEST", "CHECK", "NS", "NAMES"):
        source = re.sub(rf"={name}\b", f"=__{name.lower()}__", source)
    source = source.replace("KEY", repr(bytes.fromhex(key)))
    glob = {f"__{n.lower()}__": v for n, v in scope.items() if n != "KEY"}
    glob["__builtins__"] = __builtins__
    glob["sys"] = sys
    exec(compile(source, __file__, "exec"), glob)
    run_test = glob.pop("run_test")
    for n in list(glob):
        if n != "__builtins__":
            del glob[n]
    del source
    protected.add(id(run_test))
    sys.addaudithook(_make_hook(int(fd), protected, roots))
    sys.modules[__name__].run_test = run_test
    os.write(int(fd), f"LRC-KEY {key}\n".encode())

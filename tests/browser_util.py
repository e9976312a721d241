"""Drive JupyterLab in Debian's Chromium with Python Playwright (shared by tests/test_browser.py
and benchmarks/browser_latency.py).

* :func:`jupyter_lab` starts JupyterLab from this Python environment on a free loopback port
  with a random token, its own settings (no news banner, no autosave) and workspace folders,
  and kills its whole process group on exit, also on failure.
* :func:`chromium` launches /usr/bin/chromium headless with a fresh profile. Playwright's own
  browser download does not work on these machines, so its bundled browsers are never used.
* :class:`Notebook` opens a notebook, runs all its cells, collects error outputs and drives
  the first slider shown next to an ipympl figure, timing key press -> painted frame.

The recipe and the numbers behind it are in RECIPES.md ("JupyterLab in a real browser").
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HOW_TO_ENABLE = (
    "install Debian's Chromium (`apt-get install -y chromium`; `make test` does it when run as "
    "root on Debian) and Python playwright (`pip install -e '.[test]'`); Playwright's own browser "
    "download is not needed"
)

# Settings of our own so no banner covers the plots and nothing is written back to the notebooks.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


def why_no_browser():
    """None if the browser test can run here, else the reason (with how to enable it)."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"no {CHROMIUM}: {HOW_TO_ENABLE}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"python playwright is not installed: {HOW_TO_ENABLE}"
    return None


def machine_info():
    """The machine and the versions that the timings depend on (for the benchmarks' JSON)."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "os": platform.platform(), "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}
    with contextlib.suppress(OSError):  # other work on the machine while the benchmark ran
        info["load_average_1_5_15min"] = [round(x, 2) for x in os.getloadavg()]
    for pkg in ("numpy", "matplotlib", "ipympl", "ipywidgets", "jupyterlab", "ipykernel", "playwright", "torch"):
        try:
            info[pkg] = version(pkg)
        except PackageNotFoundError:
            info[pkg] = None
    if os.access(CHROMIUM, os.X_OK):
        with contextlib.suppress(Exception):
            out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20)
            info["chromium"] = out.stdout.strip()
    return info


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(root_dir, work_dir, *, timeout=60, extra_args=()):
    """Run JupyterLab (this environment's, ``sys.executable -m jupyterlab``) serving ``root_dir``.

    ``extra_args`` are appended to the command line. Yields (base_url, token). Settings, workspaces and runtime files go to ``work_dir``; the
    server log is ``work_dir/jupyterlab.log``. On exit the kernels are shut down through the
    REST API and the server's process group is terminated (killed after 10 s).
    """
    work_dir = Path(work_dir)
    settings = work_dir / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    for sub in ("lab-workspaces", "runtime"):
        (work_dir / sub).mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(work_dir / "lab-workspaces"),
               JUPYTER_RUNTIME_DIR=str(work_dir / "runtime"), OPENBLAS_NUM_THREADS="1",
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("MPLBACKEND", None)  # tests set Agg; the notebooks choose ipympl themselves
    port, token = free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--port-retries=0", f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=None", f"--ServerApp.root_dir={root_dir}", *extra_args]
    if hasattr(os, "getuid") and os.getuid() == 0:
        cmd.append("--allow-root")
    log = open(work_dir / "jupyterlab.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root_dir,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {proc.returncode}:\n{_tail(work_dir / 'jupyterlab.log')}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterLab not ready after {timeout} s:\n{_tail(work_dir / 'jupyterlab.log')}")
            time.sleep(0.2)
        yield base, token
    finally:
        _shutdown_kernels(base, token)
        _kill_group(proc)
        log.close()


def _tail(path, n=30):
    with contextlib.suppress(OSError):
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    return ""


def _shutdown_kernels(base, token):
    """Ask the server to shut its kernels down (they run in sessions of their own)."""
    with contextlib.suppress(Exception):
        with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=5) as r:
            kernels = json.load(r)
        for k in kernels:
            req = urllib.request.Request(f"{base}/api/kernels/{k['id']}?token={token}", method="DELETE")
            with contextlib.suppress(Exception):
                urllib.request.urlopen(req, timeout=10).close()


def _kill_group(proc):
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@contextlib.contextmanager
def chromium(work_dir, *, width=1400, height=1000):
    """A headless Chromium page (Playwright BrowserContext on a fresh profile in ``work_dir``)."""
    from playwright.sync_api import sync_playwright

    profile = Path(work_dir) / "chromium-profile"
    shutil.rmtree(profile, ignore_errors=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            yield page
        finally:
            context.close()


def copy_notebooks(paths, dest):
    """Copy notebooks into ``dest`` (the server's root), so running them never touches the repo."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for p in paths:
        shutil.copy(p, dest / Path(p).name)
    return dest


# JavaScript run in the page. The notebook panel is window.jupyterapp.shell.currentWidget.
_JS_OUTPUTS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const out = {errors: [], stderr: [], widget_errors: [], unexecuted: 0, code_cells: 0};
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    out.code_cells += 1;
    if (cell.model.executionCount === null) out.unexecuted += 1;
    for (const o of cell.model.outputs.toJSON()) {
      if (o.output_type === 'error') out.errors.push(o.ename + ': ' + o.evalue);
      if (o.output_type === 'stream' && o.name === 'stderr') out.stderr.push([].concat(o.text).join(''));
    }
  }
  for (const el of document.querySelectorAll('.jp-OutputArea-output')) {
    const t = el.innerText || '';
    if (/Error displaying widget|model not found|Failed to (load|create) (model|view)/i.test(t))
      out.widget_errors.push(t.slice(0, 300));
  }
  return out;
}"""

# Index of the first cell whose output holds a slider and an ipympl figure; -1 if none.
_JS_FIND_APP = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  return cells.findIndex(c => c.querySelector('.jp-OutputArea .widget-slider .noUi-handle')
                            && c.querySelector('.jp-OutputArea .jupyter-matplotlib-figure canvas'));
}"""

# Frame accounting in the page (times in ms, page clock): ``keys`` when a key goes down,
# ``received`` when ipympl gets an image from the kernel (it sets a blob: URL as an <img> src;
# any figure), ``drawn`` when it paints one on the app's visible canvas (drawImage),
# ``painted`` at the next animation frame, when the browser shows it; ``busy`` when the
# kernel last reported a status other than idle.
_JS_PROBE = """(canvas) => {
  if (window.__probe) return;
  const probe = window.__probe = {keys: [], received: [], drawn: [], painted: [], busy: performance.now()};
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src');
  Object.defineProperty(HTMLImageElement.prototype, 'src', {
    configurable: true, get() { return src.get.call(this); },
    set(v) { if (String(v).startsWith('blob:')) probe.received.push(performance.now()); src.set.call(this, v); },
  });
  const ctx = canvas.getContext('2d');
  const draw = ctx.drawImage.bind(ctx);
  ctx.drawImage = (...args) => {
    draw(...args);
    probe.drawn.push(performance.now());
    requestAnimationFrame(() => probe.painted.push(performance.now()));
  };
  document.addEventListener('keydown', () => probe.keys.push(performance.now()), true);
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  kernel.statusChanged.connect((_, status) => { if (status !== 'idle') probe.busy = performance.now(); });
}"""

# True when the kernel is idle and nothing happened (kernel busy, image drawn) for quiet ms.
_JS_QUIET = """(quiet) => {
  const p = window.__probe, now = performance.now();
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const last = Math.max(p.busy, ...p.received, ...p.drawn, ...p.painted);
  return kernel.status === 'idle' && p.painted.length >= p.drawn.length && now - last > quiet;
}"""


class Notebook:
    """One notebook open in JupyterLab in ``page`` (see the module docstring)."""

    def __init__(self, page, base, token, path, *, timeout=60):
        self.page = page
        self.path = str(path)
        page.set_default_timeout(timeout * 1000)
        page.goto(f"{base}/lab/tree/{self.path}?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout * 1000)
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel")

    def run_all(self, timeout=120):
        """Run every cell (JupyterLab's "Run All Cells"); returns the wall time in seconds.

        The command's promise resolves when the last cell has finished (or one failed); then
        we also wait for the kernel to be idle, so widget and figure messages have arrived.
        """
        t = time.perf_counter()
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(
            "() => ![...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')].some(p => p.innerText.includes('*'))"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
            timeout=timeout * 1000)
        return time.perf_counter() - t

    def outputs(self):
        """Error outputs, stderr texts, widget rendering errors and unexecuted code cells."""
        return self.page.evaluate(_JS_OUTPUTS)

    def problems(self):
        """A list of what went wrong, as readable lines (empty if the notebook ran cleanly)."""
        o = self.outputs()
        lines = [f"error output: {e}" for e in o["errors"]]
        lines += [f"stderr with a traceback: {s[:500]}" for s in o["stderr"] if "Traceback" in s]
        lines += [f"widget failed to render: {w}" for w in o["widget_errors"]]
        if o["unexecuted"]:
            lines.append(f"{o['unexecuted']} of {o['code_cells']} code cells were not executed")
        return lines

    # -- the app: the first slider shown next to a figure ---------------------------------
    def find_app(self, timeout=30):
        """Locate the first cell output with a slider and an ipympl figure; wait until the
        figure is painted. Returns False if the notebook has none."""
        page = self.page
        index = page.evaluate(_JS_FIND_APP)
        if index < 0:
            return False
        self.cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
        self.output = self.cell.locator(".jp-OutputArea").first
        self.handle = self.output.locator(".widget-slider .noUi-handle").first
        self.canvas = self.output.locator(".jupyter-matplotlib-figure canvas").first
        self.output.scroll_into_view_if_needed()
        self.canvas.wait_for(state="visible")
        # painted = some pixel of the canvas is not transparent
        self.canvas.evaluate(
            "(c) => new Promise((resolve) => { const t0 = performance.now(); (function poll() {"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " for (let i = 3; i < d.length; i += 4 * 97) if (d[i] !== 0) return resolve(true);"
            f" if (performance.now() - t0 > {timeout * 1000}) return resolve(false);"
            " setTimeout(poll, 50); })(); })")
        self.canvas.evaluate(_JS_PROBE)
        return True

    def canvas_png(self):
        """The figure's canvas pixels as a PNG data URL (what the learner sees)."""
        return self.canvas.evaluate("(c) => c.toDataURL('image/png')")

    def slider_position(self):
        """(value, min, max) of the slider handle as noUiSlider reports them (aria-value*)."""
        get = self.handle.get_attribute
        return tuple(float(get(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))

    def press(self, key):
        """Focus the slider handle and press ``key`` (e.g. "ArrowRight")."""
        self.handle.focus()
        self.page.keyboard.press(key)

    def probe(self):
        """Times (ms, page clock) of key presses, images drawn and frames painted so far."""
        return self.page.evaluate("() => window.__probe")

    def wait_quiet(self, quiet_ms=100, timeout=30):
        """Wait until the kernel is idle and every frame it sent is painted, with none for
        ``quiet_ms``: the previous move has finished, so the next frame is the next move's."""
        self.page.wait_for_function(_JS_QUIET, arg=quiet_ms, timeout=timeout * 1000)

    def move_and_time(self, key, timeout=5):
        """Press ``key`` on the slider once the previous move has finished; ms from the key
        press to the first frame painted after it (None if none within ``timeout`` s: the
        move did not repaint the figure)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        self.wait_quiet()
        n_keys = len(self.probe()["keys"])
        self.press(key)
        try:
            self.page.wait_for_function(
                f"""() => {{ const p = window.__probe;
                  return p.keys.length > {n_keys} && p.painted.some(t => t > p.keys[{n_keys}]); }}""",
                timeout=timeout * 1000)
        except PlaywrightTimeout:
            return None
        p = self.probe()
        k = p["keys"][n_keys]
        return min(t for t in p["painted"] if t > k) - k

    def drag(self, key, presses=30, interval=0.033):
        """A keyboard drag: ``presses`` presses of ``key`` ``interval`` s apart. Returns
        (frames painted, seconds from the first key press to the last of those frames)."""
        self.wait_quiet()
        n_keys = len(self.probe()["keys"])
        self.handle.focus()
        start = time.perf_counter()
        for i in range(presses):
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self.page.keyboard.press(key)
        self.wait_quiet(quiet_ms=300)
        p = self.probe()
        first_key = p["keys"][n_keys]
        frames = [t for t in p["painted"] if t > first_key]
        return len(frames), ((frames[-1] - first_key) / 1000 if frames else 0.0)

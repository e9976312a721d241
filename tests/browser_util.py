"""Drive JupyterLab in Debian's Chromium with Python Playwright (shared by tests/test_browser.py
and benchmarks/browser_latency.py).

* :func:`jupyter_lab` starts JupyterLab from this Python environment on a free loopback port
  with a random token, its own settings (no news banner, no autosave) and workspace folders,
  and kills its whole process group on exit, also on failure.
* :func:`chromium` launches /usr/bin/chromium headless with a fresh profile. Playwright's own
  browser download does not work on these machines, so its bundled browsers are never used.
* :class:`Notebook` opens a notebook, runs all its cells, collects error outputs and drives
  the first slider shown next to an ipympl figure, timing key press -> painted frame.
* :class:`Figures` compares every ipympl figure the page shows with matplotlib's own full
  render of it (made in the notebook's kernel) and checks that it fits the notebook column.

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
def chromium(work_dir, *, width=1280, height=800):
    """A headless Chromium page (Playwright BrowserContext on a fresh profile in ``work_dir``),
    by default at a laptop's size, 1280 x 800 (with the file browser open, JupyterLab's output
    column is then 848 px wide)."""
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


# -- what is painted vs matplotlib's own render ----------------------------------------------
# Run in the notebook's kernel: every live ipympl canvas gets a CSS class naming its widget
# model (ipywidgets' public add_class, so the page can find the canvas that shows it), and is
# rendered by matplotlib itself, in full, at the figure's own size and dpi (savefig to PNG, on
# an Agg canvas of its own for the time of the save: the live canvas's buffer, frames and the
# figure's stale flag stay as they were, so the render sends the browser nothing new).
# Printed as one JSON line.
_KERNEL_RENDERS = r'''
def _lrcourse_renders():
    import base64, io, json
    from ipywidgets.widgets.widget import _instances
    from ipympl.backend_nbagg import Canvas
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    out = []
    for w in list(_instances.values()):
        if not isinstance(w, Canvas) or w.comm is None:
            continue
        cls = "lrcourse-fig-" + w.model_id
        if cls not in w._dom_classes:
            w.add_class(cls)
        buf = io.BytesIO()
        fig, stale = w.figure, w.figure.stale
        try:
            FigureCanvasAgg(fig)
            fig.savefig(buf, format="png", dpi="figure")
        finally:
            fig.set_canvas(w)
            fig._stale = stale
        out.append({"cls": cls, "png": base64.b64encode(buf.getvalue()).decode("ascii"),
                    "label": w.figure.get_label() or ""})
    print("LRCOURSE-RENDERS " + json.dumps(out))
_lrcourse_renders()
del _lrcourse_renders
'''

# Run code in the notebook's kernel (not in a cell); resolves to its stdout (+ an error line).
_JS_EXECUTE = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, silent: false, store_history: false}, true);
  let text = '';
  future.onIOPub = (msg) => {
    const t = msg.header.msg_type;
    if (t === 'stream') text += msg.content.text;
    if (t === 'error') text += '\\nKERNEL-ERROR ' + msg.content.ename + ': ' + msg.content.evalue;
  };
  await future.done;
  return text;
}"""

# For each class: the views showing that canvas (their pixels as PNG data URLs, sizes, and how
# they sit in their output area and the notebook column).
_JS_VIEWS = """(classes) => classes.map((cls) => {
  return [...document.querySelectorAll('.jupyter-matplotlib.' + cls)].map((el) => {
    const canvas = el.querySelector('.jupyter-matplotlib-canvas-div canvas');
    const out = el.closest('.jp-OutputArea-output');
    const cell = el.closest('.jp-Cell');
    const r = canvas.getBoundingClientRect(), o = out.getBoundingClientRect();
    const index = [...document.querySelectorAll('.jp-Notebook .jp-Cell')].indexOf(cell);
    return {png: canvas.toDataURL('image/png'), width: canvas.width, height: canvas.height,
            css_width: r.width, left: r.left, right: r.right, out_left: o.left, out_right: o.right,
            out_scroll: out.scrollWidth - out.clientWidth, cell: index,
            has_slider: !!cell.querySelector('.jp-OutputArea .widget-slider .noUi-handle')};
  });
})"""

# The notebook column: the width of a cell's output area (what a figure may use).
_JS_COLUMN = """() => {
  const o = document.querySelector('.jp-Notebook .jp-Cell .jp-OutputArea')
         || document.querySelector('.jp-Notebook .jp-Cell');
  const nb = document.querySelector('.jp-Notebook');
  return {output_area: o.getBoundingClientRect().width, notebook: nb.clientWidth,
          file_browser_open: !window.jupyterapp.shell.leftCollapsed,
          window: [window.innerWidth, window.innerHeight]};
}"""


def decode_png(data):
    """An (h, w, 4) uint8 array from PNG bytes or a ``data:image/png;base64,`` URL."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    if isinstance(data, str):
        data = base64.b64decode(data.split(",", 1)[1] if data.startswith("data:") else data)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def picture_difference(seen, rendered, *, level=64):
    """How much of a figure's ink the screen got wrong: the fraction of the pixels that carry
    ink (not the figure's background colour, in either image) whose colour differs by more than
    ``level`` (0-255, any channel) from every pixel of the other image within 1 px (anti-aliasing
    and sub-pixel placement move edges by a pixel; a missing, extra or doubled line does not).
    Transparent pixels count as white. Images of different sizes differ completely (1.0).
    """
    import numpy as np

    if seen.shape != rendered.shape:
        return 1.0

    def rgb(img):
        img = img.astype(np.int16)
        alpha = img[..., 3:] / 255
        return (img[..., :3] * alpha + 255 * (1 - alpha)).astype(np.int16)

    a, b = rgb(seen), rgb(rendered)
    background = np.median(b.reshape(-1, 3), axis=0).astype(np.int16)
    ink = (np.abs(a - background).max(axis=2) > level) | (np.abs(b - background).max(axis=2) > level)
    if not ink.any():
        return 0.0
    h, w, _ = a.shape
    pad_a = np.pad(a, ((1, 1), (1, 1), (0, 0)), mode="edge")
    pad_b = np.pad(b, ((1, 1), (1, 1), (0, 0)), mode="edge")
    a_far = np.ones((h, w), bool)  # no pixel of b within 1 px matches a here
    b_far = np.ones((h, w), bool)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            a_far &= np.abs(a - pad_b[dy:dy + h, dx:dx + w]).max(axis=2) > level
            b_far &= np.abs(b - pad_a[dy:dy + h, dx:dx + w]).max(axis=2) > level
    return float(((a_far | b_far) & ink).sum() / ink.sum())


#: A painted figure agrees with matplotlib's render when at most this fraction of its ink differs.
#: Blitting draws the moving artists last, so where one crosses a legend or another line the
#: stacking differs from a full render's; that stays well under 2 %. A missing axis, a blank
#: figure or a doubled line is far above it (tests/test_browser.py checks both).
AGREE = 0.02


class Figures:
    """Compare every ipympl figure of the notebook open in ``nb`` with matplotlib's render."""

    def __init__(self, nb):
        self.nb = nb
        self.page = nb.page

    def kernel_renders(self):
        """[{"cls", "png", "label"}] for every live ipympl canvas in the kernel."""
        text = self.page.evaluate(_JS_EXECUTE, _KERNEL_RENDERS)
        for line in text.splitlines():
            if line.startswith("LRCOURSE-RENDERS "):
                return json.loads(line[len("LRCOURSE-RENDERS "):])
        raise RuntimeError(f"the kernel did not render its figures:\n{text[-2000:]}")

    def settle(self, quiet_ms=600, timeout=60):
        """Wait until the kernel is idle and no figure got a new image for ``quiet_ms``."""
        self.page.evaluate("""() => {
          if (window.__frames) return;
          const f = window.__frames = {last: performance.now(), busy: performance.now()};
          const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, 'src');
          Object.defineProperty(HTMLImageElement.prototype, 'src', {
            configurable: true, get() { return src.get.call(this); },
            set(v) { f.last = performance.now(); src.set.call(this, v); },
          });
          const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
          kernel.statusChanged.connect((_, s) => { if (s !== 'idle') f.busy = performance.now(); });
        }""")
        self.page.wait_for_function(
            """(quiet) => { const f = window.__frames, now = performance.now();
                 const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
                 return k.status === 'idle' && now - Math.max(f.last, f.busy) > quiet; }""",
            arg=quiet_ms, timeout=timeout * 1000)

    def compare(self, retry_s=2.0):
        """One row per view of each figure: {"cls", "cell", "difference", "fits", ...}.

        Settles first; a view that disagrees is looked at again after ``retry_s`` (a frame
        may still have been decoding), so a disagreement that is reported stays on screen.
        """
        self.settle()
        renders = self.kernel_renders()
        classes = [r["cls"] for r in renders]
        self.page.wait_for_function(
            "(classes) => classes.every(c => document.querySelector('.jupyter-matplotlib.' + c))"
            " || classes.length === 0", arg=classes, timeout=10_000)
        rows = self._rows(renders)
        if any(r["difference"] > AGREE for r in rows):
            time.sleep(retry_s)
            rows = self._rows(renders)
        return rows

    def _rows(self, renders):
        views = self.page.evaluate(_JS_VIEWS, [r["cls"] for r in renders])
        rows = []
        for render, shown in zip(renders, views):
            rendered = decode_png(render["png"])
            for view in shown:
                seen = decode_png(view.pop("png"))
                rows.append(dict(view, cls=render["cls"], label=render["label"],
                                 size=list(rendered.shape[1::-1]),
                                 difference=picture_difference(seen, rendered),
                                 fits=view["right"] <= view["out_right"] + 0.5 and view["out_scroll"] <= 0,
                                 seen=seen, rendered=rendered))
        return rows

    def send_broken_frame(self, cls, broken=True):
        """Make the kernel send the figure shown with class ``cls`` a broken frame: its buffer
        cleared and only the moving artists drawn, what a browser showed after dropping a full
        frame (no axes, ticks, labels or legend). ``broken=False`` sends a full render again."""
        code = f"""
def _lrcourse_frame(model_id, broken):
    from ipywidgets.widgets.widget import _instances
    canvas = _instances[model_id]
    blit = getattr(canvas, "_lrcourse_blit", None)
    if not broken:
        return blit.redraw() if blit is not None else canvas.draw()
    canvas.get_renderer().clear()
    if blit is not None:
        blit._draw_animated()
    canvas._png_is_old = True
    canvas.manager.refresh_all()
_lrcourse_frame({cls[len("lrcourse-fig-"):]!r}, {broken!r})
del _lrcourse_frame
"""
        text = self.page.evaluate(_JS_EXECUTE, code)
        if "KERNEL-ERROR" in text:
            raise RuntimeError(text)

    def column(self):
        """Widths (CSS px) of the output area and the notebook; whether the file browser is open."""
        return self.page.evaluate(_JS_COLUMN)


def open_file_browser(page):
    """Show JupyterLab's file browser in the left sidebar (as a learner usually has it)."""
    page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:activate')")
    page.wait_for_function("() => !window.jupyterapp.shell.leftCollapsed")

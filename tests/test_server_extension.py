"""lrcourse.server_extension: kernel websockets without Nagle's delay.

The effect (every other slider move ~40 ms late without it) is measured end to end by
benchmarks/browser_latency.py; these tests check that installing lrcourse enables the
extension, that it swaps in its connection class only over Jupyter's default one, and that
the class turns Nagle's algorithm off before connecting.
"""
import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("jupyter_server")
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection  # noqa: E402

from lrcourse import server_extension  # noqa: E402
from lrcourse.server_extension import NoDelayKernelConnection  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class _Log:
    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append(msg % args)


def _serverapp(connection_class):
    return SimpleNamespace(web_app=SimpleNamespace(settings={"kernel_websocket_connection_class": connection_class}),
                           log=_Log())


def test_loading_replaces_jupyters_default_connection():
    app = _serverapp(ZMQChannelsWebsocketConnection)
    server_extension._load_jupyter_server_extension(app)
    assert app.web_app.settings["kernel_websocket_connection_class"] is NoDelayKernelConnection
    assert issubclass(NoDelayKernelConnection, ZMQChannelsWebsocketConnection)
    assert "TCP_NODELAY" in app.log.lines[0]


def test_loading_leaves_another_configured_connection_alone():
    other = type("GatewayLikeConnection", (ZMQChannelsWebsocketConnection,), {})
    app = _serverapp(other)
    server_extension._load_jupyter_server_extension(app)
    assert app.web_app.settings["kernel_websocket_connection_class"] is other


def test_connection_turns_nagle_off_before_connecting(monkeypatch):
    events = []
    handler = SimpleNamespace(set_nodelay=lambda on: events.append(("nodelay", on)))
    monkeypatch.setattr(ZMQChannelsWebsocketConnection, "connect", lambda self: events.append("connect"))
    conn = NoDelayKernelConnection.__new__(NoDelayKernelConnection)
    conn._trait_values["websocket_handler"] = handler  # a real one needs a running server
    conn.connect()
    assert events == [("nodelay", True), "connect"]


def test_installing_lrcourse_enables_the_extension():
    config = json.loads((ROOT / "jupyter-config" / "jupyter_server_config.d" / "lrcourse.json").read_text())
    assert config == {"ServerApp": {"jpserver_extensions": {"lrcourse.server_extension": True}}}
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "lrcourse.json"
    if not installed.exists():
        pytest.skip(f"lrcourse is not installed in {sys.prefix} (pip install -e . does it)")
    assert json.loads(installed.read_text()) == config
    out = subprocess.run([sys.executable, "-m", "jupyter", "server", "extension", "list"],
                         capture_output=True, text=True, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # without colours
    assert re.search(r"lrcourse\.server_extension\s+enabled", text), text
    assert re.search(r"lrcourse\.server_extension\s+OK", text), text

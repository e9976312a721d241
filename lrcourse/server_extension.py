"""A Jupyter server extension that sends kernel messages to the browser without delay.

Why: the server forwards each kernel message to the browser over a websocket, and Tornado
leaves Nagle's algorithm on for it. A slider move makes the kernel send several small messages
in a row (the figure's frame, its image mode, the kernel's status); with Nagle's algorithm a
small write waits until the browser acknowledges the previous one, and browsers delay
acknowledgements by up to 40 ms. Every other slider move then paints ~40 ms late. Setting
``TCP_NODELAY`` on the kernel websocket removes that wait (Tornado's ``set_nodelay`` docs
describe this case); on this machine it took lesson 1's key-to-paint p50 from 48 to 37 ms and
its keyboard drag from 15 to 30 frames per second (``benchmarks/browser_latency.py``).

Installing lrcourse enables the extension (``etc/jupyter/jupyter_server_config.d/lrcourse.json``);
``jupyter server extension list`` shows it. It changes nothing else: when another kernel
websocket connection class is configured (a gateway, for instance) it leaves that one alone.
"""
from __future__ import annotations

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

__all__ = ["NoDelayKernelConnection"]
SETTING = "kernel_websocket_connection_class"


class NoDelayKernelConnection(ZMQChannelsWebsocketConnection):
    """Jupyter's kernel websocket connection, with Nagle's algorithm off for its websocket."""

    def connect(self):
        self.websocket_handler.set_nodelay(True)
        return super().connect()


def _jupyter_server_extension_points():
    return [{"module": "lrcourse.server_extension"}]


def _load_jupyter_server_extension(serverapp):
    """Use :class:`NoDelayKernelConnection` when the server uses Jupyter's default connection."""
    settings = serverapp.web_app.settings
    if settings.get(SETTING) is ZMQChannelsWebsocketConnection:
        settings[SETTING] = NoDelayKernelConnection
        serverapp.log.info("lrcourse: kernel websockets send without Nagle's delay (TCP_NODELAY)")
    else:
        serverapp.log.info("lrcourse: kernel websocket class %r left as configured", settings.get(SETTING))

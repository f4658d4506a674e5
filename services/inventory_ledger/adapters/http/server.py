"""Serving the API inside the service's own event loop, started and stopped by bootstrap.

uvicorn's ``Server.serve`` replaces the process's SIGTERM/SIGINT handlers with its own and
re-raises the signal when it is done, which would cut the service's graceful drain short (the
consumer must finish its batch first). The embedded server therefore leaves signals alone:
bootstrap's handler decides when to stop, and stops the HTTP server with everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

__all__ = ["HttpServer", "HttpServerError"]


class HttpServerError(RuntimeError):
    """The HTTP server could not start (e.g. the port is taken)."""


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Signals belong to the service, not to the HTTP server."""
        yield


class HttpServer:
    """An ASGI app served on ``host:port`` by uvicorn, as a task of the running loop."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        """``port`` 0 picks a free port; read it from :attr:`port` after :meth:`start`."""
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",  # the app has no startup work: the caller made pool and probes
            log_config=None,  # the service configures logging
            access_log=False,
            server_header=False,
        )
        self._server = _EmbeddedServer(config)
        self._where = f"{host}:{port}"
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Return once the socket listens; :class:`HttpServerError` if it cannot."""
        self._task = asyncio.create_task(self._serve(), name="http-server")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises why it stopped
                raise HttpServerError(f"HTTP server on {self._where} stopped while starting")
            await asyncio.sleep(0.01)

    @property
    def port(self) -> int:
        """The port the server listens on (the chosen one when started with port 0)."""
        sockets = [s for server in self._server.servers for s in server.sockets]
        if not sockets:
            raise HttpServerError("the HTTP server is not listening")
        return int(sockets[0].getsockname()[1])

    async def stop(self, timeout_s: float) -> None:
        """Stop accepting, let running requests finish for up to ``timeout_s``, then close."""
        if self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
        except TimeoutError:
            self._server.force_exit = True
            await self._task
        finally:
            self._task = None

    async def _serve(self) -> None:
        try:
            await self._server.serve()
        except SystemExit as exc:  # uvicorn exits the process when it cannot bind
            raise HttpServerError(f"HTTP server could not start on {self._where}") from exc

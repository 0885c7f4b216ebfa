"""Running the app under uvicorn, with TCP_NODELAY on every connection.

``uvicorn --workers N`` (N > 1) binds its listening socket as ``socket.socket(family)``, whose
protocol number is 0; asyncio only turns Nagle's algorithm off for sockets whose protocol is
``IPPROTO_TCP``, so every accepted connection keeps Nagle on. uvicorn writes a response's headers
and its body in two writes: on a kept-alive connection the body then waits for the client's
delayed ACK of the headers — about 40 ms added to every request after the first on a connection.
Here the listening socket is made with ``IPPROTO_TCP`` (accepted sockets inherit it, so asyncio
sets TCP_NODELAY on each) and has TCP_NODELAY itself (which Linux also copies to accepted sockets).
"""

from __future__ import annotations

import socket
import sys

import uvicorn

APP = "noodlebowl.web.app:create_app"


class NoDelayConfig(uvicorn.Config):
    """uvicorn's Config whose TCP listening socket yields connections with TCP_NODELAY."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto == socket.IPPROTO_TCP:
            return sock
        # The same bound, not yet listening, socket with its protocol stated.
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tcp.set_inheritable(True)
        return tcp


def run(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, log_level: str = "info",
        access_log: bool = True) -> None:
    """Serve :func:`noodlebowl.web.app.create_app` with ``workers`` processes (as ``uvicorn.run``)."""
    from uvicorn.supervisors import Multiprocess

    # idle keep-alive connections closed after 5 s; the request-body timeout is the app's (BodyTimeout)
    config = NoDelayConfig(APP, factory=True, host=host, port=port, workers=workers, log_level=log_level,
                           access_log=access_log, timeout_keep_alive=5, h11_max_incomplete_event_size=64 * 1024)
    server = uvicorn.Server(config=config)
    sock = config.bind_socket()
    try:
        if workers > 1:
            try:
                supervisor = Multiprocess(config, sockets=[sock])
            except TypeError:  # uvicorn < 0.30: the worker's target is passed in
                supervisor = Multiprocess(config, target=server.run, sockets=[sock])  # type: ignore[call-arg]
            supervisor.run()
        else:
            config.load_app()
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    if workers == 1 and not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE


if __name__ == "__main__":  # python -m noodlebowl.web.server HOST PORT WORKERS (benchmarks)
    import argparse

    parser = argparse.ArgumentParser(description="Serve the noodlebowl web app (TCP_NODELAY on)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args()
    run(args.host, args.port, args.workers, log_level=args.log_level, access_log=not args.no_access_log)

"""`paperfeed serve`: the web app and JSON API (uvicorn), in one or several processes."""

from __future__ import annotations

import os

import typer

from paperfeed.cli.common import fail, state

# Longer than uvicorn's 5 s: under load a busy server otherwise closes idle keep-alive
# connections just as clients reuse them (seen as read errors at 50 clients).
KEEP_ALIVE_S = 30


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: all)."),
    port: int = typer.Option(8000, "--port", "-p", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(
        0, "--workers", "-w", min=0, max=64,
        help="Processes serving requests, each a read-only reader of the database and the "
             "indexes (0: one per CPU core). More workers answer more requests at once; each "
             "holds its own page cache and memory-maps the shared indexes."),
) -> None:
    """Serve the web pages, the JSON API (/api) and its documentation (/docs)."""
    import uvicorn

    from paperfeed.web.budget import GRACE_S, exit_promptly
    from paperfeed.web.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as e:
        fail(str(e))
        return
    engine = state.engine()  # opens and migrates once, before any worker starts
    n = workers or os.cpu_count() or 1
    typer.echo(f"paperfeed on http://{host}:{port}/  ({n} worker{'s' if n != 1 else ''}; "
               "API docs: /docs; Ctrl+C to stop)")
    # X-Forwarded-For/-Proto only from PAPERFEED_TRUSTED_PROXIES (uvicorn's own default
    # would believe any local process); with none configured the peer address is the client.
    proxies = ",".join(settings.trusted_proxies)
    common = {"host": host, "port": port, "log_level": "warning", "access_log": False,
              "proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or None,
              "timeout_keep_alive": KEEP_ALIVE_S, "timeout_graceful_shutdown": GRACE_S}
    exit_promptly()  # issue #14: stopped within GRACE_S + 1 s, busy handler threads or not
    if n == 1:
        from paperfeed.web.app import create_app

        uvicorn.run(create_app(engine, settings), **common)  # type: ignore[arg-type]
        return
    # every worker process builds its own app over the same database (uvicorn's factory)
    # and ends with this process, however it ends (app_from_environment)
    os.environ["PAPERFEED_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    from paperfeed.web.app import SERVE_PID_ENV

    os.environ[SERVE_PID_ENV] = str(os.getpid())
    engine.dispose()
    _run_workers(n, common)


def _run_workers(n: int, common: dict[str, object]) -> None:
    """uvicorn's multiprocess mode, with TCP_NODELAY on the shared socket: uvicorn binds it
    with protocol 0, so asyncio never sets TCP_NODELAY on the connections it accepts, and
    every response (headers, then body) waited ~40 ms for a delayed ACK (1,130 requests/s at
    50 connections, whatever the page). Accepted sockets inherit it from the listener."""
    import contextlib
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("paperfeed.web.app:app_from_environment", factory=True,
                            workers=n, **common)  # type: ignore[arg-type]
    sock = config.bind_socket()
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()

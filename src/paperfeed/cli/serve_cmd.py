"""`paperfeed serve`: the web app and JSON API (uvicorn)."""

from __future__ import annotations

import typer

from paperfeed.cli.common import fail, state

# Longer than uvicorn's 5 s: under load a busy server otherwise closes idle keep-alive
# connections just as clients reuse them (seen as read errors at 50 clients).
KEEP_ALIVE_S = 30


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: all)."),
    port: int = typer.Option(8000, "--port", "-p", min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the web pages, the JSON API (/api) and its documentation (/docs)."""
    from paperfeed.web.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as e:
        fail(str(e))
        return
    engine = state.engine()
    from paperfeed.web.app import create_app
    from paperfeed.web.budget import serve

    typer.echo(f"paperfeed on http://{host}:{port}/  (API docs: /docs; Ctrl+C to stop)")
    serve(create_app(engine, settings), host=host, port=port, log_level="warning",
          access_log=False, proxy_headers=True, timeout_keep_alive=KEEP_ALIVE_S)

"""Documentation stays complete: every setting and every command is documented."""

from __future__ import annotations

import typer.main
from support.paths import ROOT

from paperfeed.cli import app
from paperfeed.config import SETTINGS


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    missing = [env for env in SETTINGS if f"`{env}`" not in doc]
    assert not missing, f"document these in docs/configuration.md: {missing}"


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        assert cmd.help, f"command {name} has no help text"
        assert f"paperfeed {name}" in readme, f"README does not mention `paperfeed {name}`"

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


def _documented_settings() -> dict[str, str]:
    """docs/configuration.md's table: variable -> its default cell."""
    import re

    doc = (ROOT / "docs" / "configuration.md").read_text()
    rows = {}
    for line in doc.splitlines():
        m = re.match(r"\|\s*`(PAPERFEED_[A-Z0-9_]+)`\s*\|([^|]*)\|", line)
        if m:
            rows[m.group(1)] = m.group(2).strip()
    return rows


def test_configuration_doc_matches_the_settings_table_defaults_included() -> None:
    rows = _documented_settings()
    assert set(rows) == set(SETTINGS), (
        f"docs/configuration.md and config.SETTINGS differ: only documented "
        f"{sorted(set(rows) - set(SETTINGS))}, only in SETTINGS {sorted(set(SETTINGS) - set(rows))}")
    for env, s in SETTINGS.items():
        if s.default is not None:
            assert f"`{s.default}`" in rows[env], (
                f"{env}: docs/configuration.md gives the default as {rows[env]!r}, "
                f"config.py as {s.default!r}")
            s.parse(s.default)  # every default is a valid value of its own type
        else:
            assert rows[env], f"{env}: say in docs/configuration.md what happens when unset"


def test_typed_settings_parse_and_name_a_bad_value(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from paperfeed.config import SettingsError, float_setting, int_setting, typed_setting

    assert float_setting("PAPERFEED_ARXIV_MIN_INTERVAL") == 3.0
    assert int_setting("PAPERFEED_DIGEST_MAX_ATTEMPTS") == 8
    monkeypatch.setenv("PAPERFEED_SMTP_SECURITY", "SSL")
    assert typed_setting("PAPERFEED_SMTP_SECURITY") == "ssl"
    for env, bad in (("PAPERFEED_DIGEST_MAX_ATTEMPTS", "lots"),
                     ("PAPERFEED_DIGEST_ON_UNCERTAIN", "maybe"),
                     ("PAPERFEED_HF_MIN_INTERVAL", "-1")):
        monkeypatch.setenv(env, bad)
        with pytest.raises(SettingsError, match=f"{env}='{bad}' is not valid"):
            typed_setting(env)

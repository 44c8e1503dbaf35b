"""Themes: by default the terminal's own 16 colours, so the dashboard looks right over SSH in
whatever palette the administrator's terminal uses, including `TERM=xterm`.

`NO_COLOR` is honoured by Textual itself (it strips colours and keeps bold/reverse); the
panels never rely on colour alone (unhealthy rows also carry a ✗ or ! marker).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.app import App
from textual.theme import BUILTIN_THEMES, Theme

ANSI_THEME = "cnvtui-ansi"
DEFAULT_THEME = ANSI_THEME


def _ansi_theme() -> Theme:
    base = BUILTIN_THEMES["ansi-dark"]
    variables = dict(base.variables)
    variables.update(
        {
            "border": "ansi_blue",
            "border-blurred": "ansi_bright_black",
            "footer-key-foreground": "ansi_yellow",
        }
    )
    return replace(base, name=ANSI_THEME, variables=variables)


def register_themes(app: App[Any]) -> None:
    """Make the cnvtui themes selectable (also from the command palette)."""
    app.register_theme(_ansi_theme())

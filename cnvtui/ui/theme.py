"""Themes: by default the terminal's own 16 colours, so the dashboard looks right over SSH in
whatever palette the administrator's terminal uses, including `TERM=xterm`.

`NO_COLOR` strips colours and keeps bold/reverse; the panels never rely on colour alone
(unhealthy rows also carry a ✗ or ! marker).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.app import App
from textual.filter import Monochrome, NoColor
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


def keep_no_color_readable(app: App[Any]) -> None:
    """Under `NO_COLOR`, draw in the terminal's default colours.

    Textual picks its colour-stripping filter when the app is built, before our ANSI theme is
    set, so it picks the one for true-colour themes: that one turns every ANSI colour into
    black, and the whole screen became black on black. The default-colour filter is right for
    every theme.
    """
    app._filters = [NoColor() if isinstance(f, Monochrome) else f for f in app._filters]

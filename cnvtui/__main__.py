"""Allows `python -m cnvtui`."""

from cnvtui.cli import main

raise SystemExit(main())

"""`python -m cnvtui.report [options]`: `cnvtui status` before (or without) the main CLI."""

import sys

from cnvtui.report.command import main

sys.exit(main())

import sys

from cnvtui.checks.command import main

sys.exit(main())

"""The state layer stays headless: importing it loads neither Textual nor the sim."""

from __future__ import annotations

import subprocess
import sys


def test_state_does_not_import_textual_or_sim() -> None:
    code = (
        "import sys, cnvtui.state, cnvtui.state.picture, cnvtui.state.serialize; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual' "
        "or m.startswith('cnvtui.sim') or m.startswith('cnvtui.ui')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

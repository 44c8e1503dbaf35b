"""The pure update picture: a store of watched objects and what they mean. No I/O.

Feed `KubeEvent`s to a `Store`, call `build_picture(store, now)` for an `UpdatePicture`,
`to_json(picture)` for `status --json`, `store.snapshot()` / `Store.restore()` for replay.

Modules: `model` (the picture's frozen dataclasses), `store` (events in, O(1) each),
`picture` (the cached builder), `verdict`, `views` (defensive reads of raw objects),
`workloads`, `migrations`, `olm`, `hco`, `cluster`, `burndown`, `timeline`, `serialize`,
`text` (`safe_text` for terminal output).
"""

from cnvtui.state.model import UpdatePicture, Verdict
from cnvtui.state.picture import PictureBuilder, build_picture
from cnvtui.state.serialize import to_json
from cnvtui.state.store import Store
from cnvtui.state.text import safe_text

__all__ = [
    "PictureBuilder",
    "Store",
    "UpdatePicture",
    "Verdict",
    "build_picture",
    "safe_text",
    "to_json",
]

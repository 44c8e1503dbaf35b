"""The real dashboard, headless, reporting each redraw (figures 4 and 5).

    python -m bench.app_probe --kubeconfig FILE --vmis N [--size 200x50]

It runs `DashboardApp` as `cnvtui` does (read-only), in a headless terminal of the given size,
and prints a JSON line after each picture has been drawn: the wall-clock time, the outdated
count shown (its top row is the newest change, see `bench.simproc`), and whether the screen is
complete (every VMI listed and the VMI stream live). The parent reads CPU and memory from
/proc; this process only reports what is on screen and when.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.events import StreamState
from cnvtui.state.model import UpdatePicture
from cnvtui.ui import app as app_module
from cnvtui.ui.app import DashboardApp
from cnvtui.ui.source import KubeSource
from cnvtui.ui.widgets.header import Target


class ProbeApp(DashboardApp):
    """The dashboard, plus a line on stdout after each redraw reaches the screen."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
    expected_vmis = 0

    def picture_shown(self, picture: UpdatePicture) -> None:
        super().picture_shown(picture)
        self.call_after_refresh(self._report, picture)

    def _report(self, picture: UpdatePicture) -> None:
        stream = self.store.streams.get("vmi")
        complete = (
            stream is not None
            and stream.state == StreamState.LIVE
            and len(self.store.objects("vmi")) >= self.expected_vmis
        )
        line = {"t": time.time(), "outdated": picture.outdated.count, "complete": complete}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


async def main_async(kubeconfig: str, vmis: int, size: tuple[int, int]) -> None:
    client = await KubeClient.connect(ConfigSource(kubeconfig=kubeconfig))
    try:
        info = client.info
        source = KubeSource(client, "openshift-cnv")
        target = Target(info.context, info.server, "openshift-cnv", read_only=True)
        app = ProbeApp(source, target=target)
        app.expected_vmis = vmis
        await app.run_async(headless=True, size=size)
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.app_probe")
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--vmis", type=int, required=True)
    parser.add_argument("--size", default="200x50")
    args = parser.parse_args(argv)
    width, height = (int(x) for x in args.size.split("x"))
    asyncio.run(main_async(args.kubeconfig, args.vmis, (width, height)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

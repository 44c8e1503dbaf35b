"""The dashboard without a screen (figure 2): the same streams, store and picture rebuilds.

    python -m bench.headless --kubeconfig FILE

It watches what `cnvtui` watches (`KubeSource`), applies every batch to the store and
rebuilds the picture four times a second, as the app's timer does, until it is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.state.picture import build_picture
from cnvtui.state.store import Store
from cnvtui.ui.source import KubeSource

REFRESH = 0.25


async def run(kubeconfig: str) -> None:
    client = await KubeClient.connect(ConfigSource(kubeconfig=kubeconfig))
    store = Store("openshift-cnv")
    source = KubeSource(client, "openshift-cnv")

    async def draw() -> None:
        shown = -1
        while True:
            await asyncio.sleep(REFRESH)
            if store.revision != shown:
                shown = store.revision
                build_picture(store, time.time())

    drawer = asyncio.create_task(draw())
    try:
        async for batch in source.batches():
            store.apply_all(batch)
    finally:
        drawer.cancel()
        await source.close()
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.headless")
    parser.add_argument("--kubeconfig", required=True)
    args = parser.parse_args(argv)
    asyncio.run(run(args.kubeconfig))
    return 0


if __name__ == "__main__":
    sys.exit(main())

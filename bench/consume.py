"""Watch consumers for the ingest benchmark (figure 1), each run in its own process.

    python -m bench.consume cnvtui --kubeconfig FILE --events N
    python -m bench.consume kubernetes-aio --kubeconfig FILE --events N
    python -m bench.consume floor --url URL --events N

`cnvtui`: the dashboard's access layer and state store, headless: a `WatchHub` with the VMI
stream (slimmed on arrival, as `KubeSource` has it) feeding `Store.apply_all` batch by
batch, as the app's consumer does.
`kubernetes-aio`: the official client's async `Watch` on the same stream, as a Python
program would use it (`CustomObjectsApi`, each event turned into a dict).
`floor`: the same stream read with bare aiohttp, split into lines, `json.loads`ed; nothing
else. Each prints one JSON line: events seen, seconds and CPU seconds from the first request
to the last event (the interpreter's start-up and imports are left out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Any

import aiohttp
from kubernetes.aio.client import CustomObjectsApi
from kubernetes.aio.config import new_client_from_config
from kubernetes.aio.watch import Watch

from cnvtui.kube import resources as res
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.events import ObjectChange
from cnvtui.kube.hub import StreamSpec, WatchHub
from cnvtui.state.slim import PROJECTIONS
from cnvtui.state.store import Store

VMI_WATCH = "/apis/kubevirt.io/v1/virtualmachineinstances?watch=true&resourceVersion=1"


async def run_cnvtui(kubeconfig: str, events: int) -> dict[str, float]:
    client = await KubeClient.connect(ConfigSource(kubeconfig=kubeconfig))
    store = Store("openshift-cnv")
    seen = 0
    wall, cpu = time.perf_counter(), time.process_time()
    spec = StreamSpec(res.VMI, projection=PROJECTIONS["vmi"])
    async with client, WatchHub(client, [spec]) as hub:
        async for batch in hub.batches():
            store.apply_all(batch)
            seen += sum(1 for e in batch if isinstance(e, ObjectChange))
            if seen >= events:
                break
    return {
        "events": seen,
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "objects": len(store.objects("vmi")),
    }


async def run_kubernetes_aio(kubeconfig: str, events: int) -> dict[str, float]:
    api = await new_client_from_config(config_file=kubeconfig)  # type: ignore[no-untyped-call]
    seen = 0
    wall, cpu = time.perf_counter(), time.process_time()
    async with api:
        objects = CustomObjectsApi(api)
        watch: Any = Watch()  # type: ignore[no-untyped-call]
        stream = watch.stream(
            objects.list_cluster_custom_object,
            res.VMI.group,
            res.VMI.version,
            res.VMI.plural,
            resource_version="1",
        )
        async for _event in stream:
            seen += 1
            if seen >= events:
                break
        watch.stop()
        await watch.close()
    return {"events": seen, "seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


async def run_floor(url: str, events: int) -> dict[str, float]:
    seen = 0
    wall, cpu = time.perf_counter(), time.process_time()
    async with aiohttp.ClientSession() as session, session.get(url + VMI_WATCH) as response:
        pending = b""
        async for chunk in response.content.iter_any():
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            for line in lines:
                if line:
                    json.loads(line)
                    seen += 1
            if seen >= events:
                break
    return {"events": seen, "seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.consume")
    parser.add_argument("mode", choices=("cnvtui", "kubernetes-aio", "floor"))
    parser.add_argument("--kubeconfig")
    parser.add_argument("--url")
    parser.add_argument("--events", type=int, required=True)
    args = parser.parse_args(argv)
    if args.mode == "cnvtui":
        result = asyncio.run(run_cnvtui(args.kubeconfig, args.events))
    elif args.mode == "kubernetes-aio":
        result = asyncio.run(run_kubernetes_aio(args.kubeconfig, args.events))
    else:
        result = asyncio.run(run_floor(args.url, args.events))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

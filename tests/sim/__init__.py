"""Helpers for the simulated API server's tests: a small HTTP client that speaks to it."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from cnvtui.sim.server import SimServer

Json = dict[str, Any]

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
POM = "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
POM_LIST = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"

CNV = "openshift-cnv"
HCO = "/apis/hco.kubevirt.io/v1beta1/namespaces/openshift-cnv/hyperconvergeds"
HCO_NAME = "kubevirt-hyperconverged"
VMIS = "/apis/kubevirt.io/v1/virtualmachineinstances"
CSVS = "/apis/operators.coreos.com/v1alpha1/namespaces/openshift-cnv/clusterserviceversions"


def vmis_in(namespace: str) -> str:
    return f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances"


@dataclass
class Reply:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.text)


class Api:
    """Raw HTTP against a SimServer (tests assert on exactly what a client receives)."""

    def __init__(self, server: SimServer, session: aiohttp.ClientSession, token: str | None):
        self.server = server
        self.session = session
        self.token = token if token is not None else server.token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _ssl(self) -> ssl.SSLContext | bool:
        if self.server.ca_pem is None:
            return False
        return ssl.create_default_context(cadata=self.server.ca_pem.decode())

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
        accept: str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        extra = dict(headers or {})
        if accept is not None:
            extra["Accept"] = accept
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            extra["Content-Type"] = content_type
        async with self.session.request(
            method,
            self.server.url + path,
            data=data,
            params=params,
            headers=self._headers(extra),
            ssl=self._ssl(),
        ) as resp:
            text = await resp.text()
            return Reply(resp.status, text, dict(resp.headers))

    async def get(self, path: str, **kw: Any) -> Reply:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, body: Any, **kw: Any) -> Reply:
        return await self.request("POST", path, body=body, **kw)

    async def put(self, path: str, body: Any, **kw: Any) -> Reply:
        return await self.request("PUT", path, body=body, **kw)

    async def patch(self, path: str, body: Any, content_type: str, **kw: Any) -> Reply:
        return await self.request("PATCH", path, body=body, content_type=content_type, **kw)

    async def delete(self, path: str, **kw: Any) -> Reply:
        return await self.request("DELETE", path, **kw)

    @asynccontextmanager
    async def watch(
        self, path: str, params: dict[str, str] | None = None, accept: str | None = None
    ) -> AsyncIterator[WatchStream]:
        query = {"watch": "true", **(params or {})}
        headers = self._headers({"Accept": accept} if accept else None)
        async with self.session.get(
            self.server.url + path, params=query, headers=headers, ssl=self._ssl()
        ) as resp:
            assert resp.status == 200, await resp.text()
            yield WatchStream(resp)


class WatchStream:
    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self.resp = resp

    async def next(self, wait: float = 10.0) -> Json | None:
        """The next event, or None when the server ended the stream."""
        line = await asyncio.wait_for(self.resp.content.readline(), wait)
        if not line:
            return None
        event = json.loads(line)
        assert isinstance(event, dict)
        return event

    async def take(self, count: int, wait: float = 10.0) -> list[Json]:
        events: list[Json] = []
        for _ in range(count):
            event = await self.next(wait)
            assert event is not None, f"stream ended after {len(events)} events"
            events.append(event)
        return events

    async def until(self, predicate: Any, wait: float = 10.0) -> Json:
        while True:
            event = await self.next(wait)
            assert event is not None, "stream ended"
            if predicate(event):
                return event


@asynccontextmanager
async def api_of(server: SimServer, token: str | None = None) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(server, session, token)


def read_yaml(path: str | Path) -> Any:
    """A file's YAML (a helper, so async tests do not block on pathlib themselves)."""
    return yaml.safe_load(Path(path).read_text())


def minimal_vmi(name: str, namespace: str = "vm-test", **labels: str) -> Json:
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"domain": {"devices": {}, "resources": {"requests": {"memory": "64Mi"}}}},
    }

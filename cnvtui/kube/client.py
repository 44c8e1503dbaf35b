"""One cluster connection: the `kubernetes.aio` ApiClient, swappable by a config reload.

The library's generated API classes deserialise every body into model objects, which is
far too slow for a watch of thousands of VMIs, so requests go through the ApiClient's
REST layer (its TLS, proxy and auth set-up) and hand back the raw aiohttp response; the
callers read and `json.loads` it themselves.

`reload()` re-reads the kubeconfig (after `oc login` renewed a token) and swaps the
ApiClient; streams that sleep through `sleep()` are woken so they retry at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from kubernetes.aio.client import ApiClient

from cnvtui import __version__
from cnvtui.kube.config import ClusterInfo, ConfigSource, LoadedConfig, check_tls, load_config
from cnvtui.kube.errors import Unreachable, redact, unreachable_reason

log = logging.getLogger(__name__)

USER_AGENT = f"cnvtui/{__version__}"
Query = Mapping[str, str] | Sequence[tuple[str, str]]


class KubeClient:
    """The API connection every stream and write shares; reloadable in place."""

    def __init__(
        self,
        loaded: LoadedConfig,
        source: ConfigSource | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._loaded = loaded
        self._source = source or ConfigSource()
        self._environ = environ
        self._api = self._new_api(loaded)
        self._wake = asyncio.Event()
        self.generation = 0
        self.requests_sent = 0

    @classmethod
    async def connect(
        cls, source: ConfigSource | None = None, *, environ: Mapping[str, str] | None = None
    ) -> KubeClient:
        """Load the config (raising ConfigError) and build a client; nothing is sent yet."""
        loaded = await load_config(source, environ=environ)
        return cls(loaded, source, environ=environ)

    @staticmethod
    def _new_api(loaded: LoadedConfig) -> ApiClient:
        check_tls(loaded.configuration, loaded.info)
        api = ApiClient(configuration=loaded.configuration)
        api.user_agent = USER_AGENT
        return api

    @property
    def info(self) -> ClusterInfo:
        return self._loaded.info

    @property
    def server(self) -> str:
        return str(self._loaded.configuration.host).rstrip("/")

    async def reload(self) -> ClusterInfo:
        """Re-read the kubeconfig and swap the connection; on ConfigError the old one stays."""
        loaded = await load_config(self._source, environ=self._environ)
        api = self._new_api(loaded)
        old, self._api, self._loaded = self._api, api, loaded
        self.generation += 1
        self.wake()
        await self._close_api(old)
        return loaded.info

    def wake(self) -> None:
        """Cut short every `sleep()` in progress (streams waiting to retry)."""
        self._wake.set()
        self._wake = asyncio.Event()

    async def sleep(self, delay: float) -> bool:
        """Sleep up to `delay` seconds; True if woken early by `wake()` or `reload()`."""
        event = self._wake
        try:
            await asyncio.wait_for(event.wait(), timeout=max(0.0, delay))
        except TimeoutError:
            return False
        return True

    def redact(self, text: str) -> str:
        """`text` with the credentials in use replaced, for messages and logs."""
        return redact(text, self._loaded.secrets())

    def url(self, path: str, query: Query | None = None) -> str:
        url = self.server + path
        if query:
            url += "?" + urlencode(query, quote_via=quote)
        return url

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        timeout: aiohttp.ClientTimeout | None = None,  # noqa: ASYNC109 - passed to aiohttp
    ) -> aiohttp.ClientResponse:
        """Send one request and return the unread response; the caller must release it.

        `body` is JSON-encoded by the REST layer (a JSON patch must be a list).
        Raises aiohttp/asyncio errors for transport failures; HTTP errors are returned.
        """
        api = self._api
        sent = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if headers:
            sent.update(headers)
        auth = (await api.configuration.auth_settings()).get("BearerToken")
        if auth and auth.get("value"):
            sent["authorization"] = auth["value"]
        self.requests_sent += 1
        result = await api.rest_client.request(  # type: ignore[no-untyped-call]
            method,
            self.url(path, query),
            headers=sent,
            body=body,
            _request_timeout=timeout or aiohttp.ClientTimeout(total=60, sock_connect=10),
        )
        response: aiohttp.ClientResponse = result.response
        return response

    async def get_json(
        self, path: str, query: Query | None = None, *, within: float = 20.0
    ) -> tuple[int, Any]:
        """One small GET: (HTTP status, decoded body or None). Streams use the watch loop;
        this serves the rare one-shot reads (finding the HCO, an object's Events).

        Raises `Unreachable` (with a redacted one-line reason) when no HTTP answer came.
        """
        try:
            async with asyncio.timeout(within):
                response = await self.request("GET", path, query=query)
                try:
                    raw = await response.read()
                finally:
                    response.release()
        except Exception as exc:
            raise Unreachable(self.redact(unreachable_reason(exc, 160))) from None
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return response.status, body

    async def close(self) -> None:
        await self._close_api(self._api)

    @staticmethod
    async def _close_api(api: ApiClient) -> None:
        with contextlib.suppress(Exception):
            await api.close()  # type: ignore[no-untyped-call]

    async def __aenter__(self) -> KubeClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

"""The API server's request handling: authenticate, route, authorise, run the verb, answer.

Every failure becomes a `Status` response with the code and reason a real server gives; an
unexpected exception becomes a 500 Status and leaves the store as it was (the store commits
a write only once it has fully succeeded).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import yaml
from aiohttp import web

from cnvtui.sim import media, openapi_v2, protobuf, schema
from cnvtui.sim.auth import Authorizer, User
from cnvtui.sim.discovery import Discovery, server_version
from cnvtui.sim.errors import (
    ApiError,
    bad_request,
    forbidden,
    internal,
    method_not_allowed,
    not_acceptable,
    unsupported_media_type,
)
from cnvtui.sim.objectmeta import parse_resource_version
from cnvtui.sim.openapi import OpenApi
from cnvtui.sim.routing import ResourceRequest, resolve
from cnvtui.sim.store import Entry, Store, too_large_resource_version
from cnvtui.sim.watch import WatchStreams

log = logging.getLogger(__name__)

# The apiserver refuses request bodies over 3 MiB.
MAX_BODY = 3 * 1024 * 1024
_PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}
_NON_RESOURCE = ("version", "healthz", "livez", "readyz")


def status_response(error: ApiError) -> web.Response:
    return web.Response(
        status=error.code, body=media.dumps(error.status()), content_type="application/json"
    )


_FIELD_VALIDATION = ("Ignore", "Warn", "Strict")


def _warned(response: web.Response, warnings: list[str]) -> web.Response:
    """Warning headers as the apiserver writes them (code 299, agent "-"), which kubectl
    prints as "Warning: ..." lines. A header carries printable ASCII only, so anything else
    in a field name (a client may send any key) is written as a \\u escape."""
    for text in warnings:
        escaped = "".join(_header_char(c) for c in text.replace("\\", "\\\\"))
        response.headers.add("Warning", f'299 - "{escaped}"')
    return response


def _header_char(char: str) -> str:
    if char == '"':
        return '\\"'
    # Doubled, so that the client's unquoting leaves the escape readable: \\u001f.
    return char if " " <= char <= "~" else f"\\\\u{ord(char):04x}"


def _json_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type="application/json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"cannot unmarshal number {text} into Go value of type float64")
    return value


def decode_json(raw: bytes) -> Any:
    """JSON as Go decodes it: no NaN/Infinity, finite numbers, UTF-8 only."""
    return json.loads(
        raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float
    )


class Api:
    """The aiohttp handler of the whole API (one catch-all route)."""

    def __init__(
        self,
        store: Store,
        authorizer: Authorizer,
        *,
        bookmark_interval: float = 60.0,
        address: str = "127.0.0.1:0",
    ) -> None:
        self.store = store
        self.authorizer = authorizer
        self.discovery = Discovery(store.resources)
        self.openapi = OpenApi(store.resources)
        self.watches = WatchStreams(store, bookmark_interval=bookmark_interval)
        self.address = address

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._handle(request)
        except ApiError as error:
            return status_response(error)
        except web.HTTPRequestEntityTooLarge:
            return status_response(
                ApiError(
                    413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}"
                )
            )
        except RecursionError:
            return status_response(bad_request("the object is nested too deeply"))
        except (ConnectionResetError, web.HTTPException):
            raise
        except Exception as exc:  # the server must answer, whatever the request did
            log.exception("internal error on %s %s", request.method, request.path)
            return status_response(internal(f"{type(exc).__name__}: {exc}"))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        user = self.authorizer.authenticate(request.headers.get("Authorization"))
        path = request.path
        parts = [p for p in path.strip("/").split("/")] if path.strip("/") else []
        if len(parts) >= 3 and parts[0] == "api" and parts[1] == "v1":
            return await self._resource(request, user, ["", "v1", *parts[2:]])
        if len(parts) >= 4 and parts[0] == "apis":
            return await self._resource(request, user, parts[1:])
        return self._non_resource(request, user, parts)

    def _non_resource(self, request: web.Request, user: User, parts: list[str]) -> web.Response:
        path = "/" + "/".join(parts)
        if parts == ["openapi", "v2"]:
            if request.method not in ("GET", "HEAD"):
                raise method_not_allowed()
            version = str(server_version(self._control_plane_version())["gitVersion"])
            if openapi_v2.wants_protobuf(request.headers.get("Accept", "")):
                return web.Response(
                    body=openapi_v2.document_protobuf(version),
                    content_type=openapi_v2.PROTOBUF_SERVED,
                )
            return _json_response(openapi_v2.document_json(version))
        if parts[:2] == ["openapi", "v3"]:
            if request.method not in ("GET", "HEAD"):
                raise method_not_allowed()
            if len(parts) == 2:
                return _json_response(self.openapi.root())
            return _json_response(self.openapi.document("/".join(parts[2:])))
        known = (
            (len(parts) == 1 and parts[0] in (*_NON_RESOURCE, "api", "apis"))
            or (len(parts) == 2 and parts[0] in ("api", "apis"))
            or (len(parts) == 3 and parts[0] == "apis")
        )
        if not known:
            return web.Response(status=404, text="404 page not found\n")
        if request.method not in ("GET", "HEAD"):
            raise method_not_allowed()
        if not self.authorizer.allowed_path(user, "get", path):
            raise forbidden("", "", None, f'User "{user.name}" cannot get path "{path}"')
        if parts[0] in ("healthz", "livez", "readyz"):
            return web.Response(text="ok", content_type="text/plain")
        if parts == ["version"]:
            return _json_response(media.dumps(server_version(self._control_plane_version())))
        if parts == ["api"]:
            body = self.discovery.api_versions(self.address)
        elif parts == ["apis"]:
            body = self.discovery.group_list()
        elif parts[0] == "api":
            if parts[1] != "v1":
                return web.Response(status=404, text="404 page not found\n")
            body = self.discovery.resource_list("", "v1")
        elif len(parts) == 2:
            body = self.discovery.group(parts[1])
        else:
            body = self.discovery.resource_list(parts[1], parts[2])
        return _json_response(media.dumps(body))

    def _control_plane_version(self) -> str | None:
        """The kubelet version of the first master node, if the cluster has one."""
        try:
            nodes = self.store.list_page("", "nodes").entries
        except KeyError:
            return None
        for entry in nodes:
            labels = entry.obj["metadata"].get("labels") or {}
            if "node-role.kubernetes.io/master" in labels or (
                "node-role.kubernetes.io/control-plane" in labels
            ):
                version = (entry.obj.get("status") or {}).get("nodeInfo", {}).get("kubeletVersion")
                return version if isinstance(version, str) else None
        return None

    async def _resource(
        self, request: web.Request, user: User, segments: list[str]
    ) -> web.StreamResponse:
        q = request.query
        req = resolve(self.store, request.method, segments, q.get("watch"))
        if req.group == "authorization.k8s.io" and req.plural == "selfsubjectaccessreviews":
            body = await self._body(request, req)
            return _json_response(media.dumps(self.authorizer.review(user, body)), 201)
        if req.group == "authorization.k8s.io" and req.plural == "selfsubjectrulesreviews":
            body = await self._body(request, req)
            return _json_response(media.dumps(self.authorizer.rules_review(user, body)), 201)
        self.authorizer.check(
            user,
            req.verb,
            group=req.group,
            plural=req.plural,
            subresource=req.subresource,
            name=req.name,
            namespace=req.namespace,
        )
        if req.verb == "watch":
            out = media.negotiate(request.headers.get("Accept"))
            if out.kind in (media.YAML, media.POM_LIST):
                raise not_acceptable(
                    "only the following media types are accepted: application/json, "
                    "application/vnd.kubernetes.protobuf"
                )
            return await self.watches.serve(request, req, out)
        if req.verb == "get":
            return self._get(request, req)
        if req.verb == "list":
            return self._list(request, req)
        dry_run = bool(q.get("dryRun"))
        if req.verb == "create":
            body = await self._body(request, req)
            self._check_body_version(req, body)
            warnings = self._check_fields(request, req, body)
            entry = self.store.create_entry(
                req.group, req.plural, body, namespace=req.namespace, dry_run=dry_run
            )
            return _warned(self._object(request, req, entry, 201), warnings)
        if req.verb == "update":
            body = await self._body(request, req)
            self._check_body_version(req, body)
            warnings = self._check_fields(request, req, body)
            assert req.name is not None
            entry = self.store.update_entry(
                req.group,
                req.plural,
                body,
                subresource=req.subresource,
                name=req.name,
                namespace=req.namespace,
                dry_run=dry_run,
            )
            return _warned(self._object(request, req, entry), warnings)
        if req.verb == "patch":
            return await self._patch(request, req, dry_run)
        if req.verb == "delete":
            return await self._delete(request, req, dry_run)
        return await self._delete_collection(request, req, dry_run)

    def _check_fields(self, request: web.Request, req: ResourceRequest, body: Any) -> list[str]:
        """Field validation of a custom resource's body, as `fieldValidation` asks: Strict
        refuses unknown fields (400), Warn (the default) names them in Warning headers,
        Ignore drops them silently. Either way the stored object is pruned."""
        mode = request.query.get("fieldValidation") or "Warn"
        if mode not in _FIELD_VALIDATION:
            raise bad_request(f"fieldValidation parameter unsupported: {mode}")
        vdef = req.rdef.version(req.version) if req.rdef.is_crd else None
        if mode == "Ignore" or vdef is None or vdef.schema is None or not isinstance(body, dict):
            return []
        problems = [f'unknown field "{path}"' for path in schema.unknown_fields(body, vdef.schema)]
        if problems and mode == "Strict":
            kind = req.rdef.kind
            raise bad_request(
                f'{kind} in version "{req.version}" cannot be handled as a {kind}: '
                f"strict decoding error: {', '.join(problems)}"
            )
        return problems

    def _check_body_version(self, req: ResourceRequest, body: Any) -> None:
        if not isinstance(body, dict):
            return
        api_version = body.get("apiVersion")
        expected = req.rdef.api_version(req.version)
        if api_version and api_version != expected:
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({expected})"
            )

    async def _read(self, request: web.Request) -> bytes:
        raw = await request.read()
        if len(raw) > MAX_BODY:
            raise ApiError(
                413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}"
            )
        return raw

    async def _body(self, request: web.Request, req: ResourceRequest) -> Any:
        ctype = (request.headers.get("Content-Type") or "application/json").split(";")[0]
        ctype = ctype.strip().lower()
        raw = await self._read(request)
        if ctype in ("application/json", "*/*", ""):
            try:
                return decode_json(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise bad_request(
                    f"couldn't get version/kind; json parse error: {_json_error(exc)}"
                ) from exc
        if ctype == "application/yaml":
            return _decode_yaml(raw)
        if ctype == protobuf.PROTOBUF and not req.rdef.is_crd:
            return protobuf.decode(raw)
        accepted = "application/json, application/yaml"
        if not req.rdef.is_crd:
            accepted += ", application/vnd.kubernetes.protobuf"
        raise media_error(accepted)

    def _object(
        self, request: web.Request, req: ResourceRequest, entry: Entry, status: int = 200
    ) -> web.Response:
        out = media.negotiate(request.headers.get("Accept"))
        rdef = req.rdef
        if out.kind == media.TABLE:
            include = media.check_include(request.query.get("includeObject"))
            body = media.table_body(
                rdef,
                req.version,
                out,
                [entry],
                include=include,
                now=self.store.now(),
                resource_version=entry.resource_version,
            )
        elif out.kind == media.POM:
            body = media.partial_metadata(entry, out.meta_version)
        elif out.kind == media.POM_LIST:
            raise not_acceptable(
                "you requested PartialObjectMetadataList, but the requested object is not a list "
                "(*unstructured.Unstructured)"
            )
        else:
            body = media.object_json(rdef, entry, req.version)
            if out.kind == media.YAML:
                return web.Response(
                    status=status, body=media.to_yaml(body), content_type="application/yaml"
                )
        return _json_response(body, status)

    def _get(self, request: web.Request, req: ResourceRequest) -> web.Response:
        assert req.name is not None
        entry = self.store.get_entry(req.group, req.plural, req.namespace, req.name)
        return self._object(request, req, entry)

    def _list(self, request: web.Request, req: ResourceRequest) -> web.Response:
        q = request.query
        out = media.negotiate(request.headers.get("Accept"))
        include = media.check_include(q.get("includeObject")) if out.kind == media.TABLE else ""
        if out.kind == media.POM:
            raise not_acceptable(
                "you requested PartialObjectMetadata, but the requested object is a list "
                "(*unstructured.UnstructuredList)"
            )
        limit = _int_param(q.get("limit"), "limit")
        token = q.get("continue") or None
        rv_param = q.get("resourceVersion")
        match = q.get("resourceVersionMatch")
        if match and not rv_param:
            raise bad_request(
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
                "resourceVersion is provided"
            )
        if token and rv_param and rv_param != "0":
            raise bad_request("specifying resource version is not allowed when using continue")
        if match and match not in ("Exact", "NotOlderThan"):
            raise bad_request(
                f'resourceVersionMatch: Unsupported value: "{match}": supported values: '
                '"Exact", "NotOlderThan"'
            )
        at: int | None = None
        rv = parse_resource_version(rv_param)
        if match == "Exact":
            if not rv:
                raise bad_request(
                    'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'
                )
            at = rv
        elif rv and rv > self.store.resource_version:
            raise too_large_resource_version(rv, self.store.resource_version)
        page = self.store.list_page(
            req.group,
            req.plural,
            req.namespace,
            label_selector=q.get("labelSelector"),
            field_selector=q.get("fieldSelector"),
            limit=limit if limit and limit > 0 else None,
            continue_token=token,
            resource_version=at,
        )
        if out.kind == media.TABLE:
            body = media.table_body(
                req.rdef,
                req.version,
                out,
                page.entries,
                include=include,
                now=self.store.now(),
                resource_version=page.resource_version,
                token=page.continue_token,
                remaining=page.remaining,
            )
        elif out.kind == media.POM_LIST:
            body = media.partial_list_body(
                out,
                page.entries,
                resource_version=page.resource_version,
                token=page.continue_token,
                remaining=page.remaining,
            )
        else:
            body = media.list_body(
                req.rdef,
                req.version,
                page.entries,
                resource_version=page.resource_version,
                token=page.continue_token,
                remaining=page.remaining,
            )
            if out.kind == media.YAML:
                return web.Response(body=media.to_yaml(body), content_type="application/yaml")
        return _json_response(body)

    async def _patch(
        self, request: web.Request, req: ResourceRequest, dry_run: bool
    ) -> web.Response:
        assert req.name is not None
        ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        patch_type = _PATCH_TYPES.get(ctype)
        accepted = (
            "application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml"
        )
        if not req.rdef.is_crd:
            accepted = (
                "application/json-patch+json, application/merge-patch+json, "
                "application/strategic-merge-patch+json, application/apply-patch+yaml"
            )
        if patch_type is None or (patch_type == "strategic" and req.rdef.is_crd):
            raise media_error(accepted)
        raw = await self._read(request)
        if patch_type == "apply":
            return self._apply(request, req, _decode_yaml(raw), dry_run)
        try:
            body = decode_json(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request(f"error decoding patch: {_json_error(exc)}") from exc
        # A patch's unknown fields are those the patched object gains (stored objects hold
        # none): a merge patch names them itself, a JSON patch is checked by its result.
        checked = self._json_patched(req, body) if patch_type == "json" else body
        warnings = self._check_fields(request, req, checked)
        # Core kinds take strategic merge patches; for the fields we serve, a merge does the same.
        entry = self.store.patch_entry(
            req.group,
            req.plural,
            req.namespace,
            req.name,
            "json" if patch_type == "json" else "merge",
            body,
            subresource=req.subresource,
            version=req.version,
            dry_run=dry_run,
        )
        return _warned(self._object(request, req, entry), warnings)

    def _json_patched(self, req: ResourceRequest, ops: Any) -> Any:
        """What a JSON patch would make of the object, for field validation; None when it
        cannot apply (the store then answers with the real error)."""
        if not req.rdef.is_crd or req.name is None:
            return None
        try:
            return self.store.patched(
                req.group, req.plural, req.namespace, req.name, "json", ops, version=req.version
            )
        except ApiError:
            return None

    def _apply(
        self, request: web.Request, req: ResourceRequest, body: Any, dry_run: bool
    ) -> web.Response:
        """Server-side apply, approximated: create when absent, else merge the applied fields."""
        assert req.name is not None
        if not request.query.get("fieldManager"):
            raise bad_request("PATCH, application/apply-patch+yaml requires fieldManager to be set")
        if not isinstance(body, dict):
            raise bad_request("error decoding YAML: the applied configuration is not an object")
        self._check_body_version(req, body)
        warnings = self._check_fields(request, req, body)
        try:
            self.store.get_entry(req.group, req.plural, req.namespace, req.name)
        except ApiError as error:
            if error.code != 404 or req.subresource:
                raise
            meta = body.get("metadata")
            created = dict(
                body, metadata={**(meta if isinstance(meta, dict) else {}), "name": req.name}
            )
            entry = self.store.create_entry(
                req.group, req.plural, created, namespace=req.namespace, dry_run=dry_run
            )
            return _warned(self._object(request, req, entry, 201), warnings)
        entry = self.store.patch_entry(
            req.group,
            req.plural,
            req.namespace,
            req.name,
            "merge",
            body,
            subresource=req.subresource,
            version=req.version,
            dry_run=dry_run,
        )
        return _warned(self._object(request, req, entry), warnings)

    async def _delete_options(self, request: web.Request) -> dict[str, Any]:
        raw = await self._read(request)
        if not raw.strip():
            return {}
        ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == protobuf.PROTOBUF:
            return protobuf.decode(raw)
        try:
            options = decode_json(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request(
                f"couldn't get version/kind; json parse error: {_json_error(exc)}"
            ) from exc
        if not isinstance(options, dict):
            raise bad_request("json: cannot unmarshal into Go value of type v1.DeleteOptions")
        return options

    async def _delete(
        self, request: web.Request, req: ResourceRequest, dry_run: bool
    ) -> web.Response:
        assert req.name is not None
        options = await self._delete_options(request)
        pre = options.get("preconditions") if isinstance(options.get("preconditions"), dict) else {}
        assert isinstance(pre, dict)
        dry_run = dry_run or bool(options.get("dryRun"))
        entry = self.store.delete_entry(
            req.group,
            req.plural,
            req.namespace,
            req.name,
            uid=_opt_str(pre.get("uid")),
            resource_version=_opt_str(pre.get("resourceVersion")),
            dry_run=dry_run,
        )
        if req.rdef.is_crd and not entry.obj["metadata"].get("deletionTimestamp"):
            details: dict[str, Any] = {"name": req.name, "group": req.group, "kind": req.plural}
            details["uid"] = entry.obj["metadata"].get("uid")
            status = {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }
            return _json_response(media.dumps(status))
        return self._object(request, req, entry)

    async def _delete_collection(
        self, request: web.Request, req: ResourceRequest, dry_run: bool
    ) -> web.Response:
        q = request.query
        await self._delete_options(request)
        page = self.store.list_page(
            req.group,
            req.plural,
            req.namespace,
            label_selector=q.get("labelSelector"),
            field_selector=q.get("fieldSelector"),
        )
        deleted: list[Entry] = []
        for entry in page.entries:
            meta = entry.obj["metadata"]
            try:
                deleted.append(
                    self.store.delete_entry(
                        req.group,
                        req.plural,
                        meta.get("namespace"),
                        meta["name"],
                        dry_run=dry_run,
                    )
                )
            except ApiError as error:
                if error.code != 404:
                    raise
        body = media.list_body(
            req.rdef, req.version, deleted, resource_version=self.store.resource_version
        )
        return _json_response(body)


def media_error(accepted: str) -> ApiError:
    return unsupported_media_type(accepted)


def _decode_yaml(raw: bytes) -> Any:
    """YAML to JSON values, as the apiserver converts it: timestamps stay strings, and
    aliases are refused (they could expand a small body into a huge object)."""
    try:
        text = raw.decode("utf-8")
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text)):
            raise bad_request("error converting YAML to JSON: aliases are not supported")
        value = yaml.safe_load(text)
        return decode_json(json.dumps(value, default=str, allow_nan=False).encode())
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise bad_request(f"error converting YAML to JSON: {exc}") from exc


def _json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at offset {exc.pos}"
    return str(exc)


def _int_param(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f'{name}: Invalid value: "{value}": must be an integer') from None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None

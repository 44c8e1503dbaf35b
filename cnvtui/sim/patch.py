"""JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386) on plain JSON values.

Both return new values and never modify their inputs: the store applies them to its own
objects, which must stay untouched when a patch fails halfway.
"""

from __future__ import annotations

from typing import Any

from cnvtui.sim.errors import ApiError, bad_request, patch_failed

_OPS = ("add", "remove", "replace", "move", "copy", "test")


def clone(value: Any) -> Any:
    """A deep copy of a JSON value (much faster than `copy.deepcopy` for dicts and lists)."""
    if isinstance(value, dict):
        return {k: clone(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    result: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = merge_patch(result.get(key), value)
        else:
            result[key] = clone(value)
    return result


def check_json_patch(ops: Any) -> list[dict[str, Any]]:
    """The decoding step: a patch must be a list of objects, each with a string `op`.

    Like the server's decoder this answers 400; errors while applying answer 422.
    """
    if not isinstance(ops, list):
        kind = "object" if isinstance(ops, dict) else type(ops).__name__
        raise bad_request(f"json: cannot unmarshal {kind} into Go value of type jsonpatch.Patch")
    for op in ops:
        if not isinstance(op, dict):
            raise bad_request(
                "json: cannot unmarshal array into Go value of type jsonpatch.Operation"
            )
    return ops


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str):
        raise patch_failed()
    if path == "":
        return []
    if not path.startswith("/"):
        raise patch_failed()
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _index(container: list[Any], token: str, *, allow_end: bool) -> int:
    if allow_end and token == "-":
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise patch_failed()
    idx = int(token)
    limit = len(container) if allow_end else len(container) - 1
    if idx > limit:
        raise patch_failed()
    return idx


def _parent(doc: Any, tokens: list[str]) -> Any:
    """The container that holds the last token."""
    cur = doc
    for tok in tokens[:-1]:
        if isinstance(cur, dict):
            if tok not in cur:
                raise patch_failed()
            cur = cur[tok]
        elif isinstance(cur, list):
            cur = cur[_index(cur, tok, allow_end=False)]
        else:
            raise patch_failed()
    return cur


def _get(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        return doc
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise patch_failed()
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, allow_end=False)]
    raise patch_failed()


def _add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, allow_end=True), value)
    else:
        raise patch_failed()
    return doc


def _remove(doc: Any, tokens: list[str]) -> tuple[Any, Any]:
    if not tokens:
        raise patch_failed()
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise patch_failed()
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, last, allow_end=False))
    raise patch_failed()


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's `==`, `true` is not `1`."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return type(a) is not dict and type(a) is not list and bool(a == b)


def json_patch(doc: Any, ops: Any) -> Any:
    """Apply an RFC 6902 patch to a copy of `doc`; any failing operation fails the whole patch."""
    operations = check_json_patch(ops)
    result = clone(doc)
    for op in operations:
        result = _apply_one(result, op)
    return result


def _apply_one(doc: Any, op: dict[str, Any]) -> Any:
    name = op.get("op")
    if name not in _OPS:
        raise patch_failed()
    tokens = _pointer(op.get("path"))
    if name in ("add", "replace", "test") and "value" not in op:
        raise patch_failed()
    if name == "add":
        return _add(doc, tokens, clone(op["value"]))
    if name == "remove":
        return _remove(doc, tokens)[0]
    if name == "replace":
        _get(doc, tokens)
        if not tokens:
            return clone(op["value"])
        doc, _ = _remove(doc, tokens)
        parent = _parent(doc, tokens)
        if isinstance(parent, list):
            parent.insert(int(tokens[-1]), clone(op["value"]))
            return doc
        return _add(doc, tokens, clone(op["value"]))
    if name == "test":
        if not _equal(_get(doc, tokens), op["value"]):
            raise patch_failed()
        return doc
    source = _pointer(op.get("from"))
    if name == "move":
        if tokens[: len(source)] == source and len(tokens) > len(source):
            raise patch_failed()
        doc, value = _remove(doc, source)
        return _add(doc, tokens, value)
    value = clone(_get(doc, source))
    return _add(doc, tokens, value)


def decode_patch_error(exc: Exception) -> ApiError:
    """A 400 for a patch body that is not JSON at all."""
    return bad_request(f"error decoding patch: {exc}")

"""JSON pointers and the `test` half of RFC 6902, evaluated locally.

Every write is a JSON patch whose `test` operations restate what the user saw. The server
answers a failed `test` with a bare 422 that cannot be told from other patch errors, so after
a 409/422 the runner re-reads the object and evaluates the tests here: a test that no longer
holds means "changed since you looked", not "invalid".
"""

from __future__ import annotations

from typing import Any

from cnvtui.kube.events import Obj

__all__ = ["Operation", "escape", "failed_tests", "pointer", "resolve"]

Operation = dict[str, Any]
_MISSING = object()


def escape(token: str) -> str:
    """One reference token, escaped (`~` -> `~0`, `/` -> `~1`)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str) -> str:
    """A JSON pointer from unescaped tokens: pointer("metadata", "annotations", "a/b")."""
    return "".join("/" + escape(t) for t in tokens)


def _tokens(path: str) -> list[str]:
    if not path:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]


def resolve(doc: object, path: str) -> tuple[bool, Any]:
    """(found, value) of `path` in `doc`; never raises."""
    node: Any = doc
    for token in _tokens(path):
        if isinstance(node, dict):
            node = node.get(token, _MISSING)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
        if node is _MISSING:
            return False, None
    return True, node


def _same(a: object, b: object) -> bool:
    """JSON equality: 1 == 1.0 but True != 1, as the server compares."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def failed_tests(obj: Obj, operations: list[Operation]) -> list[tuple[str, Any, Any]]:
    """The `test` operations that no longer hold on `obj`: (path, expected, found).

    `found` is None when the path is absent.
    """
    failed = []
    for op in operations:
        if op.get("op") != "test":
            continue
        path = str(op.get("path", ""))
        found, value = resolve(obj, path)
        if not found or not _same(value, op.get("value")):
            failed.append((path, op.get("value"), value if found else None))
    return failed

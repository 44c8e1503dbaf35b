"""The JSONPath subset that CRD printer columns use (`.a.b`, `[0]`, `[*]`,
`[?(@.type=="Ready")].status`), evaluated like client-go's jsonpath: a path yields every
match, in document order, and a missing field yields nothing rather than an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

_Step = Callable[[Any], Iterator[Any]]

_FILTER = re.compile(
    r"""^\?\(\s*@((?:\.[A-Za-z0-9_\-/]+)*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$"""
)


class JsonPathError(ValueError):
    """The expression is outside the supported subset or malformed."""


@dataclass(frozen=True)
class JsonPath:
    """A parsed expression; `find` returns every value it selects."""

    expression: str
    steps: tuple[_Step, ...]

    def find(self, obj: Any) -> list[Any]:
        values: list[Any] = [obj]
        for step in self.steps:
            values = [out for value in values for out in step(value)]
            if not values:
                break
        return values

    def first(self, obj: Any, default: Any = None) -> Any:
        found = self.find(obj)
        return found[0] if found else default


def _field(name: str) -> _Step:
    def step(value: Any) -> Iterator[Any]:
        if isinstance(value, dict) and name in value:
            yield value[name]

    return step


def _index(index: int) -> _Step:
    def step(value: Any) -> Iterator[Any]:
        if isinstance(value, list) and -len(value) <= index < len(value):
            yield value[index]

    return step


def _slice(start: int | None, stop: int | None) -> _Step:
    def step(value: Any) -> Iterator[Any]:
        if isinstance(value, list):
            yield from value[start:stop]

    return step


def _wildcard(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        yield from value
    elif isinstance(value, dict):
        yield from value.values()


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError as exc:
        raise JsonPathError(f"unsupported filter value {text!r}") from exc


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    numbers = (int, float)
    if not (isinstance(left, numbers) and isinstance(right, numbers)):
        return False
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)


def _filter(text: str) -> _Step:
    match = _FILTER.match(text)
    if match is None:
        raise JsonPathError(f"unsupported filter {text!r}")
    fields = [part for part in match[1].split(".") if part]
    op, raw = match[2], match[3]
    right = _literal(raw) if raw is not None else None

    def pick(item: Any) -> tuple[bool, Any]:
        for name in fields:
            if not isinstance(item, dict) or name not in item:
                return False, None
            item = item[name]
        return True, item

    def step(value: Any) -> Iterator[Any]:
        items = value if isinstance(value, list) else [value]
        for item in items:
            found, left = pick(item)
            if not found:
                continue
            if op is None or _compare(left, op, right):
                yield item

    return step


def _bracket(text: str) -> _Step:
    inner = text.strip()
    if inner == "*":
        return _wildcard
    if inner.startswith("?"):
        return _filter(inner)
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
        return _field(inner[1:-1])
    if ":" in inner:
        start, _, stop = inner.partition(":")
        try:
            return _slice(int(start) if start else None, int(stop) if stop else None)
        except ValueError as exc:
            raise JsonPathError(f"bad slice [{text}]") from exc
    try:
        return _index(int(inner))
    except ValueError as exc:
        raise JsonPathError(f"unsupported subscript [{text}]") from exc


@cache
def compile_path(expression: str) -> JsonPath:
    """Parse `expression` (with or without the `{...}` template braces), cached."""
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[_Step] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == ".":
            end = pos + 1
            while end < len(text) and text[end] not in ".[":
                end += 1
            name = text[pos + 1 : end]
            if name == "*":
                steps.append(_wildcard)
            elif name:
                steps.append(_field(name))
            elif end < len(text) and text[end] == ".":
                raise JsonPathError(f"recursive descent is not supported: {expression!r}")
            pos = end
        elif char == "[":
            end = _closing(text, pos)
            steps.append(_bracket(text[pos + 1 : end]))
            pos = end + 1
        else:
            raise JsonPathError(f"unexpected {char!r} at {pos} in {expression!r}")
    return JsonPath(expression, tuple(steps))


def _closing(text: str, start: int) -> int:
    """Index of the `]` that closes the `[` at `start`, skipping quoted strings."""
    quote = ""
    depth = 0
    for pos in range(start, len(text)):
        char = text[pos]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return pos
    raise JsonPathError(f"unclosed [ in {text!r}")


def find(expression: str, obj: Any) -> list[Any]:
    """Every value `expression` selects in `obj`."""
    return compile_path(expression).find(obj)

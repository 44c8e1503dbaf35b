"""Structural-schema handling of custom resources, the subset a real apiserver applies on
every write: pruning of unknown fields, defaulting, and validation with its error messages.

A real apiserver decodes a custom resource, drops fields the schema does not know (and nulls
where the schema does not allow them), fills in `default`s, then validates. `admit` does the
same in that order. Messages follow the apiserver's format (field path, then the body of a
`field.Error` whose detail is kube-openapi's message), e.g.

    spec.workloadUpdateStrategy.batchEvictionSize: Invalid value: "string":
    spec.workloadUpdateStrategy.batchEvictionSize in body must be of type integer: "string"

Schemas are compiled once into a tree of `_Node`s (cached per schema object) so that
validating ten thousand VMIs stays cheap. Not covered: CEL rules
(`x-kubernetes-validations`), list-type uniqueness, and formats other than date-time/byte.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]
# A field path kept as a chain of (parent, segment) so it is only joined when an error needs it.
_Path = tuple[Any, str] | None

_ROOT_KEEP = ("apiVersion", "kind", "metadata")
_SCALARS = frozenset((str, int, float, bool))
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class FieldError:
    """One cause of a 422 Invalid: the field, the Status cause reason, and the message body."""

    field: str
    reason: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def cause(self) -> Json:
        """The entry for a Status's `details.causes`."""
        return {"reason": self.reason, "message": self.message, "field": self.field}


class _Node:
    """A compiled schema node: only what validation, pruning and defaulting look at."""

    __slots__ = (
        "additional",
        "any_of",
        "deep_defaults",
        "defaults",
        "embedded",
        "enum",
        "exclusive_max",
        "exclusive_min",
        "fast_type",
        "format",
        "int_or_string",
        "items",
        "max_items",
        "max_length",
        "max_props",
        "maximum",
        "min_items",
        "min_length",
        "min_props",
        "minimum",
        "nullable",
        "pattern",
        "plain",
        "preserve",
        "props",
        "required",
        "type",
    )

    def __init__(self, schema: Json) -> None:
        self.type: str | None = schema.get("type")
        self.nullable: bool = bool(schema.get("nullable", False))
        self.int_or_string: bool = bool(schema.get("x-kubernetes-int-or-string", False))
        self.preserve: bool = bool(schema.get("x-kubernetes-preserve-unknown-fields", False))
        self.embedded: bool = bool(schema.get("x-kubernetes-embedded-resource", False))
        props = schema.get("properties")
        self.props: dict[str, _Node] | None = (
            {name: _Node(sub) for name, sub in props.items()} if props is not None else None
        )
        self.defaults: tuple[tuple[str, Any], ...] = tuple(
            (name, sub["default"]) for name, sub in (props or {}).items() if "default" in sub
        )
        additional = schema.get("additionalProperties")
        self.additional: _Node | bool | None = (
            _Node(additional) if isinstance(additional, dict) else additional
        )
        items = schema.get("items")
        self.items: _Node | None = _Node(items) if isinstance(items, dict) else None
        self.required: tuple[str, ...] = tuple(schema.get("required", ()))
        enum = schema.get("enum")
        self.enum: tuple[Any, ...] | None = tuple(enum) if enum is not None else None
        self.minimum: float | None = schema.get("minimum")
        self.maximum: float | None = schema.get("maximum")
        self.exclusive_min: bool = bool(schema.get("exclusiveMinimum", False))
        self.exclusive_max: bool = bool(schema.get("exclusiveMaximum", False))
        self.min_length: int | None = schema.get("minLength")
        self.max_length: int | None = schema.get("maxLength")
        self.min_items: int | None = schema.get("minItems")
        self.max_items: int | None = schema.get("maxItems")
        self.min_props: int | None = schema.get("minProperties")
        self.max_props: int | None = schema.get("maxProperties")
        pattern = schema.get("pattern")
        self.pattern: re.Pattern[str] | None = _compile_pattern(pattern) if pattern else None
        self.format: str | None = schema.get("format")
        # Value checks only; structural schemas never use anyOf for pruning.
        branches = [] if self.int_or_string else schema.get("anyOf", [])
        self.any_of: tuple[_Node, ...] = tuple(_Node(sub) for sub in branches)
        self.fast_type: type | None = self._fast_type()
        # An object or array node whose only checks are its children and sizes: walkers
        # go straight to the container check.
        self.plain: type | None = None
        if not (self.int_or_string or self.any_of or self.enum is not None):
            self.plain = {"object": dict, "array": list}.get(self.type or "")
        children = [*(self.props or {}).values(), self.items, self.additional]
        self.deep_defaults: bool = bool(self.defaults) or any(
            isinstance(child, _Node) and child.deep_defaults for child in children
        )

    def _fast_type(self) -> type | None:
        """The Python type that alone makes a value valid here (a leaf without enum, bounds,
        pattern or format), so walkers can skip the call for the common case."""
        if self.int_or_string or self.any_of or self.enum is not None or self.pattern:
            return None
        if self.format in ("date-time", "byte"):
            return None
        bounds = (self.minimum, self.maximum, self.min_length, self.max_length)
        if any(bound is not None for bound in bounds):
            return None
        return {"string": str, "integer": int, "boolean": bool}.get(self.type or "")


def _compile_pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        # A Go (RE2) pattern Python cannot read is not worth rejecting objects over.
        return None


_compiled: dict[int, tuple[Json, _Node]] = {}


def _compile(schema: Json) -> _Node:
    hit = _compiled.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    node = _Node(schema)
    # The schema is kept alive beside its node so its id cannot be reused by another dict.
    _compiled[id(schema)] = (schema, node)
    return node


# ---------------------------------------------------------------------------- pruning


def _copy(value: Any) -> Any:
    """A deep copy of JSON data (several times faster than copy.deepcopy)."""
    kind = type(value)
    if kind is dict:
        return {key: _copy(sub) for key, sub in value.items()}
    if kind is list:
        return [_copy(sub) for sub in value]
    return value


def prune(obj: Json, schema: Json) -> Json:
    """A copy of `obj` without the fields `schema` does not declare, as the apiserver stores
    it: unknown fields go silently, and so do nulls where the schema does not allow null.
    `apiVersion`, `kind` and `metadata` at the root are kept (metadata is the server's)."""
    root = _compile(schema)
    out: Json = {key: _copy(obj[key]) for key in _ROOT_KEEP if key in obj}
    rest = {key: value for key, value in obj.items() if key not in _ROOT_KEEP}
    pruned = _prune(rest, root)
    if isinstance(pruned, dict):
        out.update(pruned)
    return out


def _prune(value: Any, node: _Node) -> Any:
    if isinstance(value, dict):
        if node.props is None and node.additional is None:
            # `type: object` alone keeps nothing, unless unknown fields are preserved.
            return _copy(value) if node.preserve or node.type != "object" else {}
        out: Json = {}
        props = node.props or {}
        additional = node.additional
        for key, sub in value.items():
            child = props.get(key)
            if child is None:
                if isinstance(additional, _Node):
                    child = additional
                elif node.preserve or additional is True or (node.embedded and key in _ROOT_KEEP):
                    out[key] = _copy(sub)
                    continue
                else:
                    continue
            if sub is None:
                if child.nullable:
                    out[key] = None
                continue
            out[key] = sub if type(sub) in _SCALARS else _prune(sub, child)
        return out
    if isinstance(value, list):
        items = node.items
        if items is None:
            return _copy(value)
        return [item if type(item) in _SCALARS else _prune(item, items) for item in value]
    return value


def unknown_fields(obj: Json, schema: Json) -> list[str]:
    """The paths of the fields `prune` would drop, as strict field validation names them
    (`spec.foo`, `spec.items[0].bar`): what `fieldValidation=Strict` refuses and `Warn`
    warns about. Nulls are not unknown fields, only dropped values."""
    found: list[str] = []
    rest = {key: value for key, value in obj.items() if key not in _ROOT_KEEP}
    _unknown(rest, _compile(schema), "", found)
    return found


def _unknown(value: Any, node: _Node, path: str, found: list[str]) -> None:
    if isinstance(value, dict):
        if node.props is None and node.additional is None:
            if not (node.preserve or node.type != "object"):
                found.extend(f"{path}.{key}" if path else key for key in value)
            return
        props = node.props or {}
        additional = node.additional
        for key, sub in value.items():
            where = f"{path}.{key}" if path else key
            child = props.get(key)
            if child is None:
                if isinstance(additional, _Node):
                    child = additional
                elif node.preserve or additional is True or (node.embedded and key in _ROOT_KEEP):
                    continue
                else:
                    found.append(where)
                    continue
            if sub is not None and type(sub) not in _SCALARS:
                _unknown(sub, child, where, found)
    elif isinstance(value, list) and node.items is not None:
        for index, item in enumerate(value):
            if item is not None and type(item) not in _SCALARS:
                _unknown(item, node.items, f"{path}[{index}]", found)


# ---------------------------------------------------------------------------- defaulting


def apply_defaults(obj: Json, schema: Json) -> Json:
    """Fill in `default`s where a field is missing and its parent exists, in place (and
    return `obj`), as the apiserver does on every write and read."""
    _default(obj, _compile(schema))
    return obj


def _default(value: Any, node: _Node) -> None:
    if not node.deep_defaults:
        return
    if isinstance(value, dict):
        for key, default in node.defaults:
            if key not in value:
                value[key] = _copy(default)
        props = node.props or {}
        additional = node.additional if isinstance(node.additional, _Node) else None
        for key, sub in value.items():
            child = props.get(key, additional)
            if child is not None:
                _default(sub, child)
    elif isinstance(value, list) and node.items is not None:
        items = node.items
        for item in value:
            _default(item, items)


# ---------------------------------------------------------------------------- validation


def validate(obj: Json, schema: Json) -> list[str]:
    """Every schema violation of `obj`, formatted as `<field>: <message>` like the causes
    of the apiserver's 422 Invalid (empty when the object is valid)."""
    return [str(err) for err in field_errors(obj, schema)]


def field_errors(obj: Json, schema: Json) -> list[FieldError]:
    """Every schema violation of `obj`, structured for a Status's `details.causes`."""
    errors: list[FieldError] = []
    root = _compile(schema)
    _check(obj, root, None, errors, is_root=True)
    return errors


def admit(obj: Json, schema: Json) -> tuple[Json, list[FieldError]]:
    """What the apiserver does with a written custom resource: prune, default, validate.
    Returns the object to store and the errors (store it only when there are none)."""
    pruned = prune(obj, schema)
    apply_defaults(pruned, schema)
    return pruned, field_errors(pruned, schema)


def _join(path: _Path) -> str:
    parts: list[str] = []
    while path is not None:
        path, segment = path
        parts.append(segment)
    text = ""
    for segment in reversed(parts):
        text += segment if segment.startswith("[") or not text else "." + segment
    return text


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _shown(value: Any) -> str:
    """A value as Go's field.Error shows it: strings quoted, numbers and bools bare."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _matches_type(value: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def _invalid(errors: list[FieldError], path: _Path, value: Any, detail: str) -> None:
    name = _join(path)
    errors.append(
        FieldError(name, "FieldValueInvalid", f"Invalid value: {_shown(value)}: {name} {detail}")
    )


def _check(
    value: Any, node: _Node, path: _Path, errors: list[FieldError], *, is_root: bool = False
) -> None:
    if value is None:
        if node.nullable:
            return
        if node.type is not None or node.int_or_string:
            _wrong_type(value, node, path, errors)
        return
    if node.int_or_string:
        if isinstance(value, bool) or not isinstance(value, int | str):
            _wrong_type(value, node, path, errors)
            return
    elif node.type is not None and not _matches_type(value, node.type):
        _wrong_type(value, node, path, errors)
        return
    if isinstance(value, dict):
        _check_object(value, node, path, errors, is_root)
    elif isinstance(value, list):
        _check_array(value, node, path, errors)
    elif isinstance(value, str):
        _check_string(value, node, path, errors)
    elif not isinstance(value, bool):
        _check_number(value, node, path, errors)
    if node.enum is not None and not _in_enum(value, node.enum):
        name = _join(path)
        supported = ", ".join(
            json.dumps(v if isinstance(v, str) else _shown(v), ensure_ascii=False)
            for v in node.enum
        )
        errors.append(
            FieldError(
                name,
                "FieldValueNotSupported",
                f"Unsupported value: {_shown(value)}: supported values: {supported}",
            )
        )
    if node.any_of and not any(_valid(value, branch) for branch in node.any_of):
        name = _join(path)
        errors.append(
            FieldError(
                name,
                "FieldValueInvalid",
                f'Invalid value: "": "{name}" must validate at least one schema (anyOf)',
            )
        )


def _valid(value: Any, node: _Node) -> bool:
    scratch: list[FieldError] = []
    _check(value, node, None, scratch)
    return not scratch


def _in_enum(value: Any, enum: tuple[Any, ...]) -> bool:
    return any(value == option and type(value) is type(option) for option in enum)


def _wrong_type(value: Any, node: _Node, path: _Path, errors: list[FieldError]) -> None:
    name = _join(path)
    expected = "integer,string" if node.int_or_string else node.type
    actual = _type_name(value)
    errors.append(
        FieldError(
            name,
            "FieldValueTypeInvalid",
            f'Invalid value: "{actual}": {name} in body must be of type {expected}: "{actual}"',
        )
    )


def _check_object(
    value: Json, node: _Node, path: _Path, errors: list[FieldError], is_root: bool
) -> None:
    for key in node.required:
        if key not in value:
            errors.append(FieldError(_join((path, key)), "FieldValueRequired", "Required value"))
    props = node.props
    additional = node.additional if isinstance(node.additional, _Node) else None
    for key, sub in value.items():
        child = props.get(key) if props is not None else None
        if child is None:
            child = additional
            if child is None:
                continue
        kind = type(sub)
        if kind is child.fast_type or (is_root and key == "metadata"):
            continue
        if kind is child.plain:
            if kind is dict:
                _check_object(sub, child, (path, key), errors, False)
            else:
                _check_array(sub, child, (path, key), errors)
            continue
        _check(sub, child, (path, key), errors)
    size = len(value)
    if node.min_props is not None and size < node.min_props:
        _invalid(errors, path, size, f"in body should have at least {node.min_props} properties")
    if node.max_props is not None and size > node.max_props:
        _invalid(errors, path, size, f"in body should have at most {node.max_props} properties")


def _check_array(value: list[Any], node: _Node, path: _Path, errors: list[FieldError]) -> None:
    items = node.items
    if items is not None:
        fast = items.fast_type
        plain = items.plain
        for index, item in enumerate(value):
            kind = type(item)
            if kind is fast:
                continue
            if kind is dict and plain is dict:
                _check_object(item, items, (path, f"[{index}]"), errors, False)
            else:
                _check(item, items, (path, f"[{index}]"), errors)
    if node.min_items is not None and len(value) < node.min_items:
        _invalid(errors, path, len(value), f"in body should have at least {node.min_items} items")
    if node.max_items is not None and len(value) > node.max_items:
        errors.append(
            FieldError(
                _join(path),
                "FieldValueTooMany",
                f"Too many: {len(value)}: must have at most {node.max_items} items",
            )
        )


def _check_string(value: str, node: _Node, path: _Path, errors: list[FieldError]) -> None:
    if node.max_length is not None and len(value) > node.max_length:
        errors.append(
            FieldError(
                _join(path),
                "FieldValueTooLong",
                f"Too long: may not be longer than {node.max_length}",
            )
        )
    if node.min_length is not None and len(value) < node.min_length:
        _invalid(errors, path, value, f"in body should be at least {node.min_length} chars long")
    if node.pattern is not None and node.pattern.search(value) is None:
        _invalid(errors, path, value, f"in body should match '{node.pattern.pattern}'")
    fmt = node.format
    if fmt == "date-time" and not _DATE_TIME.match(value):
        _invalid(errors, path, value, f'in body must be of type date-time: "{value}"')
    elif fmt == "byte" and not _is_base64(value):
        _invalid(errors, path, value, f'in body must be of type byte: "{value}"')


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _check_number(value: float, node: _Node, path: _Path, errors: list[FieldError]) -> None:
    if node.minimum is not None:
        low = node.minimum
        if value < low or (node.exclusive_min and value == low):
            how = "greater than" if node.exclusive_min else "greater than or equal to"
            _invalid(errors, path, value, f"in body should be {how} {_number(low)}")
    if node.maximum is not None:
        high = node.maximum
        if value > high or (node.exclusive_max and value == high):
            how = "less than" if node.exclusive_max else "less than or equal to"
            _invalid(errors, path, value, f"in body should be {how} {_number(high)}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

"""`cnvtui sim --from PATH`: start the simulated cluster from a real cluster's objects.

PATH is one of:

- a cnvtui recording (`cnvtui --record`, `cnvtui status --record`): the objects as they
  were at the recording's last complete event. The format is described in
  `cnvtui.kube.record`; it is parsed here on its own, because the simulated cluster shares
  no code with the client side. A recording cut off mid-write is used up to where it is
  complete.
- a directory of `oc get ... -o yaml` (or `-o json`) dumps, read recursively in name order:
  `*.yaml`, `*.yml`, `*.json`, each holding single objects, several YAML documents, or
  `List`s (`kind: List`, `kind: FooList`) of them.
- a single such dump file.

Objects lose what the server sets anew (resourceVersion, managedFields, selfLink) and keep
their uid and creationTimestamp. Kinds the simulated cluster does not serve are skipped and
counted. Metadata-only objects of a recording (its nodes) become real objects of their kind
with only their metadata. With `fill_in`, what OLM needs and a dump rarely includes (the
OperatorGroup, the CatalogSource) comes from the built-in seed when absent, and a VMI owned by
a VirtualMachine that is not there gets one made from the VMI's own spec.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from cnvtui.sim.catalog import load_catalog
from cnvtui.sim.seed.olm import catalog_source_object, operator_group_object

__all__ = ["LoadError", "Loaded", "initial_objects_from", "load_objects"]

Json = dict[str, Any]

_GZIP_MAGIC = b"\x1f\x8b"
_RECORDING_FORMAT = "cnvtui-recording"
_DUMP_SUFFIXES = (".yaml", ".yml", ".json")
_SERVER_FIELDS = ("resourceVersion", "managedFields", "selfLink")
_CHUNK = 1 << 16


class LoadError(Exception):
    """PATH cannot be used; the message is one line for the user."""


@dataclass
class Loaded:
    """The objects found, and what was left out and why."""

    objects: list[Json] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    """Unserved kinds ("apiVersion/kind") and how many objects of each were skipped."""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line about what was loaded, for the sim's start-up message."""
        kinds = Counter(str(o.get("kind")) for o in self.objects)
        text = (
            f"{len(self.objects)} objects ("
            + ", ".join(f"{n} {k}" for k, n in kinds.most_common())
            + ")"
        )
        if self.skipped:
            text += "; skipped " + ", ".join(f"{n} {k}" for k, n in self.skipped.most_common())
        return text + "".join(f"; {note}" for note in self.notes)


def initial_objects_from(path: str | Path, *, fill_in: bool = True) -> list[Json]:
    """The objects to start the simulated cluster with (LoadError if PATH is unusable)."""
    return load_objects(path, fill_in=fill_in).objects


def load_objects(path: str | Path, *, fill_in: bool = True) -> Loaded:
    """Read PATH (a recording, a dump directory or a dump file); see the module docstring."""
    source = Path(path)
    loaded = Loaded()
    if source.is_dir():
        files = sorted(
            p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in _DUMP_SUFFIXES
        )
        if not files:
            raise LoadError(f"{source} holds no .yaml, .yml or .json files")
        raw: list[Json] = []
        for file in files:
            raw.extend(_dump_objects(file))
    elif source.is_file():
        with source.open("rb") as handle:
            magic = handle.read(2)
        raw = _recording_objects(source, loaded) if magic == _GZIP_MAGIC else _dump_objects(source)
    else:
        raise LoadError(f"{source} does not exist")
    served = {(r.group, r.kind) for r in load_catalog()}
    seen: dict[tuple[str, str, str, str], int] = {}
    for obj in raw:
        api_version = str(obj.get("apiVersion") or "")
        group = api_version.rpartition("/")[0]
        kind = str(obj.get("kind") or "")
        if (group, kind) not in served:
            loaded.skipped[f"{api_version}/{kind}"] += 1
            continue
        clean = _clean(obj)
        meta = clean["metadata"]
        key = (group, kind, str(meta.get("namespace") or ""), str(meta["name"]))
        if key in seen:
            loaded.objects[seen[key]] = clean
        else:
            seen[key] = len(loaded.objects)
            loaded.objects.append(clean)
    if fill_in:
        _fill_in(loaded)
    if not loaded.objects:
        raise LoadError(f"{source} holds no object the simulated cluster serves")
    return loaded


def _clean(obj: Json) -> Json:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_FIELDS}
    out = {k: v for k, v in obj.items() if k != "metadata"}
    out["metadata"] = meta
    return out


def _owning_vms(loaded: Loaded) -> None:
    """A VirtualMachine for each VMI whose owner is one but is not among the objects (a
    recording holds VMIs, not VMs): without it, an evicted VMI would never come back."""
    have = {
        (o["metadata"].get("namespace"), o["metadata"].get("name"))
        for o in loaded.objects
        if o.get("kind") == "VirtualMachine"
    }
    added = 0
    for obj in list(loaded.objects):
        if obj.get("kind") != "VirtualMachineInstance":
            continue
        meta = obj["metadata"]
        owner = next(
            (r for r in meta.get("ownerReferences") or [] if r.get("kind") == "VirtualMachine"),
            None,
        )
        key = (meta.get("namespace"), owner.get("name") if owner else None)
        if owner is None or not key[1] or key in have:
            continue
        have.add(key)
        loaded.objects.append(_vm_for(obj, owner))
        added += 1
    if added:
        loaded.notes.append(f"added {added} VirtualMachines that own VMIs")


def _vm_for(vmi: Json, owner: Json) -> Json:
    meta = vmi["metadata"]
    labels = {
        k: v for k, v in (meta.get("labels") or {}).items() if not k.startswith("kubevirt.io/")
    }
    template_labels = {
        k: v for k, v in (meta.get("labels") or {}).items() if k == "kubevirt.io/domain"
    }
    vm_meta: Json = {"name": owner["name"], "namespace": meta.get("namespace")}
    if owner.get("uid"):
        vm_meta["uid"] = owner["uid"]
    if meta.get("creationTimestamp"):
        vm_meta["creationTimestamp"] = meta["creationTimestamp"]
    if labels:
        vm_meta["labels"] = labels
    running = (vmi.get("status") or {}).get("phase") == "Running"
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": vm_meta,
        "spec": {
            "runStrategy": "Always" if running else "Halted",
            "template": {
                "metadata": {"labels": template_labels} if template_labels else {},
                "spec": vmi.get("spec") or {},
            },
        },
        "status": {
            "created": running,
            "ready": running,
            "printableStatus": "Running" if running else "Stopped",
        },
    }


def _fill_in(loaded: Loaded) -> None:
    _owning_vms(loaded)
    kinds = {str(o.get("kind")) for o in loaded.objects}
    if "HyperConverged" not in kinds and "ClusterServiceVersion" not in kinds:
        return
    now = datetime.now(UTC).replace(microsecond=0)
    added = []
    if "OperatorGroup" not in kinds:
        added.append(operator_group_object(created=now))
    if "CatalogSource" not in kinds:
        ocp = "4.14.0"
        for obj in loaded.objects:
            if obj.get("kind") == "ClusterVersion":
                ocp = str((obj.get("status") or {}).get("desired", {}).get("version") or ocp)
        added.append(catalog_source_object(ocp=ocp, now=now, created=now))
    if added:
        loaded.objects.extend(added)
        loaded.notes.append("added " + ", ".join(str(o["kind"]) for o in added) + " from the seed")


# ---- dumps


def _dump_objects(path: Path) -> list[Json]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        if path.suffix.lower() == ".json":
            docs: list[Any] = [json.loads(text)]
        else:
            docs = list(yaml.safe_load_all(text))
    except (ValueError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise LoadError(f"{path} is not valid {path.suffix.lstrip('.').upper()}{where}") from None
    return list(_flatten(docs))


def _flatten(docs: Iterable[Any]) -> Iterator[Json]:
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        kind = str(doc.get("kind") or "")
        if kind.endswith("List") and isinstance(doc.get("items"), list):
            item_kind = kind.removesuffix("List")
            for item in doc["items"]:
                if not isinstance(item, dict):
                    continue
                if item_kind and "kind" not in item:
                    yield from _flatten(
                        [{**item, "kind": item_kind, "apiVersion": doc.get("apiVersion")}]
                    )
                else:
                    yield from _flatten([item])
            continue
        meta = doc.get("metadata")
        if kind and isinstance(meta, dict) and meta.get("name"):
            yield doc


# ---- recordings


def _recording_lines(path: Path, loaded: Loaded) -> Iterator[bytes]:
    """Complete lines of a recording; a cut-off or damaged end is noted, not raised."""
    decompressor: Any = zlib.decompressobj(31)
    tail = b""
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            if not chunk:
                break
            try:
                data = decompressor.decompress(chunk)
            except zlib.error:
                loaded.notes.append(f"{path.name} is damaged; used what comes before")
                break
            lines = (tail + data).split(b"\n")
            tail = lines.pop()
            yield from lines
    if not decompressor.eof and not loaded.notes:
        loaded.notes.append(f"{path.name} was cut off mid-write; used its complete part")


def _recording_objects(path: Path, loaded: Loaded) -> list[Json]:
    lines = _recording_lines(path, loaded)
    first = next(lines, None)
    try:
        header = json.loads(first) if first else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != _RECORDING_FORMAT:
        raise LoadError(f"{path} is neither a cnvtui recording nor a YAML/JSON dump")
    kinds = header.get("kinds")
    if not isinstance(kinds, dict):
        kinds = {}
    state: dict[tuple[str, str, str], Json] = {}
    for line in lines:
        if not line.startswith(b'{"t":'):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        obj = event.get("object")
        stream = event.get("kind")
        if not isinstance(obj, dict) or not isinstance(stream, str):
            continue
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            continue
        key = (stream, str(meta.get("namespace") or ""), str(meta["name"]))
        if event.get("type") == "DELETED":
            state.pop(key, None)
        else:
            state[key] = obj
    objects = []
    for (stream, _ns, _name), obj in state.items():
        real = kinds.get(stream)
        if obj.get("kind") == "PartialObjectMetadata" and isinstance(real, dict):
            objects.append({**obj, "apiVersion": real.get("apiVersion"), "kind": real.get("kind")})
        else:
            objects.append(obj)
    return objects

"""Names, timestamps, uids and metadata shared by the seed's object builders."""

from __future__ import annotations

import gc
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from cnvtui.sim.controllers import releases

Json = dict[str, Any]

CNV_NAMESPACE = "openshift-cnv"
HCO_NAME = "kubevirt-hyperconverged"
KUBEVIRT_NAME = "kubevirt-kubevirt-hyperconverged"
PACKAGE = "kubevirt-hyperconverged"
CHANNEL = "stable"
CATALOG_SOURCE = "redhat-operators"
MARKETPLACE = "openshift-marketplace"
OPERATOR_GROUP = "kubevirt-hyperconverged-group"
OLM_LABEL = f"operators.coreos.com/{PACKAGE}.{CNV_NAMESPACE}"
OUTDATED_LABEL = "kubevirt.io/outdatedLauncherImage"
WORKLOAD_UPDATE_ANNOTATION = "kubevirt.io/workloadUpdateMigration"

CSV_GROUP = "operators.coreos.com"
OLM_API = "operators.coreos.com/v1alpha1"
KUBEVIRT_API = "kubevirt.io/v1"

SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
REGISTRY = "registry.redhat.io/container-native-virtualization"
SYSTEM_NAMESPACES = (
    "default",
    "kube-system",
    "openshift-cluster-version",
    "openshift-machine-config-operator",
    "openshift-marketplace",
    "openshift-operator-lifecycle-manager",
    "openshift-monitoring",
    CNV_NAMESPACE,
)
WORKLOAD_NAMESPACES = (
    "vm-prod",
    "vm-dev",
    "vm-test",
    "vm-finance",
    "vm-web",
    "vm-db",
    "vm-ci",
    "vm-lab",
)
DEFAULT_STRATEGY: Json = {
    "batchEvictionInterval": "1m0s",
    "batchEvictionSize": 10,
    "workloadUpdateMethods": ["LiveMigrate"],
}


def ts(when: datetime) -> str:
    """RFC 3339 in UTC with second precision, as the apiserver writes timestamps."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    elif when.tzinfo is not UTC:
        when = when.astimezone(UTC)
    return when.isoformat(timespec="seconds")[:19] + "Z"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic trees of dicts.

    Tens of thousands of nested dicts otherwise trigger full collections over an ever
    larger heap, which triples the time to build a 10,000-VMI cluster.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def new_uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def name_suffix(rng: random.Random, length: int = 5) -> str:
    """A suffix like the apiserver's generateName ones (vowel-free alphabet)."""
    return "".join(rng.choice(SUFFIX_ALPHABET) for _ in range(length))


def object_meta(
    name: str,
    *,
    namespace: str | None = None,
    created: datetime | None = None,
    uid: str | None = None,
    labels: Json | None = None,
    annotations: Json | None = None,
) -> Json:
    meta: Json = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if uid is not None:
        meta["uid"] = uid
    if created is not None:
        meta["creationTimestamp"] = ts(created)
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return meta


def owner_ref(api_version: str, kind: str, name: str, uid: str | None) -> Json:
    ref: Json = {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "controller": True,
        "blockOwnerDeletion": True,
    }
    if uid:
        ref["uid"] = uid
    return ref


def ocp_minor(version: str) -> int:
    return releases.minor(version)[1]


def kube_minor(ocp: str) -> int:
    """OpenShift 4.N ships Kubernetes 1.(N+13): 4.14 -> 1.27."""
    return ocp_minor(ocp) + 13


def hash_text(text: str) -> int:
    """A stable (non-salted) hash for names derived from text."""
    value = 0
    for char in text.encode():
        value = (value * 131 + char) % (1 << 61)
    return value


def image_ref(component: str, version: str) -> str:
    return f"{REGISTRY}/{component}@sha256:{hash_text(component + ':' + version):064x}"

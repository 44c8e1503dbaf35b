"""Versions and the names derived from them: CSV names, KubeVirt versions, images.

One place so that the OLM, HCO and virt-controller simulations agree on what "the launcher
of CNV 4.14.4" is, the way the real ones agree through the release payload.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

CSV_PREFIX = "kubevirt-hyperconverged-operator.v"

# CNV minor -> KubeVirt minor it ships (the z-stream number is carried over).
_KUBEVIRT_MINOR = {
    10: "0.49", 11: "0.53", 12: "0.58", 13: "0.59", 14: "1.0", 15: "1.1", 16: "1.2",
    17: "1.3", 18: "1.4", 19: "1.5", 20: "1.6",
}  # fmt: skip


@dataclass(frozen=True)
class Failure:
    """How an update to a bundle fails: what the CSV and the HCO then say."""

    csv_reason: str = "InstallCheckFailed"
    csv_message: str = (
        "install failed: deployment virt-operator not ready before timeout: deployment "
        '"virt-operator" exceeded its progress deadline'
    )
    hco_reason: str = "KubeVirtDegraded"
    hco_message: str = (
        "KubeVirt is degraded: virt-operator deployment is not ready: 0 of 2 replicas "
        "available (ImagePullBackOff)"
    )


@dataclass(frozen=True)
class Bundle:
    """A CNV operator bundle in the `stable` channel, appearing `after` simulated seconds."""

    version: str
    after: float = 0.0
    failure: Failure | None = None


@dataclass(frozen=True)
class OcpRelease:
    """An OpenShift release the update service offers, appearing `after` simulated seconds."""

    version: str
    after: float = 0.0


def parse(version: str) -> tuple[int, ...]:
    """'4.14.3' -> (4, 14, 3); a leading 'v' and any '-suffix' are ignored."""
    core = version.lstrip("v").split("-", 1)[0]
    parts: list[int] = []
    for piece in core.split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def minor(version: str) -> tuple[int, int]:
    parts = (*parse(version), 0, 0)
    return parts[0], parts[1]


def csv_name(version: str) -> str:
    return f"{CSV_PREFIX}{version}"


def version_of_csv(name: str) -> str | None:
    return name[len(CSV_PREFIX) :] if name.startswith(CSV_PREFIX) else None


def kubevirt_version(cnv: str) -> str:
    """The KubeVirt version a CNV release deploys, e.g. 4.14.3 -> v1.0.3."""
    major, mnr, *rest = (*parse(cnv), 0)
    kv = _KUBEVIRT_MINOR.get(mnr, f"{major - 3}.{mnr}")
    return f"v{kv}.{rest[0]}"


def cnv_of_kubevirt(kv: str) -> str | None:
    """The CNV version a KubeVirt version belongs to (the inverse of `kubevirt_version`)."""
    parts = parse(kv)
    if len(parts) < 3:
        return None
    for mnr, kv_minor in _KUBEVIRT_MINOR.items():
        if parse(kv_minor) == parts[:2]:
            return f"4.{mnr}.{parts[2]}"
    return None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def launcher_image(cnv: str) -> str:
    """The virt-launcher image of a CNV release, as VMIs report it."""
    base = "rhel8" if minor(cnv) < (4, 13) else "rhel9"
    return (
        f"registry.redhat.io/container-native-virtualization/virt-launcher-{base}"
        f"@sha256:{_digest('virt-launcher:' + cnv)}"
    )


def ocp_image(version: str) -> str:
    return f"quay.io/openshift-release-dev/ocp-release@sha256:{_digest('ocp:' + version)}"


def rendered_config(pool: str, ocp: str) -> str:
    """The rendered MachineConfig name a pool gets for an OpenShift release."""
    return f"rendered-{pool}-{_digest(f'{pool}:{ocp}')[:32]}"

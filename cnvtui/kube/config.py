"""Find and load cluster credentials the way kubectl does, before the UI starts.

kubectl's rules, which `kubernetes.aio.config` only partly follows, are applied here:
`--kubeconfig` alone if given, else every file in `KUBECONFIG` (for each named cluster,
user and context and for `current-context`, the first file that sets it wins; relative
paths are relative to the file that holds them), else `~/.kube/config`, else the pod's
service account. The chosen context is then handed to the library's loader, which knows
tokens, client certificates, exec plugins and auth providers. Every failure is a
`ConfigError` of one line that names files and contexts but never credentials.
"""

from __future__ import annotations

import asyncio
import binascii
import datetime as dt
import logging
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes.aio.client import Configuration
from kubernetes.aio.config.config_exception import ConfigException
from kubernetes.aio.config.exec_provider import ExecProvider
from kubernetes.aio.config.incluster_config import InClusterConfigLoader
from kubernetes.aio.config.kube_config import FileOrData, KubeConfigLoader

from cnvtui.kube.errors import ConfigError, one_line, redact

log = logging.getLogger(__name__)

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_SECTIONS = ("clusters", "contexts", "users")
# Refresh exec-plugin tokens this long before they expire, as client-go does.
_EXPIRY_SKEW = dt.timedelta(minutes=1)
_EXEC_RETRY = dt.timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class ConfigSource:
    """What the user asked for: `--kubeconfig` and `--context` (None: kubectl's defaults)."""

    kubeconfig: str | None = None
    context: str | None = None


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    """Which cluster we talk to, as whom, for the header line and the audit log."""

    context: str
    server: str
    user: str
    namespace: str
    in_cluster: bool = False


@dataclass(slots=True)
class LoadedConfig:
    """A ready client configuration and the facts about it that may be shown."""

    configuration: Configuration
    info: ClusterInfo
    files: tuple[str, ...] = ()
    _extra_secrets: tuple[str, ...] = field(default=(), repr=False)

    def secrets(self) -> tuple[str, ...]:
        """The credentials now in use, so messages can be scrubbed of them."""
        found = list(self._extra_secrets)
        for value in self.configuration.api_key.values():
            if isinstance(value, str):
                found.append(value)
                found.append(value.split(" ", 1)[-1])
        if self.configuration.password:
            found.append(str(self.configuration.password))
        return tuple(found)

    def __repr__(self) -> str:
        return f"LoadedConfig(info={self.info!r}, files={self.files!r})"


async def load_config(
    source: ConfigSource | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    service_account_dir: Path = SERVICE_ACCOUNT_DIR,
) -> LoadedConfig:
    """Load the configuration for `source`; raise ConfigError with one clear line if we can't."""
    source = source or ConfigSource()
    env = os.environ if environ is None else environ
    paths = _kubeconfig_paths(source, env)
    if not paths:
        if _in_cluster_available(env, service_account_dir):
            return _load_in_cluster(env, service_account_dir)
        raise ConfigError(_no_config_message())
    merged = merge_kubeconfigs([(p, read_kubeconfig(p)) for p in paths])
    return await _load_context(merged, source.context, tuple(str(p) for p in paths))


def _kubeconfig_paths(source: ConfigSource, env: Mapping[str, str]) -> list[Path]:
    if source.kubeconfig:
        path = Path(source.kubeconfig).expanduser()
        if not path.is_file():
            raise ConfigError(f"kubeconfig {path} does not exist")
        return [path]
    listed = env.get("KUBECONFIG", "")
    if listed:
        candidates = [Path(p).expanduser() for p in listed.split(os.pathsep) if p]
        found = [p for p in candidates if p.exists()]
        if not found and candidates:
            names = ", ".join(str(p) for p in candidates)
            raise ConfigError(f"none of the files in KUBECONFIG exist: {names}")
        return found
    home = Path(env.get("HOME") or Path.home())
    default = home / ".kube" / "config"
    return [default] if default.is_file() else []


def _no_config_message() -> str:
    return (
        "no kubeconfig found (~/.kube/config does not exist and KUBECONFIG is not set); "
        "log in with 'oc login' or pass --kubeconfig FILE"
    )


def read_kubeconfig(path: Path) -> dict[str, Any]:
    """Parse one kubeconfig file and resolve its relative paths against its directory."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read kubeconfig {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"kubeconfig {path} is not a text file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"kubeconfig {path} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"kubeconfig {path} is not a kubeconfig (expected a mapping)")
    for section in _SECTIONS:
        entries = data.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries
        ):
            raise ConfigError(
                f"kubeconfig {path}: '{section}' must be a list of entries that have a name"
            )
    _resolve_paths(data, path.parent.resolve())
    return data


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    def fix(entry: Any, key: str) -> None:
        if isinstance(entry, dict) and isinstance(entry.get(key), str) and entry[key]:
            value = Path(entry[key]).expanduser()
            if not value.is_absolute():
                entry[key] = str(base / value)

    for cluster in data.get("clusters") or []:
        fix(cluster.get("cluster"), "certificate-authority")
    for user in data.get("users") or []:
        body = user.get("user")
        for key in ("client-certificate", "client-key", "tokenFile"):
            fix(body, key)
        exec_cfg = body.get("exec") if isinstance(body, dict) else None
        if isinstance(exec_cfg, dict) and os.sep in str(exec_cfg.get("command", "")):
            fix(exec_cfg, "command")


def merge_kubeconfigs(files: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """Merge as kubectl does: the first file to define a name (or current-context) wins."""
    merged: dict[str, Any] = {section: [] for section in _SECTIONS}
    seen: dict[str, set[str]] = {section: set() for section in _SECTIONS}
    for _path, data in files:
        if not merged.get("current-context") and data.get("current-context"):
            merged["current-context"] = data["current-context"]
        for section in _SECTIONS:
            for entry in data.get(section) or []:
                if entry["name"] not in seen[section]:
                    seen[section].add(entry["name"])
                    merged[section].append(entry)
    return merged


def _named(entries: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((e for e in entries if e.get("name") == name), None)


async def _load_context(
    merged: dict[str, Any], wanted: str | None, files: tuple[str, ...]
) -> LoadedConfig:
    contexts: list[dict[str, Any]] = merged["contexts"]
    known = ", ".join(sorted(str(c["name"]) for c in contexts)) or "none"
    name = wanted or merged.get("current-context")
    if not name:
        raise ConfigError(
            f"the kubeconfig sets no current context; pass --context (known: {known})"
        )
    context_entry = _named(contexts, name)
    if context_entry is None:
        raise ConfigError(f"context '{name}' is not in the kubeconfig (known: {known})")
    ctx = context_entry.get("context")
    if not isinstance(ctx, dict) or not ctx.get("cluster"):
        raise ConfigError(f"context '{name}' names no cluster")
    cluster_entry = _named(merged["clusters"], str(ctx["cluster"]))
    if cluster_entry is None or not isinstance(cluster_entry.get("cluster"), dict):
        raise ConfigError(
            f"cluster '{ctx['cluster']}' of context '{name}' is not in the kubeconfig"
        )
    server = cluster_entry["cluster"].get("server")
    if not isinstance(server, str) or not server:
        raise ConfigError(f"cluster '{ctx['cluster']}' has no server URL")
    user_name = str(ctx.get("user") or "")
    user_entry = _named(merged["users"], user_name) if user_name else None
    if user_name and user_entry is None:
        raise ConfigError(f"user '{user_name}' of context '{name}' is not in the kubeconfig")
    _check_files(name, cluster_entry["cluster"], (user_entry or {}).get("user"))
    single = {
        "current-context": name,
        "contexts": [context_entry],
        "clusters": [cluster_entry],
        "users": [user_entry] if user_entry else [],
    }
    configuration = Configuration()
    try:
        loader = _Loader(  # type: ignore[no-untyped-call]
            config_dict=single, active_context=name, config_base_path=""
        )
        await loader.load_and_set(configuration)  # type: ignore[no-untyped-call]
    except ConfigError:
        raise
    except (ConfigException, ValueError, OSError, binascii.Error, KeyError) as exc:
        secrets = _user_secrets(user_entry)
        detail = redact(one_line(str(exc) or type(exc).__name__, 160), secrets)
        raise ConfigError(f"cannot use the credentials of context '{name}': {detail}") from None
    if loader.has_exec:
        configuration.refresh_api_key_hook = loader.refresh_hook  # type: ignore[assignment]
    info = ClusterInfo(
        context=name,
        server=server.rstrip("/"),
        user=user_name,
        namespace=str(ctx.get("namespace") or "default"),
    )
    return LoadedConfig(configuration, info, files, _user_secrets(user_entry))


def _check_files(context: str, cluster: dict[str, Any], user: Any) -> None:
    """Name a missing certificate, key or token file plainly (the library words it badly)."""
    refs = [("certificate-authority", cluster)]
    if isinstance(user, dict):
        refs += [("client-certificate", user), ("client-key", user), ("tokenFile", user)]
    for key, entry in refs:
        value = entry.get(key)
        if not isinstance(value, str) or not value or entry.get(f"{key}-data"):
            continue
        if not Path(value).is_file():
            raise ConfigError(f"{key} file {value} of context '{context}' does not exist")


def _user_secrets(user_entry: dict[str, Any] | None) -> tuple[str, ...]:
    body = (user_entry or {}).get("user")
    if not isinstance(body, dict):
        return ()
    keys = ("token", "password", "client-key-data")
    return tuple(str(body[k]) for k in keys if isinstance(body.get(k), str) and body[k])


class _Loader(KubeConfigLoader):
    """The library's loader, but exec-plugin failures are errors instead of log lines.

    The library logs and swallows a failing plugin, which would surface later as a puzzling
    401; here it stops the start with the plugin's own message. Tokens are re-fetched
    shortly before they expire, on the next request that needs one.
    """

    has_exec = False
    _exec_lock: asyncio.Lock | None = None
    _exec_expiry: dt.datetime | None = None
    _exec_not_before = dt.datetime.min.replace(tzinfo=dt.UTC)

    async def load_from_exec_plugin(self) -> bool:
        self.has_exec = True
        user: Any = self._user
        command = str(user["exec"].safe_get("command") or "?")
        try:
            provider: Any = ExecProvider(user["exec"])  # type: ignore[no-untyped-call]
            status = await provider.run()
        except ConfigException as exc:
            # The library quotes the plugin's stderr as a bytes repr: show it as text.
            detail = re.sub(r"\bb(['\"])(.*)\1$", r"\2", str(exc).removeprefix("exec: "))
            detail = one_line(detail, 200)
            raise ConfigError(f"credential plugin '{command}' failed: {detail}") from None
        except OSError as exc:
            raise ConfigError(
                f"credential plugin '{command}' could not run: {exc.strerror or exc}"
            ) from None
        if not isinstance(status, dict):
            raise ConfigError(f"credential plugin '{command}' returned no status")
        if status.get("token"):
            self.token = f"Bearer {status['token']}"
            expiry = status.get("expirationTimestamp")
            self._exec_expiry = _parse_time(expiry) if isinstance(expiry, str) else None
            return True
        if status.get("clientCertificateData") and status.get("clientKeyData"):
            self.cert_file = _data_file(status, "clientCertificateData")
            self.key_file = _data_file(status, "clientKeyData")
            return True
        raise ConfigError(f"credential plugin '{command}' returned neither token nor certificate")

    async def refresh_hook(self, configuration: Configuration) -> None:
        """Re-run the exec plugin when its token is about to expire (called per request);
        at most once per `_EXEC_RETRY`, so a plugin that hands out short-lived or stale
        tokens cannot be run for every request."""
        expiry = self._exec_expiry
        now = dt.datetime.now(dt.UTC)
        if expiry is None or now < expiry - _EXPIRY_SKEW or now < self._exec_not_before:
            return
        if self._exec_lock is None:
            self._exec_lock = asyncio.Lock()
        async with self._exec_lock:
            if self._exec_expiry is not expiry:
                configuration.api_key["BearerToken"] = self.token
                return
            self._exec_not_before = now + _EXEC_RETRY
            try:
                await self.load_from_exec_plugin()
            except ConfigError as exc:
                log.warning("%s", exc)
                return
            configuration.api_key["BearerToken"] = self.token


def _data_file(status: dict[str, Any], key: str) -> str:
    """Write plugin-returned PEM data to a private temp file, as the library does."""
    holder: Any = FileOrData(  # type: ignore[no-untyped-call]
        status, None, data_key_name=key, base64_file_content=False
    )
    return str(holder.as_file())


def _parse_time(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _in_cluster_available(env: Mapping[str, str], sa_dir: Path) -> bool:
    return bool(env.get("KUBERNETES_SERVICE_HOST")) and (sa_dir / "token").is_file()


def _load_in_cluster(env: Mapping[str, str], sa_dir: Path) -> LoadedConfig:
    configuration = Configuration()
    try:
        loader: Any = InClusterConfigLoader(  # type: ignore[no-untyped-call]
            token_filename=str(sa_dir / "token"),
            cert_filename=str(sa_dir / "ca.crt"),
            environ=env,
        )
        loader.load_and_set(configuration)
    except (ConfigException, OSError) as exc:
        raise ConfigError(f"in-cluster config: {one_line(str(exc), 160)}") from None
    ns_file = sa_dir / "namespace"
    namespace = ns_file.read_text().strip() if ns_file.is_file() else "default"
    info = ClusterInfo(
        context="in-cluster",
        server=str(configuration.host),
        user="service account",
        namespace=namespace or "default",
        in_cluster=True,
    )
    return LoadedConfig(configuration, info)


def check_tls(configuration: Configuration, info: ClusterInfo) -> ssl.SSLContext:
    """Build the TLS context the client will use, so bad CA or key files fail at load time."""
    where = f"context '{info.context}'"
    try:
        context = ssl.create_default_context(cafile=configuration.ssl_ca_cert)
    except (ssl.SSLError, OSError, ValueError):
        raise ConfigError(
            f"the certificate authority of {where} is not a valid PEM certificate"
        ) from None
    if configuration.cert_file:
        try:
            context.load_cert_chain(configuration.cert_file, keyfile=configuration.key_file)
        except (ssl.SSLError, OSError, ValueError):
            raise ConfigError(
                f"the client certificate or key of {where} is not a valid PEM pair"
            ) from None
    return context

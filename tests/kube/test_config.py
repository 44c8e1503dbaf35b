"""Loading kubeconfigs the way kubectl does, and failing with one clear, secret-free line."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

from cnvtui.kube.config import ConfigSource, load_config
from cnvtui.kube.errors import ConfigError

TOKEN = "sha256~Zm9vYmFyLXNlY3JldC10b2tlbg"


def kubeconfig(
    path: Path,
    *,
    current: str | None,
    contexts: dict[str, tuple[str, str, str | None]],
    clusters: dict[str, str],
    users: dict[str, dict[str, object]],
) -> Path:
    """Write a kubeconfig: contexts map name -> (cluster, user, namespace)."""
    data: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": s}} for n, s in clusters.items()],
        "users": [{"name": n, "user": u} for n, u in users.items()],
        "contexts": [
            {
                "name": n,
                "context": {"cluster": c, "user": u, **({"namespace": ns} if ns else {})},
            }
            for n, (c, u, ns) in contexts.items()
        ],
    }
    if current is not None:
        data["current-context"] = current
    path.write_text(yaml.safe_dump(data))
    return path


def env_with(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment with an empty HOME, so the developer's own ~/.kube never leaks in."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "PATH": os.environ.get("PATH", ""), **extra}


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    first = kubeconfig(
        tmp_path / "first.yaml",
        current="admin@prod",
        contexts={"admin@prod": ("prod", "admin", "openshift-cnv")},
        clusters={"prod": "https://api.prod.example:6443", "shared": "https://first.example"},
        users={"admin": {"token": TOKEN}},
    )
    second = kubeconfig(
        tmp_path / "second.yaml",
        current="dev",
        contexts={"dev": ("shared", "dev", None), "admin@prod": ("other", "x", None)},
        clusters={"shared": "https://second.example", "other": "https://other.example"},
        users={"dev": {"token": "dev-token-value"}, "x": {"token": "x-token-value"}},
    )
    return first, second


async def test_explicit_kubeconfig_gives_cluster_info(two_files: tuple[Path, Path]) -> None:
    first, _ = two_files
    loaded = await load_config(ConfigSource(kubeconfig=str(first)), environ={})
    info = loaded.info
    assert (info.context, info.server, info.user, info.namespace) == (
        "admin@prod",
        "https://api.prod.example:6443",
        "admin",
        "openshift-cnv",
    )
    assert TOKEN not in repr(loaded)


async def test_kubeconfig_list_first_file_wins(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    first, second = two_files
    env = env_with(tmp_path, KUBECONFIG=f"{first}{os.pathsep}{second}")
    loaded = await load_config(environ=env)
    # current-context and the context named in both come from the first file.
    assert loaded.info.context == "admin@prod"
    assert loaded.info.server == "https://api.prod.example:6443"


async def test_context_from_a_later_file_sees_first_files_cluster(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    first, second = two_files
    env = env_with(tmp_path, KUBECONFIG=f"{second}{os.pathsep}{first}")
    loaded = await load_config(ConfigSource(context="dev"), environ=env)
    assert loaded.info.context == "dev"
    assert loaded.info.server == "https://second.example"
    assert loaded.info.namespace == "default"
    env = env_with(tmp_path, KUBECONFIG=f"{first}{os.pathsep}{second}")
    loaded = await load_config(ConfigSource(context="dev"), environ=env)
    # "shared" is defined in both files: the first file's definition wins.
    assert loaded.info.server == "https://first.example"


async def test_missing_files_in_kubeconfig_list_are_skipped(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    first, _ = two_files
    env = env_with(tmp_path, KUBECONFIG=f"{tmp_path / 'gone.yaml'}{os.pathsep}{first}")
    loaded = await load_config(environ=env)
    assert loaded.info.context == "admin@prod"


async def test_default_location_is_home_kube_config(tmp_path: Path) -> None:
    env = env_with(tmp_path)
    kube = Path(env["HOME"]) / ".kube"
    kube.mkdir()
    kubeconfig(
        kube / "config",
        current="c",
        contexts={"c": ("k", "u", None)},
        clusters={"k": "http://127.0.0.1:1"},
        users={"u": {"token": TOKEN}},
    )
    loaded = await load_config(environ=env)
    assert loaded.info.server == "http://127.0.0.1:1"


async def test_unknown_context_names_the_known_ones(
    tmp_path: Path, two_files: tuple[Path, Path]
) -> None:
    first, second = two_files
    env = env_with(tmp_path, KUBECONFIG=f"{first}{os.pathsep}{second}")
    with pytest.raises(ConfigError) as caught:
        await load_config(ConfigSource(context="nope"), environ=env)
    assert str(caught.value) == ("context 'nope' is not in the kubeconfig (known: admin@prod, dev)")


async def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"kubeconfig .*nothere\.yaml does not exist"):
        await load_config(ConfigSource(kubeconfig=str(tmp_path / "nothere.yaml")), environ={})


async def test_no_kubeconfig_anywhere(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        await load_config(environ=env_with(tmp_path))
    assert "no kubeconfig found" in str(caught.value)
    assert "--kubeconfig" in str(caught.value)


async def test_kubeconfig_list_of_only_missing_files(tmp_path: Path) -> None:
    env = env_with(tmp_path, KUBECONFIG=str(tmp_path / "a.yaml"))
    with pytest.raises(ConfigError, match="none of the files in KUBECONFIG exist"):
        await load_config(environ=env)


async def test_broken_yaml_is_one_line_without_contents(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(f"users:\n- name: u\n  user:\n    token: {TOKEN}\n  : [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        await load_config(ConfigSource(kubeconfig=str(path)), environ={})
    message = str(caught.value)
    assert message.startswith(f"kubeconfig {path} is not valid YAML (line ")
    assert "\n" not in message
    assert TOKEN not in message


async def test_not_a_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="is not a kubeconfig"):
        await load_config(ConfigSource(kubeconfig=str(path)), environ={})
    path.write_text("contexts: {a: b}\n")
    with pytest.raises(ConfigError, match="'contexts' must be a list"):
        await load_config(ConfigSource(kubeconfig=str(path)), environ={})


async def test_no_current_context(tmp_path: Path) -> None:
    path = kubeconfig(
        tmp_path / "k.yaml",
        current=None,
        contexts={"a": ("k", "u", None)},
        clusters={"k": "https://k"},
        users={"u": {"token": TOKEN}},
    )
    with pytest.raises(ConfigError, match=r"sets no current context; pass --context \(known: a\)"):
        await load_config(ConfigSource(kubeconfig=str(path)), environ={})


async def test_dangling_references_never_show_the_token(tmp_path: Path) -> None:
    path = kubeconfig(
        tmp_path / "k.yaml",
        current="a",
        contexts={"a": ("missing", "u", None), "b": ("k", "ghost", None)},
        clusters={"k": "https://k"},
        users={"u": {"token": TOKEN}},
    )
    with pytest.raises(ConfigError) as caught:
        await load_config(ConfigSource(kubeconfig=str(path)), environ={})
    assert str(caught.value) == "cluster 'missing' of context 'a' is not in the kubeconfig"
    with pytest.raises(ConfigError) as caught:
        await load_config(ConfigSource(kubeconfig=str(path), context="b"), environ={})
    assert str(caught.value) == "user 'ghost' of context 'b' is not in the kubeconfig"


async def test_tls_verification_on_unless_the_kubeconfig_says_so(tmp_path: Path) -> None:
    path = kubeconfig(
        tmp_path / "k.yaml",
        current="a",
        contexts={"a": ("k", "u", None), "b": ("insecure", "u", None)},
        clusters={"k": "https://k.example", "insecure": "https://i.example"},
        users={"u": {"token": TOKEN}},
    )
    data = yaml.safe_load(path.read_text())
    data["clusters"][1]["cluster"]["insecure-skip-tls-verify"] = True
    path.write_text(yaml.safe_dump(data))
    secure = await load_config(ConfigSource(kubeconfig=str(path)), environ={})
    insecure = await load_config(ConfigSource(kubeconfig=str(path), context="b"), environ={})
    assert secure.configuration.verify_ssl is True
    assert insecure.configuration.verify_ssl is False


async def test_relative_token_file_is_relative_to_the_kubeconfig(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "tok").write_text("token-from-file")
    path = kubeconfig(
        tmp_path / "conf" / "k.yaml",
        current="a",
        contexts={"a": ("k", "u", None)},
        clusters={"k": "http://127.0.0.1:1"},
        users={"u": {"tokenFile": "tok"}},
    )
    loaded = await load_config(ConfigSource(kubeconfig=str(path)), environ={})
    assert loaded.configuration.api_key["BearerToken"] == "Bearer token-from-file"


def _plugin(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "plugin.py"
    script.write_text(f"#!{sys.executable}\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


async def test_exec_plugin_failure_is_one_clear_line(tmp_path: Path) -> None:
    script = _plugin(tmp_path, "import sys\nsys.stderr.write('login expired\\n')\nsys.exit(3)")
    path = kubeconfig(
        tmp_path / "k.yaml",
        current="a",
        contexts={"a": ("k", "u", None)},
        clusters={"k": "http://127.0.0.1:1"},
        users={
            "u": {
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1",
                    "command": str(script),
                }
            }
        },
    )
    with pytest.raises(ConfigError) as caught:
        await load_config(ConfigSource(kubeconfig=str(path)), environ={})
    assert str(caught.value) == (
        f"credential plugin '{script}' failed: process returned 3. login expired"
    )


async def test_in_cluster_when_there_is_no_kubeconfig(tmp_path: Path) -> None:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("pod-token")
    (sa / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    (sa / "namespace").write_text("openshift-cnv\n")
    env = env_with(tmp_path, KUBERNETES_SERVICE_HOST="10.0.0.1", KUBERNETES_SERVICE_PORT="443")
    loaded = await load_config(environ=env, service_account_dir=sa)
    assert loaded.info.in_cluster
    assert loaded.info.server == "https://10.0.0.1:443"
    assert loaded.info.namespace == "openshift-cnv"

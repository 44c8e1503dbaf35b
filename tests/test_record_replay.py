"""Record → replay: a recording of the simulated cluster replays to exactly the live state;
secrets stay out of it; a file cut off mid-write is used as far as it is complete; the
replay source pauses, steps and seeks; `sim --from` starts a cluster from a recording or
from `kubectl get -o yaml` dumps."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import io
import json
import os
import threading
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from cnvtui.exitcodes import ExitCode
from cnvtui.kube.client import KubeClient
from cnvtui.kube.config import ConfigSource
from cnvtui.kube.events import (
    ChangeType,
    KubeEvent,
    ObjectChange,
    SessionNote,
    StreamState,
    StreamStatus,
)
from cnvtui.kube.record import Recorder, RecordingError, scrub
from cnvtui.kube.replay import ObjectFinder, RecordingReader, ReplaySource, scan_recording
from cnvtui.kube.settings import WatchSettings
from cnvtui.report.command import run_options
from cnvtui.report.live import LiveFeed
from cnvtui.report.status import StatusOptions
from cnvtui.sim.loadfrom import initial_objects_from, load_objects
from cnvtui.sim.scenarios import build
from cnvtui.sim.server import SimServer
from cnvtui.state.picture import build_picture
from cnvtui.state.serialize import to_json
from cnvtui.state.store import Store

SimFactory = Callable[..., Awaitable[SimServer]]
FAST = WatchSettings(
    watch_timeout=30,
    idle_timeout=5.0,
    connect_timeout=2.0,
    request_timeout=10.0,
    backoff_initial=0.02,
    backoff_max=0.2,
    denied_retry=0.5,
)
TOKEN = "sha256~Zq3xKnown0TokenOfTheTestSession4242abcdef"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


async def _until(check: Callable[[], bool], what: str, within: float = 30.0) -> None:
    try:
        async with asyncio.timeout(within):
            while True:
                if check():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"never happened: {what}")


@contextlib.asynccontextmanager
async def _live(server: SimServer, record: Path) -> AsyncIterator[LiveFeed]:
    client = await KubeClient.connect(ConfigSource(kubeconfig=str(server.kubeconfig_path)))
    feed = LiveFeed(client, "openshift-cnv", settings=FAST, record=str(record))
    try:
        async with feed:
            await feed.sync(20)
            yield feed
    finally:
        await client.close()


def _replayed(path: Path, until: float | None = None) -> Store:
    reader = RecordingReader(path)
    header = reader.open()
    store = Store(header.get("hco_namespace"))
    with contextlib.closing(reader):
        while batch := reader.read(500):
            store.apply_all(r.event for r in batch if until is None or r.t <= until)
    return store


def _comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A snapshot with every object as the recorder writes it (cloud-init data redacted)."""
    objects = snapshot["objects"]
    return {**snapshot, "objects": {k: [scrub(o) for o in v] for k, v in objects.items()}}


async def test_a_recording_replays_to_exactly_the_live_state(
    sim: SimFactory, tmp_path: Path
) -> None:
    built = build("zstream", vmis=6, speed=300.0)
    server = await sim(**built.server_options())
    path = tmp_path / "session.cnvrec.gz"
    async with _live(server, path) as feed:
        store = feed.store
        await _until(lambda: server.close_watches() > 0, "watches open")
        await server.restart()

        def updated() -> bool:
            picture = build_picture(store, feed.clock())
            running = picture.migrations.running + picture.migrations.pending
            outdated = picture.outdated
            return (
                picture.cluster.cnv_version == "4.14.4"
                and running == 0
                and outdated.count == outdated.never_updates_count
            )

        await _until(updated, "the update to reach its end")
        assert any(s.state == StreamState.LIVE for s in store.streams.values())
    live = feed.store
    now = live.last_event_at or 0.0
    replayed = _replayed(path)
    assert to_json(build_picture(replayed, now)) == to_json(build_picture(live, now))
    assert replayed.snapshot() == _comparable(live.snapshot())

    info = scan_recording(path)
    assert info.complete and info.problem == ""
    assert info.events == sum(1 for _ in _lines(path)) - 2  # header and end line


def _lines(path: Path) -> Iterable[bytes]:
    return gzip.decompress(path.read_bytes()).splitlines()


def _annotate(server: SimServer, annotations: dict[str, str]) -> None:
    server.store.patch(
        "hco.kubevirt.io", "hyperconvergeds", "openshift-cnv", "kubevirt-hyperconverged",
        "merge", {"metadata": {"annotations": annotations}},
    )  # fmt: skip


def _hco_notes(feed: LiveFeed) -> dict[str, str]:
    """The HyperConverged's annotations as the feed holds them now."""
    hco = feed.store.get("hco", "openshift-cnv", "kubevirt-hyperconverged") or {}
    notes: dict[str, str] = hco.get("metadata", {}).get("annotations", {})
    return notes


async def test_secrets_and_tokens_never_reach_the_file(sim: SimFactory, tmp_path: Path) -> None:
    server = await sim(vmis=2, token=TOKEN)
    path = tmp_path / "secret.cnvrec.gz"
    async with _live(server, path) as feed:
        _annotate(
            server,
            {
                "example.com/note": f"pasted by mistake: {TOKEN}",
                "example.com/auth": f"Authorization: Bearer {JWT}",
                "example.com/db-password": "hunter2-is-my-password",
                "example.com/marker": "done",
            },
        )
        await _until(lambda: "example.com/marker" in _hco_notes(feed), "the annotations")
    raw = gzip.decompress(path.read_bytes()).decode()
    for secret in (TOKEN, JWT, "hunter2", "#cloud-config"):
        assert secret not in raw
    hco = _replayed(path).get("hco", "openshift-cnv", "kubevirt-hyperconverged")
    assert hco is not None
    assert hco["metadata"]["annotations"] == {
        **hco["metadata"]["annotations"],
        "example.com/note": "pasted by mistake: <redacted>",
        "example.com/auth": "Authorization: Bearer <redacted>",
        "example.com/db-password": "<redacted>",
        "example.com/marker": "done",
    }


async def test_the_sessions_own_password_and_key_never_reach_the_file(
    sim: SimFactory, tmp_path: Path
) -> None:
    """Credentials of the kubeconfig in use are scrubbed wherever they turn up, even in a
    field whose name gives no hint (only the client knows them)."""
    server = await sim(vmis=1, token=TOKEN)
    password = "Tr0ub4dor-and-3-more-words"
    key_data = base64.b64encode(b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n").decode()
    config = yaml.safe_load(server.kubeconfig_path.read_text())
    config["users"][0]["user"].update(username="alice", password=password)
    config["users"][0]["user"]["client-key-data"] = key_data
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    path = tmp_path / "creds.cnvrec.gz"
    client = await KubeClient.connect(ConfigSource(kubeconfig=str(kubeconfig)))
    try:
        async with LiveFeed(client, "openshift-cnv", settings=FAST, record=str(path)) as feed:
            await feed.sync(20)
            _annotate(
                server,
                {
                    "example.com/a": f"try {password}",
                    "example.com/b": key_data,
                    "example.com/c": "end",
                },
            )
            await _until(lambda: "example.com/c" in _hco_notes(feed), "the annotations")
    finally:
        await client.close()
    raw = gzip.decompress(path.read_bytes()).decode()
    assert password not in raw and key_data not in raw and TOKEN not in raw
    hco = _replayed(path).get("hco", "openshift-cnv", "kubevirt-hyperconverged")
    assert hco is not None
    notes = hco["metadata"]["annotations"]
    assert (notes["example.com/a"], notes["example.com/b"]) == ("try <redacted>", "<redacted>")


def test_scrub_copies_instead_of_changing_the_watched_object() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "s"}, "data": {"token": "c2VjcmV0"}}
    cloud_init = {"userData": "#cloud-config\npassword: x", "secretRef": {"name": "keep-me"}}
    vmi: dict[str, Any] = {
        "kind": "VirtualMachineInstance",
        "spec": {"volumes": [{"cloudInitNoCloud": cloud_init}]},
    }
    assert scrub(secret)["data"] == {"token": "<redacted>"}
    assert secret["data"] == {"token": "c2VjcmV0"}
    clean = scrub(vmi)
    assert clean["spec"]["volumes"][0]["cloudInitNoCloud"] == {
        "userData": "<redacted>",
        "secretRef": {"name": "keep-me"},
    }
    assert vmi["spec"]["volumes"][0]["cloudInitNoCloud"]["userData"].startswith("#cloud")
    plain = {"kind": "Node", "metadata": {"name": "n", "labels": {"a": "b"}}}
    assert scrub(plain) is plain


def _csv(name: str, phase: str) -> dict[str, Any]:
    return {
        "apiVersion": "operators.coreos.com/v1alpha1",
        "kind": "ClusterServiceVersion",
        "metadata": {"name": name, "namespace": "openshift-cnv"},
        "spec": {"version": name.rpartition(".v")[2]},
        "status": {"phase": phase},
    }


START = 1_714_557_600.0
PHASES = ("Pending", "InstallReady", "Installing", "Succeeded")


def _story(count: int = 60) -> list[KubeEvent]:
    """CSVs appearing and moving through their phases, one event a second."""
    events: list[KubeEvent] = [StreamStatus("csv", StreamState.LIVE, START)]
    for i in range(count):
        name = f"cnv-operator.v4.14.{i // 4}"
        change: ChangeType = "ADDED" if i % 4 == 0 else "MODIFIED"
        events.append(ObjectChange("csv", change, _csv(name, PHASES[i % 4]), START + i))
    return events


async def _write(path: Path, events: Iterable[KubeEvent], **options: Any) -> Recorder:
    recorder = Recorder(path, hco_namespace="openshift-cnv", clock=lambda: START, **options)
    await recorder.open()
    await recorder.record_batch(events)
    return recorder


def _applied(events: Iterable[KubeEvent], until: float) -> Store:
    store = Store("openshift-cnv")
    for event in events:
        at = event.at if isinstance(event, ObjectChange) else START
        if at <= until:
            store.apply(event)
    return store


async def test_a_crash_loses_at_most_the_last_second(tmp_path: Path) -> None:
    path = tmp_path / "crashed.cnvrec.gz"
    events = _story(40)
    recorder = await _write(path, events, flush_interval=0.05)
    # No close: the process "crashes" here. The ticker must have written everything.
    await _until(lambda: scan_recording(path).events == len(events), "the ticker's flush")
    reader = RecordingReader(path)
    reader.open()
    got = reader.read(1000)
    assert [r.event for r in got] == events
    assert reader.read(1000) == []
    assert not reader.complete
    assert "cut off mid-write" in reader.problem and "40 complete events" not in reader.problem
    reader.close()
    await recorder.close()
    assert scan_recording(path).complete


async def test_a_note_keeps_its_own_time_when_the_line_time_is_pushed_on(tmp_path: Path) -> None:
    """Line times never go back, so a note that ends just before the last event gets a later
    `t`; a replay must still place the action at the moment it happened."""
    path = tmp_path / "noted.cnvrec.gz"
    events = _story(3)
    note = SessionNote(START + 1.5, "action", "HyperConverged x/y", "alice: done", "ok")
    recorder = await _write(path, [*events, note])
    await recorder.close()
    reader = RecordingReader(path)
    reader.open()
    got = reader.read(1000)
    reader.close()
    assert got[-1].t == START + 2 and got[-1].event == note


async def test_the_object_finder_reads_on_and_starts_over_when_it_must(tmp_path: Path) -> None:
    """Each new version while the details screen is open costs only the lines since the last
    search; an earlier moment or another object reads from the top again."""
    path = tmp_path / "found.cnvrec.gz"
    await (await _write(path, _story(8))).close()
    finder = ObjectFinder(path)
    first, second = "cnv-operator.v4.14.0", "cnv-operator.v4.14.1"

    def phase(name: str, before: int) -> object:
        got = finder.find("csv", "openshift-cnv", name, before)
        return got["status"]["phase"] if isinstance(got, dict) else got

    # Line 0 is the header, line 1 the stream state, event i is line i + 2.
    assert phase(first, 2) == "not in the recording at this moment"
    assert [phase(first, b) for b in (3, 4, 5, 6, 99)] == [*PHASES, "Succeeded"]
    assert phase(first, 4) == "InstallReady"  # back in time: read again from the top
    assert phase(second, 7) == "Pending"  # another object
    assert phase(first, 99) == "Succeeded"
    assert finder.find("vmi", "openshift-cnv", first, 99) == "not in the recording at this moment"
    finder.close()


async def test_a_file_cut_mid_write_replays_its_complete_part(tmp_path: Path) -> None:
    path = tmp_path / "whole.cnvrec.gz"
    events = _story(60)
    recorder = await _write(path, events[:31])
    await recorder.flush()
    await recorder.record_batch(events[31:])
    await recorder.close()
    data = path.read_bytes()
    cut = tmp_path / "cut.cnvrec.gz"
    cut.write_bytes(data[: len(data) - 40])  # the end of the gzip stream is gone

    info = scan_recording(cut)
    assert not info.complete
    assert 31 <= info.events < len(events)
    assert f"using the {info.events} complete events" in info.problem

    out, err = io.StringIO(), io.StringIO()
    code = await run_options(StatusOptions(replay=str(cut), output="json"), out, err)
    assert code == ExitCode.OK
    assert err.getvalue().startswith("cnvtui status: note: cut.cnvrec.gz was cut off mid-write")
    data_out = json.loads(out.getvalue())
    assert data_out["source"]["kind"] == "recording"
    assert "cut off mid-write" in data_out["source"]["note"]
    expected = _applied(events[: info.events], float("inf"))
    assert data_out["csvs"] == to_json(build_picture(expected, info.end or 0))["csvs"]


async def test_the_replay_of_a_cut_file_says_so_in_full(tmp_path: Path) -> None:
    """The time bar has room for where the file ends; the whole note (what happened, how
    many events are used) is a notification when the replay opens."""
    from cnvtui.ui.replay import ReplayApp  # Textual only for this test
    from cnvtui.ui.textshot import screen_text
    from cnvtui.ui.widgets.timebar import TimeBar

    path = tmp_path / "whole.cnvrec.gz"
    recorder = await _write(path, _story(30))
    await recorder.close()
    cut = tmp_path / "cut.cnvrec.gz"
    cut.write_bytes(path.read_bytes()[:-40])
    source = ReplaySource(cut, paused=True)
    await source.open()
    app = ReplayApp(source)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await pilot.pause(0.3)
        bar = app.query_one(TimeBar).describe(160).plain
        ends = time.strftime("%H:%M:%S", time.localtime(source.end))
        assert bar.endswith(f"(file incomplete: ends {ends})"), bar
        shown = " ".join(screen_text(app).split())
        assert "cut.cnvrec.gz was cut off mid-write" in shown, shown
        assert f"using the {source.info.events if source.info else 0} complete" in shown, shown


async def test_garbage_is_not_a_recording(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(RecordingError, match="not a cnvtui recording"):
        scan_recording(path)
    err = io.StringIO()
    code = await run_options(StatusOptions(replay=str(path)), io.StringIO(), err)
    assert code == ExitCode.RECORDING
    assert err.getvalue() == f"cnvtui status: {path} is not a cnvtui recording (not gzip data)\n"
    with pytest.raises(RecordingError, match="already exists"):
        await Recorder(path).open()


class _Rewindable:
    """The dashboard's side of a replay: a store that can go back to a checkpoint."""

    def __init__(self) -> None:
        self.store = Store("openshift-cnv")
        self.restored: list[bool] = []

    def checkpoint(self) -> object:
        return self.store.snapshot()

    def restore(self, state: object | None) -> None:
        self.restored.append(state is not None)
        if isinstance(state, dict):
            self.store = Store.restore(state)
        else:
            self.store = Store("openshift-cnv")


async def test_replay_source_pauses_steps_and_seeks(tmp_path: Path) -> None:
    path = tmp_path / "story.cnvrec.gz"
    events = _story(60)
    await (await _write(path, events)).close()
    target = _Rewindable()
    source = ReplaySource(path, paused=True, rewindable=target, checkpoint_every=10, batch_size=7)

    async def consume() -> None:
        async for batch in source.batches():
            target.store.apply_all(batch)

    def shows(when: float) -> Callable[[], bool]:
        expected = to_json(build_picture(_applied(events, when), when))
        return lambda: to_json(build_picture(target.store, when)) == expected

    task = asyncio.create_task(consume())
    try:
        await source.open()
        assert (source.start, source.end) == (START, START + 59)
        await _until(shows(START), "the first moment")
        source.step()
        await _until(lambda: source.now() == START + 1, "a step")
        await _until(shows(START + 1), "the stepped state")

        source.seek(START + 50)
        await _until(shows(START + 50), "a seek forward")
        source.seek(START + 20)
        await _until(shows(START + 20), "a seek backward")
        assert source.rewinds == 1 and target.restored == [True]  # from a checkpoint
        source.seek(START + 3)
        await _until(shows(START + 3), "a seek back before every checkpoint")

        source.set_speed(200.0)
        source.resume()
        await _until(lambda: source.at_end, "playing to the end")
        await _until(shows(START + 59), "the final state")
        assert source.paused is False and source.now() == START + 59
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await source.close()


async def _status_json(server: SimServer) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    options = StatusOptions(kubeconfig=str(server.kubeconfig_path), output="json", settings=FAST)
    assert await run_options(options, out, err) == ExitCode.OK, err.getvalue()
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def _essence(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "verdict": data["verdict"],
        "cnv": data["cluster"]["cnv_version"],
        "openshift": data["cluster"]["openshift_version"],
        "csvs": [(c["name"], c["phase"]) for c in data["csvs"]],
        "plans": [(p["name"], p["phase"]) for p in data["install_plans"]],
        "running": data["outdated"]["running_total"],
        "outdated": data["outdated"]["count"],
        "nodes": data["cluster"]["nodes_total"],
    }


async def test_sim_from_a_recording_starts_where_it_ended(sim: SimFactory, tmp_path: Path) -> None:
    server = await sim(vmis=7)
    path = tmp_path / "before.cnvrec.gz"
    async with _live(server, path):
        pass
    original = await _status_json(server)
    copy = await sim(objects=initial_objects_from(path))
    assert _essence(await _status_json(copy)) == _essence(original)
    # A recording has VMIs, not VMs: each VMI's owning VM is made again, so evictions in
    # the copy restart VMs as in the original.
    vms = json.loads(await _kubectl(copy, "get", "vm", "-A", "-o", "json"))["items"]
    vmis = json.loads(await _kubectl(copy, "get", "vmi", "-A", "-o", "json"))["items"]
    owners = {
        (v["metadata"]["namespace"], r["name"])
        for v in vmis
        for r in v["metadata"].get("ownerReferences") or []
        if r["kind"] == "VirtualMachine"
    }
    assert owners and owners <= {(m["metadata"]["namespace"], m["metadata"]["name"]) for m in vms}
    assert {m["spec"]["runStrategy"] for m in vms} <= {"Always", "Halted"}


async def _kubectl(server: SimServer, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "kubectl", "--kubeconfig", str(server.kubeconfig_path), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_sim_from_a_directory_of_oc_get_dumps(sim: SimFactory, tmp_path: Path) -> None:
    server = await sim(vmis=5)
    dumps = tmp_path / "must-gather"
    (dumps / "cluster").mkdir(parents=True)
    olm = "csv,subscription,installplan,hyperconverged"
    (dumps / "olm.yaml").write_text(
        await _kubectl(server, "get", olm, "-n", "openshift-cnv", "-o", "yaml")
    )
    (dumps / "vmis.yml").write_text(await _kubectl(server, "get", "vmi", "-A", "-o", "yaml"))
    (dumps / "cluster" / "nodes.json").write_text(
        await _kubectl(server, "get", "nodes", "-o", "json")
    )
    kv = await _kubectl(server, "get", "kv", "-n", "openshift-cnv", "-o", "yaml",
                        "kubevirt-kubevirt-hyperconverged")  # fmt: skip
    cv = await _kubectl(server, "get", "clusterversion", "version", "-o", "yaml")
    pools = await _kubectl(server, "get", "mcp", "-o", "yaml")
    (dumps / "cluster" / "more.yaml").write_text(
        kv + "---\n" + cv + "---\n" + pools
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\n"
    )  # fmt: skip
    (dumps / "README.txt").write_text("not a dump")

    loaded = load_objects(dumps)
    assert loaded.skipped == {"v1/ConfigMap": 1}
    assert "resourceVersion" not in loaded.objects[0]["metadata"]
    copy = await sim(objects=loaded.objects)
    assert _essence(await _status_json(copy)) == _essence(await _status_json(server))


def test_a_recording_cut_before_its_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.cnvrec.gz"
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    path.write_bytes(
        compressor.compress(b'{"format":"cnvtui-rec') + compressor.flush(zlib.Z_SYNC_FLUSH)
    )
    with pytest.raises(RecordingError, match="empty or was cut off before its header"):
        scan_recording(path)


async def test_the_dashboard_replays_a_recording_and_moves_in_time(tmp_path: Path) -> None:
    from cnvtui.ui.replay import ReplayApp  # Textual only for this test
    from cnvtui.ui.textshot import screen_text
    from cnvtui.ui.widgets.keyed_table import KeyedTable
    from cnvtui.ui.widgets.outdated import OutdatedPanel
    from cnvtui.ui.widgets.timebar import TimeBar

    path = tmp_path / "story.cnvrec.gz"
    events = _story(60)
    await (await _write(path, events)).close()
    source = ReplaySource(path, paused=True, checkpoint_every=10)
    await source.open()
    app = ReplayApp(source)

    def phases() -> list[tuple[str, str]]:
        picture = app.picture
        return [] if picture is None else [(c.name, c.phase) for c in picture.csvs]

    async with app.run_test(size=(160, 45)) as pilot:

        async def settle(check: Callable[[], bool], what: str) -> None:
            for _ in range(200):
                if check():
                    return
                await pilot.pause(0.05)
            pytest.fail(f"the replay never showed {what}: {phases()}")

        await settle(lambda: phases() == [("cnv-operator.v4.14.0", "Pending")], "the start")
        bar = app.query_one(TimeBar).describe(120).plain
        assert bar.startswith("⏸ paused ") and "+0s of 59s" in bar

        await pilot.press("greater_than_sign")
        await settle(lambda: len(phases()) == 15, "the end")
        assert {phase for _, phase in phases()} == {"Succeeded"}
        assert app.query_one(TimeBar).describe(120).plain.startswith("■ end ")

        await pilot.press("less_than_sign", "full_stop", "full_stop")
        await settle(lambda: phases() == [("cnv-operator.v4.14.0", "Installing")], "two steps")
        assert source.rewinds == 1
        assert app.picture is not None and app.picture.now == START + 2

        await pilot.press("right_square_bracket")  # +1 minute: past the end, so the end
        await settle(lambda: len(phases()) == 15, "the end again")
        assert not app.check_action("approve", ())  # a replay writes nothing

        # The VMI list pages with [ and ]; with it focused, [ still moves back in time.
        app.query_one(OutdatedPanel).query_one(KeyedTable).focus()
        await pilot.press("left_square_bracket")
        await settle(lambda: phases() == [("cnv-operator.v4.14.0", "Pending")], "back")
        # A click halfway along the bar shows the middle of the recording (59 s long).
        timebar = app.query_one(TimeBar)
        drawn = timebar.describe(timebar.content_region.width).plain
        first = min(drawn.index(c) for c in "━●" if c in drawn)
        room = sum(drawn.count(c) for c in "━●─")
        await pilot.click(TimeBar, offset=(1 + first + (room - 1) // 2, 0))
        await settle(
            lambda: app.picture is not None and START + 25 <= app.picture.now <= START + 34,
            "the middle",
        )
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        helped = screen_text(app)
        assert "Replay" in helped and "Quit" in helped and "Next panel" in helped, helped


async def test_a_replayed_vmi_shows_whole_as_recorded_at_the_moment_shown(
    sim: SimFactory, tmp_path: Path
) -> None:
    """The store keeps VMIs slimmed, the recording keeps them whole: the details screen of a
    replay shows the recorded object of the moment on screen, not the slim copy."""
    from cnvtui.ui.replay import ReplayApp  # Textual only for this test
    from cnvtui.ui.screens.details import DetailsScreen
    from cnvtui.ui.widgets.panel import ObjectRef

    server = await sim(vmis=2)
    vmi = ("kubevirt.io", "virtualmachineinstances")
    md = server.store.list(*vmi)[0][0]["metadata"]
    name, namespace = md["name"], md["namespace"]
    path = tmp_path / "vmi.cnvrec.gz"
    async with _live(server, path) as feed:
        server.store.patch(*vmi, namespace, name, "merge", {"metadata": {"labels": {"t": "2"}}})
        await _until(
            lambda: (
                (feed.store.get("vmi", namespace, name) or {})["metadata"]["labels"].get("t") == "2"
            ),
            "the new label",
        )
    source = ReplaySource(path, paused=True)
    await source.open()
    app = ReplayApp(source)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("greater_than_sign")  # the end
        for _ in range(200):
            if (app.store.get("vmi", namespace, name) or {}).get("metadata", {}).get(
                "labels", {}
            ).get("t") == "2":
                break
            await pilot.pause(0.05)
        app.open_details(ObjectRef("vmi", namespace, name))
        title = ""
        for _ in range(200):
            await pilot.pause(0.05)
            screen = app.screen
            if isinstance(screen, DetailsScreen) and screen.is_mounted:
                title = str(screen.query_one("#details-yaml").border_title)
                if "as recorded" in title:
                    break
        assert title == "YAML (whole, as recorded at the moment shown)"
        shown = screen_text_of(app)
        assert "domain:" in shown and "t: '2'" in shown, shown
        assert "A recording holds no Events" in shown, shown
    # At the start of the recording the label was not there yet.
    early = ReplaySource(path, paused=True)
    await early.open()
    batches = early.batches()
    while not any(  # up to the batch that brings the VMI (its first list)
        isinstance(e, ObjectChange) and e.kind == "vmi" and e.obj["metadata"]["name"] == name
        for e in await anext(batches)
    ):
        early.step()
    first = await early.fetch_object("vmi", namespace, name)
    assert isinstance(first, dict) and "domain" in first["spec"]
    assert "t" not in first["metadata"].get("labels", {})
    assert await early.fetch_object("vmi", namespace, "nobody") == (
        "not in the recording at this moment"
    )
    await batches.aclose()
    await early.close()


def screen_text_of(app: Any) -> str:
    from cnvtui.ui.textshot import screen_text

    return screen_text(app)


async def test_quitting_while_a_write_is_stuck_keeps_the_file_whole(tmp_path: Path) -> None:
    """A slow disk (here a pipe nobody reads yet): the ticker's write is still under way
    when the dashboard quits and cancels it. Closing waits for it, and the last block comes
    after it (one writer thread keeps the blocks in order)."""
    path = tmp_path / "slow.cnvrec.gz"
    os.mkfifo(path)
    received = bytearray()
    drain = threading.Event()

    def read() -> None:
        with path.open("rb") as pipe:
            drain.wait(30)
            while chunk := pipe.read(65536):
                received.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    events = _story(40)
    for event in events[4:]:  # incompressible messages: far more than a pipe holds
        assert isinstance(event, ObjectChange)
        event.obj["status"]["message"] = base64.b64encode(os.urandom(12_000)).decode()
    recorder = Recorder(path, clock=lambda: START, flush_interval=0.05, fsync=False)
    await recorder.open()
    await recorder.record_batch(events)
    await asyncio.sleep(0.3)  # the ticker is now stuck writing into the full pipe
    closing = asyncio.create_task(recorder.close())
    await asyncio.sleep(0.3)
    drain.set()
    await asyncio.wait_for(closing, 30)
    await asyncio.to_thread(reader.join, 30)
    copy = tmp_path / "copy.cnvrec.gz"
    copy.write_bytes(bytes(received))
    info = scan_recording(copy)
    assert info.complete, info
    assert info.events == len(events)


def test_the_time_bar_gives_utc_beside_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """`status --replay --at 10:03` reads UTC; the bar must not leave the zone to guesswork."""
    from cnvtui.ui.widgets.timebar import _moment

    at = datetime(2024, 5, 1, 10, 3, tzinfo=UTC).timestamp()
    try:
        monkeypatch.setenv("TZ", "Europe/Prague")
        time.tzset()
        assert _moment(at) == "2024-05-01 12:03:00 CEST (10:03:00 UTC)"
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
        assert _moment(at) == "2024-05-01 10:03:00 UTC"
    finally:
        monkeypatch.undo()
        time.tzset()

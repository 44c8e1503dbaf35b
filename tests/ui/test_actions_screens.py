"""The action modals on their own: what they show, and what each key returns."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from cnvtui.actions.approve import PlanPreview, PlanStep
from cnvtui.actions.base import Change, Target
from cnvtui.actions.hco_api import V1, V1BETA1
from cnvtui.kube import resources as res
from cnvtui.state.model import PoolRow
from cnvtui.ui.screens.confirm import ConfirmScreen
from cnvtui.ui.screens.ocp_update import OcpUpdateScreen
from cnvtui.ui.screens.pools import PoolsScreen
from cnvtui.ui.screens.preview import InstallPlanPreviewScreen
from cnvtui.ui.screens.strategy_form import StrategyFormScreen

NO_RESULT = object()


class Host(App[None]):
    """Pushes one screen and keeps what it was dismissed with."""

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.modal = screen
        self.result: object = NO_RESULT

    def compose(self) -> ComposeResult:
        yield Static("dashboard")

    def on_mount(self) -> None:
        self.push_screen(self.modal, self._done)

    def _done(self, result: object) -> None:
        self.result = result


def _disabled(button: Button) -> bool:
    return button.disabled


def _text(screen: Screen[Any], selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _change(**overrides: Any) -> Change:
    values: dict[str, Any] = {
        "action": "pool_paused",
        "title": "Pause machine pool worker",
        "target": Target(res.MCP, None, "worker"),
        "operations": ({"op": "add", "path": "/spec/paused", "value": True},),
        "summary": ("Sets spec.paused from false to true on MachineConfigPool worker.",),
        "before": {"spec.paused": False},
        "after": {"spec.paused": True},
        "dangerous": True,
        "notes": ("[b]not markup[/b]",),
    }
    values.update(overrides)
    return Change(**values)


async def test_confirm_states_the_change_and_defaults_to_cancel() -> None:
    app = Host(ConfirmScreen(_change()))
    async with app.run_test() as pilot:
        await pilot.pause()
        text = _text(app.screen, "#confirm-text")
        assert "Sets spec.paused from false to true" in text
        assert '"path": "/spec/paused"' in text
        assert "[b]not markup[/b]" in text
        assert "MachineConfigPool worker" in text
        await pilot.press("enter")
        await pilot.pause()
    assert app.result is False


async def test_confirm_with_y() -> None:
    app = Host(ConfirmScreen(_change()))
    async with app.run_test() as pilot:
        await pilot.press("y")
        await pilot.pause()
    assert app.result is True


async def test_the_strongest_confirmation_needs_the_version_typed() -> None:
    app = Host(ConfirmScreen(_change(confirm_word="4.13.35")))
    async with app.run_test() as pilot:
        await pilot.pause()
        confirm = app.screen.query_one("#confirm", Button)
        assert _disabled(confirm)
        await pilot.press("y", "4", ".", "1", "3", "enter")
        await pilot.pause()
        assert app.result is NO_RESULT
        assert _disabled(confirm)
        app.screen.query_one("#confirm-word", Input).value = ""
        await pilot.press(*"4.13.35")
        await pilot.pause()
        assert not _disabled(confirm)
        await pilot.press("enter")
        await pilot.pause()
    assert app.result is True


async def test_install_plan_preview_lists_what_will_be_installed() -> None:
    preview = PlanPreview(
        plan="install-abcde",
        namespace="openshift-cnv",
        phase="RequiresApproval",
        csv_names=("kubevirt-hyperconverged-operator.v4.14.4",),
        from_csv="kubevirt-hyperconverged-operator.v4.14.3",
        to_csv="kubevirt-hyperconverged-operator.v4.14.4",
        steps=(
            PlanStep("ClusterServiceVersion", "kubevirt-hyperconverged-operator.v4.14.4",
                     "operators.coreos.com", "v1alpha1", "Unknown"),
            PlanStep("CustomResourceDefinition", "hyperconvergeds.hco.kubevirt.io",
                     "apiextensions.k8s.io", "v1", "Unknown"),
        ),
    )  # fmt: skip
    change = _change(action="approve", title="Approve install plan install-abcde", detail=preview)
    app = Host(InstallPlanPreviewScreen(change))
    async with app.run_test() as pilot:
        await pilot.pause()
        header = _text(app.screen, "#plan-header")
        assert "v4.14.4" in header and "version 4.14.3" in header
        assert app.screen.query_one("#plan-steps").row_count == 2  # type: ignore[attr-defined]
        await pilot.press("a")
        await pilot.pause()
    assert app.result is True


HCO: dict[str, Any] = {
    "apiVersion": "hco.kubevirt.io/v1beta1",
    "kind": "HyperConverged",
    "metadata": {"name": "kubevirt-hyperconverged", "namespace": "openshift-cnv"},
    "spec": {
        "workloadUpdateStrategy": {
            "workloadUpdateMethods": ["LiveMigrate"],
            "batchEvictionSize": 10,
            "batchEvictionInterval": "1m0s",
        }
    },
}


async def test_strategy_form_validates_and_previews_the_exact_patch() -> None:
    app = Host(StrategyFormScreen(HCO, V1BETA1, "openshift-cnv", None))
    async with app.run_test(size=(110, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        apply = screen.query_one("#apply", Button)
        assert _disabled(apply), "nothing changed yet"
        assert "nothing to change" in _text(screen, "#strategy-preview")

        screen.query_one("#size", Input).value = "0"
        await pilot.pause()
        assert "at least 1" in _text(screen, "#size-error")
        assert _disabled(apply)
        screen.query_one("#interval", Input).value = "5 minutes"
        await pilot.pause()
        assert "not a Go duration" in _text(screen, "#interval-error")

        screen.query_one("#size", Input).value = "4"
        screen.query_one("#interval", Input).value = "2m0s"
        await pilot.pause()
        await pilot.click("#method-both")
        await pilot.pause()
        assert _text(screen, "#size-error") == ""
        preview = _text(screen, "#strategy-preview")
        assert '"path": "/spec/workloadUpdateStrategy"' in preview
        assert "batches of 4 VMIs every 2m0s" in preview
        assert not _disabled(apply)
        await pilot.click("#apply")
        await pilot.pause()
    change = app.result
    assert isinstance(change, Change)
    replace = change.operations[-1]
    assert replace["value"] == {
        "workloadUpdateMethods": ["LiveMigrate", "Evict"],
        "batchEvictionSize": 4,
        "batchEvictionInterval": "2m0s",
    }


async def test_strategy_form_on_v1_writes_under_virtualization() -> None:
    hco = {
        **HCO,
        "apiVersion": "hco.kubevirt.io/v1",
        "spec": {"virtualization": {"workloadUpdateStrategy": {"workloadUpdateMethods": []}}},
    }
    app = Host(StrategyFormScreen(hco, V1, "openshift-cnv", None))
    async with app.run_test(size=(110, 50)) as pilot:
        await pilot.pause()
        await pilot.click("#method-LiveMigrate")
        await pilot.pause()
        assert "/spec/virtualization/workloadUpdateStrategy" in _text(
            app.screen, "#strategy-preview"
        )
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None


def _pool(name: str, *, paused: bool = False) -> PoolRow:
    return PoolRow(name, paused, 3, 3, 3, 0, False, False)


async def test_pools_screen_toggles_the_highlighted_pool() -> None:
    app = Host(PoolsScreen([_pool("master"), _pool("worker", paused=True)]))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
    assert app.result == ("worker", False)


async def test_ocp_update_screen_returns_the_chosen_version() -> None:
    updates = [("4.14.12", "quay.io/openshift-release-dev/ocp-release@sha256:aa"),
               ("4.13.35", "")]  # fmt: skip
    app = Host(OcpUpdateScreen("4.12.49", updates))
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.result == "4.13.35"

"""Credentials expire, some resources are forbidden, some CRDs are not installed: the
dashboard says exactly that, keeps the rest live, and a kubeconfig reload resumes it all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from cnvtui.sim.server import SimServer
from tests.kube import write_kubeconfig
from tests.ui import FAST, dashboard, until, until_shows
from tests.ui.test_connection import READ_ALL_BUT_INSTALL_PLANS

from . import LIVE, churn, converged, noisy_dashboard, toasts

Sim = Callable[..., Awaitable[SimServer]]
OLD_TOKEN = "sha256~expired-token-0123456789"
NEW_TOKEN = "sha256~renewed-token-9876543210"
RELOGIN = "credentials expired: log in again, then press ctrl+r"


async def test_expired_token_banner_then_ctrl_r_resumes_everything(sim: Sim) -> None:
    server = await sim(vmis=4, token=OLD_TOKEN)
    assert server.kubeconfig_path is not None
    settings = replace(FAST, denied_retry=600.0)  # only the reload can bring it back in time
    async with dashboard(server, settings=settings) as (app, pilot):
        await until_shows(pilot, LIVE)
        server.authorizer.token = NEW_TOKEN  # the old token expires
        server.close_watches()
        text = await until_shows(pilot, RELOGIN)
        assert "data as of" not in text or "unauthorized" in text
        churn(server)
        write_kubeconfig(server, Path(server.kubeconfig_path), token=NEW_TOKEN)  # oc login
        await pilot.press("ctrl+r")
        text = await until(
            pilot, lambda t: LIVE in t and RELOGIN not in t, what="live after the reload"
        )
        await converged(app, server)
        assert app.is_running
        assert OLD_TOKEN not in text and NEW_TOKEN not in text


async def test_reload_with_a_broken_kubeconfig_keeps_running_and_says_why(sim: Sim) -> None:
    server = await sim(vmis=2, token=OLD_TOKEN)
    assert server.kubeconfig_path is not None
    async with noisy_dashboard(server) as (app, pilot):
        await until_shows(pilot, LIVE)
        Path(server.kubeconfig_path).write_text("clusters: [ this is not yaml")  # noqa: ASYNC240
        await pilot.press("ctrl+r")
        await until(pilot, lambda _t: "kubeconfig reload failed" in toasts(app), what="toast")
        assert "not valid YAML" in toasts(app) and "Traceback" not in toasts(app)
        churn(server)
        await converged(app, server)  # the old connection stays in use


async def test_forbidden_panel_names_the_permission_and_the_rest_stays_live(sim: Sim) -> None:
    server = await sim(vmis=4, role="limited", roles={"limited": READ_ALL_BUT_INSTALL_PLANS})
    async with dashboard(server) as (app, pilot):
        text = await until_shows(
            pilot,
            "✗ needs list and watch on installplans.operators.coreos.com",
        )
        assert "Outdated 0 of 4" in text
        churn(server)
        text = await until(pilot, lambda t: "Outdated 2 of" in t, what="the new outdated VMIs")
        assert "kubevirt-hyperconverged-operator.v4.14.3" in text
        assert app.store.objects("installplan") == {}


async def test_plain_kubevirt_without_olm_mco_hco_says_what_is_missing(sim: Sim) -> None:
    absent = [
        "operators.coreos.com",
        "machineconfiguration.openshift.io",
        "config.openshift.io",
        "hco.kubevirt.io",
    ]
    server = await sim(vmis=5, without_groups=absent)
    async with dashboard(server) as (app, pilot):
        text = await until_shows(pilot, "● live 6/12 (6 not installed)")
        for missing in ("installplans.operators.coreos.com", "hyperconvergeds.hco.kubevirt.io"):
            assert f"✗ {missing}/v1" in text and "is not served by this cluster" in text
        assert "Outdated 0 of 5" in text
        churn(server)
        await until(pilot, lambda t: "Outdated 2 of" in t, what="the new outdated VMIs")
        await converged(app, server)
        assert app.is_running

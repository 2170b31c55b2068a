"""`hogtui insights refresh` against a live sandbox: starting calculations and leaving them
running, following them with `--wait`, a failed one, and Ctrl-C during `--wait` cancelling on the
server (the CLI in a subprocess, interrupted with SIGINT, exits 130)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_support import created, listed, point_at, read_line, run_cli

from tui.sandbox import DEFAULT_PROJECT_ID, DEMO_API_KEY, SandboxConfig, serve_in_thread

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sandbox_env(live_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The live sandbox, named by the environment; 80 columns."""
    point_at(monkeypatch, live_sandbox.url)
    return live_sandbox


# --- refresh --------------------------------------------------------------------------------------


def test_refresh_wait_follows_each_calculation_to_the_end(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [str(i["id"]) for i in listed(sandbox_env, limit=2)["results"]]

    status, out, err = run_cli(
        capsys, monkeypatch, "insights", "refresh", *ids, "--force", "--wait", "--json"
    )

    assert status == 0, err
    outcomes = json.loads(out)
    assert [(str(o["id"]), o["state"]) for o in outcomes] == [(i, "done") for i in ids]
    assert f"insight {ids[0]}: done in" in err


def test_refresh_without_wait_leaves_the_calculation_running(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    insight_id = listed(sandbox_env, limit=1)["results"][0]["id"]

    status, out, err = run_cli(
        capsys, monkeypatch, "insights", "refresh", str(insight_id), "--force"
    )

    assert status == 0, err
    assert out.startswith(f"{insight_id}\tstarted\tquery ")
    assert not sandbox_env.state.cancelled_queries


def test_a_failed_calculation_exits_1_with_the_servers_words(
    sandbox_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    query = {"kind": "DataVisualizationNode", "source": {"kind": "HogQLQuery", "query": "FAIL"}}
    broken = created(sandbox_env, "Broken", query)

    status, out, _ = run_cli(
        capsys, monkeypatch, "insights", "refresh", str(broken["id"]), "--wait"
    )

    assert status == 1
    assert out.startswith(f"{broken['id']}\tfailed\t")
    assert "Unable to resolve field: FAIL" in out


def test_ctrl_c_during_refresh_wait_cancels_on_the_server_and_exits_130(
    isolated_dirs: dict[str, Path],
) -> None:
    config = SandboxConfig(
        insights=5, query_seconds=60.0, rate_limit_per_minute=None, rate_limit_per_hour=None
    )
    handle = serve_in_thread(config, host="127.0.0.1", port=0)
    insight_id = min(handle.state.insights)
    env = {
        **os.environ,
        "POSTHOG_HOST": handle.url,
        "POSTHOG_PROJECT_ID": str(DEFAULT_PROJECT_ID),
        "POSTHOG_PERSONAL_API_KEY": DEMO_API_KEY,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "insights", "refresh", str(insight_id), "--force", "--wait"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        first = read_line(process.stderr, timeout=30)
        assert f"insight {insight_id}:" in first  # following the calculation
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        cancelled = set(handle.state.cancelled_queries)
    finally:
        if process.poll() is None:
            process.kill()
        handle.stop()

    assert process.returncode == 130, err
    assert "cancelling on the server" in err
    assert len(cancelled) == 1
    assert out.strip().split("\t")[:2] == [str(insight_id), "cancelled"]

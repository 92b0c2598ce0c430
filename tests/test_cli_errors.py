"""Bad command lines end in one line and exit 2: each in a fresh process, as an operator
types it, so that nothing printed at the interpreter's exit escapes the test either."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DAY, txn, write_day

FAR_YEAR = "2031-03-04"


def _command_lines(tmp: Path) -> dict[str, list[str]]:
    inbox = tmp / "inbox"
    write_day(inbox, DAY, [txn("T1")])
    far = tmp / "far-inbox"
    write_day(far, DAY.replace(year=2031), [txn("T1", booked_at="2031-11-20 10:00:00")])
    (tmp / "a-file").write_text("not a folder\n")
    (tmp / "not-a-warehouse.duckdb").write_text("not a database\n")
    db = str(tmp / "wh.duckdb")
    return {
        "nightly, no inbox": ["nightly", "--date", str(DAY), "--inbox", str(tmp / "none"), "--db", db],
        "nightly, inbox a file": ["nightly", "--date", str(DAY), "--inbox", str(tmp / "a-file"), "--db", db],
        "nightly, --db unwritable": [
            "nightly", "--date", str(DAY), "--inbox", str(inbox), "--db", str(tmp / "a-file" / "wh.duckdb"),
        ],
        "nightly, a year no calendar knows": [
            "nightly", "--date", str(DAY.replace(year=2031)), "--inbox", str(far), "--db", db,
        ],
        "nightly, unknown rule pack": [
            "nightly", "--date", str(DAY), "--inbox", str(inbox), "--db", db, "--rule-pack", "no-such-pack",
        ],
        "loads, no warehouse": ["loads", "--db", str(tmp / "absent.duckdb")],
        "runs, not a DuckDB file": ["runs", "--db", str(tmp / "not-a-warehouse.duckdb")],
        "validate, missing file": ["validate", str(tmp / "missing.xml")],
        "receipts, missing folder": ["receipts", "--folder", str(tmp / "none"), "--db", db],
    }  # fmt: skip


@pytest.mark.slow
def test_each_bad_command_line_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {**os.environ, "AMLWATCH_REPORTS_DIR": str(tmp_path / "reports")}
    env["AMLWATCH_LOG_FILE"] = str(tmp_path / "amlwatch.log")
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", "amlwatch.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        for name, args in _command_lines(tmp_path).items()
    }
    for name, process in running.items():
        out, err = process.communicate(timeout=600)
        said = [line for line in (out + err).splitlines() if line.strip()]
        assert process.returncode == 2, (name, out[-2000:], err[-2000:])
        assert len(said) == 1, (name, said[:20])
        assert said[0].startswith("失败 failed:"), (name, said)
        assert "Traceback" not in out + err and "nanobind" not in out + err, name


def test_an_unexpected_error_is_one_line_with_its_traceback_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from amlwatch.cli import app
    from amlwatch.stages import ingest

    log = tmp_path / "amlwatch.log"
    monkeypatch.setenv("AMLWATCH_LOG_FILE", str(log))
    from amlwatch.settings import get_settings

    get_settings.cache_clear()

    def broken(*_: object) -> None:
        raise KeyError("6222000000000000011")  # a bug, quoting an account number

    monkeypatch.setattr(ingest, "ingest_day", broken)
    result = CliRunner().invoke(
        app, ["ingest", "--date", str(DAY), "--db", str(tmp_path / "wh.duckdb")]
    )
    assert result.exit_code == 2
    [line] = [line for line in result.output.splitlines() if line.strip()]
    assert "内部错误 internal error" in line and str(log) in line
    assert "6222000000000000011" not in line and "****0011" in line
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "KeyError" in text
    assert "6222000000000000011" not in text  # the log is masked too


_HOLD = """
import sys, time
from pathlib import Path
from amlwatch.warehouse import Warehouse
with Warehouse.open(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("command", ["runs", "loads", "quarantine"])
def test_a_read_only_command_waits_for_the_night_between_its_writes(
    tmp_path: Path, command: str
) -> None:
    """The night opens the warehouse task by task: a reader waits for the gap (up to
    `AMLWATCH_LOCK_TIMEOUT_S`) and answers; if the gap does not come, one line, exit 2."""
    db = tmp_path / "wh.duckdb"
    env = {**os.environ, "AMLWATCH_LOG_FILE": str(tmp_path / "amlwatch.log")}
    args = [command, "--db", str(db)] + (["--date", str(DAY)] if command == "quarantine" else [])
    for hold_s, timeout_s, code in ((3, "30", 0), (60, "1", 2)):
        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLD, str(db), str(hold_s)], stdout=subprocess.PIPE, text=True
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        done = subprocess.run(
            [sys.executable, "-m", "amlwatch.cli", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, "AMLWATCH_LOCK_TIMEOUT_S": timeout_s},
            cwd=tmp_path,
        )
        holder.kill()
        holder.wait()
        said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        assert done.returncode == code, (hold_s, said)
        assert "Traceback" not in done.stdout + done.stderr
        if code == 2:
            assert len(said) == 1 and "in use" in said[0], said


def test_what_the_interpreter_prints_while_it_shuts_down_goes_to_the_log(tmp_path: Path) -> None:
    """nanobind's "leaked" reports come at interpreter shutdown, after the command has
    answered: they land in the log file, never on the console."""
    log = tmp_path / "amlwatch.log"
    script = (
        "import os\n"
        "from amlwatch.cli.boundary import quiet_shutdown\n"
        "quiet_shutdown()\n"
        "class Leak:\n"
        "    def __del__(self):\n"
        "        os.write(2, b'nanobind: leaked 42 instances!\\n')\n"
        "kept = Leak()  # finalized with the module, after the exit handlers\n"
        "print('answered')\n"
    )
    env = {**os.environ, "AMLWATCH_LOG_FILE": str(log)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "answered"
    assert "nanobind" not in done.stderr
    assert "nanobind: leaked 42 instances!" in log.read_text()


def test_a_warehouse_folder_that_cannot_be_made_fails_before_a_flow_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import pipelines.nightly
    from amlwatch.cli import app

    def started(*_: object, **__: object) -> None:
        raise AssertionError("a Prefect server and flow were started for a night that cannot run")

    monkeypatch.setattr(pipelines.nightly, "nightly_on", started)
    monkeypatch.setenv("AMLWATCH_LOG_FILE", str(tmp_path / "amlwatch.log"))
    (tmp_path / "a-file").write_text("not a folder\n")
    db = str(tmp_path / "a-file" / "wh.duckdb")
    for args in (["nightly", "--date", str(DAY)], ["backfill"]):
        result = CliRunner().invoke(app, [*args, "--inbox", str(tmp_path), "--db", db])
        assert result.exit_code == 2, result.output
        [line] = [line for line in result.output.splitlines() if line.strip()]
        assert line.startswith("失败 failed:") and "a-file" in line, line


@pytest.mark.slow
def test_a_night_without_a_server_starts_its_own_on_a_port_the_system_chose() -> None:
    """Prefect picks one of 8000-8999 at random: nights started together could meet."""
    import httpx
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pipelines.nightly import nightly_on

    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    with temporary_settings(restore_defaults={PREFECT_API_URL}), nightly_on("threads"):
        url = str(PREFECT_API_URL.value())
        port = httpx.URL(url).port
        assert port is not None and low <= port <= high, url
        try:
            assert httpx.get(f"{url}/health", timeout=30).status_code == 200
        finally:
            SubprocessASGIServer(port=port).stop()

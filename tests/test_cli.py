"""The `amlwatch` command, end to end on real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amlwatch.cli import app
from amlwatch.warehouse import Warehouse

runner = CliRunner()


def test_help_reads_in_chinese_and_english() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "反洗钱交易监测" in result.output and "Anti-money-laundering" in result.output
    for command in ("generate", "ingest", "nightly", "backfill", "calendar"):
        assert command in result.output


def test_generate_ingest_and_inspect(tmp_path: Path) -> None:
    out = tmp_path / "bank"
    db = tmp_path / "wh.duckdb"
    result = runner.invoke(
        app,
        [
            "generate",
            "--out",
            str(out),
            "--customers",
            "300",
            "--days",
            "4",
            "--start",
            "2026-11-02",
            "--corrupt-days",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "ground_truth.jsonl").is_file()
    for day in ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"):
        result = runner.invoke(
            app, ["ingest", "--inbox", str(out / "inbox"), "--db", str(db), "--date", day]
        )
        assert result.exit_code == 0, result.output
    assert "total" in result.output
    result = runner.invoke(app, ["quarantine", "--db", str(db), "--date", "2026-11-05"])
    assert result.exit_code == 0 and "negative" in result.output
    result = runner.invoke(app, ["loads", "--db", str(db)])
    assert result.exit_code == 0 and "2026-11-05" in result.output


def test_cut_runs_stores_the_missing_day_runs(tmp_path: Path) -> None:
    from tests.conftest import stored_runs

    out, db = tmp_path / "bank", tmp_path / "wh.duckdb"
    args = ["--customers", "200", "--days", "3", "--start", "2026-11-02"]
    assert runner.invoke(app, ["generate", "--out", str(out), *args]).exit_code == 0
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        result = runner.invoke(
            app, ["ingest", "--inbox", str(out / "inbox"), "--db", str(db), "--date", day]
        )
        assert result.exit_code == 0, result.output
    with Warehouse.open(db) as wh:  # as loaded before day runs existed, the middle date
        stored = stored_runs(wh)
        wh.execute("DELETE FROM pattern_runs WHERE business_date = '2026-11-03'")
        wh.execute("DELETE FROM window_files WHERE business_date = '2026-11-03'")
    result = runner.invoke(app, ["cut-runs", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "2026-11-03" in result.output and "2026-11-02" not in result.output
    with Warehouse.open(db, read_only=True) as wh:
        assert stored_runs(wh) == stored
        assert (
            wh.scalar("SELECT count(*) FROM pattern_runs WHERE exclusions <> 'large-value-1'") == 3
        )
    again = runner.invoke(app, ["cut-runs", "--db", str(db)])
    assert again.exit_code == 0 and "already" in again.output
    missing = runner.invoke(app, ["cut-runs", "--db", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 2 and "no warehouse" in missing.output
    assert not (tmp_path / "none.duckdb").exists()


def test_missing_inbox_is_a_clear_error_on_one_line(tmp_path: Path) -> None:
    missing = tmp_path / ("an-inbox-folder-with-a-long-name-" * 3)
    result = runner.invoke(
        app,
        [
            "ingest",
            "--inbox",
            str(missing),
            "--db",
            str(tmp_path / "wh.duckdb"),
            "--date",
            "2026-11-20",
        ],
    )
    assert result.exit_code == 2
    [line] = [line for line in result.output.splitlines() if line.strip()]
    assert "does not exist or is not a folder" in line and str(missing) in line
    assert line.endswith("check the inbox (--inbox, AMLWATCH_INBOX) and the date")  # what to do


def test_calendar_shows_make_up_workdays() -> None:
    result = runner.invoke(app, ["calendar", "--from", "2026-10-09", "--to", "2026-10-11"])
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if "2026-10-1" in line]
    assert "营业" in lines[0]  # Saturday 10 October 2026 is a make-up working day
    assert "休" in lines[1]


def test_calendar_refuses_an_unknown_year() -> None:
    result = runner.invoke(app, ["calendar", "--from", "2031-01-01", "--to", "2031-01-02"])
    assert result.exit_code == 2
    assert "does not know 2031" in result.output


@pytest.mark.slow
def test_replay_shows_what_changed_parameters_change_and_alerts_lists_them(tmp_path: Path) -> None:
    from amlwatch.ingest import inbox_dates
    from amlwatch.stages.ingest import ingest_day
    from amlwatch.stages.patterns import scan_patterns_day

    sample = Path(__file__).parents[1] / "data_samples" / "inbox"
    db = tmp_path / "wh.duckdb"
    days = inbox_dates(sample)
    for day in days:
        ingest_day(day, sample, db)
    looser = tmp_path / "looser.toml"
    looser.write_text(
        'extends = "pboc-2016"\n[suspicious.thresholds.individual]\n'
        'min_scattered_parties = 5\nmin_amount_cny = "50000"\n'
        '[suspicious.thresholds.entity]\nmin_scattered_parties = 8\nmin_amount_cny = "300000"\n',
        encoding="utf-8",
    )
    args = ["replay", "--from", "2026-10-08", "--to", "2026-10-30", "--db", str(db)]
    same = runner.invoke(app, [*args, "--rule-pack", "pboc-2016"])
    assert same.exit_code == 0, same.output
    assert "+0" in same.output and "-0" in same.output and "+ AMLW" not in same.output
    looser_run = runner.invoke(app, [*args, "--rule-pack", str(looser)])
    assert looser_run.exit_code == 0, looser_run.output
    assert "pboc-2016+looser@" in looser_run.output and "+ AMLW-SP-01" in looser_run.output
    with Warehouse.open(db, read_only=True) as wh:  # a replay stores nothing
        assert wh.scalar("SELECT count(*) FROM suspicious_hits") == 0
    for day in days:
        scan_patterns_day(day, db)
    listed = runner.invoke(app, ["alerts", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    with Warehouse.open(db, read_only=True) as wh:
        total = wh.scalar("SELECT count(*) FROM suspicious_alerts")
    # every standard is in force: the four rings and the other families' planted cases
    assert total > 4 and f"({total})" in listed.output
    assert listed.output.count("AMLW-SP-01") == 4
    with Warehouse.open(db, read_only=True) as wh:
        [(alert_id, night)] = wh.rows(
            "SELECT alert_id, last_scan_date FROM suspicious_alerts ORDER BY 1 LIMIT 1"
        )
    one_night = runner.invoke(app, ["alerts", "--db", str(db), "--date", str(night)])
    assert alert_id in one_night.output
    broken = tmp_path / "broken.toml"
    broken.write_text('extends = "pboc-2016"\n[suspicious]\nsubject = "branch"\n', "utf-8")
    failed = runner.invoke(app, [*args, "--rule-pack", str(broken)])
    assert failed.exit_code == 2 and "subject" in failed.output


def test_serve_says_what_it_needs_without_a_prefect_server() -> None:
    result = runner.invoke(app, ["serve"], env={"PREFECT_API_URL": ""})
    assert result.exit_code == 2
    assert "prefect server start" in result.output and "PREFECT_API_URL" in result.output


def test_validate_names_the_record_field_and_reason(tmp_path: Path) -> None:
    from amlwatch.submission.messages import large_value_new
    from amlwatch.submission.structure import HVTR, to_xml
    from tests.submission.conftest import INSTITUTION, hit_row

    good = tmp_path / "NBHC0000000000001-20261123-00000001.XML"
    good.write_bytes(to_xml(HVTR, large_value_new(INSTITUTION, [hit_row()])))
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0 and "ok" in result.output
    bad = tmp_path / "NBHC0000000000001-20261123-00000002.XML"
    bad.write_text(good.read_text("utf-8").replace("<CRTP>CNY</CRTP>", "<CRTP>RMB</CRTP>"), "utf-8")
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 2
    assert "TSDT[1]/TSIF/CRTP" in result.output and "12406" in result.output


def test_receipts_and_submissions_on_an_empty_case_store(tmp_path: Path) -> None:
    db = ["--db", str(tmp_path / "wh.duckdb")]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "FDSC[NBHC0000000000001-20261123-00000009]20261124093000.XML").write_text(
        "<FDBK><RPID>NBHC0000000000001-20261123-00000009</RPID><SFID>SUCC</SFID></FDBK>"
    )
    result = runner.invoke(app, ["receipts", "--folder", str(tmp_path / "in"), *db])
    assert result.exit_code == 0 and "no such file was submitted from here" in result.output
    result = runner.invoke(app, ["submissions", *db])
    assert result.exit_code == 0 and "nothing" in result.output


def test_first_administrator_and_audit_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "wh.duckdb"
    monkeypatch.setenv("AMLWATCH_ADMIN_PASSWORD", "Admin-Pass-2026!")
    created = runner.invoke(
        app, ["users", "create-admin", "--username", "admin", "--name", "管理员", "--db", str(db)]
    )
    assert created.exit_code == 0, created.output
    # the first administrator also made the audit key (owner-only) and its first checkpoint
    key, marks = tmp_path / "wh-audit.key", tmp_path / "wh-audit-checkpoints.log"
    assert "audit key created" in created.output and key.stat().st_mode & 0o777 == 0o600
    assert marks.read_text().startswith("key-created\t")
    for made in (tmp_path / "wh-cases.sqlite", marks):  # no other account reads them
        assert made.stat().st_mode & 0o077 == 0, made
    again = runner.invoke(
        app, ["users", "create-admin", "--username", "admin2", "--name", "二", "--db", str(db)]
    )
    assert again.exit_code == 2 and "已有管理员" in again.output
    refused = runner.invoke(app, ["audit", "init-key", "--db", str(db)])
    assert refused.exit_code == 2 and "exists already" in refused.output
    line = runner.invoke(app, ["audit", "checkpoint", "--db", str(db)])
    assert line.exit_code == 0 and line.output.startswith("checkpoint\t")
    intact = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert intact.exit_code == 0 and "intact: 3 entries (signed" in intact.output, intact.output
    # tamper with an entry behind the database's back (drop its guard first)
    import sqlite3

    con = sqlite3.connect(tmp_path / "wh-cases.sqlite")
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET username = 'someone' WHERE seq = 1")
    con.commit()
    con.close()
    broken = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert broken.exit_code == 1 and "broken at entry 1" in broken.output


_SOCKET_GUARD = """
import ipaddress, pathlib, socket

pathlib.Path({log!r}).with_name("guard-active").touch()
_connect = socket.socket.connect


def _local(address):
    if not isinstance(address, tuple):
        return True  # a Unix socket
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: resolving it would already be a lookup outside


def _guarded(self, address):
    if not _local(address):
        with open({log!r}, "a") as out:
            out.write(repr(address) + "\\n")
        raise OSError("outbound connection refused by the test's guard")
    return _connect(self, address)


socket.socket.connect = _guarded
"""


@pytest.mark.slow
def test_a_night_makes_no_telemetry_call(tmp_path: Path) -> None:
    """No phone-home: a whole night in a fresh process with the variables a machine may carry
    cleared prints no telemetry attempt, and Prefect sees analytics off."""
    from tests.conftest import DAY, txn, write_day

    inbox = tmp_path / "inbox"
    write_day(inbox, DAY, [txn("T1")])
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED")
    }
    env["AMLWATCH_REPORTS_DIR"] = str(tmp_path / "reports")
    # a socket guard in every Python process of the night (the CLI, Prefect's server): any
    # connection to anything but this machine is refused and written down
    guard, attempts = tmp_path / "guard", tmp_path / "outbound.log"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(_SOCKET_GUARD.format(log=str(attempts)))
    env["PYTHONPATH"] = os.pathsep.join([str(guard), env.get("PYTHONPATH", "")])
    run = subprocess.run(
        [sys.executable, "-m", "amlwatch.cli", "nightly", "--date", DAY.isoformat(),
         "--inbox", str(inbox), "--db", str(tmp_path / "wh.duckdb"), "--verbose"],
        capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "telemetry" not in (run.stdout + run.stderr).lower()
    assert (guard / "sitecustomize.py").exists() and (tmp_path / "guard-active").exists()
    assert not attempts.exists(), attempts.read_text()
    probe = subprocess.run(
        [sys.executable, "-c", "import amlwatch, prefect.settings as s; "
         "print(s.get_current_settings().server.analytics_enabled)"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert probe.stdout.strip() == "False", probe.stderr[-2000:]


def test_the_run_log_reads_counts_a_failed_night_stored_as_json_null() -> None:
    from amlwatch.cli.inspect import _total

    assert _total("null") == "" and _total(None) == "" and _total('{"0501": 2, "0502": 1}') == "3"

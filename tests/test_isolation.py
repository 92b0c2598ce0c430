"""The suite never reads or writes the checkout's own files: every default path the product
uses (warehouse, reports, case store, log, audit key and checkpoints) is a temporary one, for
module fixtures as for tests (a checkout where the README's `users create-admin` wrote its
checkpoint file gave a red suite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlwatch import wiring

ROOT = Path(__file__).parents[1].resolve()


def default_files() -> list[Path]:
    settings = wiring.settings()
    store = wiring.case_store(None, settings)
    try:
        case_db = Path(store.url.removeprefix("sqlite:///"))
    finally:
        store.close()
    return [
        wiring.warehouse_path(None, settings),
        Path(settings.reports_dir),
        Path(settings.log_file),
        wiring.audit_key_path(None, settings),
        wiring.audit_checkpoints_path(None, settings),
        case_db,
    ]


@pytest.fixture(scope="module")
def seen_by_a_module_fixture() -> list[Path]:
    return default_files()


def test_no_default_file_is_in_the_checkout(seen_by_a_module_fixture: list[Path]) -> None:
    for path in [*seen_by_a_module_fixture, *default_files()]:
        assert not path.resolve().is_relative_to(ROOT), path


def test_the_checkouts_env_file_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amlwatch.settings import Settings

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("AMLWATCH_INSTITUTION_NAME=某测试银行\n", encoding="utf-8")
    assert Settings().institution_name != "某测试银行"

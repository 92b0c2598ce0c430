"""The layout's rules, checked: the import contracts of `make lint` catch a violation, SQL
stays in `warehouse/` (and the case store's in `cases/`), and no module grows past a
newcomer's reading."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SRC = ROOT / "src" / "amlwatch"
# SQL as this code base writes it (upper-case keywords), not prose that mentions a select
SQL = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT INTO\b|\bDELETE FROM\b|\bCREATE (TABLE|VIEW)\b"
    r"|\bUPDATE \w+ SET\b|\bBEGIN TRANSACTION\b"
)
MAX_LINES = 420
WAREHOUSE_SQL = ("_con", "con", "rows", "scalar", "records", "execute")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree}"}
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("lint-imports")),
            "--config",
            str(tree / "pyproject.toml"),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
        timeout=300,
    )


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("layout")
    shutil.copytree(SRC, tree / "src" / "amlwatch", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(
        ROOT / "pipelines", tree / "pipelines", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("models.py", "import duckdb", "Only the warehouse talks to DuckDB"),
        ("scanners/encode.py", "from amlwatch import warehouse", "Layers"),
        ("web/svg.py", "from amlwatch.warehouse import inspect", "The web app sees use cases"),
        ("stages/narrative.py", "import amlwatch.web", "Nothing imports the web app"),
        ("ingest/load.py", "import sqlalchemy", "Only the case store talks SQL"),
    ],
)
def test_a_deliberate_violation_fails_the_import_lint(
    copy_of_the_code: Path, module: str, line: str, contract: str
) -> None:
    target = copy_of_the_code / "src" / "amlwatch" / module
    original = target.read_text(encoding="utf-8")
    assert _lint_imports(copy_of_the_code).returncode == 0  # the copy as it is: all kept
    try:
        target.write_text(original + f"\n{line}  # noqa\n", encoding="utf-8")
        broken = _lint_imports(copy_of_the_code)
    finally:
        target.write_text(original, encoding="utf-8")
    assert broken.returncode != 0
    assert f"{contract}" in broken.stdout and "BROKEN" in broken.stdout


def _sources(*outside: str) -> list[Path]:
    return [
        p
        for p in sorted(SRC.rglob("*.py"))
        if not any(p.is_relative_to(SRC / o) for o in outside) and "migrations" not in p.parts
    ]


def sql_in(source: str) -> list[str]:
    """Where a module holds SQL text (a multi-line string with SQL words) or calls the
    warehouse's SQL methods or connection."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL.search(node.value)
        ):
            found.append(f"{node.lineno}: SQL text")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in WAREHOUSE_SQL
            and isinstance(node.value, ast.Name)
            and node.value.id in ("warehouse", "wh", "reader")
        ):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_sql_outside_the_warehouse_and_the_case_store() -> None:
    found = {
        str(path.relative_to(SRC)): where
        for path in _sources("warehouse", "cases")
        if (where := sql_in(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "snippet",
    [
        'rows = warehouse.rows("SELECT 1")',
        "warehouse._con.execute(x)",
        'query = """SELECT a\n FROM t"""',
        'wh.execute("DELETE FROM t")',
    ],
)
def test_the_sql_check_sees_a_query(snippet: str) -> None:
    assert sql_in(snippet)


def test_no_module_is_longer_than_a_newcomer_reads() -> None:
    long = {
        str(p.relative_to(SRC)): n
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}

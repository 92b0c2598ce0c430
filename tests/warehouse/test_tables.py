"""Result tables are defined once: the table DuckDB creates and the Arrow schema the stages
build their rows in come from the same column list, and agree."""

from __future__ import annotations

import pytest

from amlwatch.warehouse import Warehouse
from amlwatch.warehouse.tables import RESULT_TABLES, ResultTable


@pytest.mark.parametrize("table", RESULT_TABLES, ids=lambda t: t.name)
def test_the_created_table_is_its_definition(warehouse: Warehouse, table: ResultTable) -> None:
    described = warehouse.rows(f"DESCRIBE {table.name}")
    assert [(r[0], r[1], r[2]) for r in described] == [
        (c.name, c.sql, "YES" if c.nullable and c.name != table.primary_key else "NO")
        for c in table.columns
    ]


@pytest.mark.parametrize("table", RESULT_TABLES, ids=lambda t: t.name)
def test_rows_in_the_arrow_schema_go_in_and_come_back_as_they_were(
    warehouse: Warehouse, table: ResultTable
) -> None:
    empty = table.empty()
    assert empty.schema == table.schema() and empty.num_rows == 0
    # what DuckDB hands back for the table has the Arrow types the stages build
    fetched = warehouse._con.sql(f"SELECT * FROM {table.name}").to_arrow_table()
    assert [(f.name, f.type) for f in fetched.schema] == [(f.name, f.type) for f in table.schema()]

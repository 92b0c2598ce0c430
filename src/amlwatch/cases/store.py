"""Opening the case store: the engine, brought to the newest schema by the Alembic migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect

metadata = MetaData()

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST_REVISION = "0001"  # what `metadata.create_all` made before the store had migrations


class CaseStore:
    """The case store's engine. Opening it applies the migrations it lacks.

    Writes go through `write()`: on SQLite it takes the write lock when the transaction
    starts (`BEGIN IMMEDIATE`), so two writers queue instead of failing on a lock upgrade.
    """

    def __init__(self, url: str, migrate: bool = True) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        if migrate:
            upgrade(self.engine)

    @classmethod
    def sqlite_file(cls, path: str | Path) -> CaseStore:
        return cls(f"sqlite:///{path}")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed on leaving, rolled back on an exception."""
        with self.engine.execution_options(amlwatch_write=True).begin() as con:
            yield con

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as con:
            yield con

    def close(self) -> None:
        self.engine.dispose()


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to `revision`; a store made before migrations is adopted."""
    with engine.execution_options(amlwatch_write=True).begin() as con:
        tables = set(inspect(con).get_table_names())
        config = alembic_config(con)
        if "submission_files" in tables and "alembic_version" not in tables:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)


def _sqlite_connect(dbapi_connection: Any, _: object) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event opens transactions
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("amlwatch_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

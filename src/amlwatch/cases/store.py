"""Opening the case store: the engine, brought to the newest schema by the Alembic migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError, OperationalError

from amlwatch.cases import signing
from amlwatch.cases.exceptions import CaseStoreLocked, CaseStoreUnavailable

metadata = MetaData()
log = logging.getLogger(__name__)
# the connection-info key under which `audit.append` leaves the head its transaction reached
AUDIT_HEAD = "amlwatch_audit_head"

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST_REVISION = "0001"  # what `metadata.create_all` made before the store had migrations


class CaseStore:
    """The case store's engine. Opening it applies the migrations it lacks.

    Writes go through `write()`: on SQLite it takes the write lock when the transaction
    starts (`BEGIN IMMEDIATE`), so two writers queue instead of failing on a lock upgrade.
    A writer that still finds the store locked after `lock_timeout_s`, or a store that cannot
    be reached, raises a transient error (`CaseStoreLocked`, `CaseStoreUnavailable`).
    `audit_key` (kept outside the store) MACs every audit entry its writes append; with
    `audit_checkpoints` too, every write that appended entries anchors the chain's new head
    in that file once committed, so that no entry written since can be removed unseen.
    """

    def __init__(
        self,
        url: str,
        migrate: bool = True,
        lock_timeout_s: float = 30.0,
        audit_key: bytes | None = None,
        audit_checkpoints: Path | None = None,
    ) -> None:
        self.url = url
        self.audit_key = audit_key  # MACs the audit entries this store's writes append
        self.audit_checkpoints = audit_checkpoints  # where each write's new head is anchored
        self.engine: Engine = create_engine(url)
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            busy_ms = int(lock_timeout_s * 1000)
            event.listen(self.engine, "connect", lambda c, r: _sqlite_connect(c, r, busy_ms))
            event.listen(self.engine, "begin", _sqlite_begin)
        if migrate:
            with transient_errors():
                upgrade(self.engine)

    @classmethod
    def sqlite_file(cls, path: str | Path) -> CaseStore:
        return cls(f"sqlite:///{path}")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed on leaving, rolled back on an exception."""
        options = self.engine.execution_options(
            amlwatch_write=True, amlwatch_audit_key=self.audit_key
        )
        head = None
        with transient_errors(), options.begin() as con:
            try:
                yield con
            finally:
                head = con.info.pop(AUDIT_HEAD, None)  # never left for the next transaction
        if head is not None and self.audit_key is not None and self.audit_checkpoints:
            try:  # committed: the head it reached, anchored outside the database
                signing.append_checkpoint(self.audit_checkpoints, self.audit_key, *head)
            except OSError as error:  # the work stands; `audit verify` will say what is missing
                log.error("audit head %s not anchored in %s: %s", head[0], self.audit_checkpoints,
                          error)  # fmt: skip

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with transient_errors(), self.engine.connect() as con:
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


# what a driver says when the store is busy, or cannot be reached or opened: worth a retry
_LOCKED = (
    "database is locked",
    "database table is locked",
    "lock timeout",
    "could not obtain lock",
)
_UNAVAILABLE = (
    "unable to open database file",
    "disk i/o error",
    "connection refused",
    "could not connect",
    "connection to server",
    "server closed the connection",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "too many connections",
)


@contextmanager
def transient_errors() -> Iterator[None]:
    """Driver errors of a busy or unreachable store as the transient errors the flow retries;
    every other error (a bug, a bad statement) passes unchanged."""
    try:
        yield
    except DBAPIError as error:
        text = str(error.orig).lower()
        if isinstance(error, OperationalError) and any(w in text for w in _LOCKED):
            raise CaseStoreLocked(
                f"案件库被占用 / the case store is locked: {error.orig}"
            ) from error
        if error.connection_invalidated or any(w in text for w in _UNAVAILABLE):
            raise CaseStoreUnavailable(
                f"案件库不可用 / the case store is unavailable: {error.orig}"
            ) from error
        raise


def _sqlite_connect(dbapi_connection: Any, _: object, busy_ms: int = 30_000) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event opens transactions
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("amlwatch_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

"""The one settings object of amlwatch, read from `AMLWATCH_*` environment variables or `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Operator settings. Every field can be set as `AMLWATCH_<FIELD>` (see `.env.example`)."""

    model_config = SettingsConfigDict(env_prefix="AMLWATCH_", env_file=".env", extra="ignore")

    inbox: Path = Field(
        Path("data_samples/inbox"),
        description="Folder with one sub-folder per business date (YYYY-MM-DD) of input files.",
    )
    db: Path = Field(Path("amlwatch.duckdb"), description="The DuckDB warehouse file.")
    reports_dir: Path = Field(
        Path("reports"), description="Where report tables and XML are written."
    )
    duckdb_memory_limit: str = Field(
        "4GB", description="DuckDB memory limit; it spills to disk beyond it."
    )
    duckdb_threads: int = Field(0, description="DuckDB worker threads; 0 means one per core.")
    calendar_file: Path | None = Field(
        None,
        description="TOML file with the statutory holiday schedule of years chinese-calendar "
        "does not know yet (see amlwatch.rules.calendar).",
    )
    lock_timeout_s: float = Field(
        30.0,
        description="How long to keep trying to open a warehouse another process holds.",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

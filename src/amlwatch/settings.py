"""The one settings object of amlwatch, read from `AMLWATCH_*` environment variables or `.env`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True)
class ScanSettings:
    """How the scans divide their work (never what they find: any values give the same hits).

    Passed into the stages (`Settings.scan`), so tests and benchmarks set them per call.
    """

    # the customer scan merges at most about this many rows at once (a few hundred MB of
    # arrays): a larger window is scanned in slices of customers, whose memory the next reuses
    slice_rows: int = 12_000_000
    # slices merged side by side: the merge and the kernel are one thread each, so two slices
    # keep two cores busy; more would only add memory on the machines this runs on
    slice_threads: int = 2
    # the day-run merge places about this many rows per block of keys (a few MB of output)
    block_rows: int = 100_000
    # leave out the customers that cannot reach a standard's minimums before merging
    # (`scanners.prune`; off only to compare against scanning everyone)
    prune: bool = True
    # the large-value pre-filter counts customer x day totals up to this many cells (1.6 GB);
    # beyond, every row is scanned
    max_cells: int = 100_000_000


class Settings(BaseSettings):
    """Operator settings. Every field can be set as `AMLWATCH_<FIELD>` (see `.env.example`)."""

    model_config = SettingsConfigDict(env_prefix="AMLWATCH_", env_file=".env", extra="ignore")

    inbox: Path = Field(
        Path("data_samples/inbox"),
        description="Folder with one sub-folder per business date (YYYY-MM-DD) of input files.",
    )
    db: Path = Field(Path("amlwatch.duckdb"), description="The DuckDB warehouse file.")
    window_store: str | None = Field(
        None,
        description="Where the scanners' encoded rows are kept (the window store, Parquet): a "
        "path or a URL (file://, s3://, gs://, or any fsspec URL); default: <warehouse>-window/ "
        "beside the warehouse. Back it up with the warehouse file: the warehouse lists its files.",
    )
    reports_dir: Path = Field(
        Path("reports"), description="Where report tables and XML are written."
    )
    log_file: Path = Field(
        Path("amlwatch.log"),
        description="Where the commands append their log: what they did, and the traceback "
        "of any unexpected error (the console gets one line saying where).",
    )
    duckdb_memory_limit: str = Field(
        "4GB", description="DuckDB memory limit; it spills to disk beyond it."
    )
    duckdb_scan_memory_limit: str = Field(
        "1GB",
        description="DuckDB memory limit of a scanner's read-only connection: the scan's arrays "
        "need the memory, not DuckDB's cache of what it already read.",
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
    case_db: str | None = Field(
        None,
        description="SQLAlchemy URL of the case store (review state, submission records), e.g. "
        "postgresql+psycopg://user@host/amlwatch; default: an SQLite file beside the warehouse "
        "(<warehouse>-cases.sqlite).",
    )
    institution_code: str = Field(
        "C0000000000001",
        description="Reporting institution code (RICD, 14 characters) from the PBOC financial "
        "institution code certificate. The default is the spec's example: set your own.",
    )
    reporting_branch: str | None = Field(
        None, description="Reporting outlet code of suspicious reports (RPNC); default RICD."
    )
    institution_name: str = Field(
        "示例银行股份有限公司（请设置机构名称）",
        description="The reporting institution's name, printed on every report form.",
    )
    report_filer: str | None = Field(
        None,
        description="Filer (RPNM) of a suspicious report no liaison proposed (the CLI's drafts); "
        "an approved case's filer is the liaison who proposed it.",
    )
    branch_codes_file: Path | None = Field(
        None,
        description="TOML file of the bank's branches: [branches] maps a branch code to the "
        'outlet code filed with the regulator (FINC), B001 = "C0000000000001001" (default: as '
        'they are); [names] names them for the screens, B001 = "北京分行营业部".',
    )
    review_levels: int = Field(
        2,
        ge=2,
        le=3,
        description="Approval levels of a suspicious case before it is reported: 2 (liaison "
        "proposes, approver confirms) or 3 (初审 / 复审 / 终审). An administrator's setting in "
        "the review app wins.",
    )
    session_timeout_minutes: int = Field(
        30, ge=1, description="Review app: a session unused this long ends (login again)."
    )
    access_four_eyes: bool = Field(
        True,
        description="Review app: a change giving someone sight of cases (a new liaison, approver "
        "or auditor, more branches, reactivation, a password reset) takes effect only when a "
        "second administrator approves it.",
    )
    session_max_hours: float = Field(
        12,
        gt=0,
        le=24,
        description="Review app: a session ends this long after its login, however busy.",
    )
    web_host: str = Field("127.0.0.1", description="Review app: address `amlwatch web` binds.")
    web_port: int = Field(8765, description="Review app: port `amlwatch web` listens on.")
    web_trusted_proxies: str = Field(
        "",
        description="Review app: addresses of the reverse proxies whose X-Forwarded-For / "
        "X-Forwarded-Proto headers are believed (comma-separated IPs). Empty: none, not even "
        "loopback — the client address is the connection's (login throttling counts by it).",
    )
    admin_password: SecretStr | None = Field(
        None,
        description="`amlwatch users create-admin`: the first administrator's password, for "
        "unattended installs (otherwise asked for twice, never echoed). Unset it afterwards.",
    )
    scan_slice_rows: int = Field(
        ScanSettings.slice_rows,
        ge=1,
        description="Pattern scan: at most about this many window rows are merged at once; a "
        "larger window is scanned in slices of customers (memory, not results).",
    )
    scan_slice_threads: int = Field(
        ScanSettings.slice_threads, ge=1, description="Pattern scan: slices merged side by side."
    )
    scan_block_rows: int = Field(
        ScanSettings.block_rows,
        ge=1,
        description="Pattern scan: rows placed per block of keys when the day runs are merged.",
    )
    scan_max_cells: int = Field(
        ScanSettings.max_cells,
        ge=1,
        description="Large-value scan: customer x day totals counted to pre-select the rows that "
        "may reach a threshold; beyond this many cells every row is scanned.",
    )
    audit_key: SecretStr | None = Field(
        None,
        description="The audit key (64 hex digits) that MACs every audit entry, as a secret "
        "instead of the key file; keep it outside the case store's database and its backups.",
    )
    audit_key_file: Path | None = Field(
        None,
        description="The audit key's file (mode 0600), made by `amlwatch audit init-key`; "
        "default: <warehouse>-audit.key beside the warehouse.",
    )
    audit_checkpoint_file: Path | None = Field(
        None,
        description="The append-only file of the audit chain's checkpoints (after every night "
        "and `amlwatch audit checkpoint`); default: <warehouse>-audit-checkpoints.log.",
    )
    retention_years: int = Field(
        10,
        ge=10,
        description="Records are kept this many years (at least 10: the revised Anti-Money "
        "Laundering Law and the PBOC customer due diligence measures); `amlwatch retention` "
        "purges what is older, except what an open case or an unfinished filing needs.",
    )
    web_secure_cookies: bool = Field(
        True,
        description="Review app: session cookies only over HTTPS (the browser also accepts "
        "them from http://localhost). Turn off only behind nothing but loopback.",
    )
    lists_dir: Path | None = Field(
        None,
        description="List screening: the folder a list feed drops list files into, named by "
        "list code and format (UN.xml, CN-CT.csv, INTERNAL.xlsx); each night imports a file "
        "that changed as the list's next version (audited as the system) before screening.",
    )
    screening_hit_score: int = Field(
        90,
        ge=1,
        le=100,
        description="List screening: a candidate scoring at least this is a suspected hit "
        "(疑似命中), a screening case at the top of every queue.",
    )
    screening_review_score: int = Field(
        75,
        ge=1,
        le=100,
        description="List screening: a candidate scoring at least this (and below the hit "
        "score) is still put to a person, in the review band (待核实); lower ones are dropped.",
    )
    screening_report_working_days: int = Field(
        1,
        ge=0,
        le=10,
        description="List screening: a confirmed hit is to be reported within this many working "
        "days (the special preventive measures say at once; the bank's own deadline).",
    )
    screening_counterparty_review: bool = Field(
        False,
        description="List screening: also open a case for a counterparty or agent in the "
        "review band (below the hit score). Off: only their suspected hits become cases (a "
        "counterparty is often known by its name alone); their review-band matches are kept "
        "in screening_matches (amlwatch screening matches --band review).",
    )
    rating_model: str = Field(
        "pboc-2013",
        description="Customer risk rating: the rating model, a bundled one by name (pboc-2013: "
        "three levels; pboc-2013-five: five) or the path of the bank's own model file (.toml); "
        "checked whole when the night starts.",
    )

    @property
    def scan(self) -> ScanSettings:
        """The scan configuration the stages are given."""
        return ScanSettings(
            slice_rows=self.scan_slice_rows,
            slice_threads=self.scan_slice_threads,
            block_rows=self.scan_block_rows,
            max_cells=self.scan_max_cells,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

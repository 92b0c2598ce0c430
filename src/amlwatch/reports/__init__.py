"""Writers of report tables (xlsx/csv) and regulator files; they take domain rows only."""

from amlwatch.reports.large_value_tables import ReportFiles, write_large_value_tables
from amlwatch.reports.suspicious_tables import SuspiciousReportFiles, write_suspicious_tables

__all__ = [
    "ReportFiles",
    "SuspiciousReportFiles",
    "write_large_value_tables",
    "write_suspicious_tables",
]

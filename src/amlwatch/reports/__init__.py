"""Writers of report tables (xlsx/csv) and regulator files; they take domain rows only."""

from amlwatch.reports.large_value_tables import ReportFiles, write_large_value_tables

__all__ = ["ReportFiles", "write_large_value_tables"]

"""The nightly stages, one module each: ingest, large value, patterns (and the alerts,
narrative and replay they use), filings, cases, rescan and the run log.

Each entry point opens what it needs through `amlwatch.wiring`, does one thing and returns
a summary; the Prefect tasks of `pipelines/` wrap them one to one, and the CLI calls them too.
"""

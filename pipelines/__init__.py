"""The Prefect flows of amlwatch."""

import amlwatch  # noqa: F401  (switches Prefect telemetry off before Prefect is imported)

"""amlwatch: anti-money-laundering transaction monitoring for Chinese banks."""

import os

__version__ = "0.1.0"

# amlwatch makes no outbound connection of its own: Prefect's anonymous usage telemetry is off
# in every entry point (CLI, flows, workers, tests), set before Prefect is first imported.
for _name, _value in {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}.items():
    os.environ[_name] = _value

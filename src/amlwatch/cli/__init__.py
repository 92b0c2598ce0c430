"""The `amlwatch` command. 反洗钱交易监测 / anti-money-laundering transaction monitoring.

One module per area — `run` (nightly, backfill, serve), `inspect` (what the nights did),
`filing` (the regulator's files), `review` (the web app, users, audit) and `tools` — each
registering its commands on the one Typer app of `common`.
"""

from amlwatch.cli import filing, inspect, network, rating, review, run, screening, standards, tools
from amlwatch.cli.boundary import quiet_shutdown
from amlwatch.cli.common import app

__all__ = [
    "app",
    "filing",
    "inspect",
    "main",
    "network",
    "rating",
    "review",
    "run",
    "screening",
    "standards",
    "tools",
]


def main() -> None:
    """The `amlwatch` command (its console script): the app, with the interpreter's shutdown
    noise kept off the console."""
    quiet_shutdown()
    app()

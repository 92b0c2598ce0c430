"""`python -m amlwatch.cli`: the same command as `amlwatch`."""

from amlwatch.cli import main

main()

"""amlwatch: anti-money-laundering transaction monitoring for Chinese banks."""

__version__ = "0.1.0"

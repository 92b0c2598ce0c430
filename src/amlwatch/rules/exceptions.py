"""Errors of rule packs and the business-day calendar."""

from __future__ import annotations


class RulesError(Exception):
    """Base of rule-pack and calendar errors; configuration errors are terminal."""

    retryable = False


class UnknownRulePack(RulesError):
    """No rule pack of that name, or none in force on a date."""


class CalendarUnknown(RulesError):
    """A date outside every year the calendar knows: no guess is made."""

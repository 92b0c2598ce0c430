"""The synthetic bank: a realistic inbox with planted, labelled cases and their ground truth."""

from amlwatch.synth.generate import FORMATS, GenerateSummary, generate_bank

__all__ = ["FORMATS", "GenerateSummary", "generate_bank"]

"""Customer hash buckets: the unit of scale-out.

Both scanners look at one customer at a time (a per-account subject belongs to one customer),
so a scan split by the customer's 64-bit `hash(customer_id)` finds exactly what the whole scan
finds, for any bucket count. Bucket `index` of `count` is the index-th of `count` equal ranges
of hash values: each bucket reads only its customers' rows, so buckets can run on separate
workers and a night that does not fit in memory can run in several passes. Ranges (not
remainders) nest — bucket i of n is buckets i·k … i·k + k − 1 of n·k — and let DuckDB skip
the row groups of a table stored in hash order (the day runs) that a bucket does not need.
"""

from __future__ import annotations

from dataclasses import dataclass

_HASHES = 2**64


@dataclass(frozen=True, slots=True)
class Bucket:
    """Bucket `index` of `count`: the customers whose `hash(customer_id)` lies in
    [index · 2⁶⁴ / count, (index + 1) · 2⁶⁴ / count)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not (isinstance(self.index, int) and isinstance(self.count, int)):
            raise TypeError("a bucket's index and count are integers")
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"bucket {self.index} of {self.count} does not exist")

    @classmethod
    def all_of(cls, count: int) -> list[Bucket]:
        """Every bucket of a split into `count`."""
        return [cls(i, count) for i in range(count)]

    def split(self, parts: int) -> list[Bucket]:
        """This bucket as `parts` smaller ones (the same customers between them)."""
        return [Bucket(self.index * parts + i, self.count * parts) for i in range(parts)]

    @property
    def hashes(self) -> tuple[int, int]:
        """The first and the last hash value of the bucket."""
        return (
            self.index * _HASHES // self.count,
            (self.index + 1) * _HASHES // self.count - 1,
        )

    def where(self, column: str) -> str:
        """A SQL condition keeping the rows of this bucket (`true` when there is one bucket)."""
        return self.where_hashed(f"hash({column})")

    def where_hashed(self, column: str) -> str:
        """The same condition on a column that holds `hash(customer_id)` already."""
        if self.count == 1:
            return "true"
        first, last = self.hashes
        return f"{column} BETWEEN {first}::UBIGINT AND {last}::UBIGINT"

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"


WHOLE = Bucket()

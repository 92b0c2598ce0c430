"""Customer hash buckets: the unit of scale-out.

Both scanners look at one customer at a time (a per-account subject belongs to one customer),
so a scan split by `hash(customer_id) % count` finds exactly what the whole scan finds, for any
bucket count. Each bucket reads only its customers' rows, so buckets can run on separate
workers and a night that does not fit in memory can run in several passes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bucket:
    """Bucket `index` of `count`: the customers with `hash(customer_id) % count == index`."""

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

    def where(self, column: str) -> str:
        """A SQL condition keeping the rows of this bucket (`true` when there is one bucket)."""
        if self.count == 1:
            return "true"
        return f"hash({column}) % {self.count} = {self.index}"

    def where_hashed(self, column: str) -> str:
        """The same condition on a column that holds `hash(customer_id)` already."""
        if self.count == 1:
            return "true"
        return f"{column} % {self.count} = {self.index}"

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"


WHOLE = Bucket()

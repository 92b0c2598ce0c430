"""Arrow columns into the kernels' arrays: DECIMAL(p, 3) amounts as int64 thousandths."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from amlwatch.stages.arrays import decimal_milli

D = pa.decimal128(20, 3)
W = pa.decimal128(38, 3)  # room for amounts beyond int64


def test_amounts_are_read_in_place_chunk_by_chunk_and_slice_by_slice() -> None:
    values = [Decimal("0.001"), Decimal("50000"), Decimal("-2.5"), Decimal("9223372036854775.807")]
    whole = pa.array(values, D)
    chunked = pa.chunked_array([whole.slice(0, 1), whole.slice(1, 2), whole.slice(3)])
    expected = [1, 50_000_000, -2_500, 2**63 - 1]
    assert decimal_milli(whole).tolist() == expected
    assert decimal_milli(chunked).tolist() == expected
    assert decimal_milli(whole.slice(1, 2)).tolist() == expected[1:3]
    assert decimal_milli(pa.chunked_array([], D)).dtype == np.int64


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (pa.array([Decimal("9223372036854775.808")], D), "beyond the int64 range"),
        (pa.chunked_array([pa.array([Decimal(1)], W), pa.array([Decimal(-(2**70))], W)]),
         "beyond the int64 range"),
        (pa.array([Decimal(1), None], D), "must not be null"),
        (pa.array([Decimal("1.5")], pa.decimal128(20, 2)), "expected decimal128"),
    ],
)  # fmt: skip
def test_an_amount_that_does_not_fit_is_refused(column: pa.Array, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decimal_milli(column)

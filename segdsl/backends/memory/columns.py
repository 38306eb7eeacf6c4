"""Per-customer columns, one class per way of comparing, and exact integer arithmetic.

Numbers and money are :class:`Exact` rationals ``num / den`` (``den > 0``) over integers, so
every comparison is a cross-multiplication of integers: never a float division. Integers stay
``int64`` while a bound proves the product fits and become Python ints (object arrays)
otherwise, which is slower but still exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from segdsl.backends.memory.prepare import BoolArray, FloatArray, IntArray

ObjArray = npt.NDArray[np.object_]
Ints = IntArray | ObjArray | int  # an int64 array, an array of Python ints, or one int
Mask = BoolArray | bool
_LIMIT = 2**63 - 1


def max_abs(x: Ints) -> int:
    if isinstance(x, int):
        return abs(x)
    if x.size == 0:
        return 0
    return max(abs(int(x.max())), abs(int(x.min())))


def _is_wide(x: Ints) -> bool:
    return (isinstance(x, int) and max_abs(x) > _LIMIT) or \
        (isinstance(x, np.ndarray) and x.dtype == object)


def mul(a: Ints, b: Ints) -> Ints:
    """``a * b`` exactly: in int64 when ``max|a| * max|b|`` fits, else in Python ints.

    >>> mul(np.array([3]), 2**62).tolist()
    [13835058055282163712]
    """
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if not _is_wide(a) and not _is_wide(b) and max_abs(a) * max_abs(b) <= _LIMIT:
        return np.multiply(a, b, dtype=np.int64)
    return widen(a) * widen(b)  # type: ignore[no-any-return]


def widen(x: Ints) -> Any:
    """``x`` with Python-int elements, so no operation on it can overflow."""
    return x if isinstance(x, int) else x.astype(object)


def align(a: Ints, b: Ints) -> tuple[Any, Any]:
    """Make ``a`` and ``b`` safe to compare: an int64 array against a Python int (or array)
    beyond int64 is widened, since numpy would refuse or wrap."""
    if _is_wide(a) or _is_wide(b):
        return widen(a), widen(b)
    return a, b


@dataclass(frozen=True)
class Exact:
    """``num / den`` per customer (numbers and money); only where ``present``."""

    num: Ints
    den: Ints
    present: Mask


@dataclass(frozen=True)
class Floats:
    """Custom number attributes: float64, as SQL engines hold them (DOUBLE)."""

    values: FloatArray
    present: Mask


@dataclass(frozen=True)
class Days:
    """Dates as days since 1970-01-01."""

    values: IntArray
    present: Mask


@dataclass(frozen=True)
class Texts:
    """Codes into a vocabulary of lowered strings; -1 is missing."""

    codes: IntArray
    vocab: list[str]


@dataclass(frozen=True)
class TextSets:
    """Distinct (customer, code) pairs: customer ``who[k]`` has value ``vocab[code[k]]``."""

    who: IntArray
    code: IntArray
    vocab: list[str]


Column = Exact | Floats | Days | Texts | TextSets

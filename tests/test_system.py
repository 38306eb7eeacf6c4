"""The SYSTEM segments (segdsl/system): they check cleanly, and they partition the customers
with an order in their window, for every combination of scores and on real data, identically
on every engine."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from agreement import reloaded as _loaded

from segdsl.backends.memory import compute_fields, prepare
from segdsl.catalog import FIELDS
from segdsl.check import check_condition, check_file
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.runner import MemorySession, Session, SqlSession
from segdsl.store.model import Customers, Orders, Store
from segdsl.store.reader import read_folder
from segdsl.syntax.parser import parse_window
from segdsl.system import NAMES, system_segments, system_sources

SEGMENTS = system_segments()
TITLES = ["Champions", "Loyal Customers", "Potential Loyalists", "New Customers", "At Risk",
          "Can't Lose Them", "Hibernating", "Lost"]
COMBOS = list(itertools.product(range(1, 6), repeat=3))  # (R, F, M)


def test_the_eight_segments_check_without_warnings() -> None:
    for name, text in system_sources().items():
        result = check_file(text, origin=name)
        assert result.ok and not result.diagnostics, [d.message for d in result.diagnostics]
    assert [s.name for s in SEGMENTS] == list(NAMES)
    assert [s.title for s in SEGMENTS] == TITLES
    for s in SEGMENTS:
        assert s.description and len(s.description) > 20, s.name
        assert s.window is not None and s.window.end is None  # from -1y to the as-of day
        assert check_condition("orders >= 1", window=parse_window("from -1y")) \
            .segments[0].window == s.window


# --- all 125 score combinations ------------------------------------------------------------

AS_OF = date(2024, 12, 31)
FIRST_DAY = date(2024, 1, 1)  # inside the window (from -1y = 2023-12-31)


def _ranks(level: list[int]) -> list[int]:
    """Distinct ranks 0..124 such that a customer whose target score is k gets a rank in
    [25(k-1), 25k): with n = 125, score = 1 + floor(5 * rank / 125) = 1 + rank // 25."""
    used = {k: 25 * (k - 1) for k in range(1, 6)}
    out = []
    for k in level:
        out.append(used[k])
        used[k] += 1
    return out


def combination_store() -> Store:
    """125 customers, customer i scoring COMBOS[i], plus one without orders.

    R rank r: the last order is r days after FIRST_DAY; F rank f: f + 1 orders, all on that
    day; M rank m: spent m + 1 (on the first order). Every value is distinct per dimension, so
    the rank is exactly the number of customers worse off."""
    r_rank, f_rank, m_rank = (_ranks([c[d] for c in COMBOS]) for d in range(3))
    ids = [f"k{i:03d}" for i in range(len(COMBOS))] + ["never"]
    order_ids, owners, stamps, totals = [], [], [], []
    for i in range(len(COMBOS)):
        day = datetime.combine(FIRST_DAY + timedelta(days=r_rank[i]), datetime.min.time())
        for j in range(f_rank[i] + 1):
            order_ids.append(f"{ids[i]}-{j}")
            owners.append(ids[i])
            stamps.append(day)
            totals.append((m_rank[i] + 1) * 100 if j == 0 else 0)
    none = [None] * len(ids)
    return Store(Customers(ids, none, none, none, none),
                 Orders(order_ids, owners, np.array(stamps, dtype="datetime64[s]"),
                        np.array(totals, dtype=np.int64)))


COMBO_STORE = combination_store()
CTX = RunContext(as_of=AS_OF)


def test_the_crafted_store_has_every_score_combination() -> None:
    """The store really covers the 125 combinations (else the partition test proves less)."""
    fields = compute_fields(prepare(COMBO_STORE), SEGMENTS[0].window, CTX)
    scores = []
    for name in ("recency_score", "frequency_score", "monetary_score"):
        column = fields.column(FIELDS[name])
        assert column.den == 1  # type: ignore[union-attr]
        scores.append(np.asarray(column.num).tolist())  # type: ignore[union-attr]
    got = list(zip(*scores, strict=True))[:len(COMBOS)]
    assert got == COMBOS


def _membership(session: Session, segments: list[CheckedSegment],
                ctx: RunContext) -> dict[str, list[str]]:
    """Customer id -> the names of the segments they are in."""
    where: dict[str, list[str]] = {}
    for s in segments:
        for cid in session.customer_ids(s, ctx):
            where.setdefault(cid, []).append(s.name)
    return where


def test_every_combination_is_in_exactly_one_segment() -> None:
    where = _membership(MemorySession(COMBO_STORE), SEGMENTS, CTX)
    problems = {COMBOS[int(cid[1:])]: names for cid, names in where.items()
                if len(names) != 1}
    gaps = [c for i, c in enumerate(COMBOS) if f"k{i:03d}" not in where]
    assert not problems and not gaps, (problems, gaps)
    assert "never" not in where  # no order in the window: no scores, no segment
    sizes = {s: sum(1 for names in where.values() if names == [s]) for s in NAMES}
    assert sum(sizes.values()) == 125
    assert sizes == {"champions": 8, "loyal_customers": 22, "potential_loyalists": 30,
                     "new_customers": 10, "at_risk": 22, "cant_lose_them": 8,
                     "hibernating": 15, "lost": 10}


def test_an_overlap_or_a_gap_would_be_caught() -> None:
    """The partition test is not vacuous: widening or narrowing one definition fails it."""
    text = system_sources()["rfm.seg"]
    # rfm.seg is kept in `segdsl fmt` layout (lower-case keywords).
    for before, after in [("frequency_score between 2 and 3", "frequency_score between 1 and 3"),
                          ("recency_score = 1 and frequency_score <= 2",
                           "recency_score = 1 and frequency_score <= 1")]:
        assert before in text
        changed = check_file(text.replace(before, after)).segments
        where = _membership(MemorySession(COMBO_STORE), changed, CTX)
        assert len(where) != 125 or any(len(n) != 1 for n in where.values()), before


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_combinations_identical_on_embedded_engines(dialect: str) -> None:
    memory = _membership(MemorySession(COMBO_STORE), SEGMENTS, CTX)
    with SqlSession(f"{dialect}:///:memory:", store=COMBO_STORE) as session:
        assert _membership(session, SEGMENTS, CTX) == memory


# --- the example data (examples/online-retail) --------------------------------------------

DATA = Path(__file__).resolve().parents[1] / "examples" / "online-retail"
RETAIL_CTX = RunContext(as_of=date(2011, 12, 9))


@pytest.fixture(scope="module")
def retail() -> Store:
    return read_folder(DATA)


def _partition(session: Session) -> dict[str, list[str]]:
    """The members of each SYSTEM segment, after checking that they partition the customers
    with an order in the window."""
    members = {s.name: session.customer_ids(s, RETAIL_CTX) for s in SEGMENTS}
    ordered = check_condition("orders >= 1", window=parse_window("from -1y")).segments[0]
    buyers = session.customer_ids(ordered, RETAIL_CTX)
    everyone = [cid for ids in members.values() for cid in ids]
    assert sorted(everyone) == sorted(buyers)  # each buyer once, nobody else
    assert 0 < len(buyers) < len(session.customer_ids(
        check_condition("orders >= 0").segments[0], RETAIL_CTX))
    return members


@pytest.fixture(scope="module")
def retail_in_memory(retail: Store) -> dict[str, list[str]]:
    return _partition(MemorySession(retail))


def test_example_data_partition_in_memory(retail_in_memory: dict[str, list[str]]) -> None:
    assert all(retail_in_memory.values())  # every segment has customers on real data


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_example_data_partition_on_embedded_engines(
        dialect: str, retail: Store, retail_in_memory: dict[str, list[str]]) -> None:
    with SqlSession(f"{dialect}:///:memory:", store=retail) as session:
        assert _partition(session) == retail_in_memory


def _server(url: str, retail: Store, retail_in_memory: dict[str, list[str]]) -> None:
    with _loaded(url, retail) as session:
        assert _partition(session) == retail_in_memory
    memory = _membership(MemorySession(COMBO_STORE), SEGMENTS, CTX)
    with _loaded(url, COMBO_STORE) as session:
        assert _membership(session, SEGMENTS, CTX) == memory


@pytest.mark.postgres
def test_partition_on_postgres(postgres_url: str, retail: Store,
                               retail_in_memory: dict[str, list[str]]) -> None:
    _server(postgres_url, retail, retail_in_memory)


@pytest.mark.mysql
def test_partition_on_mysql(mysql_url: str, retail: Store,
                            retail_in_memory: dict[str, list[str]]) -> None:
    _server(mysql_url, retail, retail_in_memory)

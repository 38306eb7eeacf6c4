"""Real data: the shipped slice of UCI Online Retail (examples/online-retail) gives the same
customers for every segment on every executed engine, and agrees with answers computed here
directly from the CSV files, independently of segdsl."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from segdsl.check import check_condition, check_file
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.runner import Session, SqlSession, StoreSource, open_session
from segdsl.store.reader import read_folder

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DATA = EXAMPLES / "online-retail"
AS_OF = date(2011, 12, 9)
EXTRA = [
    "orders >= 10",
    'country = "France" OR country = "DEU"',
    'product_type = "mug" AND NOT collection CONTAINS "christmas"',
    "aov > store_aov AND last_order_date >= -3m",
    "amount_spent BETWEEN 1000 AND 5000.5 OR orders = 1 AND aov < 100",
    'country NOT IN ("GB") AND days_since_last_order <= 30',
    "first_order_date < 2011-01-01 AND last_order_date > 2011-11-01",
]


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def segments() -> list[CheckedSegment]:
    store = read_folder(DATA)
    result = check_file((EXAMPLES / "segments.seg").read_text("utf-8"), schema=store.schema())
    assert result.ok, [d.message for d in result.diagnostics]
    extra = []
    for i, text in enumerate(EXTRA):
        checked = check_condition(text, schema=store.schema(), name=f"extra_{i}")
        assert checked.ok, text
        extra += checked.segments
    return result.segments + extra


def _all(session: Session, segments: list[CheckedSegment]) -> dict[str, list[str]]:
    ctx = RunContext(as_of=AS_OF, timezone=session.timezone)
    return {s.name: session.customer_ids(s, ctx) for s in segments}


@pytest.fixture(scope="module")
def in_memory(segments: list[CheckedSegment]) -> dict[str, list[str]]:
    with open_session(StoreSource(data=DATA, engine="memory")) as session:
        return _all(session, segments)


def test_example_segments_are_neither_empty_nor_everyone(in_memory: dict[str, list[str]]
                                                        ) -> None:
    customers = len(_rows("customers"))
    for name, ids in in_memory.items():
        if not name.startswith("extra_"):
            assert 0 < len(ids) < customers, name


@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_folder_engines_agree_with_memory(engine: str, segments: list[CheckedSegment],
                                          in_memory: dict[str, list[str]]) -> None:
    with open_session(StoreSource(data=DATA, engine=engine)) as session:
        assert _all(session, segments) == in_memory


def _loaded(url: str) -> Iterator[Session]:
    from segdsl.engines import connect

    with connect(url) as engine:
        engine.load(read_folder(DATA), replace=True)
    session = SqlSession(url)
    try:
        yield session
    finally:
        session.close()


@pytest.mark.postgres
def test_postgres_agrees_with_memory(postgres_url: str, segments: list[CheckedSegment],
                                     in_memory: dict[str, list[str]]) -> None:
    for session in _loaded(postgres_url):
        assert _all(session, segments) == in_memory


@pytest.mark.mysql
def test_mysql_agrees_with_memory(mysql_url: str, segments: list[CheckedSegment],
                                  in_memory: dict[str, list[str]]) -> None:
    for session in _loaded(mysql_url):
        assert _all(session, segments) == in_memory


# --- answers computed straight from the CSV files ------------------------------------------

def test_order_counts_match_a_direct_count(in_memory: dict[str, list[str]]) -> None:
    per_customer = Counter(o["customer_id"] for o in _rows("orders")
                           if o["ordered_at"][:10] <= AS_OF.isoformat())
    assert in_memory["extra_0"] == sorted(c for c, n in per_customer.items() if n >= 10)


def test_country_spellings_match_a_direct_filter(in_memory: dict[str, list[str]]) -> None:
    wanted = {"fr", "fra", "france", "de", "deu", "germany"}
    direct = sorted(c["customer_id"] for c in _rows("customers")
                    if c["country"].lower() in wanted)
    assert direct and in_memory["extra_1"] == direct


def test_set_fields_match_a_direct_join(in_memory: dict[str, list[str]]) -> None:
    owner = {o["order_id"]: o["customer_id"] for o in _rows("orders")}
    types = {p["product_id"]: p["product_type"].lower() for p in _rows("products")}
    collections: dict[str, set[str]] = defaultdict(set)
    for row in _rows("product_collections"):
        collections[row["product_id"]].add(row["collection"].lower())
    mugs, christmas = set(), set()
    for item in _rows("order_items"):
        customer = owner[item["order_id"]]
        if types.get(item["product_id"]) == "mug":
            mugs.add(customer)
        if any("christmas" in c for c in collections[item["product_id"]]):
            christmas.add(customer)
    assert in_memory["extra_2"] == sorted(mugs - christmas)

"""What every part of the compiler needs to know: dialect rules, names, the as-of day."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp

from segdsl.backends.sql.dialects import Rules
from segdsl.context import RunContext
from segdsl.store.mapping import TableMapping

# CTE and alias names; prefixed so that they cannot shadow a user's table.
SELECTED = "segdsl_orders"  # selected orders: known customers, in the window
AGG = "segdsl_agg"  # one row per customer with at least one selected order
STORE = "segdsl_store"  # one row: the store-wide totals of the selected orders
RANKS = "segdsl_rank"  # per customer in AGG: how many rank worse on R, F and M; and n
RFM = "segdsl_rfm"  # per customer in AGG: the recency, frequency and monetary scores
CUSTOMERS = "c"


def ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=True)  # what to_identifier(name, quoted=True) builds


def col(name: str, table: str | None = None) -> exp.Column:
    # ident() spelt out: the compiler builds thousands of these.
    return exp.Column(this=exp.Identifier(this=name, quoted=True),
                      table=exp.Identifier(this=table, quoted=True) if table else None)


@dataclass
class Scope:
    rules: Rules
    mapping: TableMapping
    ctx: RunContext
    money_scale: int
    depth: int = 0  # 0 for the query itself, n for a segment referred to n levels down
    uses_store: bool = field(default=False)  # set when store_aov is read: adds the STORE CTE
    uses_rfm: bool = field(default=False)  # set when a score is read: adds RANKS and RFM
    # Shared by a statement's nested scopes, for dialects without WITH in a derived table
    # (Rules.nested_with): the CTEs of IN SEGMENT's queries, moved to the top of the statement,
    # and the numbers that keep their names unique there.
    hoisted: list[tuple[str, exp.Select]] = field(default_factory=list)
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def table(self, canonical: str, alias: str | None = None) -> exp.Table:
        """A canonical table by its mapped name, schema-qualified when the mapping says so."""
        db = ident(self.mapping.schema) if self.mapping.schema else None
        return exp.Table(this=ident(self.mapping.table(canonical)), db=db,
                         alias=exp.TableAlias(this=ident(alias)) if alias else None)

    def column(self, canonical_table: str, canonical: str, alias: str) -> exp.Column:
        return col(self.mapping.column(canonical_table, canonical), alias)

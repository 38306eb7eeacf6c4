"""Per-dialect rules: the few places where one SQL text cannot serve every engine.

sqlglot transpiles most constructs; :class:`Rules` covers what it cannot know, because it is
about *meaning* rather than syntax: how to compare text exactly (case-folded by us, but
accent-, space- and case-sensitive from then on), how to find a substring without ``LIKE``
(whose ``%`` and ``_`` would be wildcards), how many days lie between two dates, and how to
print an exact decimal. One subclass per dialect that differs; :data:`RULES` is the table.
"""

from __future__ import annotations

from datetime import date

from sqlglot import exp

EXECUTED = ("duckdb", "sqlite", "postgres", "mysql", "spark")
GENERATED = ("bigquery", "snowflake", "trino", "redshift", "tsql", "clickhouse")
DIALECTS = EXECUTED + GENERATED


def num(value: int) -> exp.Expr:
    """An integer literal; negative values are wrapped so ``a * -1`` prints correctly."""
    lit = exp.Literal.number(abs(value))
    return exp.Neg(this=lit) if value < 0 else lit


def date_lit(day: date) -> exp.Expr:
    # Printed as DATE('...') by sqlglot on SQLite, which stores dates as ISO text: comparable.
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE, copy=False)


def decimal_type(precision: int, scale: int) -> exp.DataType:
    """``DECIMAL(precision, scale)``, built as ``DataType.build`` parses it (without parsing)."""
    return exp.DataType(this=exp.DataType.Type.DECIMAL, expressions=[
        exp.DataTypeParam(this=exp.Literal.number(precision)),
        exp.DataTypeParam(this=exp.Literal.number(scale))], nested=False)


class Rules:
    """The defaults: engines whose string comparison is exact (binary) once lowered."""

    name = "generic"
    decimal = True  # has DECIMAL(38, 0) to keep cross-multiplied money from overflowing BIGINT

    def lower(self, e: exp.Expr) -> exp.Expr:
        return exp.Lower(this=self.dotted_i(e))

    def dotted_i(self, e: exp.Expr) -> exp.Expr:
        """``e`` with U+0130 (İ) spelt as Python lowers it, ``i`` + U+0307 (combining dot).

        Python's ``str.lower`` (the language's folding) maps İ to those two characters, while
        the databases' LOWER() maps it to a plain ``i`` (it is the one character where DuckDB
        and PostgreSQL differ from Python): without this, ``name = "İstanbul"`` would miss a
        stored "İSTANBUL" and ``name = "istanbul"`` would match it. Both characters lower to
        themselves, so replacing before LOWER() gives exactly Python's result.
        """
        return exp.Anonymous(this="REPLACE", expressions=[
            e, self.text("\u0130"), self.text("i\u0307")])

    def text(self, value: str) -> exp.Expr:
        return exp.Literal.string(value)

    def key(self, e: exp.Expr) -> exp.Expr:
        """``e`` made comparable byte for byte (no case/accent folding, no space padding)."""
        return e

    def eq_in(self, e: exp.Expr, values: list[str]) -> exp.Expr:
        keys = [self.key(self.text(v)) for v in values]
        if len(keys) == 1:
            return exp.EQ(this=self.key(e), expression=keys[0])
        return exp.In(this=self.key(e), expressions=keys)

    def eq(self, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        return exp.EQ(this=self.key(a), expression=self.key(b))

    def position(self, e: exp.Expr, pattern: str) -> exp.Expr:
        """1-based position of ``pattern`` in ``e`` (0 when absent)."""
        return exp.StrPosition(this=self.key(e), substr=self.key(self.text(pattern)))

    def contains(self, e: exp.Expr, pattern: str) -> exp.Expr:
        return exp.GT(this=self.position(e, pattern), expression=num(0))

    def starts(self, e: exp.Expr, pattern: str) -> exp.Expr:
        # The first occurrence is at 1 exactly when the text starts with the pattern.
        return exp.EQ(this=self.position(e, pattern), expression=num(1))

    def suffix(self, e: exp.Expr, length: int) -> exp.Expr:
        return exp.Right(this=e, expression=num(length))

    def length(self, pattern: str) -> int:
        return len(pattern)

    def ends(self, e: exp.Expr, pattern: str) -> exp.Expr:
        tail = self.suffix(self.key(e), self.length(pattern))
        return exp.EQ(this=tail, expression=self.key(self.text(pattern)))

    def days_between(self, later: date, earlier: exp.Expr) -> exp.Expr:
        return exp.DateDiff(this=date_lit(later), expression=earlier, unit=exp.var("DAY"))

    def nested_suffix(self, depth: int, ordinal: int) -> str:
        """What the CTE names of a query nested ``depth`` levels down (``IN SEGMENT``) end in;
        ``ordinal`` counts the nested queries of the whole statement, 1, 2, ... Where a nested
        query keeps its WITH, its level's suffix is enough: names only have to differ from the
        enclosing queries' (docs/dialects.md)."""
        return f"_{depth}"

    def money(self, minor: exp.Expr, scale: int) -> exp.Expr:
        """An exact decimal from an integer count of minor units (multiply: never divide)."""
        as_dec = exp.cast(minor, decimal_type(38, scale), copy=False)
        if scale == 0:
            return as_dec
        unit = exp.Literal.number("0." + "0" * (scale - 1) + "1")
        return exp.cast(exp.Mul(this=as_dec, expression=unit), decimal_type(38, scale),
                        copy=False)


def _substr(e: exp.Expr, start: int) -> exp.Expr:
    # SUBSTR, not SUBSTRING (SQLite < 3.34 lacks the latter); negative starts count from the end.
    return exp.Anonymous(this="SUBSTR", expressions=[e, num(start)])


class Postgres(Rules):
    name = "postgres"

    def days_between(self, later: date, earlier: exp.Expr) -> exp.Expr:
        # date - date is an integer number of days; sqlglot's generic form goes via epochs.
        return exp.paren(exp.Sub(this=date_lit(later), expression=earlier), copy=False)


class SQLite(Rules):
    name = "sqlite"
    decimal = False  # CAST(... AS DECIMAL) means REAL in SQLite: integers stay 64-bit there

    def suffix(self, e: exp.Expr, length: int) -> exp.Expr:
        # SQLite has no RIGHT(); SUBSTR with a negative start counts from the end.
        return _substr(e, -length)

    def money(self, minor: exp.Expr, scale: int) -> exp.Expr:
        # No decimal type: build the exact text '-12.30' from the integer.
        if scale == 0:
            return exp.cast(minor, exp.DataType.Type.TEXT, copy=False)
        # minor appears three times: copies for two of them (no node is shared in the tree).
        sign = (exp.case().when(exp.LT(this=minor.copy(), expression=num(0)),
                                exp.Literal.string("-"), copy=False)
                .else_(exp.Literal.string(""), copy=False))
        # Integer division here; parenthesised because || binds tighter than / in SQLite.
        whole = exp.paren(exp.Div(this=exp.Abs(this=minor.copy()), expression=num(10 ** scale),
                                  typed=True), copy=False)
        frac = _substr(exp.DPipe(this=exp.Literal.string("0" * scale),
                                 expression=exp.paren(exp.Mod(this=exp.Abs(this=minor),
                                                              expression=num(10 ** scale)),
                                                      copy=False)),
                       -scale)
        return exp.DPipe(this=exp.DPipe(this=exp.DPipe(this=sign, expression=whole),
                                        expression=exp.Literal.string(".")), expression=frac)


class MySQL(Rules):
    """The default collations (utf8mb4_general_ci, ..._0900_ai_ci) ignore case and accents
    and MariaDB's pad trailing spaces: compare binary strings, which do neither."""

    name = "mysql"

    def key(self, e: exp.Expr) -> exp.Expr:
        return exp.cast(e, exp.DataType.Type.BINARY, copy=False)

    def length(self, pattern: str) -> int:
        return len(pattern.encode("utf-8"))  # RIGHT() on a binary string counts bytes


class Spark(Rules):
    """sqlglot prints Spark SQL that Spark 2 accepts, which had WITH only at the top of a
    statement: it moves the CTEs of nested queries up there. Two segments referred to at the
    same level would then define ``segdsl_orders_1`` twice (DUPLICATED_CTE_NAMES), so each
    nested query's names are unique in the whole statement."""

    name = "spark"

    def nested_suffix(self, depth: int, ordinal: int) -> str:
        return f"_{depth}_{ordinal}"


class TSQL(Rules):
    """SQL Server's ``=`` ignores trailing spaces under every collation; appending a sentinel
    character makes them count, and a BIN2 collation makes case and accents count."""

    name = "tsql"

    def text(self, value: str) -> exp.Expr:
        return exp.National(this=value)

    def key(self, e: exp.Expr) -> exp.Expr:
        return exp.Collate(this=e, expression=exp.var("Latin1_General_BIN2"))

    def _sentinel(self, e: exp.Expr) -> exp.Expr:
        return self.key(exp.paren(exp.Add(this=e, expression=exp.National(this="|")),
                                  copy=False))

    def eq_in(self, e: exp.Expr, values: list[str]) -> exp.Expr:
        keys: list[exp.Expr] = [exp.National(this=v + "|") for v in values]
        return exp.In(this=self._sentinel(e), expressions=keys)

    def eq(self, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        return exp.EQ(this=self._sentinel(a), expression=self._sentinel(b))

    def position(self, e: exp.Expr, pattern: str) -> exp.Expr:
        return exp.StrPosition(this=self.key(e), substr=self.text(pattern))

    def ends(self, e: exp.Expr, pattern: str) -> exp.Expr:
        tail = exp.Right(this=e, expression=num(len(pattern)))
        return exp.EQ(this=self._sentinel(tail), expression=exp.National(this=pattern + "|"))


class ClickHouse(Rules):
    """``lower``/``position`` are byte-wise ASCII in ClickHouse; use the UTF-8 variants."""

    name = "clickhouse"

    def lower(self, e: exp.Expr) -> exp.Expr:
        return exp.Anonymous(this="lowerUTF8", expressions=[self.dotted_i(e)])

    def position(self, e: exp.Expr, pattern: str) -> exp.Expr:
        return exp.Anonymous(this="positionUTF8", expressions=[e, self.text(pattern)])

    def ends(self, e: exp.Expr, pattern: str) -> exp.Expr:
        return exp.Anonymous(this="endsWith", expressions=[e, self.text(pattern)])


RULES: dict[str, Rules] = {name: Rules() for name in DIALECTS}
RULES.update(postgres=Postgres(), redshift=Rules(), sqlite=SQLite(), mysql=MySQL(),
             spark=Spark(), tsql=TSQL(), clickhouse=ClickHouse())


def rules_for(dialect: str) -> Rules:
    from segdsl.errors import UsageError

    try:
        return RULES[dialect]
    except KeyError:
        raise UsageError(f"unknown SQL dialect {dialect!r}; choose one of "
                         f"{', '.join(DIALECTS)}") from None

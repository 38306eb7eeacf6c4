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

EXECUTED = ("duckdb", "sqlite", "postgres", "mysql", "clickhouse", "spark")
GENERATED = ("bigquery", "snowflake", "trino", "redshift", "tsql")
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
    nested_with = True  # accepts WITH inside a derived table (IN SEGMENT's subqueries)

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

    def day_literal(self, day: date) -> exp.Expr:
        """A date literal."""
        return date_lit(day)

    def to_date(self, e: exp.Expr) -> exp.Expr:
        """The calendar date of a (naive, store-local) timestamp."""
        return exp.cast(e, exp.DataType.Type.DATE, copy=False)

    def finish(self, select: exp.Select) -> exp.Select:
        """The complete statement (never a nested query): where a dialect adds what the whole
        statement needs to mean what the compiler says."""
        return select

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
        return exp.DateDiff(this=self.day_literal(later), expression=earlier, unit=exp.var("DAY"))

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
        return exp.paren(exp.Sub(this=self.day_literal(later), expression=earlier), copy=False)


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
    """sqlglot prints Spark SQL with WITH only at the top of a statement: it would move the
    CTEs of nested queries up there itself, and two segments referred to at the same level
    would then both define ``segdsl_orders_1`` (DUPLICATED_CTE_NAMES). segdsl hoists them
    instead, numbered through the statement, as for T-SQL."""

    name = "spark"
    nested_with = False


class PaddedEquality(Rules):
    """Engines whose ``=`` ignores trailing spaces (``'a' = 'a '`` is true): every text
    equality compares ``x`` + a sentinel character with the value + the sentinel, so a
    trailing space is no longer trailing. Substring searches (CONTAINS, STARTS WITH) are
    positions, not comparisons, and need no sentinel."""

    SENTINEL = "|"

    def concat(self, e: exp.Expr, tail: str) -> exp.Expr:
        return exp.DPipe(this=e, expression=self.text(tail))

    def _sentinel(self, e: exp.Expr) -> exp.Expr:
        return self.key(exp.paren(self.concat(e, self.SENTINEL), copy=False))

    def eq_in(self, e: exp.Expr, values: list[str]) -> exp.Expr:
        keys = [self.text(v + self.SENTINEL) for v in values]
        if len(keys) == 1:
            return exp.EQ(this=self._sentinel(e), expression=keys[0])
        return exp.In(this=self._sentinel(e), expressions=keys)

    def eq(self, a: exp.Expr, b: exp.Expr) -> exp.Expr:
        return exp.EQ(this=self._sentinel(a), expression=self._sentinel(b))

    def ends(self, e: exp.Expr, pattern: str) -> exp.Expr:
        tail = self.suffix(self.key(e), self.length(pattern))
        return exp.EQ(this=self._sentinel(tail), expression=self.text(pattern + self.SENTINEL))


class Redshift(PaddedEquality):
    """Redshift documents trailing blanks of VARCHAR as insignificant in comparisons."""

    name = "redshift"


class TSQL(PaddedEquality):
    """SQL Server's ``=`` ignores trailing spaces under every collation (the sentinel makes
    them count), and its collations decide case, accents, ``LOWER`` and what a character is.
    Every text is therefore taken as NVARCHAR under one fixed binary collation before it is
    folded: REPLACE and LOWER then work the same whatever the column's collation (a CI_AI
    collation would make REPLACE turn every ``i`` into the dotted form, a Turkish one would
    lower ``I`` to ``ı``), comparisons are by code point, and ``RIGHT`` counts UTF-16 code
    units (the collation is not supplementary-aware), so ``ENDS WITH`` passes the pattern's
    length in code units. Without WITH inside a derived table, ``IN SEGMENT``'s CTEs are
    hoisted to the top of the statement (see compose.py)."""

    name = "tsql"
    COLLATION = "Latin1_General_100_BIN2"
    nested_with = False

    def text(self, value: str) -> exp.Expr:
        return exp.National(this=value)

    def key(self, e: exp.Expr) -> exp.Expr:
        return exp.Collate(this=e, expression=exp.var(self.COLLATION))

    def lower(self, e: exp.Expr) -> exp.Expr:
        # CAST first: COLLATE on a VARCHAR would reinterpret it in the collation's code page.
        unicode = exp.cast(e, exp.DataType.build("NVARCHAR(MAX)", dialect="tsql"), copy=False)
        return exp.Lower(this=self.dotted_i(self.key(unicode)))

    def concat(self, e: exp.Expr, tail: str) -> exp.Expr:
        return exp.Add(this=e, expression=self.text(tail))

    def position(self, e: exp.Expr, pattern: str) -> exp.Expr:
        return exp.StrPosition(this=self.key(e), substr=self.text(pattern))

    def length(self, pattern: str) -> int:
        return len(pattern.encode("utf-16-le")) // 2


class ClickHouse(Rules):
    """ClickHouse differs in four places where the generic SQL would run and answer wrongly.

    - ``lower``/``position`` are byte-wise ASCII: the UTF-8 variants fold and count characters.
    - ``Date`` holds 1970..2149 and a cast saturates outside it (``CAST('1750-01-01' AS Date)``
      is 1970-01-01), so dates and the day of a timestamp are ``Date32``.
    - ``decimal * 0.01`` is a Float64 product: the money unit is a ``Decimal`` literal.
    - A ``LEFT JOIN`` fills unmatched columns with defaults (0, '', 1970-01-01) rather than
      NULL unless ``join_use_nulls = 1``; without it every customer would seem to have an
      aggregate row, so the statement carries the setting itself.
    """

    name = "clickhouse"

    def lower(self, e: exp.Expr) -> exp.Expr:
        return exp.Anonymous(this="lowerUTF8", expressions=[self.dotted_i(e)])

    def position(self, e: exp.Expr, pattern: str) -> exp.Expr:
        return exp.Anonymous(this="positionUTF8", expressions=[e, self.text(pattern)])

    def ends(self, e: exp.Expr, pattern: str) -> exp.Expr:
        # Byte-wise, which is exact: a UTF-8 suffix of bytes that is valid text is a suffix of
        # characters.
        return exp.Anonymous(this="endsWith", expressions=[e, self.text(pattern)])

    def day_literal(self, day: date) -> exp.Expr:
        return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE32,
                        copy=False)

    def to_date(self, e: exp.Expr) -> exp.Expr:
        return exp.cast(e, exp.DataType.Type.DATE32, copy=False)

    def money(self, minor: exp.Expr, scale: int) -> exp.Expr:
        as_dec = exp.cast(minor, decimal_type(38, 0), copy=False)
        if scale == 0:
            return as_dec
        unit = exp.cast(exp.Literal.string("0." + "0" * (scale - 1) + "1"),
                        decimal_type(38, scale), copy=False)
        return exp.cast(exp.Mul(this=as_dec, expression=unit), decimal_type(38, scale),
                        copy=False)

    def finish(self, select: exp.Select) -> exp.Select:
        select.set("settings", [exp.EQ(this=exp.column("join_use_nulls"),
                                       expression=exp.Literal.number(1))])
        return select


RULES: dict[str, Rules] = {name: Rules() for name in DIALECTS}
RULES.update(postgres=Postgres(), redshift=Redshift(), sqlite=SQLite(), mysql=MySQL(),
             spark=Spark(), tsql=TSQL(), clickhouse=ClickHouse())


def rules_for(dialect: str) -> Rules:
    from segdsl.errors import UsageError

    try:
        return RULES[dialect]
    except KeyError:
        raise UsageError(f"unknown SQL dialect {dialect!r}; choose one of "
                         f"{', '.join(DIALECTS)}") from None

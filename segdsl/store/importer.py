"""Import a line-item order export (one row per order line) into the canonical store.

Shops export orders as line items: order id, date, customer, country, product id, product
description, quantity and unit price on every row. :func:`import_line_items` turns such a file
(CSV, optionally gzipped) into the five canonical tables, following the column names of an
:class:`ImportMapping`; :data:`PRESETS` holds the mapping of known exports (the UCI "Online
Retail" data set). Every decision taken on the way is counted in an :class:`ImportReport`.

The rules (the full decision tables are in ``docs/data.md``), applied to each row in turn:

1. a row without a customer is a guest order line: skipped;
2. a row of a cancellation invoice (order id starting with the mapping's
   ``cancellation_prefix``) is skipped: a return is not a purchase, and the export does not
   say which order it cancels, so the original order is left as it was;
3. a non-product line (postage, fees...) is never an item or a product; it adds to the order
   total only when the customer paid it (postage does, the store's bank charges do not);
4. a product line with a negative quantity outside a cancellation invoice (a return or a stock
   correction) is skipped like a cancellation;
5. anything else is a product line: an item of its order, and it adds quantity * unit price to
   the order total, exactly.

>>> import tempfile, pathlib
>>> src = pathlib.Path(tempfile.mkdtemp()) / "lines.csv"
>>> _ = src.write_text(
...     "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\\n"
...     "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,"
...     "17850.0,United Kingdom\\n"
...     "536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850.0,United Kingdom\\n"
...     "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,United Kingdom\\n"
...     "C536379,22632,HAND WARMER RED RETROSPOT,-6,2010-12-01 09:41:00,2.10,17850.0,EIRE\\n")
>>> result = import_line_items(src, PRESETS["online-retail"])
>>> store = result.store
>>> store.customers.customer_id, store.customers.country, store.orders.order_id
(['17850'], ['GB'], ['536365'])
>>> str(store.money(int(store.orders.total_minor[0])))
'33.30'
>>> store.products.product_type, store.product_collections.collection
(['holder'], ['heart'])
>>> result.report.guest_rows, result.report.cancellation_rows
(1, 1)
"""

from __future__ import annotations

import gzip
import io
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import numpy as np

from segdsl.check.countries import canonical
from segdsl.errors import DataError, UsageError
from segdsl.store.model import (
    Customers,
    OrderItems,
    Orders,
    ProductCollections,
    Products,
    Store,
)
from segdsl.store.reader import MAX_MINOR, _read_csv, csv_records, zone

# --- mapping and presets --------------------------------------------------------------------


@dataclass(frozen=True)
class NonProductRule:
    """Stock codes that are not products. ``code`` matches case-insensitively; a code ending
    in ``*`` matches every code starting with what precedes it (``gift_*``)."""

    code: str
    counts: bool  # whether the line adds to the order total (the customer paid it)
    why: str

    def matches(self, code: str) -> bool:
        mine, other = self.code.upper(), code.upper()
        if mine.endswith("*"):
            return other.startswith(mine[:-1])
        return other == mine


@dataclass(frozen=True)
class ImportMapping:
    """Which source column holds each value, and how the export marks special lines."""

    order_id: str
    ordered_at: str
    customer_id: str
    country: str
    product_id: str
    description: str
    quantity: str
    unit_price: str
    date_format: str | None = None  # strptime format; None: ISO 8601 (an offset is allowed)
    cancellation_prefix: str | None = None  # order ids starting with it are cancellations
    non_product: tuple[NonProductRule, ...] = ()
    country_aliases: tuple[tuple[str, str], ...] = ()  # export spelling -> ISO alpha-2
    missing_country: tuple[str, ...] = ()  # spellings that mean "no country"

    def columns(self) -> tuple[str, ...]:
        return (self.order_id, self.ordered_at, self.customer_id, self.country,
                self.product_id, self.description, self.quantity, self.unit_price)

    def non_product_rule(self, code: str) -> NonProductRule | None:
        return next((r for r in self.non_product if r.matches(code)), None)


# Why each Online Retail code is (or is not) part of what the customer paid: see docs/data.md.
ONLINE_RETAIL_NON_PRODUCT = (
    NonProductRule("POST", True, "postage, paid by the customer"),
    NonProductRule("DOT", True, "DOTCOM postage, paid by the customer"),
    NonProductRule("C2", True, "carriage, paid by the customer"),
    NonProductRule("M", True, "manual line the customer was invoiced for"),
    NonProductRule("D", True, "discount granted to the customer (lowers the total)"),
    NonProductRule("gift_*", True, "gift voucher bought by the customer"),
    NonProductRule("S", False, "samples: the store's cost"),
    NonProductRule("BANK CHARGES", False, "bank charges: the store's cost"),
    NonProductRule("AMAZONFEE", False, "Amazon fee: the store's cost"),
    NonProductRule("CRUK", False, "charity (CRUK) commission: the store's cost"),
    NonProductRule("B", False, "bad-debt adjustment: bookkeeping"),
)

PRESETS: dict[str, ImportMapping] = {
    "online-retail": ImportMapping(
        order_id="InvoiceNo",
        ordered_at="InvoiceDate",
        customer_id="CustomerID",
        country="Country",
        product_id="StockCode",
        description="Description",
        quantity="Quantity",
        unit_price="UnitPrice",
        date_format="%Y-%m-%d %H:%M:%S",
        cancellation_prefix="C",
        non_product=ONLINE_RETAIL_NON_PRODUCT,
        country_aliases=(("EIRE", "IE"), ("RSA", "ZA"), ("USA", "US"), ("UK", "GB")),
        missing_country=("Unspecified",),
    ),
}

MAPPED_FIELDS = ("order_id", "ordered_at", "customer_id", "country", "product_id", "description",
                 "quantity", "unit_price", "date_format")


def mapping_with_overrides(preset: str, overrides: Iterable[str] = ()) -> ImportMapping:
    """The mapping of ``preset`` with some columns renamed by ``FIELD=COLUMN`` texts
    (``date_format=`` with nothing after it means ISO 8601).

    >>> mapping_with_overrides("online-retail", ["customer_id=Customer"]).customer_id
    'Customer'
    """
    if preset not in PRESETS:
        raise UsageError(f"unknown preset {preset!r}; the presets are {', '.join(PRESETS)}")
    changes: dict[str, str | None] = {}
    for text in overrides:
        name, sep, column = text.partition("=")
        name = name.strip()
        if not sep or name not in MAPPED_FIELDS:
            raise UsageError(f"cannot read the mapping {text!r}: write FIELD=COLUMN with FIELD "
                             f"one of {', '.join(MAPPED_FIELDS)}")
        if not column.strip() and name != "date_format":
            raise UsageError(f"the mapping {text!r} names no column")
        changes[name] = column.strip() or None
    return replace(PRESETS[preset], **changes)  # type: ignore[arg-type]


# --- product types and collections from descriptions ------------------------------------------

# First matching row wins, so the more specific nouns come first: a "T-LIGHT HOLDER" is a
# holder, not a candle; a "CARD HOLDER" is a holder, not a card.
PRODUCT_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("jewellery", ("NECKLACE", "BRACELET", "EARRINGS", "BROOCH", "RING", "CHARM")),
    ("holder", ("HOLDER", "CANDLEHOLDER")),
    ("lantern", ("LANTERN", "LANTERNS")),
    ("candle", ("CANDLE", "CANDLES", "T-LIGHT", "T-LIGHTS", "INCENSE")),
    ("light", ("LIGHT", "LIGHTS", "LAMP", "LAMPSHADE")),
    ("bag", ("BAG", "BAGS", "HANDBAG", "WASHBAG", "SHOPPER", "TOTE")),
    ("mug", ("MUG", "MUGS")),
    ("tableware", ("CUP", "CUPS", "SAUCER", "BEAKER", "PLATE", "PLATES", "BOWL", "BOWLS",
                   "DISH", "TEAPOT", "CUTLERY", "NAPKINS", "TRAY", "GLASS", "TUMBLER")),
    ("baking", ("CAKE", "CAKES", "BAKING", "CUPCAKE", "CASES")),
    ("card", ("CARD", "CARDS")),
    ("wrap", ("WRAP", "WRAPPING", "RIBBON", "RIBBONS", "REEL")),
    ("sign", ("SIGN", "PLAQUE", "DOORMAT", "ART", "TILE", "SLATE", "MAGNETS")),
    ("decoration", ("DECORATION", "DECORATIONS", "ORNAMENT", "GARLAND", "BUNTING", "WREATH",
                    "BAUBLE", "BAUBLES")),
    ("storage", ("BOX", "BOXES", "TIN", "TINS", "JAR", "JARS", "BASKET", "STORAGE", "CABINET",
                 "DRAWER")),
    ("textile", ("CUSHION", "COVER", "APRON", "TOWEL", "BLANKET", "HOTTIE", "BOTTLE",
                 "DOORSTOP", "CURTAIN")),
    ("kitchen", ("PAN", "JUG", "COASTER", "COASTERS", "DOILIES", "KITCHEN", "BIN")),
    ("accessory", ("PURSE", "WALLET", "HAIR", "UMBRELLA", "LUGGAGE", "WARMER")),
    ("clock", ("CLOCK", "ALARM")),
    ("frame", ("FRAME", "MIRROR")),
    ("stationery", ("NOTEBOOK", "PEN", "PENS", "PENCIL", "PENCILS", "STICKERS", "STICKER",
                    "SKETCHBOOK", "TAPE", "ERASER", "BOOK", "CALENDAR", "TISSUES")),
    ("toy", ("TOY", "JIGSAW", "GAME", "DOLL", "PUZZLE", "SPINNING", "KIT")),
    ("garden", ("GARDEN", "PLANT", "POT", "WATERING", "PARASOL")),
    ("hook", ("HOOK", "HOOKS", "HANGER", "KNOB", "KNOBS", "RACK")),
)
UNMATCHED_TYPE = "other"

# Themes a product can belong to (several at once); a phrase matches whole words.
COLLECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("christmas", ("CHRISTMAS", "XMAS", "ADVENT", "SANTA", "REINDEER", "SNOWMAN", "NATIVITY")),
    ("vintage", ("VINTAGE", "RETRO", "ANTIQUE", "EDWARDIAN", "BAROQUE")),
    ("heart", ("HEART", "HEARTS", "SWEETHEART")),
    ("retrospot", ("RETROSPOT", "RETRO SPOT")),
    ("regency", ("REGENCY",)),
    ("union jack", ("UNION JACK", "UNION FLAG")),
    ("easter", ("EASTER",)),
    ("party", ("PARTY", "BIRTHDAY")),
    ("garden", ("GARDEN",)),
    ("kids", ("CHILDRENS", "CHILDS", "SPACEBOY", "DOLLY GIRL", "CIRCUS PARADE")),
)

_NOT_WORD = re.compile(r"[^A-Z0-9'\-]+")


def _words(description: str) -> str:
    """Upper-cased words separated by single spaces and padded, so ``" KW "`` finds a word."""
    return f" {_NOT_WORD.sub(' ', description.upper()).strip()} "


def product_type_of(description: str | None) -> str:
    """The product type a description suggests, from :data:`PRODUCT_TYPES`.

    >>> product_type_of("WHITE HANGING HEART T-LIGHT HOLDER"), product_type_of("JUMBO BAG RED")
    ('holder', 'bag')
    >>> product_type_of("POPPY'S PLAYHOUSE BEDROOM"), product_type_of(None)
    ('other', 'other')
    """
    if not description:
        return UNMATCHED_TYPE
    words = _words(description)
    for type_, keywords in PRODUCT_TYPES:
        if any(f" {k} " in words for k in keywords):
            return type_
    return UNMATCHED_TYPE


def collections_of(description: str | None) -> list[str]:
    """The themed collections of :data:`COLLECTIONS` a description belongs to.

    >>> collections_of("SET OF 3 HEART COOKIE CUTTERS"), collections_of("RED RETROSPOT CHRISTMAS")
    (['heart'], ['christmas', 'retrospot'])
    """
    if not description:
        return []
    words = _words(description)
    return [name for name, phrases in COLLECTIONS if any(f" {p} " in words for p in phrases)]


# --- the report -----------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What the import read, kept and skipped, and why."""

    source: str = ""
    rows_read: int = 0
    guest_rows: int = 0  # no customer id
    cancellation_rows: int = 0  # rows of cancellation invoices
    cancellation_invoices: int = 0
    return_rows: int = 0  # negative quantity product lines outside cancellation invoices
    non_product_rows: Counter[str] = field(default_factory=Counter)  # by rule code
    non_product_counted: int = 0  # non-product rows that added to an order total
    product_lines: int = 0
    orders: int = 0
    orders_without_products: int = 0  # invoices left with only non-product lines: dropped
    customers: int = 0
    customers_without_orders: int = 0  # only cancellations or non-product lines
    customers_with_several_countries: int = 0
    countries_kept_as_written: Counter[str] = field(default_factory=Counter)
    products: int = 0
    products_with_several_descriptions: int = 0
    product_type_source: str = "description keywords"
    products_by_type: Counter[str] = field(default_factory=Counter)
    products_without_type: int = 0
    products_by_collection: Counter[str] = field(default_factory=Counter)
    orders_with_negative_total: int = 0  # discounts larger than the items: kept as written
    columns_not_used: list[str] = field(default_factory=list)  # in the file, read by no rule
    money_scale: int = 2
    total_amount: Decimal = Decimal(0)
    first_order: str = ""
    last_order: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready values (the total amount as an exact string)."""
        # not dataclasses.asdict: it rebuilds a Counter from (key, count) pairs, wrongly
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in out.items():
            if isinstance(value, Counter):
                out[name] = dict(value.most_common())
        out["total_amount"] = str(self.total_amount)
        out["seconds"] = round(self.seconds, 3)
        return out

    def summary(self) -> str:
        """A short human-readable account of the import."""
        def row(label: str, count: int | Decimal, note: str = "") -> str:
            return f"  {label:<34}{count:>14,}" + (f"  ({note})" if note else "")

        lines = [
            f"imported {self.source} in {self.seconds:.1f} s",
            row("rows read", self.rows_read),
            row("guest rows skipped (no customer)", self.guest_rows),
            row("cancellation rows skipped", self.cancellation_rows,
                f"{self.cancellation_invoices:,} cancellation invoices"),
            row("negative-quantity rows skipped", self.return_rows),
            row("non-product lines", sum(self.non_product_rows.values()),
                f"{self.non_product_counted:,} added to order totals"),
            row("product lines (order items)", self.product_lines),
            row("orders", self.orders,
                f"{self.orders_without_products:,} more had no product line: dropped"),
            row("customers", self.customers,
                f"{self.customers_without_orders:,} without any order, "
                f"{self.customers_with_several_countries:,} with several countries"),
            row("products", self.products,
                f"{self.products_with_several_descriptions:,} with several descriptions"),
            row("total amount", self.total_amount, f"exact, {self.money_scale} decimals"),
            f"  orders from {self.first_order} to {self.last_order}",
        ]
        if self.orders_with_negative_total:
            lines.append(f"  orders with a negative total (kept as written): "
                         f"{self.orders_with_negative_total:,}")
        if self.columns_not_used:
            lines.append(f"  columns not used: {', '.join(self.columns_not_used)}")
        if self.non_product_rows:
            codes = ", ".join(f"{c} {n:,}" for c, n in self.non_product_rows.most_common())
            lines.append(f"  non-product lines by code: {codes}")
        if self.countries_kept_as_written:
            kept = ", ".join(f"{c} ({n})"
                             for c, n in sorted(self.countries_kept_as_written.items()))
            lines.append(f"  countries kept as written (customers): {kept}")
        types = ", ".join(f"{t} {n:,}" for t, n in self.products_by_type.most_common())
        lines.append(f"  product types ({self.product_type_source}): {types}")
        if self.products_without_type:
            lines.append(f"  products without a type: {self.products_without_type:,}")
        colls = ", ".join(f"{c} {n:,}" for c, n in self.products_by_collection.most_common())
        lines.append(f"  products by collection: {colls}")
        return "\n".join(lines)


@dataclass
class ImportResult:
    store: Store
    report: ImportReport


# --- reading rows ---------------------------------------------------------------------------

_FLOAT_ID = re.compile(r"([0-9]+)\.0+")


def clean_id(value: str) -> str:
    """An id as text: a whole number written as a float (``17850.0``) loses its ``.0``, and
    nothing else changes (``00123`` keeps its zeros: an id is never converted to a number).

    >>> clean_id("17850.0"), clean_id("00123"), clean_id(" 85123A ")
    ('17850', '00123', '85123A')
    """
    text = value.strip()
    m = _FLOAT_ID.fullmatch(text)
    return m.group(1) if m else text


@dataclass
class _Line:
    number: int  # line in the file, for error messages
    order_id: str
    ordered_at: datetime
    customer_id: str
    country: str
    product_id: str
    description: str
    quantity: Decimal
    unit_price: Decimal


def _open(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


class _RowParser:
    """Parses the cells of one row; repeated timestamps are parsed once (a big speed-up:
    every line of an invoice carries the same date)."""

    def __init__(self, path: Path, mapping: ImportMapping, tz: ZoneInfo):
        self.path, self.mapping, self.tz = path, mapping, tz
        self.stamps: dict[str, datetime] = {}

    def timestamp(self, text: str, line: int) -> datetime:
        ts = self.stamps.get(text)
        if ts is None:
            ts = self._parse_timestamp(text, line)
            self.stamps[text] = ts
        return ts

    def _parse_timestamp(self, text: str, line: int) -> datetime:
        fmt = self.mapping.date_format
        try:
            ts = datetime.strptime(text.strip(), fmt) if fmt else \
                datetime.fromisoformat(text.strip())
        except ValueError:
            expected = fmt or "ISO 8601, e.g. 2011-12-09 12:50:00"
            raise DataError(f"`{self.mapping.ordered_at}` is not a date ({expected})",
                            where=self.path.name, row=line, value=text) from None
        if ts.tzinfo is not None:  # an explicit offset wins; store-local wall clock otherwise
            ts = ts.astimezone(self.tz).replace(tzinfo=None)
        return ts

    def number(self, column: str, text: str, line: int) -> Decimal:
        try:
            d = Decimal(text.strip())
        except InvalidOperation:
            d = Decimal("NaN")
        if not d.is_finite():
            raise DataError(f"`{column}` is not a number", where=self.path.name, row=line,
                            value=text)
        return d

    def row(self, cells: list[str], idx: tuple[int, ...], line: int) -> _Line:
        o, d, c, k, p, t, q, u = (cells[i] for i in idx)
        m = self.mapping
        order_id = clean_id(o)
        if not order_id:
            raise DataError(f"`{m.order_id}` is empty", where=self.path.name, row=line)
        if not d.strip():
            raise DataError(f"`{m.ordered_at}` is empty", where=self.path.name, row=line)
        return _Line(line, order_id, self.timestamp(d, line), clean_id(c), k.strip(),
                     clean_id(p), t.strip(), self.number(m.quantity, q, line),
                     self.number(m.unit_price, u, line))


def _read_lines(path: Path, mapping: ImportMapping, tz: ZoneInfo,
                report: ImportReport) -> Iterator[_Line]:
    parser = _RowParser(path, mapping, tz)
    try:
        with _open(path) as fh:
            records = csv_records(fh, path.name)
            header = [h.strip() for h in next(records)[1]]
            missing = [c for c in mapping.columns() if c not in header]
            if missing:
                raise DataError(f"missing column{'s' if len(missing) > 1 else ''} "
                                f"{', '.join(missing)}; the header has {', '.join(header)}",
                                where=path.name, row=1)
            report.columns_not_used = [h for h in header if h not in mapping.columns()]
            idx = tuple(header.index(c) for c in mapping.columns())
            for number, cells in records:
                yield parser.row(cells, idx, number)
    except (gzip.BadGzipFile, EOFError) as err:
        raise DataError(f"the file cannot be read: {err}", where=path.name) from None


# --- accumulating orders --------------------------------------------------------------------


@dataclass
class _Order:
    customer_id: str
    first_line: int
    ordered_at: datetime
    country: str | None
    total: Decimal = Decimal(0)
    has_product: bool = False


@dataclass
class _Import:
    """Everything gathered in one pass over the lines."""

    path: Path
    mapping: ImportMapping
    report: ImportReport
    orders: dict[str, _Order] = field(default_factory=dict)
    cancellations: set[str] = field(default_factory=set)
    # one country vote per invoice (any kind) of each customer: (country, time)
    votes: dict[str, dict[str, tuple[str | None, datetime]]] = field(
        default_factory=lambda: defaultdict(dict))
    items: list[tuple[str, str, Decimal, Decimal]] = field(default_factory=list)
    descriptions: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    country_cache: dict[str, str | None] = field(default_factory=dict)

    def country(self, written: str) -> str | None:
        code = self.country_cache.get(written, "?")
        if code == "?":
            code = _normalise_country(written, self.mapping)
            self.country_cache[written] = code
        return code

    def add(self, line: _Line) -> None:
        r, m = self.report, self.mapping
        r.rows_read += 1
        if not line.customer_id:
            r.guest_rows += 1
            return
        country = self.country(line.country)
        self.votes[line.customer_id].setdefault(line.order_id, (country, line.ordered_at))
        if m.cancellation_prefix and line.order_id.startswith(m.cancellation_prefix):
            r.cancellation_rows += 1
            self.cancellations.add(line.order_id)
            return
        rule = m.non_product_rule(line.product_id)
        if rule is None and line.quantity < 0:
            r.return_rows += 1
            return
        order = self._order(line, country)
        if rule is not None:
            r.non_product_rows[rule.code] += 1
            if rule.counts:
                r.non_product_counted += 1
                order.total += line.quantity * line.unit_price
            return
        r.product_lines += 1
        order.total += line.quantity * line.unit_price
        order.has_product = True
        self.items.append((line.order_id, line.product_id, line.quantity, line.unit_price))
        if line.description:
            self.descriptions[line.product_id][line.description] += 1

    def _order(self, line: _Line, country: str | None) -> _Order:
        order = self.orders.get(line.order_id)
        if order is None:
            order = _Order(line.customer_id, line.number, line.ordered_at, country)
            self.orders[line.order_id] = order
        elif order.customer_id != line.customer_id:
            raise DataError(f"order `{line.order_id}` names customer `{line.customer_id}` "
                            f"here but `{order.customer_id}` on line {order.first_line}",
                            where=self.path.name, row=line.number, value=line.customer_id)
        elif line.ordered_at < order.ordered_at:
            # a few invoices span two minutes: the order was placed at its earliest line
            order.ordered_at = line.ordered_at
        return order


def _normalise_country(written: str, mapping: ImportMapping) -> str | None:
    """ISO alpha-2 when recognisable, the export's own spelling when not, None when missing."""
    if not written or written in mapping.missing_country:
        return None
    for alias, code in mapping.country_aliases:
        if written.upper() == alias.upper():
            return code
    return canonical(written) or written


# --- building the store ---------------------------------------------------------------------


def _customer_country(votes: dict[str, tuple[str | None, datetime]],
                      orders: set[str]) -> tuple[str | None, int]:
    """The country of most of the customer's orders (of all their invoices, cancellations
    included, when they have no order); a tie goes to the most recent. Also returns how many
    different countries the customer's invoices name."""
    purchases = [v for oid, v in votes.items() if oid in orders] or list(votes.values())
    counts: Counter[str] = Counter()
    latest: dict[str, datetime] = {}
    for country, at in purchases:
        if country is not None:
            counts[country] += 1
            latest[country] = max(at, latest.get(country, at))
    seen = len({c for c, _ in votes.values() if c is not None})
    if not counts:
        return None, seen
    return max(counts, key=lambda c: (counts[c], latest[c])), seen


def _customers(imp: _Import, orders: Orders) -> Customers:
    kept = set(orders.order_id)
    ids, countries = [], []
    for cid, votes in imp.votes.items():
        country, seen = _customer_country(votes, kept)
        ids.append(cid)
        countries.append(country)
        if seen > 1:
            imp.report.customers_with_several_countries += 1
        if country is not None and len(country) != 2:
            imp.report.countries_kept_as_written[country] += 1
    none: list[str | None] = [None] * len(ids)
    return Customers(ids, list(none), list(none), list(none), countries)


def _money_scale(totals: list[Decimal]) -> int:
    """Enough decimals for every total exactly, and at least cents."""
    places = [-int(t.normalize().as_tuple().exponent) for t in totals if t]
    return max([2, *places])


def _orders(imp: _Import) -> tuple[Orders, int]:
    kept = [(oid, o) for oid, o in imp.orders.items() if o.has_product]
    imp.report.orders_without_products = len(imp.orders) - len(kept)
    totals = [o.total for _, o in kept]
    scale = _money_scale(totals)
    minor = []
    for (oid, o), total in zip(kept, totals, strict=True):
        m = int(total.scaleb(scale))
        if abs(m) >= MAX_MINOR:
            raise DataError(f"the total of order `{oid}` is too large to be handled exactly",
                            where=imp.path.name, row=o.first_line, value=str(total))
        minor.append(m)
    stamps = np.array([o.ordered_at for _, o in kept], dtype="datetime64[s]") if kept else \
        np.empty(0, dtype="datetime64[s]")
    orders = Orders([oid for oid, _ in kept], [o.customer_id for _, o in kept], stamps,
                    np.array(minor, dtype=np.int64))
    return orders, scale


def _title(descriptions: Counter[str]) -> str | None:
    """The most frequent description of a product; a tie goes to the alphabetically first, so
    that the choice never depends on the order of the file."""
    if not descriptions:
        return None
    return min(descriptions, key=lambda d: (-descriptions[d], d))


def _supplied_types(path: Path) -> dict[str, str | None]:
    table = _read_csv("products", path)
    table.require("product_id", "product_type")
    types: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    for i, (pid, ptype) in enumerate(zip(table.column("product_id"), table.column("product_type"),
                                         strict=True)):
        if pid is None:
            raise DataError("`product_id` is empty", where=path.name, row=table.line(i))
        key = clean_id(pid)
        if key in lines:
            raise DataError(f"product `{key}` appears twice (first on line {lines[key]})",
                            where=path.name, row=table.line(i))
        lines[key] = table.line(i)
        types[key] = ptype.strip() if ptype else None
    return types


def _products(imp: _Import, product_types: Path | None) -> tuple[Products, ProductCollections]:
    ids = list(dict.fromkeys(pid for _, pid, _, _ in imp.items))
    titles = [_title(imp.descriptions.get(pid, Counter())) for pid in ids]
    r = imp.report
    r.products_with_several_descriptions = sum(1 for pid in ids
                                               if len(imp.descriptions.get(pid, ())) > 1)
    if product_types is None:
        types: list[str | None] = [product_type_of(t) for t in titles]
    else:
        supplied = _supplied_types(product_types)
        types = [supplied.get(pid) for pid in ids]
        r.product_type_source = f"from {product_types.name}"
        r.products_without_type = sum(1 for t in types if t is None)
    r.products_by_type = Counter(t for t in types if t is not None)
    coll_ids: list[str] = []
    coll_names: list[str | None] = []
    for pid, title in zip(ids, titles, strict=True):
        for name in collections_of(title):
            coll_ids.append(pid)
            coll_names.append(name)
            r.products_by_collection[name] += 1
    return Products(ids, titles, types), ProductCollections(coll_ids, coll_names)


def _finish_report(imp: _Import, store: Store) -> None:
    r = imp.report
    r.cancellation_invoices = len(imp.cancellations)
    r.orders = len(store.orders)
    r.customers = len(store.customers)
    r.customers_without_orders = r.customers - len(set(store.orders.customer_id))
    r.products = len(store.products.product_id) if store.products else 0
    r.money_scale = store.money_scale
    r.total_amount = store.money(int(store.orders.total_minor.sum()))
    r.orders_with_negative_total = int((store.orders.total_minor < 0).sum())
    if len(store.orders):
        r.first_order = str(store.orders.ordered_at.min()).replace("T", " ")
        r.last_order = str(store.orders.ordered_at.max()).replace("T", " ")


def import_line_items(path: str | Path, mapping: ImportMapping, *, timezone: str = "UTC",
                      product_types: str | Path | None = None) -> ImportResult:
    """Read a line-item export (``.csv`` or ``.csv.gz``) into a :class:`Store`.

    ``timezone`` is the store's time zone: dates without an offset are read as its wall clock.
    ``product_types`` is an optional CSV (``product_id,product_type``) whose types replace the
    ones derived from descriptions; a product it does not list gets no type.
    """
    started = time.perf_counter()
    source = Path(path)
    if not source.is_file():
        raise UsageError(f"{path}: no such file")
    types_path = Path(product_types) if product_types is not None else None
    if types_path is not None and not types_path.is_file():
        raise UsageError(f"{product_types}: no such file")
    imp = _Import(source, mapping, ImportReport(source=source.name))
    for line in _read_lines(source, mapping, zone(timezone), imp.report):
        imp.add(line)
    orders, scale = _orders(imp)
    products, collections = _products(imp, types_path)
    items = OrderItems([i[0] for i in imp.items], [i[1] for i in imp.items],
                       [i[2] for i in imp.items], [i[3] for i in imp.items])
    store = Store(customers=_customers(imp, orders), orders=orders, order_items=items,
                  products=products, product_collections=collections, timezone=timezone,
                  money_scale=scale, source=str(source))
    _finish_report(imp, store)
    imp.report.seconds = time.perf_counter() - started
    return ImportResult(store, imp.report)

"""Stage 2: the checker. Syntax AST → typed AST, or diagnostics with codes, spans and hints.

>>> result = check_condition('ordrs > 3')
>>> [(d.code, d.message, d.hint) for d in result.diagnostics]
[('E201', 'unknown field `ordrs`', 'did you mean `orders`?')]
>>> check_condition('orders >= 3 AND aov > 50 OR country = "IN"').diagnostics[0].code
'W301'

Codes: E1xx syntax (see the parser), E2xx meaning, E4xx store, W3xx warnings. The full list
is in docs/language.md.

``IN SEGMENT x`` is resolved against the segments of the same file and a
:class:`~segdsl.check.library.SegmentLibrary` (one argument, ``library``): names first, then
titles, case ignored. The file's segments are checked in the order their references need, so
a reference always embeds its target already checked; a cycle is an error.

>>> result = check_file('segment a "A" where IN SEGMENT b\\nsegment b "B" where IN SEGMENT a')
>>> [(d.code, d.message) for d in result.diagnostics]
[('E231', 'segments refer to each other in a cycle: a → b → a')]
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from segdsl.catalog import Field, FieldType, Kind, StoreSchema, custom_field, lookup, suggest
from segdsl.check import countries, typed
from segdsl.check.dates import parse_iso_date
from segdsl.check.library import Refusal, SegmentLibrary
from segdsl.errors import Diagnostic, Fix, SegmentError, Severity, Span
from segdsl.syntax import ast
from segdsl.syntax.parser import parse_condition, parse_file

# Number literals: what every engine compares exactly (money is cross-multiplied in
# DECIMAL(38, 0); custom numbers are doubles, exact to 15 significant digits).
MAX_WHOLE_DIGITS = 15
MAX_FRACTION_DIGITS = 12
# Relative dates: 1,000 years in each unit, so that the day stays in the calendar (years 1 to
# 9999) for any as-of day between the years 1001 and 8999.
MAX_RELATIVE = {"d": 365_000, "w": 52_000, "m": 12_000, "y": 1_000}
_ORDERING_OPS = {"<": typed.Op.LT, "<=": typed.Op.LE, ">": typed.Op.GT, ">=": typed.Op.GE}
_TEXT_KINDS = {"contains": typed.Op.CONTAINS, "starts_with": typed.Op.STARTS_WITH,
               "ends_with": typed.Op.ENDS_WITH}
_TYPE_WORDS = {FieldType.NUMBER: "a number", FieldType.MONEY: "an amount of money",
               FieldType.DATE: "a date", FieldType.TEXT: "text",
               FieldType.TEXT_SET: "a set of texts"}


@dataclass
class CheckResult:
    """Checked segments (empty when there are errors) and every diagnostic found."""

    segments: list[typed.CheckedSegment] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: str = ""
    origin: str = "<expr>"

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    def raise_for_errors(self) -> None:
        if not self.ok:
            raise SegmentError(self.diagnostics, self.source, self.origin)


def _literal_words(node: ast.Operand) -> str:
    match node:
        case ast.NumberLit():
            return f"`{node.text}` is a number"
        case ast.StringLit():
            return f'`"{node.value}"` is text'
        case ast.DateLit() | ast.RelativeDateLit():
            return f"`{node.text}` is a date"
        case ast.FieldName():
            return f"`{node.display}` is a field"
    return "the value has another type"


def _quoted(text: str) -> str:
    """``text`` as a string literal of the language."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _code(written: str) -> str:
    return written if written.startswith('"') else f"`{written}`"


def _example(t: FieldType) -> str:
    return {FieldType.NUMBER: "a number such as 3 or 50.5",
            FieldType.MONEY: "an amount such as 50 or 49.99",
            FieldType.DATE: "a date such as 2024-01-31, or a relative date such as -30d",
            FieldType.TEXT: 'a text in double quotes, such as "GB"',
            FieldType.TEXT_SET: 'a text in double quotes, such as "shirt"'}[t]


Library = SegmentLibrary | Iterable[typed.CheckedSegment] | None


class Peers:
    """The files checked together with one (a workspace's): each file's checker, the segment
    each name means across them, and the chain of segments being checked, shared by all of
    them so that a cycle through several files is found like one inside a file."""

    def __init__(self) -> None:
        self.checkers: list[_Checker] = []
        self.names: dict[str, tuple[_Checker, int]] = {}  # lowered name -> its first definition
        self.stack: list[tuple[_Checker, int]] = []
        self.unparsed: list[str] = []  # files with syntax errors: their segments are unknown


# What a reference resolves to: a segment of a file being checked (its checker and index),
# a library segment already checked, or a library segment known not to check.
_Target = tuple["_Checker", int] | typed.CheckedSegment | Refusal


class _Checker:
    def __init__(self, source: str, schema: StoreSchema | None, library: Library = None,
                 origin: str = "<file>", peers: Peers | None = None):
        self.source = source
        self.schema = schema
        self.origin = origin
        self.diags: list[Diagnostic] = []
        self.library = SegmentLibrary.of(library)
        self.peers = peers
        # The file's own segments (none for a bare condition), checked on demand: a segment
        # referred to is checked before the reference is built, and `stack` holds the chain
        # being checked (across the peer files too), so a reference into it closes a cycle.
        self.file_segments: list[ast.Segment] = []
        self.file_index: dict[str, int] = {}  # lowered name -> first segment of that name
        self.file_checked: dict[int, typed.CheckedSegment | None] = {}
        self.file_diags: dict[int, list[Diagnostic]] = {}
        self.stack: list[tuple[_Checker, int]] = peers.stack if peers is not None else []

    # --- reporting ---------------------------------------------------------------------------
    def error(self, code: str, message: str, span: Span | None, hint: str | None = None,
              fix: Fix | None = None) -> None:
        self.diags.append(Diagnostic(code, Severity.ERROR, message, span, hint, fix))

    def warn(self, code: str, message: str, span: Span | None, hint: str | None = None,
             fix: Fix | None = None) -> None:
        self.diags.append(Diagnostic(code, Severity.WARNING, message, span, hint, fix))

    def text(self, span: Span) -> str:
        return self.source[span.start:span.end]

    # --- fields ------------------------------------------------------------------------------
    def resolve(self, name: ast.FieldName, provisional: FieldType | None = None) -> Field | None:
        if name.namespace is None:
            found = lookup(name.name)
            if found is None:
                self._unknown_field(name)
                return None
            if not found.available:
                self.error("E203", f"`{found.name}` is not available in this version of segdsl",
                           name.span, hint="the name is reserved for a later version")
                return None
            return self._needs_tables(found, name.span)
        if name.namespace.lower() != "custom":
            self.error("E201", f"unknown field `{name.display}`", name.span,
                       hint="custom attributes are written custom.<column>")
            return None
        if self.schema is None:
            # No store to look at: accept the attribute with the type its value suggests;
            # it is judged again when the segment runs against a store.
            return custom_field(name.name, provisional or FieldType.TEXT)
        found = self.schema.custom_lookup(name.name)
        if found is None:
            known = sorted(self.schema.custom)
            close = suggest(name.name, known) if known else None
            hint = (f"did you mean `custom.{close}`?" if close and close in known
                    else f"the store's custom attributes are: {', '.join(known)}" if known
                    else "the customers table has no extra columns")
            fix = None
            if close and close in known:
                column = close if close.isidentifier() else _quoted(close)
                fix = Fix(name.span, f"{name.namespace}.{column}")
            self.error("E202", f"unknown custom attribute `{name.display}`", name.span, hint,
                       fix)
            return None
        return found

    def _unknown_field(self, name: ast.FieldName) -> None:
        custom = sorted(self.schema.custom) if self.schema else []
        if self.schema and self.schema.custom_lookup(name.name):
            hint = f"custom attributes are written custom.{name.name}"
            self.error("E201", f"unknown field `{name.name}`", name.span, hint,
                       Fix(name.span, f"custom.{name.name}"))
            return
        close = suggest(name.name, [f"custom.{c}" for c in custom])
        if close:
            self.error("E201", f"unknown field `{name.name}`", name.span,
                       f"did you mean `{close}`?", Fix(name.span, close))
        else:
            self.error("E201", f"unknown field `{name.name}`", name.span,
                       "see `segdsl fields` or docs/language.md for the list of fields")

    def _needs_tables(self, f: Field, span: Span) -> Field | None:
        if self.schema is None:
            return f
        missing = self.schema.missing_tables(f)
        if missing:
            tables = " and ".join(f"`{t}`" for t in missing)
            noun = "table" if len(missing) == 1 else "tables"
            self.error("E401", f"`{f.name}` needs the {noun} {tables}, which this store does "
                       "not have", span, hint=f"add {' and '.join(missing)} to the store's data")
            return None
        return f

    # --- values ------------------------------------------------------------------------------
    def value(self, node: ast.Operand, f: Field, allow_field: bool = True) -> typed.Value | None:
        if isinstance(node, ast.FieldName):
            if not allow_field:
                self.error("E217", f"`{node.display}` is a field; this operator takes values",
                           node.span)
                return None
            other = self.resolve(node, provisional=f.type)
            if other is None:
                return None
            if f.type is FieldType.TEXT_SET or other.type is FieldType.TEXT_SET:
                self.error("E216", f"`{f.name}` and `{other.name}` cannot be compared: sets of "
                           "texts compare only with values", node.span)
                return None
            if other.type is not f.type:
                self.error("E215", f"`{f.name}` is {_TYPE_WORDS[f.type]} but `{other.name}` is "
                           f"{_TYPE_WORDS[other.type]}", node.span)
                return None
            return typed.FieldRef(other)
        t = f.type
        if t in (FieldType.NUMBER, FieldType.MONEY) and isinstance(node, ast.NumberLit):
            return self._number(node)
        if t is FieldType.DATE:
            if isinstance(node, ast.DateLit):
                day = parse_iso_date(node.text)
                if day is None:
                    self.error("E211", f"`{node.text}` is not a real date", node.span,
                               hint="dates are written YYYY-MM-DD with a valid month and day")
                    return None
                return typed.Const(day)
            if isinstance(node, ast.RelativeDateLit):
                return self._relative(node)
        if t.textual and isinstance(node, ast.StringLit):
            return typed.Const(node.value)
        self.error("E210", f"`{f.name}` is {_TYPE_WORDS[t]}, but {_literal_words(node)}",
                   node.span, hint=f"write {_example(t)}")
        return None

    def _number(self, node: ast.NumberLit) -> typed.Const | None:
        whole, _, fraction = node.text.lstrip("-").partition(".")
        whole, fraction = whole.lstrip("0"), fraction.rstrip("0")
        if len(whole) <= MAX_WHOLE_DIGITS and len(fraction) <= MAX_FRACTION_DIGITS:
            return typed.Const(node.value)
        shown = node.text if len(node.text) <= 40 else f"{node.text[:20]}…"
        self.error("E218", f"`{shown}` has {len(whole):,} digits before the decimal point and "
                   f"{len(fraction):,} after; the limit is {MAX_WHOLE_DIGITS} and "
                   f"{MAX_FRACTION_DIGITS}", node.span,
                   hint="segdsl compares numbers exactly on every engine, within these limits")
        return None

    def _relative(self, node: ast.RelativeDateLit) -> typed.RelativeDate | None:
        limit = MAX_RELATIVE[node.unit]
        if abs(node.amount) <= limit:
            return typed.RelativeDate(node.amount, node.unit)
        shown = node.text if len(node.text) <= 40 else f"{node.text[:20]}…"
        self.error("E218", f"`{shown}` is too far back: a relative date reaches at most 1,000 "
                   f"years ({limit:,}{node.unit})", node.span,
                   hint="write a date such as 1990-01-01 for a fixed day")
        return None

    def _provisional(self, node: ast.Operand | None) -> FieldType | None:
        match node:
            case ast.NumberLit():
                return FieldType.NUMBER
            case ast.DateLit() | ast.RelativeDateLit():
                return FieldType.DATE
            case ast.StringLit():
                return FieldType.TEXT
        return None

    def folded_texts(self, f: Field, values: Iterable[typed.Value], spans: list[Span],
                     country_rules: bool) -> tuple[typed.Const, ...]:
        out: set[str] = set()
        for v, span in zip(values, spans, strict=True):
            text = cast(str, cast(typed.Const, v).value)
            if f.country and country_rules:
                if countries.canonical(text) is None:
                    self.warn("W302", f'"{text}" is not a country segdsl knows; it is compared '
                              "as plain text", span,
                              hint="ISO codes (GB, GBR) and English names are recognised")
                out |= countries.aliases(text)
            else:
                out.add(text.lower())
        return tuple(typed.Const(s) for s in sorted(out))

    # --- conditions --------------------------------------------------------------------------
    def condition(self, node: ast.Condition) -> typed.Condition | None:
        match node:
            case ast.BoolOp():
                return self._bool(node)
            case ast.Not():
                inner = self.condition(node.operand)
                return typed.Not(inner) if inner is not None else None
            case ast.Group():
                return self.condition(node.inner)
            case ast.Compare():
                return self._compare(node)
            case ast.Between():
                return self._between(node)
            case ast.InList():
                return self._in(node)
            case ast.TextMatch():
                return self._text_match(node)
            case ast.IsNull():
                f = self.resolve(node.field)
                if f is None:
                    return None
                pred = typed.Predicate(f, typed.Op.IS_NULL, (), node.span)
                return typed.Not(pred) if node.negated else pred
            case ast.InSegment():
                return self._in_segment(node)
        raise AssertionError(f"unknown node {node!r}")

    # --- segment references ------------------------------------------------------------------
    def _in_segment(self, node: ast.InSegment) -> typed.Condition | None:
        found = self._find_segment(node.name)
        if not found:
            self._unknown_segment(node)
            return None
        if len(found) > 1:
            names = ", ".join(f"`{self._name_of(t)}`" for t in found)
            self.error("E232", f'"{node.name}" is the title of several segments: {names}',
                       node.name_span, hint="refer to one of them by its name")
            return None
        target = found[0]
        if isinstance(target, typed.CheckedSegment):
            return typed.InSegment(target, node.span)
        if isinstance(target, Refusal):
            self._refused_target(node, target)
            return None
        if target in self.stack:
            chain = self.stack[self.stack.index(target):]
            cycle = [owner.file_segments[i].name for owner, i in chain]
            path = " → ".join([*cycle, cycle[0]])
            message = (f"segment `{cycle[0]}` refers to itself ({path})" if len(cycle) == 1
                       else f"segments refer to each other in a cycle: {path}")
            elsewhere = [f"`{owner.file_segments[i].name}` is in {owner.origin}"
                         for owner, i in chain if owner is not self]
            self.error("E231", message, node.name_span,
                       hint="a segment cannot depend on itself, directly or through others"
                       + (f" ({'; '.join(elsewhere)})" if elsewhere else ""))
            return None
        owner, index = target
        checked = owner.check_file_segment(index)
        if checked is None or not owner.segment_ok(index):
            # A target with errors has reported them itself, in its own file; a reference
            # from another file says why it fails, so that file's diagnostics stand alone.
            if owner is not self:
                self._refused_target(node, owner.refusal(index))
            return None
        return typed.InSegment(checked, node.span)

    def _refused_target(self, node: ast.InSegment, target: Refusal) -> None:
        self.error("E233", f"segment `{target.name}` does not check ({target.origin} line "
                   f"{target.line}: {target.reason})", node.name_span,
                   hint=f"fix `{target.name}` in {target.origin} first")

    def segment_ok(self, index: int) -> bool:
        """The file's segment ``index`` checked, with no error of its own (such as E220)."""
        return (self.file_checked.get(index) is not None
                and not any(d.is_error for d in self.file_diags.get(index, [])))

    def refusal(self, index: int) -> Refusal:
        seg = self.file_segments[index]
        errors = [d for d in self.file_diags.get(index, []) if d.is_error]
        return Refusal(seg.name, seg.title, self.origin, seg.span.line,
                       errors[0].message if errors else "it has errors")

    def _find_segment(self, reference: str) -> list[_Target]:
        """Names first (the file's, the peer files', then the library's), then titles (the
        file's, then the peer files' and the library's together); case ignored."""
        key = reference.lower()
        if key in self.file_index:
            return [(self, self.file_index[key])]
        if self.peers is not None and key in self.peers.names:
            return [self.peers.names[key]]
        named = self.library.get(reference)
        if named is not None:
            return [named]
        refused = self.library.refusal(reference)
        if refused is not None:
            return [refused]
        titled: list[_Target] = [
            (self, i) for i, seg in enumerate(self.file_segments)
            if seg.title.lower() == key and self.file_index.get(seg.name.lower()) == i]
        if titled:
            # As with names, the file's own segments come before the others: a store's
            # segment titled like a built-in one is the one its own file means.
            return titled
        others: list[_Target] = [
            target for target in self._peer_segments()
            if target[0].file_segments[target[1]].title.lower() == key]
        return others + list(self.library.titled(reference))

    def _peer_segments(self) -> list[tuple[_Checker, int]]:
        """The segments of the other files checked with this one (the first of each name)."""
        if self.peers is None:
            return []
        return [t for t in self.peers.names.values() if t[0] is not self]

    def _name_of(self, target: _Target) -> str:
        if isinstance(target, typed.CheckedSegment | Refusal):
            return target.name
        owner, index = target
        return owner.file_segments[index].name

    def _unknown_segment(self, node: ast.InSegment) -> None:
        peers = [owner.file_segments[i] for owner, i in self._peer_segments()]
        names = list(dict.fromkeys([s.name for s in self.file_segments]
                                   + [s.name for s in peers] + self.library.names()))
        titles = ([s.title for s in self.file_segments] + [s.title for s in peers]
                  + [s.title for s in self.library])
        what = f'"{node.name}"' if node.quoted else f"`{node.name}`"
        message = f"no segment named {what}"
        unparsed = self.peers.unparsed if self.peers is not None else []
        if unparsed:
            # A file that does not parse declares nothing we can see: it may define it.
            message += (f" (note: {', '.join(unparsed)} "
                        f"{'has' if len(unparsed) == 1 else 'have'} syntax errors, so "
                        f"{'its' if len(unparsed) == 1 else 'their'} segments are not known)")
        if not names:
            self.error("E230", message, node.name_span,
                       hint="no segments are known here: IN SEGMENT names a segment of the "
                       "same .seg file, or one of the saved and built-in segments where "
                       "those are available")
            return
        # Suggest names and titles alike; where a name and a title are spelt the same, a quoted
        # reference (more likely a title) is offered the title, a bare one the name.
        candidates = [(t, _quoted(t)) for t in titles]
        named = [(n, n) for n in names]
        candidates = candidates + named if node.quoted else named + candidates
        by_lower: dict[str, str] = {}
        for known, written in candidates:
            by_lower.setdefault(known.lower(), written)
        close = difflib.get_close_matches(node.name.lower(), list(by_lower), n=1, cutoff=0.6)
        if close:
            written = by_lower[close[0]]
            self.error("E230", message, node.name_span, hint=f"did you mean {_code(written)}?",
                       fix=Fix(node.name_span, written))
            return
        self.error("E230", message, node.name_span,
                   hint=f"the segments known here are: {', '.join(sorted(names, key=str.lower))}")

    def check_file_segment(self, index: int) -> typed.CheckedSegment | None:
        """Check the file's segment ``index`` (once), keeping its diagnostics with it so that
        they are reported in file order whatever order the references impose."""
        if index in self.file_checked:
            return self.file_checked[index]
        outer, self.diags = self.diags, self.file_diags.setdefault(index, [])
        self.stack.append((self, index))
        try:
            checked = self.segment(self.file_segments[index])
        finally:
            self.stack.pop()
            self.diags = outer
        self.file_checked[index] = checked
        return checked

    def check_all(self) -> None:
        for i in range(len(self.file_segments)):
            self.check_file_segment(i)

    def result(self) -> CheckResult:
        """The file's result: its diagnostics in file order, its segments when none has
        errors."""
        result = CheckResult(source=self.source, origin=self.origin)
        result.diagnostics = [d for i in range(len(self.file_segments))
                              for d in self.file_diags[i]]
        if result.ok:
            result.segments = [c for i in range(len(self.file_segments))
                               if (c := self.file_checked.get(i)) is not None]
        return result

    def _bool(self, node: ast.BoolOp, *, top: bool = True) -> typed.Condition | None:
        if top:
            self._warn_mixed_chain(node)
        # The left operand of an unparenthesised chain continues the chain: it is not warned
        # about again, so a chain gets one warning and one fix that do not overlap.
        left = (self._bool(node.left, top=False) if isinstance(node.left, ast.BoolOp)
                else self.condition(node.left))
        right = self.condition(node.right)
        if left is None or right is None:
            return None
        return typed.And(left, right) if node.op == "and" else typed.Or(left, right)

    def _warn_mixed_chain(self, chain: ast.BoolOp) -> None:
        """One W301 for a chain of AND and OR without parentheses: the reading with every
        implied parenthesis written, and a fix that writes them."""
        spine = [chain]
        while isinstance(spine[-1].left, ast.BoolOp):
            spine.append(spine[-1].left)
        if len({n.op for n in spine}) < 2:
            return
        # The first operator (in the text) where the other connector takes over.
        first_mix = next(n for n in reversed(spine)
                         if isinstance(n.left, ast.BoolOp) and n.left.op != n.op)
        before = "or" if first_mix.op == "and" else "and"
        explicit = self._explicit(chain)
        self.warn("W301", f"`{before.upper()}` and `{first_mix.op.upper()}` are "
                  f"mixed without parentheses; they apply left to right, so this means "
                  f"{explicit}", first_mix.op_span,
                  hint="add parentheses to make the grouping explicit",
                  fix=Fix(chain.span, explicit))

    def _explicit(self, node: ast.Condition) -> str:
        """The source of ``node`` with the parentheses that left-to-right implies written
        around each run of one connector that the other connector continues."""
        if isinstance(node, ast.Group | ast.Not):
            inner = node.inner if isinstance(node, ast.Group) else node.operand
            return (self.source[node.span.start:inner.span.start] + self._explicit(inner)
                    + self.source[inner.span.end:node.span.end])
        if not isinstance(node, ast.BoolOp):
            return self.text(node.span)
        left = self._explicit(node.left)
        if isinstance(node.left, ast.BoolOp) and node.left.op != node.op:
            left = f"({left})"
        return (left + self.source[node.left.span.end:node.right.span.start]
                + self._explicit(node.right))

    def _compare(self, node: ast.Compare) -> typed.Condition | None:
        f = self.resolve(node.field, self._provisional(node.value))
        if f is None:
            return None
        if node.op in _ORDERING_OPS:
            if not f.type.ordered:
                self._not_ordered(f, node.op, node.op_span)
                return None
            v = self.value(node.value, f)
            return None if v is None else typed.Predicate(f, _ORDERING_OPS[node.op], (v,),
                                                          node.span)
        v = self.value(node.value, f)
        if v is None:
            return None
        if f.type.textual and isinstance(v, typed.Const):
            folded = self.folded_texts(f, [v], [node.value.span], country_rules=True)
            pred = typed.Predicate(f, typed.Op.IN, folded, node.span)
        else:
            pred = typed.Predicate(f, typed.Op.EQ, (v,), node.span)
        return typed.Not(pred) if node.op == "!=" else pred

    def _not_ordered(self, f: Field, op: str, span: Span) -> None:
        self.error("E213", f"`{op}` cannot be used on `{f.name}`, which is {_TYPE_WORDS[f.type]}",
                   span, hint="ordering and BETWEEN apply to numbers, money and dates; use =, "
                   "IN, CONTAINS, STARTS WITH or ENDS WITH on text")

    def _between(self, node: ast.Between) -> typed.Condition | None:
        f = self.resolve(node.field, self._provisional(node.low))
        if f is None:
            return None
        if not f.type.ordered:
            self._not_ordered(f, "between", node.span)
            return None
        low, high = self.value(node.low, f), self.value(node.high, f)
        if low is None or high is None:
            return None
        return typed.Predicate(f, typed.Op.BETWEEN, (low, high), node.span)

    def _in(self, node: ast.InList) -> typed.Condition | None:
        f = self.resolve(node.field, self._provisional(node.values[0] if node.values else None))
        if f is None:
            return None
        if not node.values:
            self.error("E212", "`IN ()` has no values", node.span,
                       hint="list at least one value, such as IN (\"GB\", \"IE\")")
            return None
        values = [self.value(v, f, allow_field=False) for v in node.values]
        if any(v is None for v in values):
            return None
        checked = cast(list[typed.Value], values)
        if f.type.textual:
            args: tuple[typed.Value, ...] = self.folded_texts(
                f, checked, [v.span for v in node.values], country_rules=True)
        else:
            args = tuple(dict.fromkeys(checked))
        pred = typed.Predicate(f, typed.Op.IN, args, node.span)
        return typed.Not(pred) if node.negated else pred

    def _text_match(self, node: ast.TextMatch) -> typed.Condition | None:
        f = self.resolve(node.field, FieldType.TEXT)
        if f is None:
            return None
        word = node.kind.replace("_", " ").upper()
        if not f.type.textual:
            self.error("E214", f"{word} applies to text, but `{f.name}` is {_TYPE_WORDS[f.type]}",
                       node.span, hint="compare numbers, money and dates with =, <, >, BETWEEN")
            return None
        if not isinstance(node.pattern, ast.StringLit):
            self.error("E210", f"{word} takes a text in double quotes, but "
                       f"{_literal_words(node.pattern)}", node.pattern.span)
            return None
        return typed.Predicate(f, _TEXT_KINDS[node.kind],
                               (typed.Const(node.pattern.value.lower()),), node.span)

    # --- segments ----------------------------------------------------------------------------
    def window(self, node: ast.Window | None) -> typed.Window:
        if node is None:
            return typed.Window()
        bounds: list[typed.Const | typed.RelativeDate | None] = []
        for bound in (node.start, node.end):
            if bound is None:
                bounds.append(None)
                continue
            v = self.value(bound, _WINDOW_FIELD, allow_field=False)
            bounds.append(v if isinstance(v, typed.Const | typed.RelativeDate) else None)
        start, end = bounds
        if (isinstance(start, typed.Const) and isinstance(end, typed.Const)
                and start.value > end.value):  # type: ignore[operator]
            self.error("E219", "the window starts after it ends", node.span,
                       hint="write the earlier date after FROM")
        return typed.Window(start, end)

    def segment(self, node: ast.Segment) -> typed.CheckedSegment | None:
        window = self.window(node.window)
        errors_before = sum(d.is_error for d in self.diags)
        cond = self.condition(node.condition)
        if cond is None or sum(d.is_error for d in self.diags) > errors_before:
            return None
        return typed.CheckedSegment(node.name, node.title, node.description, window, cond,
                                    node.span, self.text(node.span))


_WINDOW_FIELD = Field("window", FieldType.DATE, Kind.FIRST_ORDER_DATE, "window bound")


def check_parsed_condition(node: ast.Condition, source: str, *,
                           schema: StoreSchema | None = None,
                           window: ast.Window | None = None, name: str = "expr",
                           origin: str = "<expr>", library: Library = None) -> CheckResult:
    """Check a parsed bare condition; ``IN SEGMENT`` can only name segments of ``library``."""
    checker = _Checker(source, schema, library)
    result = CheckResult(source=source, origin=origin)
    win = checker.window(window)
    cond = checker.condition(node)
    result.diagnostics = checker.diags
    if cond is not None and result.ok:
        result.segments = [typed.CheckedSegment(name, name, None, win, cond, None, source)]
    return result


def check_condition(source: str, *, schema: StoreSchema | None = None,
                    window: ast.Window | None = None, name: str = "expr",
                    origin: str = "<expr>", library: Library = None) -> CheckResult:
    """Parse and check a bare condition. Syntax errors come back as diagnostics too.

    ``IN SEGMENT`` can name only segments of ``library`` (a :class:`SegmentLibrary` or any
    iterable of checked segments); without one every reference is an unknown segment (E230).
    """
    try:
        node = parse_condition(source, origin)
    except SegmentError as err:
        return CheckResult([], err.diagnostics, source, origin)
    return check_parsed_condition(node, source, schema=schema, window=window, name=name,
                                  origin=origin, library=library)


def check_file(source: str, *, schema: StoreSchema | None = None,
               origin: str = "<file>", library: Library = None) -> CheckResult:
    """Parse and check a ``.seg`` file.

    ``IN SEGMENT`` names a segment of this file or of ``library`` (the file's own win when a
    name is in both); the checked segments embed what they refer to.
    """
    try:
        parsed = parse_file(source, origin)
    except SegmentError as err:
        return CheckResult([], err.diagnostics, source, origin)
    return check_parsed_file(parsed, source, schema=schema, origin=origin, library=library)


def check_parsed_file(parsed: ast.SegmentFile, source: str, *,
                      schema: StoreSchema | None = None, origin: str = "<file>",
                      library: Library = None) -> CheckResult:
    """Check a parsed ``.seg`` file (``source`` is the text it was parsed from), so that a
    caller who already holds the syntax tree (the language server) does not parse twice."""
    checker = file_checker(parsed, source, schema=schema, origin=origin, library=library)
    checker.check_all()
    return checker.result()


def file_checker(parsed: ast.SegmentFile, source: str, *, schema: StoreSchema | None,
                 origin: str, library: Library, peers: Peers | None = None) -> _Checker:
    """A checker for one parsed file, its segments declared (E220 for a repeated name) and
    not yet checked; with ``peers``, one of the files checked together."""
    checker = _Checker(source, schema, library, origin, peers)
    checker.file_segments = list(parsed.segments)
    for i, seg in enumerate(parsed.segments):
        diags = checker.file_diags.setdefault(i, [])
        first = checker.file_index.setdefault(seg.name.lower(), i)
        if first != i:
            diags.append(Diagnostic(
                "E220", Severity.ERROR, f"a segment named `{seg.name}` is already defined on "
                f"line {parsed.segments[first].span.line}", seg.name_span,
                hint="segment names must be unique"))
    return checker


def check_segment(source: str, **kw: object) -> CheckResult:
    """Alias of :func:`check_file` for symmetry with :func:`check_condition`."""
    return check_file(source, **kw)  # type: ignore[arg-type]


def check_window(node: ast.Window, source: str = "", origin: str = "<window>") -> typed.Window:
    """Check a window on its own (the command line's --from/--to); raises on errors."""
    checker = _Checker(source, None)
    window = checker.window(node)
    if any(d.is_error for d in checker.diags):
        raise SegmentError(checker.diags, source, origin)
    return window

"""The language server's piecewise parse gives exactly what the core parser gives for the
whole text: the same tree (every span included) or the same error, on hand-picked traps and
on random edits of a real file."""

from __future__ import annotations

import random

import pytest
from lark import Token
from lark.exceptions import LarkError
from segdsl_lsp import analysis
from segdsl_lsp.incremental import lex_incremental, parse_incremental, pieces

from segdsl.check.checker import check_file
from segdsl.errors import SegmentError
from segdsl.syntax import ast
from segdsl.syntax.parser import _lark, parse_file
from segdsl.system import system_sources


def outcome(parse: object, text: str) -> ast.SegmentFile | list[object]:
    try:
        return parse(text)  # type: ignore[operator, no-any-return]
    except SegmentError as err:
        return [d.to_json() for d in err.diagnostics]


BASE = ('# leading comment, then segments 😀\r\n'
        'segment a "Café" where orders > 1 segment b "B" where aov > 2\r\n'
        'segment c "C"\n  description "has segment in it"\n  window from -1y\n'
        '  where (orders >= 3 AND aov > 50) OR country = "GB"  # segment in a comment\n'
        'segment d "D" where IN SEGMENT segment\n'
        'segment segment "S" where custom.segment = 1 and name is null\n'
        'segment e "E" where last_order_date > today segment f "F" where orders = 2\n')

TRAPS = [
    BASE,
    'segment a "A" where segment > 1',               # `segment` read as a field
    'segment a "A" where orders > 1 and segment b',  # a keyword-like field, then junk
    'segment a "A" where name = "open segment b "B" where orders > 1',  # unclosed string
    'segment a "A" where (orders > 1 segment b "B" where aov > 2',      # unclosed group
    'segment a "A" where orders > 1\nsegment b "B" where',              # ends too early
    'segment a "A" where orders > 1\nsegment b "B" segment c "C" where orders > 1',
    'segment a "A" where orders >\nsegment b "B" where aov > 1',       # error at `segment`
    'junk segment a "A" where orders > 1',
    '# only a comment\n',
    '',
    'segment a "A" where orders in (1, 2) segment b "B" where email is not null',
    'SEGMENT a "A" WHERE orders > 1 SeGmEnT b "B" where aov > 2',
    # Which problem the whole file reports first: a syntax error anywhere beats a bad escape
    # or a size limit earlier on; every size limit is reported; then the first bad escape.
    'segment a "A\\q" where orders > 1\nsegment b "B" where orders >',
    'segment a "A\\q" where orders > 1\nsegment b "B\\w" where orders > 1',
    'segment a "A" where ' + " and ".join(["orders > 1"] * 501) + '\nsegment b "B\\w" where x > 1',
    'segment a "A" where ' + " or ".join(["aov > 1"] * 501) + "\n" * 2
    + 'segment b "B" where ' + " or ".join(["aov > 1"] * 502),
    'segment a "A" where ' + " or ".join(["aov > 1"] * 501) + '\nsegment b "B" where',
    'segment a "A" where ' + "(" * 201 + "orders > 1" + ")" * 201 + ' segment b "B" where',
]


@pytest.mark.parametrize("text", TRAPS)
def test_traps_parse_as_the_whole_text_does(text: str) -> None:
    assert outcome(parse_incremental, text) == outcome(parse_file, text)


def test_the_file_is_cut_before_each_segment_that_surely_starts_one() -> None:
    starts = pieces(BASE)
    words = [BASE[s:s + 9] for s in starts[1:]]
    # Not before `IN SEGMENT segment`'s name, `segment segment`'s name or `custom.segment`;
    # nor after a name spelt like a keyword (`IN SEGMENT segment`): left in its piece.
    assert words == ["segment b", "segment c", "segment d", "segment e", "segment f"]


def test_random_edits_of_a_real_file() -> None:
    rng = random.Random(2024)
    base = system_sources()["rfm.seg"] + BASE
    alphabet = ['"', "(", ")", " ", "\n", "segment ", "and ", "or ", "#", "x", "1", "=", ".",
                "\r\n", "in ", "null ", "\\", "-3d "]
    text = base
    for _ in range(600):
        at = rng.randrange(len(text) + 1)
        if rng.random() < 0.5 and text:
            text = text[:at] + text[at + rng.randint(1, 8):]
        else:
            text = text[:at] + rng.choice(alphabet) + text[at:]
        if rng.random() < 0.2:
            text = base  # back to a valid file now and then
        assert outcome(parse_incremental, text) == outcome(parse_file, text), text
        comments = rng.random() < 0.5
        assert [token_fields(t) for t in lex_incremental(text, comments)] == \
            whole_tokens(text, comments), text


def test_a_new_long_text_parsed_whole_then_edited_piecewise() -> None:
    # Mostly new pieces: parsed whole, its segments moved back into the pieces' cache.
    text = "".join(f'segment s{i} "S {i} 😀" where orders > {i}\r\n  and aov < {i + 1}\n'
                   f'segment t{i} "T" where name = "x" segment u{i} "U" where aov > 1\n'
                   for i in range(40))
    assert outcome(parse_incremental, text) == outcome(parse_file, text)
    edited = text.replace("orders > 7\r\n", "orders > 7 or\r\n  email is null\r\n")
    assert outcome(parse_incremental, edited) == outcome(parse_file, edited)
    broken = text.replace('"T" where name = "x" segment u3', '"T" where name = segment u3')
    assert outcome(parse_incremental, broken) == outcome(parse_file, broken)


def whole_tokens(text: str, comments: bool) -> list[tuple[object, ...]]:
    out = []
    try:
        for tok in _lark().lex(text, dont_ignore=comments):
            if tok.type != "WS":
                out.append(token_fields(tok))
    except LarkError:
        pass
    return out


def token_fields(tok: Token) -> tuple[object, ...]:
    return (tok.type, str(tok), tok.start_pos, tok.line, tok.column, tok.end_line,
            tok.end_column, tok.end_pos)


@pytest.mark.parametrize("text", TRAPS)
def test_tokens_piece_by_piece_are_the_lexers_tokens(text: str) -> None:
    for comments in (False, True):
        got = [token_fields(t) for t in lex_incremental(text, comments)]
        assert got == whole_tokens(text, comments)


CHECKED = ('segment a "A" where ordrs > 1 and aov > 5 or country = "Narnia"\n'
           'segment b "B" where IN SEGMENT champions and orders >= "x"\r\n'
           'segment c "C" where IN SEGMENT "can\'t lose them" or product_type > 3\n'
           'segment d "D 😀" window from 2024-02-30 where name contains 3 segment e "E" where '
           'NOT IN SEGMENT lost and amount_spent between 1 and 2 and custom.x = 1 or aov > 2\n'
           'segment f "F" where collection in () and last_order_date > -30d\n')


def test_diagnostics_piece_by_piece_are_the_checkers() -> None:
    """Each segment checked on its own where that gives the same (distinct names, references
    only to SYSTEM segments), else the whole file: always what check_file reports."""
    rng = random.Random(7)
    library = analysis.system_library()
    alphabet = ['"', "(", ")", " ", "\n", "segment ", "and ", "or ", "x", "1", "=", "d",
                " IN SEGMENT lost ", ' IN SEGMENT "Lost" ', " in segment a ", "\\\\"]
    text = "".join(CHECKED.replace("segment ", f"segment n{i}") for i in range(4))
    base = text
    fast = 0
    for _ in range(500):
        at = rng.randrange(len(text) + 1)
        if rng.random() < 0.5 and text:
            text = text[:at] + text[at + rng.randint(1, 6):]
        else:
            text = text[:at] + rng.choice(alphabet) + text[at:]
        if rng.random() < 0.15:
            text = base
        expected = [d.to_json() for d in check_file(text, library=library).diagnostics]
        got = [d.to_json() for d in analysis.diagnostics(text)]
        assert got == expected, text
        parsed = analysis.parse(text)
        fast += parsed is not None and analysis._independent(list(parsed.segments),
                                                              analysis.DEFAULT_CONTEXT)
    assert fast > 50  # the piecewise path was taken often enough to be tested

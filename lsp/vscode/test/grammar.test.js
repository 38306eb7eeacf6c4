// The TextMate grammar, tokenized as VS Code does it: every example .seg file, the scopes at
// hand-picked places in them, tricky lines, and the keyword list against grammar/segment.lark.
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { test } = require("node:test");
const { tokenize } = require("./tokenize");

const REPO = path.join(__dirname, "..", "..", "..");
const EXAMPLES = path.join(REPO, "examples");
const RFM = path.join(REPO, "segdsl", "system", "rfm.seg");

function hasScope(token, scope) {
  return token.scopes.some((s) => s === scope || s.startsWith(`${scope}.`));
}

function describe(tokens) {
  return tokens.map((t) => `${JSON.stringify(t.text)}: ${t.scopes.slice(1).join(" ")}`)
    .join("\n  ");
}

/** The tokens covering the nth occurrence of `snippet` on a (1-based) line. */
function covering(lines, lineNo, snippet, nth = 1) {
  const { line, tokens } = lines[lineNo - 1];
  let start = -1;
  for (let k = 0; k < nth; k++) {
    start = line.indexOf(snippet, start + 1);
    assert.notEqual(start, -1, `line ${lineNo} has no ${JSON.stringify(snippet)} #${nth}: ${line}`);
  }
  const end = start + snippet.length;
  return { start, end, tokens: tokens.filter((t) => t.start < end && t.end > start) };
}

/**
 * `snippet` on that line is exactly one lexical unit of `scope`: tokens start at its first
 * character and end after its last (so `or` inside `orders` fails), and all carry the scope.
 */
function expectUnit(lines, lineNo, snippet, scope, nth = 1) {
  const { start, end, tokens } = covering(lines, lineNo, snippet, nth);
  const where = `line ${lineNo}, ${JSON.stringify(snippet)}:\n  ${describe(tokens)}`;
  assert.equal(tokens[0].start, start, `a token starts at ${where}`);
  assert.equal(tokens[tokens.length - 1].end, end, `a token ends at ${where}`);
  for (const t of tokens) {
    assert.ok(hasScope(t, scope), `${scope} expected at ${where}`);
  }
}

/** Every character of `snippet` is in `scope` and in none of `not` (it may share a token). */
function expectInside(lines, lineNo, snippet, scope, not = [], nth = 1) {
  const { tokens } = covering(lines, lineNo, snippet, nth);
  const where = `line ${lineNo}, ${JSON.stringify(snippet)}:\n  ${describe(tokens)}`;
  for (const t of tokens) {
    assert.ok(hasScope(t, scope), `${scope} expected at ${where}`);
    for (const n of not) {
      assert.ok(!hasScope(t, n), `${n} not expected at ${where}`);
    }
  }
}

function exampleFiles() {
  const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith(".seg"))
    .map((f) => path.join(EXAMPLES, f));
  return [...files, RFM];
}

test("there are example files to tokenize", () => {
  const names = exampleFiles().map((f) => path.relative(REPO, f));
  assert.ok(names.includes(path.join("examples", "segments.seg")), names.join(", "));
  assert.ok(names.includes(path.join("segdsl", "system", "rfm.seg")), names.join(", "));
});

for (const file of exampleFiles()) {
  test(`every character of ${path.relative(REPO, file)} is scoped, none as invalid`, async () => {
    const lines = await tokenize(fs.readFileSync(file, "utf8"));
    lines.forEach(({ tokens }, i) => {
      for (const t of tokens) {
        if (t.text.trim() !== "") {
          assert.ok(t.scopes.length > 1, `line ${i + 1}: ${JSON.stringify(t.text)} has no scope`);
        }
        assert.ok(!hasScope(t, "invalid"), `line ${i + 1}: ${describe([t])}`);
      }
    });
  });
}

test("examples/segments.seg: scopes where they were worked out by hand", async () => {
  const l = await tokenize(fs.readFileSync(path.join(EXAMPLES, "segments.seg"), "utf8"));
  // Lines 1-6: a comment block, also where it mentions `from`-like words and dates.
  for (let n = 1; n <= 6; n++) {
    expectUnit(l, n, l[n - 1].line, "comment.line.number-sign.segdsl");
  }
  expectUnit(l, 1, "#", "punctuation.definition.comment.segdsl");
  expectInside(l, 4, "2011-12-09", "comment", ["constant"]);

  expectUnit(l, 8, "segment", "storage.type.segment.segdsl");
  expectUnit(l, 8, "big_spenders", "entity.name.segment.segdsl");
  expectUnit(l, 8, '"Big spenders"', "string.quoted.double.segdsl");
  expectUnit(l, 8, '"', "punctuation.definition.string.begin.segdsl");
  expectUnit(l, 8, '"', "punctuation.definition.string.end.segdsl", 2);
  expectUnit(l, 9, "description", "keyword.other.clause.segdsl");
  // Keywords and numbers inside a text value are text.
  expectInside(l, 9, " or ", "string.quoted.double.segdsl", ["keyword"]);
  expectInside(l, 9, " in ", "string.quoted.double.segdsl", ["keyword"]);
  expectInside(l, 9, "2011", "string.quoted.double.segdsl", ["constant"]);
  expectInside(l, 9, "with", "string.quoted.double.segdsl", ["keyword"]);
  expectUnit(l, 10, "window", "keyword.other.clause.segdsl");
  expectUnit(l, 10, "from", "keyword.other.clause.segdsl");
  expectUnit(l, 10, "2011-01-01", "constant.other.date.segdsl");
  expectUnit(l, 10, "to", "keyword.other.clause.segdsl");
  expectUnit(l, 10, "2011-12-09", "constant.other.date.segdsl");
  expectUnit(l, 11, "where", "keyword.other.clause.segdsl");
  expectUnit(l, 11, "orders", "variable.other.field.segdsl");
  expectUnit(l, 11, ">=", "keyword.operator.comparison.segdsl");
  expectUnit(l, 11, "3", "constant.numeric.segdsl");
  expectUnit(l, 11, "and", "keyword.operator.logical.segdsl");
  expectUnit(l, 11, "aov", "variable.other.field.segdsl");
  expectUnit(l, 11, ">", "keyword.operator.comparison.segdsl", 2);
  expectUnit(l, 11, "500", "constant.numeric.segdsl");
  expectUnit(l, 15, "days_since_last_order", "variable.other.field.segdsl");
  expectUnit(l, 15, "120", "constant.numeric.segdsl");
  expectInside(l, 18, "1,000", "string.quoted.double.segdsl", ["constant"]);
  expectUnit(l, 20, "collection", "variable.other.field.segdsl");
  expectUnit(l, 20, "=", "keyword.operator.comparison.segdsl");
  expectUnit(l, 20, '"christmas"', "string.quoted.double.segdsl");
  expectUnit(l, 20, "amount_spent", "variable.other.field.segdsl");
  expectUnit(l, 20, "1000", "constant.numeric.segdsl");
  expectUnit(l, 24, "first_order_date", "variable.other.field.segdsl");
  expectUnit(l, 24, "2011-09-01", "constant.other.date.segdsl");
  expectUnit(l, 28, "-90d", "constant.other.date.relative.segdsl");
  expectUnit(l, 29, "country", "variable.other.field.segdsl");
  expectUnit(l, 29, "!=", "keyword.operator.comparison.segdsl");
  expectUnit(l, 29, '"United Kingdom"', "string.quoted.double.segdsl");
  expectUnit(l, 29, "2", "constant.numeric.segdsl");
  expectUnit(l, 31, "candle_lovers", "entity.name.segment.segdsl");
  expectInside(l, 31, " and ", "string.quoted.double.segdsl", ["keyword"]);
  expectInside(l, 32, " or ", "string.quoted.double.segdsl", ["keyword"]);
  expectUnit(l, 33, "product_type", "variable.other.field.segdsl");
  expectUnit(l, 33, "in", "keyword.operator.word.segdsl");
  expectUnit(l, 33, "(", "punctuation.section.parens.begin.segdsl");
  expectUnit(l, 33, '"candle"', "string.quoted.double.segdsl");
  expectUnit(l, 33, ",", "punctuation.separator.comma.segdsl");
  expectUnit(l, 33, '"lantern"', "string.quoted.double.segdsl");
  expectUnit(l, 33, ")", "punctuation.section.parens.end.segdsl");
  expectUnit(l, 34, "and", "keyword.operator.logical.segdsl");
  expectUnit(l, 34, "not", "keyword.operator.logical.segdsl");
  expectUnit(l, 34, "collection", "variable.other.field.segdsl");
});

test("segdsl/system/rfm.seg: scopes where they were worked out by hand", async () => {
  const l = await tokenize(fs.readFileSync(RFM, "utf8"));
  expectUnit(l, 1, l[0].line, "comment.line.number-sign.segdsl");
  expectUnit(l, 7, l[6].line, "comment.line.number-sign.segdsl");
  expectUnit(l, 9, "segment", "storage.type.segment.segdsl");
  expectUnit(l, 9, "champions", "entity.name.segment.segdsl");
  expectUnit(l, 9, '"Champions"', "string.quoted.double.segdsl");
  expectUnit(l, 11, "-1y", "constant.other.date.relative.segdsl");
  expectUnit(l, 12, "recency_score", "variable.other.field.segdsl");
  expectUnit(l, 12, "and", "keyword.operator.logical.segdsl", 2);
  expectUnit(l, 12, "monetary_score", "variable.other.field.segdsl");
  expectUnit(l, 12, "4", "constant.numeric.segdsl", 3);
  expectInside(l, 15, "not", "string.quoted.double.segdsl", ["keyword"]);
  expectUnit(l, 17, "frequency_score", "variable.other.field.segdsl");
  expectUnit(l, 18, "and", "keyword.operator.logical.segdsl");
  expectUnit(l, 19, "not", "keyword.operator.logical.segdsl");
  expectUnit(l, 19, "(", "punctuation.section.parens.begin.segdsl");
  expectUnit(l, 19, ")", "punctuation.section.parens.end.segdsl");
  expectUnit(l, 24, "between", "keyword.operator.word.segdsl");
  expectUnit(l, 24, "2", "constant.numeric.segdsl");
  expectUnit(l, 24, "3", "constant.numeric.segdsl", 2);
  expectUnit(l, 29, "=", "keyword.operator.comparison.segdsl", 2);
  expectUnit(l, 34, "<=", "keyword.operator.comparison.segdsl");
  // The apostrophe of the title is text, not a stray quote.
  expectUnit(l, 38, "cant_lose_them", "entity.name.segment.segdsl");
  expectUnit(l, 38, "\"Can't Lose Them\"", "string.quoted.double.segdsl");
  expectUnit(l, 46, "(", "punctuation.section.parens.begin.segdsl");
  expectUnit(l, 47, "or", "keyword.operator.logical.segdsl");
  expectUnit(l, 49, "lost", "entity.name.segment.segdsl");
  expectUnit(l, 52, "1", "constant.numeric.segdsl");
});

test("tricky lines", async () => {
  const l = await tokenize([
    /* 1 */ 'segment vip "VIP" where name = "a and b # no comment" # a comment',
    /* 2 */ '  WHERE email ENDS WITH "@x.com" AND Custom."first name" IS NOT NULL',
    /* 3 */ '  Window From -30D To Today',
    /* 4 */ '  where last_order_date < -6m and orders > -5 or aov >= 50.5',
    /* 5 */ '  where orders BETWEEN 1 AND 3 OR NOT IN SEGMENT champions',
    /* 6 */ '  where country NOT IN ("GB") and name STARTS with "a" and phone is null',
    /* 7 */ '  where name = "say \\"hi\\" \\\\ \\q" and custom."from" = yesterday',
    /* 8 */ '  where orders > 1 and android = 2 or nothing = 3 or isabel = 4 and toto = 5',
    /* 9 */ '  where custom.größe = 1 and custom.naïve_and = 2 and custom . x = 3',
    /* 10 */ '  where name = "unclosed',
    /* 11 */ '    and orders > 1',
    /* 12 */ "  where name = 'single' and IN SEGMENT \"Can't Lose Them\" and 2011-02-30 > -4W",
  ].join("\n"));
  // A keyword and `#` inside a text value are text; `#` after it starts a comment.
  expectInside(l, 1, "and", "string.quoted.double.segdsl", ["keyword"]);
  expectInside(l, 1, "# no comment", "string.quoted.double.segdsl", ["comment"]);
  expectUnit(l, 1, "# a comment", "comment.line.number-sign.segdsl");
  expectUnit(l, 1, "where", "keyword.other.clause.segdsl");
  // Keywords ignore case; multi-word operators are keywords word by word.
  expectUnit(l, 2, "WHERE", "keyword.other.clause.segdsl");
  expectUnit(l, 2, "ENDS", "keyword.operator.word.segdsl");
  expectUnit(l, 2, "WITH", "keyword.operator.word.segdsl");
  expectUnit(l, 2, "AND", "keyword.operator.logical.segdsl");
  // custom."first name" is a field, not a text value.
  expectUnit(l, 2, "Custom", "variable.other.field.segdsl");
  expectUnit(l, 2, ".", "punctuation.accessor.segdsl", 2);
  expectUnit(l, 2, '"first name"', "meta.field.dotted.segdsl");
  expectInside(l, 2, "first name", "variable.other.field.attribute.quoted.segdsl",
    ["string"]);
  expectUnit(l, 2, "IS", "keyword.operator.word.segdsl");
  expectUnit(l, 2, "NOT", "keyword.operator.word.segdsl");
  expectUnit(l, 2, "NULL", "constant.language.null.segdsl");
  expectUnit(l, 3, "Window", "keyword.other.clause.segdsl");
  expectUnit(l, 3, "From", "keyword.other.clause.segdsl");
  expectUnit(l, 3, "-30D", "constant.other.date.relative.segdsl");
  expectUnit(l, 3, "To", "keyword.other.clause.segdsl");
  expectUnit(l, 3, "Today", "constant.other.date.relative.segdsl");
  // Relative dates and negative numbers both start with `-`.
  expectUnit(l, 4, "-6m", "constant.other.date.relative.segdsl");
  expectUnit(l, 4, "-5", "constant.numeric.segdsl");
  expectUnit(l, 4, "50.5", "constant.numeric.segdsl");
  expectUnit(l, 5, "BETWEEN", "keyword.operator.word.segdsl");
  expectUnit(l, 5, "AND", "keyword.operator.logical.segdsl");
  expectUnit(l, 5, "OR", "keyword.operator.logical.segdsl");
  // In NOT IN SEGMENT the NOT negates; IN SEGMENT names a segment.
  expectUnit(l, 5, "NOT", "keyword.operator.logical.segdsl");
  expectUnit(l, 5, "IN", "keyword.operator.word.segdsl");
  expectUnit(l, 5, "SEGMENT", "keyword.operator.word.segdsl");
  expectUnit(l, 5, "champions", "variable.other.segment.segdsl");
  // In NOT IN (...) the NOT belongs to the operator.
  expectUnit(l, 6, "NOT", "keyword.operator.word.segdsl");
  expectUnit(l, 6, "IN", "keyword.operator.word.segdsl");
  expectUnit(l, 6, '"GB"', "string.quoted.double.segdsl");
  expectUnit(l, 6, "STARTS", "keyword.operator.word.segdsl");
  expectUnit(l, 6, "with", "keyword.operator.word.segdsl");
  expectUnit(l, 6, "is", "keyword.operator.word.segdsl");
  expectUnit(l, 6, "null", "constant.language.null.segdsl");
  // The two escapes of text values, and an unknown one.
  expectUnit(l, 7, '\\"', "constant.character.escape.segdsl");
  expectUnit(l, 7, "\\\\", "constant.character.escape.segdsl");
  expectUnit(l, 7, "\\q", "invalid.illegal.escape.segdsl");
  expectInside(l, 7, "hi", "string.quoted.double.segdsl");
  expectUnit(l, 7, "and", "keyword.operator.logical.segdsl");
  expectInside(l, 7, "from", "variable.other.field.attribute.quoted.segdsl", ["keyword"]);
  expectUnit(l, 7, "yesterday", "constant.other.date.relative.segdsl");
  // Identifiers that start with a keyword are fields.
  for (const name of ["orders", "android", "nothing", "isabel", "toto"]) {
    expectUnit(l, 8, name, "variable.other.field.segdsl");
  }
  // Letters of any script, as the grammar's IDENT; spaces around the dot are allowed.
  expectUnit(l, 9, "größe", "variable.other.field.attribute.segdsl");
  expectUnit(l, 9, "naïve_and", "variable.other.field.attribute.segdsl");
  expectUnit(l, 9, "custom . x", "meta.field.dotted.segdsl");
  // A text value cannot span lines: the next line is code again.
  expectInside(l, 10, "unclosed", "string.quoted.double.segdsl");
  expectUnit(l, 11, "and", "keyword.operator.logical.segdsl");
  expectUnit(l, 11, "orders", "variable.other.field.segdsl");
  // Single quotes are no quotes (the server says E101 and hints at double quotes).
  expectUnit(l, 12, "'", "invalid.illegal.character.segdsl");
  expectUnit(l, 12, "IN", "keyword.operator.word.segdsl");
  expectUnit(l, 12, "\"Can't Lose Them\"", "string.quoted.double.segdsl");
  // An impossible date is still written as a date (the checker refuses it: E211).
  expectUnit(l, 12, "2011-02-30", "constant.other.date.segdsl");
  expectUnit(l, 12, "-4W", "constant.other.date.relative.segdsl");
});

// The keywords as the language defines them: `NAME.2: /word\b/i` in grammar/segment.lark.
function larkKeywords() {
  const lark = fs.readFileSync(path.join(REPO, "grammar", "segment.lark"), "utf8");
  return [...lark.matchAll(/^[A-Z_]+\.2: \/(\w+)\\b\/i$/gm)].map((m) => m[1]);
}

test("every keyword of grammar/segment.lark is highlighted, in any case", async () => {
  const words = larkKeywords();
  assert.ok(words.length >= 19, `keywords found in the grammar: ${words.join(" ")}`);
  const kinds = ["keyword", "storage.type", "constant.language", "constant.other.date.relative"];
  for (const word of words) {
    const mixed = word[0].toUpperCase() + word.slice(1);
    for (const spelling of [word, word.toUpperCase(), mixed]) {
      const [line] = await tokenize(spelling);
      assert.equal(line.tokens.length, 1, `${spelling}: ${describe(line.tokens)}`);
      const [token] = line.tokens;
      assert.ok(kinds.some((k) => hasScope(token, k)), `${spelling}: ${describe([token])}`);
    }
    // and a word that merely starts with it is a field
    const [line] = await tokenize(`${word}_x`);
    assert.equal(line.tokens.length, 1, `${word}_x: ${describe(line.tokens)}`);
    assert.ok(hasScope(line.tokens[0], "variable.other.field"), describe(line.tokens));
  }
});

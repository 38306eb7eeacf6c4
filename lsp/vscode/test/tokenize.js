// Tokenize text with the extension's TextMate grammar, as VS Code does (vscode-textmate with
// the Oniguruma regex engine compiled to WebAssembly). Used by the tests and, from the
// command line, to look at a file: `node test/tokenize.js FILE`.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const GRAMMAR_PATH = path.join(__dirname, "..", "syntaxes", "segdsl.tmLanguage.json");

let grammarPromise;

/** The grammar, loaded once. */
function loadGrammar() {
  if (grammarPromise === undefined) {
    const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    const onigLib = oniguruma.loadWASM(wasm).then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }));
    const registry = new vsctm.Registry({
      onigLib,
      loadGrammar: async (scopeName) => (scopeName === "source.segdsl"
        ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR_PATH, "utf8"), GRAMMAR_PATH)
        : null),
    });
    grammarPromise = registry.loadGrammar("source.segdsl");
  }
  return grammarPromise;
}

/**
 * Tokenize a whole text line by line, carrying the rule stack across lines as an editor does.
 * Returns one entry a line: its text and tokens `{start, end, text, scopes}`.
 */
async function tokenize(text) {
  const grammar = await loadGrammar();
  let stack = vsctm.INITIAL;
  return text.split(/\r\n|\r|\n/).map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    const tokens = result.tokens.map((t) => ({
      start: t.startIndex,
      end: Math.min(t.endIndex, line.length),
      text: line.slice(t.startIndex, t.endIndex),
      scopes: t.scopes,
    })).filter((t) => t.start < t.end);
    return { line, tokens };
  });
}

module.exports = { loadGrammar, tokenize };

if (require.main === module) {
  const text = fs.readFileSync(process.argv[2], "utf8");
  tokenize(text).then((lines) => {
    lines.forEach(({ tokens }, i) => {
      for (const t of tokens) {
        console.log(`${i + 1}:${t.start} ${JSON.stringify(t.text)} ${t.scopes.slice(1).join(" ")}`);
      }
    });
  });
}

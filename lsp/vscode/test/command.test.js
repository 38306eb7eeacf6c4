// The server-command setting, split as the extension splits it (the compiled out/command.js).
"use strict";

const assert = require("node:assert/strict");
const { test } = require("node:test");
const { parseCommand } = require("../out/command");

test("the default setting is the program segdsl with the argument lsp", () => {
  assert.deepEqual(parseCommand("segdsl lsp"), { program: "segdsl", args: ["lsp"] });
});

test("blanks separate words, however many", () => {
  assert.deepEqual(parseCommand("  python3\t-m  segdsl_lsp "),
    { program: "python3", args: ["-m", "segdsl_lsp"] });
});

test("double quotes keep a path with spaces whole, and may hold escaped quotes", () => {
  assert.deepEqual(parseCommand('"/opt/my env/bin/segdsl" lsp'),
    { program: "/opt/my env/bin/segdsl", args: ["lsp"] });
  assert.deepEqual(parseCommand('a"b c"d "x\\"y" "" \\n'),
    { program: "ab cd", args: ['x"y', "", "\\n"] });
});

test("an unclosed quote or an empty command is refused with the setting's name", () => {
  assert.throws(() => parseCommand('"segdsl lsp'), /segdsl\.server\.command.*unclosed/);
  assert.throws(() => parseCommand("   "), /segdsl\.server\.command is empty/);
});

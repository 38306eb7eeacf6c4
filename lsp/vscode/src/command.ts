// The `segdsl.server.command` setting as a program and its arguments. Kept apart from the
// extension (no `vscode` import) so that the test runner can load it on its own.

export interface Command {
  program: string;
  args: string[];
}

/**
 * Split a command line on blanks; double quotes keep blanks in one word and `\"` or `\\`
 * inside them stand for `"` and `\`. No shell is involved, so nothing else is special.
 * Throws on an unclosed quote or an empty command, with a message meant for the user.
 */
export function parseCommand(line: string): Command {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) {
        word += line[++i];
      } else if (c === '"') {
        quoted = false;
      } else {
        word += c;
      }
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === " " || c === "\t") {
      if (inWord) {
        words.push(word);
        word = "";
        inWord = false;
      }
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quoted) {
    throw new Error(`segdsl.server.command has an unclosed double quote: ${line}`);
  }
  if (inWord) {
    words.push(word);
  }
  if (words.length === 0) {
    throw new Error("segdsl.server.command is empty: set it to the command that starts the "
      + "server, such as `segdsl lsp`");
  }
  return { program: words[0], args: words.slice(1) };
}

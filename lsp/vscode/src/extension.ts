// The VS Code side of segdsl: start `segdsl lsp` (or the configured command) on stdio for
// `.seg` documents, and restart it when the setting changes. Everything the user sees about
// the language (diagnostics, completion, hover, outline) comes from the server.

import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

import { parseCommand } from "./command";

const SECTION = "segdsl";
let client: LanguageClient | undefined;

function serverOptions(): ServerOptions {
  const setting = vscode.workspace.getConfiguration(SECTION).get<string>("server.command",
    "segdsl lsp");
  const { program, args } = parseCommand(setting);
  return { command: program, args, transport: TransportKind.stdio };
}

async function start(): Promise<void> {
  let options: ServerOptions;
  try {
    options = serverOptions();
  } catch (err) {
    void vscode.window.showErrorMessage(String(err instanceof Error ? err.message : err));
    return;
  }
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "segdsl" },
      { scheme: "untitled", language: "segdsl" },
    ],
  };
  client = new LanguageClient(SECTION, "segdsl", options, clientOptions);
  try {
    await client.start();
  } catch (err) {
    // Most often the command is not on PATH: say which setting to change.
    const detail = err instanceof Error ? err.message : String(err);
    void vscode.window.showErrorMessage(
      `segdsl: the language server did not start (${detail}). Install segdsl, or set `
      + "`segdsl.server.command` to the command that runs `segdsl lsp`.");
    client = undefined;
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    await running.stop();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("segdsl.restartServer", async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration(`${SECTION}.server.command`)) {
        await stop();
        await start();
      }
    }),
  );
  await start();
}

export function deactivate(): Promise<void> {
  return stop();
}

"""The language server's latency over real JSON-RPC: a 5,000-line .seg file.

    .venv/bin/python benchmarks/lsp.py [--lines 5000] [--changes 20] [--completions 200]

Spawns ``python -m segdsl_lsp`` and talks to it on stdio with pygls's own client, as an editor
would (full document sync). Measures:

- diagnostics: the time from sending a ``didChange`` to receiving the ``publishDiagnostics``
  for that version, over ``--changes`` edits of different segments, each awaited before the
  next (the server's debounce is included); target: within 100 ms;
- completion: the round trip of ``--completions`` requests at varied positions (a field after
  ``where``/``and``, an operator after a field, a value after ``country =``, the empty last
  line); target: p95 within 20 ms.

Then, in this process and side by side on the same edits, where a change's time goes: the
server's piecewise parse and the check, against parsing the whole text each time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

URI = "file:///tmp/segdsl-bench.seg"
_CONDITIONS = ["orders >= {n}", "aov > {n}", 'country = "GB"', 'product_type IN ("gift", "toy")',
               "last_order_date > -30d", 'name CONTAINS "a"', "amount_spent BETWEEN 10 AND {n}",
               "NOT email IS NULL", 'collection = "christmas"']


def generate(lines: int, seed: int = 7) -> str:
    """Segments of 4-6 lines (title, description, window, a condition over one or two lines)
    until ``lines`` lines; comments fill the rest."""
    rng = random.Random(seed)
    out: list[str] = ["# generated for benchmarks/lsp.py"]
    i = 0
    while len(out) < lines - 7:
        out.append(f'segment s{i} "Segment {i} 😀"')
        if rng.random() < 0.5:
            out.append(f'  description "generated number {i}"')
        out.append("  window from -1y")
        a, b, c = (rng.choice(_CONDITIONS).format(n=rng.randint(1, 99)) for _ in range(3))
        out.append(f"  where ({a} and {b})")
        out.append(f"    or {c}" if rng.random() < 0.7 else "    or IN SEGMENT champions")
        out.append("")
        i += 1
    while len(out) < lines:
        out.append("# end")
    return "\n".join(out) + "\n"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Bench:
    def __init__(self) -> None:
        self.client = LanguageClient("segdsl-bench", "1")
        self.waiting: dict[int, asyncio.Future[float]] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: types.PublishDiagnosticsParams) -> None:
            future = self.waiting.pop(params.version or 0, None)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "segdsl_lsp")
        await self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities()))
        self.client.initialized(types.InitializedParams())

    def expect(self, version: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[version] = future
        return future

    async def open(self, text: str) -> float:
        done = self.expect(1)
        sent = time.perf_counter()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=URI, language_id="segdsl", version=1,
                                                 text=text)))
        return (await asyncio.wait_for(done, 120)) - sent

    async def change(self, version: int, edit: Edit, *, whole: bool) -> float:
        """One didChange as an editor sends it: the edited line as a range (incremental
        sync), or with ``whole`` the whole new text (what a full-sync client sends)."""
        change: types.TextDocumentContentChangeEvent
        if whole:
            change = types.TextDocumentContentChangeWholeDocument(text=edit.text)
        else:
            end = len(edit.old_line.encode("utf-16-le")) // 2
            change = types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=edit.line, character=0),
                                  end=types.Position(line=edit.line, character=end)),
                text=edit.new_line)
        done = self.expect(version)
        sent = time.perf_counter()
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=version),
            content_changes=[change]))
        return (await asyncio.wait_for(done, 120)) - sent

    async def complete(self, line: int, character: int) -> tuple[float, int]:
        sent = time.perf_counter()
        result = await self.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=line, character=character)))
        items = result.items if isinstance(result, types.CompletionList) else (result or [])
        return time.perf_counter() - sent, len(items)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def completion_positions(text: str, count: int, seed: int = 11) -> list[tuple[int, int, str]]:
    """(line, UTF-16 character, what is expected there) at varied places of the file."""
    rng = random.Random(seed)
    lines = text.split("\n")
    spots: list[tuple[int, int, str]] = []
    for i, line in enumerate(lines):
        utf16 = len(line.encode("utf-16-le")) // 2  # the emoji in titles: UTF-16 positions
        if line.startswith("  where ("):
            spots.append((i, len("  where ("), "field"))
            field_end = line.index(" ", len("  where ("))
            spots.append((i, field_end + 1, "operator"))
        if 'country = "' in line:
            spots.append((i, line.index('country = "') + len("country = "), "value"))
        if line.startswith("segment "):
            spots.append((i, utf16, "clause"))
    spots.append((len(lines) - 1, 0, "empty last line"))
    picked = rng.sample(spots, min(count - 1, len(spots) - 1))
    return picked + [spots[-1]]


async def run(args: argparse.Namespace) -> None:
    text = generate(args.lines)
    segments = text.count("\nsegment ")
    print(f"file: {text.count(chr(10)):,} lines, {len(text):,} characters, {segments:,} "
          f"segments")
    bench = Bench()
    await bench.start()
    opened = await bench.open(text)
    print(f"didOpen -> diagnostics:      {opened * 1000:8.1f} ms")

    # The same edits twice: as ranges (the server asks for incremental sync, as editors then
    # send), then, undoing them and editing again, as whole texts (a full-sync client).
    # A first, untimed round of the edits and their undoing warms the server's caches.
    forward = edits(text, args.changes)
    back = [Edit(e.text, e.line, e.new_line, e.old_line, e.text_before) for e in forward[::-1]]
    version = 2
    for e in forward + back:
        await bench.change(version, e, whole=False)
        version += 1
    times = []
    for e in forward:
        times.append(await bench.change(version, e, whole=False))
        version += 1
    for e in back:
        await bench.change(version, e, whole=False)
        version += 1
    whole_times = []
    for e in forward:
        whole_times.append(await bench.change(version, e, whole=True))
        version += 1
    versions = [e.text for e in forward]
    text = versions[-1]
    median, worst = statistics.median(times) * 1000, max(times) * 1000

    from segdsl_lsp.server import DEBOUNCE_SECONDS

    latencies: list[float] = []
    kinds: dict[str, int] = {}
    for line, character, kind in completion_positions(text, args.completions):
        took, n = await bench.complete(line, character)
        latencies.append(took)
        kinds[kind] = kinds.get(kind, 0) + 1
        if n == 0:
            print(f"  note: no completion at {line}:{character} ({kind})")
    await bench.stop()

    p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
    print(f"didChange -> diagnostics:    median {median:8.1f} ms, max {worst:8.1f} ms over "
          f"{len(times)} changes (includes the {DEBOUNCE_SECONDS * 1000:.0f} ms debounce)")
    print(f"  the same edits sent as whole texts: median "
          f"{statistics.median(whole_times) * 1000:8.1f} ms, max {max(whole_times) * 1000:8.1f}"
          f" ms (a full-sync client)")
    print(f"completion:                  p50 {p50:8.2f} ms, p95 {p95:8.2f} ms, max "
          f"{max(latencies) * 1000:.2f} ms over {len(latencies)} requests "
          f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
    print(f"target diagnostics <= 100 ms after a change: "
          f"{'meets' if median <= 100 else 'misses'} (median {median / 100:.2f}x the target, "
          f"max {worst / 100:.2f}x)")
    print(f"target completion p95 <= 20 ms: {'meets' if p95 <= 20 else 'misses'} "
          f"({p95 / 20:.2f}x the target)")
    in_process(generate(args.lines), versions)


@dataclass(frozen=True)
class Edit:
    """One edit of one line: the text before and after, and the line's old and new text."""

    text_before: str
    line: int
    old_line: str
    new_line: str
    text: str


def edits(text: str, count: int, seed: int = 3) -> list[Edit]:
    """``count`` successive edits of ``text``, each changing one segment's condition."""
    rng = random.Random(seed)
    lines = text.split("\n")
    where_lines = [i for i, ln in enumerate(lines) if ln.startswith("  where (")]
    out = []
    for version in range(2, count + 2):
        i = rng.choice(where_lines)
        before, old = "\n".join(lines), lines[i]
        lines[i] = old.replace("(", "(orders >= 1 and ", 1) if version % 2 else \
            old.replace("(orders >= 1 and ", "(", 1)
        out.append(Edit(before, i, old, lines[i], "\n".join(lines)))
    return out


def in_process(text: str, versions: list[str]) -> None:
    """The server's work per change (piecewise parse and check) against the core's
    check_file of the whole text, on the same versions in this process."""
    from segdsl_lsp import analysis

    from segdsl.check.checker import check_file

    analysis.diagnostics(text)
    ours, whole = [], []
    for version in versions:
        start = time.perf_counter()
        found = analysis.diagnostics(version)
        middle = time.perf_counter()
        expected = check_file(version, library=analysis.system_library()).diagnostics
        whole.append(time.perf_counter() - middle)
        ours.append(middle - start)
        assert found == expected  # the same answer, or the comparison means nothing
    a, b = statistics.median(ours) * 1000, statistics.median(whole) * 1000
    print(f"in process, median per change: the server's piecewise parse + check {a:.1f} ms; "
          f"check_file of the whole text {b:.1f} ms; ratio {a / b:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--completions", type=int, default=200)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lsp"))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

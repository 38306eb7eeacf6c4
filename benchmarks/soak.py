"""Soak mode of the differential test: thousands of random (store, segments) examples per
engine, each engine's customer ids compared with the in-memory evaluator's.

    python benchmarks/soak.py [--examples 2000] [--minutes M] [--engines duckdb,sqlite]
        [--postgres URL] [--mysql URL] [--db NAME=URL ...] [--jobs N] [--out soak-cases]
        [--seed N]

The examples come from the strategies of the differential test (tests/strategies.py) and are
compared as it compares them (tests/agreement.py); hypothesis only generates here (no
shrinking, no example database). It stops after --examples examples or --minutes minutes,
whichever comes first, and prints, per engine, how many examples and segments ran and how many
examples disagreed (or failed with an error). Each disagreement is saved as a regression case:
a folder with the store as CSV files, a segdsl.toml declaring its time zone and custom types,
the segment as a .seg file and case.json (engine, expected and actual ids, the SQL), so that
``segdsl run CASE/segment.seg --config CASE/segdsl.toml --as-of 2024-03-31`` replays it.

Engines: duckdb and sqlite run in-process; --postgres and --mysql get a fresh schema or
database of their own, dropped afterwards; --db NAME=URL adds any engine segdsl can connect
to (its tables are replaced on every example, so give it a scratch database; a URL ending in
``:memory:`` is loaded through the session's own connection). Exit code 1 when any example
disagreed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from agreement import (  # noqa: E402 - the tests folder is put on the path just above
    CTX,
    Case,
    cases,
    disagreements,
    expected_answers,
    opener,
    save_case,
)
from hypothesis import HealthCheck, Phase, Verbosity, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from online_retail_engines import mysql_database, postgres_schema  # noqa: E402

from segdsl.engines import in_memory  # noqa: E402

EMBEDDED = {"duckdb": "duckdb:///:memory:", "sqlite": "sqlite:///:memory:"}
# The parser raises the recursion limit on first use; raising it before hypothesis starts
# keeps it from warning that the limit changed during a run.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))


@dataclass
class Tally:
    examples: int = 0
    segments: int = 0
    disagreed: int = 0  # examples with at least one segment answered differently
    errors: int = 0  # examples on which the engine raised
    seconds: float = 0.0


@dataclass
class Soak:
    urls: dict[str, str]
    out: Path
    deadline: float
    progress: int = 100  # examples between two progress lines on stderr
    tallies: dict[str, Tally] = field(default_factory=dict)
    saved: list[Path] = field(default_factory=list)

    def run_example(self, case: Case) -> None:
        if time.monotonic() > self.deadline:
            raise TimeUp
        store, segs = case
        expected = expected_answers(store, segs)
        for name, url in self.urls.items():
            tally = self.tallies.setdefault(name, Tally())
            started = time.perf_counter()
            try:
                with opener(url, store)() as session:
                    found = disagreements(name, session, expected)
            except Exception as err:  # noqa: BLE001 - an engine failing is a finding too
                tally.errors += 1
                self.saved.append(save_case(self.out, store, expected[0], name, None,
                                            f"{type(err).__name__}: {err}"))
                found = []
            tally.seconds += time.perf_counter() - started
            tally.examples += 1
            tally.segments += len(expected)
            tally.disagreed += bool(found)
            for d in found:
                self.saved.append(save_case(self.out, store, d.expected, name, d, None))
        done = max(t.examples for t in self.tallies.values())
        if done % self.progress == 0:
            print(f"... {done:,} examples ({', '.join(self.urls)})", file=sys.stderr,
                  flush=True)


class TimeUp(Exception):
    """--minutes have passed: stop generating."""


def generate(soak: Soak, examples: int, seed: int | None) -> None:
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              verbosity=Verbosity.quiet, suppress_health_check=list(HealthCheck))
    @given(case=cases())
    def run(case: Case) -> None:
        soak.run_example(case)

    if seed is not None:
        run = hypothesis_seed(seed)(run)
    with contextlib.suppress(TimeUp):
        run()


@contextlib.contextmanager
def engine_urls(args: argparse.Namespace) -> Iterator[dict[str, str]]:
    urls: dict[str, str] = {}
    for name in filter(None, (n.strip() for n in args.engines.split(","))):
        if name not in EMBEDDED:
            raise SystemExit(f"--engines: {name!r} is not in-process ({', '.join(EMBEDDED)}); "
                             "use --postgres, --mysql or --db NAME=URL")
        urls[name] = EMBEDDED[name]
    with contextlib.ExitStack() as stack:
        if args.postgres:
            urls["postgres"] = stack.enter_context(postgres_schema(args.postgres))
        if args.mysql:
            urls["mysql"] = stack.enter_context(mysql_database(args.mysql))
        for item in args.db:
            name, sep, url = item.partition("=")
            if not sep or not name or not url:
                raise SystemExit(f"--db {item!r}: write NAME=URL, e.g. chdb=chdb:///tmp/soak")
            urls[name] = url
        yield urls


def report(soak: Soak, seconds: float, jobs: int = 1) -> str:
    rows = [f"{'engine':<12}{'examples':>10}{'segments':>10}{'disagreed':>11}{'errors':>8}"
            f"{'seconds':>9}"]
    for name, t in soak.tallies.items():
        rows.append(f"{name:<12}{t.examples:>10,}{t.segments:>10,}{t.disagreed:>11,}"
                    f"{t.errors:>8,}{t.seconds:>9.1f}")
    workers = f" by {jobs} workers" if jobs > 1 else ""
    rows.append(f"{seconds:.0f} s in all{workers}, as of {CTX.as_of}")
    if soak.saved:
        rows.append(f"{len(soak.saved)} regression case(s) saved in {soak.out}/")
    return "\n".join(rows)


def worker(args: argparse.Namespace, job: int, examples: int, deadline: float
           ) -> tuple[dict[str, Tally], list[Path]]:
    """One process's share of the examples, on engines of its own (fresh schemas)."""
    seed = None if args.seed is None else args.seed + job
    with engine_urls(args) as urls:
        soak = Soak(urls, args.out / f"job{job}" if args.jobs > 1 else args.out, deadline)
        generate(soak, examples, seed)
    return soak.tallies, soak.saved


def combine(results: list[tuple[dict[str, Tally], list[Path]]], out: Path) -> Soak:
    total = Soak({}, out, 0.0)
    for tallies, saved in results:
        for name, t in tallies.items():
            mine = total.tallies.setdefault(name, Tally())
            mine.examples += t.examples
            mine.segments += t.segments
            mine.disagreed += t.disagreed
            mine.errors += t.errors
            mine.seconds += t.seconds
        total.saved += saved
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=2000, help="stop after N examples")
    ap.add_argument("--minutes", type=float, default=None, help="or after M minutes")
    ap.add_argument("--engines", default="duckdb,sqlite", help="in-process engines, by name")
    ap.add_argument("--postgres", metavar="URL", help="a PostgreSQL server (fresh schema)")
    ap.add_argument("--mysql", metavar="URL", help="a MySQL/MariaDB server (fresh database)")
    ap.add_argument("--db", action="append", default=[], metavar="NAME=URL",
                    help="any other engine, e.g. chdb=chdb:///tmp/soak (repeatable)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="worker processes, each with its share of the examples and its own "
                    "schemas (not with --db URLs, which all workers would share)")
    ap.add_argument("--out", type=Path, default=Path("soak-cases"),
                    help="where disagreements are saved (default ./soak-cases)")
    ap.add_argument("--seed", type=int, default=None, help="hypothesis seed, to repeat a run")
    args = ap.parse_args(argv)
    if args.examples < 1 or args.jobs < 1:
        raise SystemExit("--examples and --jobs must be at least 1")
    if args.jobs > 1 and any(not in_memory(d.partition("=")[2]) for d in args.db):
        raise SystemExit("--jobs > 1 cannot share a --db database between workers; run one "
                         "soak per database instead")
    if not (args.engines.strip() or args.postgres or args.mysql or args.db):
        raise SystemExit("no engine to compare: give --engines, --postgres, --mysql or --db")
    minutes = args.minutes if args.minutes is not None else float("inf")
    started = time.monotonic()
    # time.monotonic() is system-wide on Linux, so workers share the deadline.
    deadline = started + minutes * 60
    shares = [args.examples // args.jobs + (i < args.examples % args.jobs)
              for i in range(args.jobs)]
    if args.jobs == 1:
        results = [worker(args, 0, shares[0], deadline)]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(worker, args, i, n, deadline)
                       for i, n in enumerate(shares) if n]
            results = [f.result() for f in futures]
    soak = combine(results, args.out)
    print(report(soak, time.monotonic() - started, args.jobs))
    return 1 if any(t.disagreed or t.errors for t in soak.tallies.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())

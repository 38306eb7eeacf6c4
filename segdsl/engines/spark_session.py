"""Spark URLs, and the one Spark session of a process.

A URL names the master and where the store's tables are::

    spark:///store                      Parquet tables in the folder ./store, local master
    spark:////data/store?master=local[2]
    spark://host:7077/?path=hdfs://nn:8020/store        a standalone cluster, a shared folder
    spark:///?database=shop&spark.sql.catalogImplementation=hive   a catalog's tables
    spark:///:memory:                   tables held by this session only (tests, --engine spark)

As with ``duckdb:///``, the path after the third slash is relative unless it starts with a
fourth. Parameters: ``master`` (local master or ``yarn``, ``k8s://...``: without a host only),
``path`` (a folder on any Hadoop file system), ``database`` (tables of a catalog database),
and any ``spark.*`` setting.

Starting the JVM takes seconds, so a process keeps one SparkContext for its whole life; each
engine gets a session of its own on it (``newSession``: its own temporary views and SQL
settings). The JVM's start-up chatter is silenced: log4j logs errors only, and the stderr
lines Java prints before logging starts are filtered out.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from segdsl.errors import EngineError, UsageError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
DEFAULT_PORT = 7077
_PARAMS = ("master", "path", "database")
_LOG4J = Path(__file__).with_name("spark-log4j2.properties")
# Printed on every start by the JVM and by Spark's shell set-up, not through log4j: not errors.
_NOISE = re.compile(rb"^(WARNING: Using incubator modules|Setting default log level to|"
                    rb"To adjust logging level use sc.setLogLevel)")


@dataclass(frozen=True)
class SparkUrl:
    master: str
    folder: str | None  # Parquet tables, one sub-folder each (a local path or a Hadoop URI)
    database: str | None  # or: the tables of this catalog database
    conf: tuple[tuple[str, str], ...] = ()
    memory: bool = False  # or: DataFrames of this session, gone when it closes


    @property
    def local(self) -> bool:
        return self.master.startswith("local")


def parse_url(url: str) -> SparkUrl:
    """The parts of a ``spark://`` URL; a clear UsageError for anything else."""
    form = ("a Spark URL is spark:///path/to/folder, spark:///?database=NAME or "
            "spark://host:7077/...?path=URI (see docs/cli.md)")
    parts = urlsplit(url)
    if parts.scheme.lower() != "spark" or not url.lower().startswith("spark://"):
        raise UsageError(f"{form}, not {url!r}")
    params: dict[str, str] = {}
    conf: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.startswith("spark."):
            conf.append((key, value))
        elif key in _PARAMS:
            params[key] = value
        else:
            raise UsageError(f"{url}: unknown parameter {key!r}; the parameters are "
                             f"{', '.join(_PARAMS)} and any spark.* setting")
    if parts.netloc:
        if "master" in params:
            raise UsageError(f"{url}: the host names the master already (spark://"
                             f"{parts.netloc}); use master= only with spark:///")
        host = parts.netloc if ":" in parts.netloc else f"{parts.netloc}:{DEFAULT_PORT}"
        master = f"spark://{host}"
    else:
        master = params.get("master") or DEFAULT_MASTER
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if path and "path" in params:
        raise UsageError(f"{url}: give the folder once, in the path or as path=")
    folder = path or params.get("path") or None
    database = params.get("database") or None
    if folder == ":memory:":
        if database is not None:
            raise UsageError(f"{url}: an in-memory store has no catalog database")
        return SparkUrl(master, None, None, tuple(conf), memory=True)
    if (folder is None) == (database is None):
        raise UsageError(f"{url}: {'name' if folder is None else 'give'} either a folder of "
                         "Parquet tables (spark:///path) or a catalog database "
                         "(?database=NAME)" + (", not both" if folder else ""))
    if folder is not None and "://" not in folder and not folder.startswith("file:"):
        folder = str(Path(folder).resolve())  # the JVM must not depend on our cwd
    return SparkUrl(master, folder, database, tuple(conf))


_lock = threading.Lock()
_root: SparkSession | None = None
_started: SparkUrl | None = None


def _settings(url: SparkUrl) -> dict[str, str]:
    """The settings a new SparkContext starts with: ours, then the URL's."""
    settings = {
        "spark.app.name": "segdsl",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Timestamps are store-local and naive (TIMESTAMP_NTZ): no zone may shift them.
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={_LOG4J.as_uri()}",
    }
    if url.local:
        # A local session serves this process only; small data needs few shuffle partitions.
        cores = re.fullmatch(r"local\[(\d+)(?:,\d+)?\]", url.master)
        parallel = cores.group(1) if cores else str(os.cpu_count() or 2)
        settings.update({"spark.driver.host": "127.0.0.1",
                         "spark.driver.bindAddress": "127.0.0.1",
                         "spark.sql.shuffle.partitions": parallel})
    for key, value in url.conf:
        if key == "spark.driver.extraJavaOptions":
            value = f"{settings[key]} {value}"
        settings[key] = value
    return settings


def _forward(stream: IO[bytes]) -> None:
    """Copy the JVM's stderr to ours, less the lines that are not errors."""
    for line in iter(stream.readline, b""):
        if not _NOISE.match(line):
            sys.stderr.write(line.decode("utf-8", "replace"))
            sys.stderr.flush()


def _start(url: SparkUrl) -> SparkSession:
    # PySpark checks the installed pandas whenever it converts Arrow data and warns about
    # pandas 3 on every command; segdsl never hands pandas objects to Spark, so the warning
    # says nothing to a store owner.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                            category=FutureWarning)
    try:
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.logger import PySparkLogger
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("Spark needs PySpark (and Java 17 or later): "
                         "pip install 'segdsl[spark]'") from None
    # PySpark logs every failed query's context as JSON to stderr; segdsl reports the error.
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    conf = SparkConf(loadDefaults=False).setMaster(url.master)
    for key, value in _settings(url).items():
        conf.set(key, value)
    try:
        gateway = launch_gateway(  # type: ignore[no-untyped-call]
            conf, popen_kwargs={"stderr": subprocess.PIPE})
    except Exception as err:  # noqa: BLE001 - no Java, a broken SPARK_HOME, ...
        raise EngineError(f"spark: cannot start the JVM: {err} (Spark needs Java 17 or "
                          "later on PATH or in JAVA_HOME)") from None
    proc = getattr(gateway, "proc", None)
    if proc is not None and proc.stderr is not None:
        threading.Thread(target=_forward, args=(proc.stderr,), daemon=True,
                         name="segdsl-spark-stderr").start()
    try:
        context = SparkContext(conf=conf, gateway=gateway)
    except Exception as err:  # noqa: BLE001 - an unreachable master, a bad setting
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise EngineError(f"spark: cannot start a session on {url.master}: {first}") from None
    context.setLogLevel("ERROR")
    return SparkSession(context)


def session_for(url: SparkUrl) -> SparkSession:
    """A new session (own temporary views and SQL settings) on this process's SparkContext,
    started on first use with ``url``'s master and settings."""
    global _root, _started
    with _lock:
        if _root is None:
            _root = _start(url)
            _started = url
        root, started = _root, _started
    assert started is not None
    if url.master != started.master:
        raise UsageError(f"this process runs Spark on {started.master}; a process keeps one "
                         f"Spark session, so it cannot also run on {url.master}")
    session = root.newSession()
    for key, value in url.conf:
        if session.conf.isModifiable(key):
            session.conf.set(key, value)
        elif (key, value) not in started.conf:
            raise UsageError(f"{key} is fixed when Spark starts, and this process's Spark "
                             "session started without it; a process keeps one Spark session")
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return session

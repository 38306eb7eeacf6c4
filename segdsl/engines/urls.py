"""What a database URL says before any driver is imported (the config and the command line
ask these questions without paying for pyarrow or a JVM)."""

from __future__ import annotations


def in_memory(url: str) -> bool:
    """Whether ``url`` names a database that lives only as long as its connection.

    >>> in_memory("duckdb:///:memory:"), in_memory("spark:///:memory:?master=local[2]")
    (True, True)
    >>> in_memory("chdb:///tmp/store")
    False
    """
    return url.split("?", 1)[0].endswith(":memory:")


def empty_in_memory(url: str) -> str:
    """What to say when an in-memory database is opened for reading: it is always empty."""
    return (f"{url} is an in-memory database, empty in every new process: to run a folder of "
            f"files on it, use --data DIR --engine {engine_option(url)}")


def engine_option(url: str) -> str:
    """The ``--engine`` that runs a folder where ``url``'s database would.

    >>> engine_option("chdb:///:memory:"), engine_option("spark:///:memory:?master=local[2]")
    ('clickhouse', 'spark')
    """
    scheme = url.split(":", 1)[0].lower()
    return "clickhouse" if scheme == "chdb" else scheme

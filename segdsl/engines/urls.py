"""What a database URL says before any driver is imported (the config and the command line
ask these questions without paying for pyarrow or a JVM)."""

from __future__ import annotations

from segdsl.errors import UsageError


def in_memory(url: str) -> bool:
    """Whether ``url`` names a database that lives only as long as its connection.

    >>> in_memory("duckdb:///:memory:"), in_memory("spark:///:memory:?master=local[2]")
    (True, True)
    >>> in_memory("chdb:///tmp/store")
    False
    """
    return url.split("?", 1)[0].endswith(":memory:")


def local_path(url: str, scheme: str, name: str, holds: str) -> str:
    """The path of an embedded database's URL (``scheme:///path``), or ``:memory:``; a URL
    without a path or with parameters is refused. ``name`` is how messages spell the engine,
    ``holds`` what the path names (a file, a folder).

    >>> local_path("duckdb:///shop.duckdb", "duckdb", "duckdb", "file")
    'shop.duckdb'
    >>> try:
    ...     local_path("chdb:///q?x=1", "chdb", "chDB", "folder")
    ... except UsageError as err:
    ...     print(str(err).split(": ")[1])
    a chDB URL names a folder and takes no parameters
    """
    prefix = f"{scheme}:///"
    if not url.startswith(prefix):
        raise UsageError(f"a {name} URL is written {prefix}path/to/{holds} or {prefix}:memory:, "
                         f"not {url!r}")
    path = url[len(prefix):]
    if path == "" or ("?" in path and path != ":memory:"):
        raise UsageError(f"{url}: a {name} URL names a {holds} and takes no parameters: "
                         f"{prefix}path/to/{holds} (relative), {prefix}/abs/path or "
                         f"{prefix}:memory:")
    return path


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

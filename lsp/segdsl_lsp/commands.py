"""``workspace/executeCommand`` ``segdsl.showSql``: the SQL of the segment under the cursor,
compiled by the core (:func:`segdsl.backends.sql.to_sql`) for a dialect.

Arguments: the document URI, the position (``{"line": L, "character": C}``) and optionally
the dialect (default: the workspace database's, else ``duckdb``). In a workspace the SQL uses
its table mapping, time zone, as-of day and money scale, as ``segdsl show`` does.
"""

from __future__ import annotations

from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from segdsl.backends.sql import to_sql
from segdsl.backends.sql.dialects import DIALECTS
from segdsl.check.checker import CheckResult
from segdsl.context import RunContext
from segdsl.store.mapping import DEFAULT_MAPPING
from segdsl.syntax import ast
from segdsl.workspace import Workspace
from segdsl_lsp.errors import RequestFailed
from segdsl_lsp.store import Snapshot

SHOW_SQL = "segdsl.showSql"


def segment_at(parsed: ast.SegmentFile, offset: int) -> ast.Segment | None:
    for seg in parsed.segments:
        if seg.span.start <= offset <= seg.span.end:
            return seg
    return None


def show_sql(parsed: ast.SegmentFile | None, result: CheckResult, offset: int,
             dialect: str | None, ws: Workspace | None,
             snapshot: Snapshot | None) -> dict[str, Any]:
    if dialect is not None and dialect not in DIALECTS:
        raise JsonRpcInvalidParams(f"unknown dialect {dialect!r}; the dialects are "
                                   f"{', '.join(DIALECTS)}")
    seg = segment_at(parsed, offset) if parsed is not None else None
    if seg is None:
        raise RequestFailed("no segment here: put the cursor inside a segment")
    if not result.ok:
        first = next(d for d in result.diagnostics if d.is_error)
        where = f" (line {first.span.line})" if first.span else ""
        raise RequestFailed(f"the file has errors: {first.message}{where}")
    checked = next(s for s in result.segments if s.name == seg.name)
    dialect = dialect or (snapshot.dialect if snapshot else "duckdb")
    ctx = ws.context() if ws is not None else RunContext()
    sql = to_sql(checked, ctx, dialect=dialect,
                 mapping=ws.config.mapping if ws is not None else DEFAULT_MAPPING,
                 money_scale=snapshot.money_scale if snapshot else 2, pretty=True)
    return {"segment": seg.name, "dialect": dialect, "as_of": ctx.as_of.isoformat(),
            "sql": sql}

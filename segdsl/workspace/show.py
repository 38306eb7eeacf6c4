"""What ``segdsl show`` tells about one segment: its definition, state, SQL and changes."""

from __future__ import annotations

from typing import Any

from segdsl.backends.sql import to_sql
from segdsl.errors import UsageError
from segdsl.workspace import Workspace
from segdsl.workspace.db import StateDb, open_engine
from segdsl.workspace.definitions import workspace_definitions
from segdsl.workspace.state import read_changes, read_history, read_states


def describe(ws: Workspace, name: str) -> dict[str, Any]:
    engine = open_engine(ws.url)
    try:
        info = engine.describe(ws.config.mapping)
        info.require_store(f"the workspace database ({ws.url})", ws.config.mapping)
        found = workspace_definitions(ws.segments_dir, info.schema())
        defs = {d.name.lower(): d for d in found.definitions}
        d = defs.get(name.lower())
        if d is None:
            if found.problems and (name.lower() in {n.lower() for n in found.refused}
                                   or not found.complete):
                raise found.error()  # its file has errors: say them, not "no such segment"
            raise UsageError(f"no segment named {name!r}; see `segdsl list`")
        db = StateDb(engine)
        state = read_states(db).get(d.name)
        entered, left = read_changes(db, d.name)
        history = [{"refreshed_at": a, "count": b, "entered": c, "left": e}
                   for a, b, c, e in read_history(db, d.name)]
        sql = to_sql(d.segment, ws.context(), dialect=engine.dialect, mapping=ws.config.mapping,
                     money_scale=info.money_scale, pretty=True)
    finally:
        engine.close()
    stale = []
    if state is not None and state.def_hash != d.hash:
        stale.append("definition")
    if state is not None and state.stale_data(info.load_id):
        stale.append("data")
    return {"loaded_at": info.loaded_at,
            "other_files_with_errors": [p.origin for p in found.problems],
            "name": d.name, "title": d.segment.title, "kind": d.kind, "definition": d.text,
            "hash": d.hash, "stale": bool(stale), "stale_because": stale,
            "window": state.window if state else None,
            "count": state.count if state else None,
            "refreshed_at": state.refreshed_at.isoformat() if state else None,
            "entered": entered, "left": left, "history": history, "sql": sql}

"""Property test: on random small stores and random well-typed conditions, the vectorised path
(``evaluate``) agrees with the one-customer reference path (``matches``) for every customer."""

from __future__ import annotations

import sys
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from strategies import AS_OF, conditions, stores, windows

from segdsl.backends.memory import evaluate, matches, prepare
from segdsl.check import check_condition
from segdsl.check.typed import Window
from segdsl.context import RunContext
from segdsl.store.model import Store

# The checker raises the recursion limit on first use; raising it up front keeps hypothesis
# from warning that the limit changed during a test.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(store=stores(), text=conditions(), window=windows)
def test_batch_equals_scalar(store: Store, text: str, window: Window | None) -> None:
    result = check_condition(text, schema=store.schema())
    assert result.ok, (text, [d.message for d in result.diagnostics])
    seg = result.segments[0]
    if window is not None:
        seg = replace(seg, window=window)
    ctx = RunContext(as_of=AS_OF)
    got = evaluate(seg, prepare(store), ctx)
    expected = [c for c in sorted(store.customers.customer_id) if matches(seg, store, c, ctx)]
    assert got == expected, text

"""segdsl: a customer-segmentation language. See :mod:`segdsl.api` and docs/embedding.md."""

from segdsl.api import (
    check,
    compile_sql,
    context,
    evaluate,
    matches,
    parse,
    parse_segments,
    read_store,
    segment,
    segments,
)
from segdsl.errors import DataError, Diagnostic, SegdslError, SegmentError, Span, UsageError

__version__ = "0.1.0"

__all__ = ["DataError", "Diagnostic", "SegdslError", "SegmentError", "Span", "UsageError",
           "__version__", "check", "compile_sql", "context", "evaluate", "matches", "parse",
           "parse_segments", "read_store", "segment", "segments"]

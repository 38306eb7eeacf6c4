"""Stage 2: syntax AST → typed AST (``typed.py``) or diagnostics (``checker.py``)."""

from segdsl.check.checker import check_condition, check_file, check_segment

__all__ = ["check_condition", "check_file", "check_segment"]

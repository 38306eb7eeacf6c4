"""Stage 1: text → syntax AST (with spans) or syntax diagnostics."""

from segdsl.syntax.parser import parse_condition, parse_file, parse_window

__all__ = ["parse_condition", "parse_file", "parse_window"]

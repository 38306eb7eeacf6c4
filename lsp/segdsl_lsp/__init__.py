"""segdsl's language server for ``.seg`` files: diagnostics, completion, hover, document
symbols, formatting, quick fixes, definition/references/rename of segments across the
workspace, semantic tokens and ``segdsl.showSql``, built on the core parser
(:mod:`segdsl.syntax`), checker (:mod:`segdsl.check`), formatter and SQL backend.

Start it with ``segdsl lsp`` (stdio) or ``segdsl lsp --tcp HOST:PORT``.
"""

from __future__ import annotations

__all__ = ["__version__"]

from segdsl import __version__

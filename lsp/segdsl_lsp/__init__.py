"""segdsl's language server: diagnostics, completion, hover and document symbols for ``.seg``
files, built on the core parser (:mod:`segdsl.syntax`) and checker (:mod:`segdsl.check`).

Start it with ``segdsl lsp`` (stdio) or ``segdsl lsp --tcp HOST:PORT``.
"""

from __future__ import annotations

__all__ = ["__version__"]

from segdsl import __version__

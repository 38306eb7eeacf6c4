"""``python -m segdsl_lsp``: the language server on stdio."""

from segdsl_lsp.server import serve

serve()

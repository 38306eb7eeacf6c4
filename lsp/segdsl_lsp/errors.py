"""Request errors the client shows to the user (the LSP ``RequestFailed`` code)."""

from __future__ import annotations

from pygls.exceptions import JsonRpcException


class RequestFailed(JsonRpcException):
    """The request was valid but cannot be done (LSP error code -32803)."""

    CODE = -32803

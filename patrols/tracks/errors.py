"""The one error an upload can end with: a specific, actionable message and an HTTP status."""

from __future__ import annotations


class TrackRejected(Exception):
    """Raised anywhere in parse → clean → store; the upload then leaves nothing behind."""

    def __init__(self, message: str, http_status: int = 400, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code

    def __str__(self) -> str:
        return self.message

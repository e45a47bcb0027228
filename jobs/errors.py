"""Failures a job reports to the person waiting for it."""

from __future__ import annotations


class JobFailed(Exception):
    """Raise with a sentence a person can act on; it is shown as the job's error as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

"""Failures a job reports to the person waiting for it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import override


class JobFailed(Exception):
    """Raise with a sentence a person can act on; it is shown as the job's error as is.

    Pass a gettext_lazy message (and its %-parameters) to have it kept in every language of the
    site: the worker does not know the language of the page that will read it."""

    def __init__(self, message: Any, **params: Any) -> None:
        self.raw, self.params = message, params
        super().__init__(self.message)

    def _text(self) -> str:
        text = str(self.raw)
        return text % self.params if self.params else text

    @property
    def message(self) -> str:
        with override(settings.LANGUAGE_CODE):
            return self._text()

    def in_languages(self) -> dict[str, str]:
        out = {}
        for code, _name in settings.LANGUAGES:
            with override(code):
                out[code] = self._text()
        return out

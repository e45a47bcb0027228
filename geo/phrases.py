"""Sentences stored in the language they were written in, shown in the reader's language.

Verdict reasons, ledger notes and assessment reasons are written once (in the source language,
Chinese) and stored; a reader of /en/ must still read them in English. Each such sentence comes
from a msgid with %(name)s placeholders, so the stored text can be matched back to its msgid and
its values, and rendered again with the translated msgid. Text that matches none (a planner's own
note) is returned as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from django.utils.translation import gettext

_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")


@lru_cache(maxsize=256)
def _pattern(msgid: str) -> re.Pattern[str]:
    body = _PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(msgid)).replace("%%", "%")
    return re.compile("^" + body + "$", re.DOTALL)


def localise(text: str, msgids: Sequence[str]) -> str:
    """``text`` rendered again in the active language if it is one of ``msgids`` filled in.
    Filled-in values that are msgids themselves (a grade, a part's label) are translated too."""
    for msgid in msgids:
        m = _pattern(msgid).match(text)
        if m:
            values = {k: gettext(v) for k, v in m.groupdict().items()}
            return gettext(msgid) % values
    return text


def localise_all(texts: Iterable[str], msgids: Sequence[str]) -> list[str]:
    return [localise(t, msgids) for t in texts or ()]

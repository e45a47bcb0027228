"""Fill empty msgstr entries of a .po file from a JSON dictionary {msgid: translation}.

Used to keep locale/en in step after `makemessages`; multi-line msgids are matched on their joined text.
The dictionary is the given JSON file plus every `*.json` in the folder beside it named `<stem>.d/`
(e.g. `locale/en.d/recorder.json`), so work on separate features adds strings without touching one file.

    .venv/bin/python scripts/fill_po.py locale/en/LC_MESSAGES/django.po locale/en.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ENTRY = re.compile(r'((?:#.*\n)*)msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.MULTILINE)


def _join(lines: str) -> str:
    return "".join(json.loads(line) for line in lines.strip().splitlines())


def fill(po_path: Path, table: dict[str, str]) -> int:
    text = po_path.read_text(encoding="utf-8")
    filled = 0

    def repl(m: re.Match) -> str:
        nonlocal filled
        comments, msgid, msgstr = m.groups()
        key = _join(msgid)
        # A fuzzy entry holds makemessages' guess from a similar msgid: replace it too.
        if key and (not _join(msgstr) or "#, fuzzy" in comments) and key in table:
            filled += 1
            comments = comments.replace("#, fuzzy\n", "").replace("#, fuzzy, ", "#, ")
            comments = "".join(c for c in comments.splitlines(True) if not c.startswith("#|"))
            return f"{comments}msgid {msgid}msgstr {json.dumps(table[key], ensure_ascii=False)}\n"
        return m.group(0)

    po_path.write_text(ENTRY.sub(repl, text), encoding="utf-8")
    return filled


if __name__ == "__main__":
    po, dictionary = Path(sys.argv[1]), Path(sys.argv[2])
    table = json.loads(dictionary.read_text(encoding="utf-8"))
    for extra in sorted(dictionary.with_suffix(".d").glob("*.json")):
        table.update(json.loads(extra.read_text(encoding="utf-8")))
    print(fill(po, table), "filled")

#!/usr/bin/env bash
# Re-extract the translatable strings, fill English from locale/en.json + locale/en.d/*.json, compile.
# Prints the msgids still without English (each one is a string an English reader would see in Chinese).
set -euo pipefail
cd "$(dirname "$0")/.."
PO=locale/en/LC_MESSAGES/django.po
.venv/bin/python manage.py makemessages -l en --no-location --ignore=.venv --ignore=var --ignore=tests \
  --ignore=bench --ignore=staticfiles -v0
.venv/bin/python scripts/fill_po.py "$PO" locale/en.json
.venv/bin/python manage.py compilemessages --ignore=.venv >/dev/null
.venv/bin/python - "$PO" <<'PY'
import sys
sys.path.insert(0, "scripts")
from pathlib import Path
from fill_po import ENTRY, _join
text = Path(sys.argv[1]).read_text(encoding="utf-8")
missing = [_join(m.group(2)) for m in ENTRY.finditer(text) if _join(m.group(2)) and not _join(m.group(3))]
print(f"{len(missing)} string(s) without English" + (":" if missing else ""))
for s in missing[:60]:
    print("  ", s[:100])
PY

#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian/Ubuntu machine; fast no-op when already done.
#   scripts/bootstrap.sh            system packages + virtualenv
#   scripts/bootstrap.sh --browser  also Debian's chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[[ "${1:-}" == "--browser" ]] && want_browser=1

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

need=()
command -v ogrinfo >/dev/null || need+=(gdal-bin libgdal-dev)
dpkg -s libgeos-c1v5 >/dev/null 2>&1 || dpkg -s libgeos-c1t64 >/dev/null 2>&1 || need+=(libgeos-dev)
dpkg -s libproj-dev >/dev/null 2>&1 || need+=(libproj-dev)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql postgresql-contrib)
if [[ $want_browser -eq 1 ]] && ! command -v chromium >/dev/null; then need+=(chromium fonts-noto-cjk); fi
command -v runuser >/dev/null || need+=(util-linux)
command -v make >/dev/null || need+=(make)
# Debian/Ubuntu split venv/ensurepip out of the interpreter package.
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c "import ensurepip, venv" 2>/dev/null || need+=(python3-venv)
command -v msgfmt >/dev/null || need+=(gettext)

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [[ ! -f var/.apt-updated ]]; then $SUDO apt-get update -qq; mkdir -p var; touch var/.apt-updated; fi
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [[ ${#need[@]} -gt 0 ]]; then
  echo "==> installing system packages: ${need[*]}"
  apt_install "${need[@]}"
fi

# PostGIS must match the server's major version (15 on Debian 12, 16 on Ubuntu 24.04, ...).
pgver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if [[ ! -f /usr/share/postgresql/$pgver/extension/postgis.control ]]; then
  echo "==> installing PostGIS for PostgreSQL $pgver"
  apt_install "postgresql-$pgver-postgis-3"
fi

# The virtualenv follows requirements.lock (pinned); re-created only when the lock changes.
stamp=.venv/.lock-$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [[ ! -f $stamp ]]; then
  echo "==> creating virtualenv .venv from requirements.lock"
  [[ -x .venv/bin/python ]] || "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.lock
  rm -f .venv/.lock-*
  touch "$stamp"
fi

#!/usr/bin/env bash
# Same as `make test`, for machines without make: set up everything and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --browser
exec make test "$@"

#!/usr/bin/env bash
# Same as `make run`, for machines without make: set up everything and serve the demo district.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec make run "$@"

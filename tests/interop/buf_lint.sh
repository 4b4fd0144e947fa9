#!/usr/bin/env bash
# `buf lint` (STANDARD rules, from buf.yaml at the repository root) passes,
# and the protos build and are buf-formatted.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUF=${BUF:-$HERE/.venv/bin/buf}
export BUF_CACHE_DIR=${BUF_CACHE_DIR:-$HERE/.work/buf-cache}
[[ -x $BUF ]] || { echo "buf not found at $BUF: run tests/interop/run.sh" >&2; exit 1; }

cd "$ROOT"
echo "buf $("$BUF" --version)"
fail=0
echo "--- buf build"
"$BUF" build -o /dev/null || { echo "buf build failed" >&2; fail=1; }
echo "--- buf lint"
"$BUF" lint || { echo "buf lint reported the problems above" >&2; fail=1; }
echo "--- buf format --diff --exit-code"
"$BUF" format --diff --exit-code || { echo "protos are not buf-formatted (diff above)" >&2; fail=1; }
if (( fail )); then echo "buf_lint: FAIL"; exit 1; fi
echo "buf_lint: OK"

#!/usr/bin/env bash
# Interop checks: real third-party clients against the release binary.
#
#   bash tests/interop/run.sh            # every check
#   bash tests/interop/run.sh buf_curl   # only the named ones
#
# Installs its own prerequisites into tests/interop/.venv (pinned in
# requirements.txt; reinstalled when that file changes), builds the release
# binary if it is missing, runs each check with a time limit, prints PASS/FAIL
# per check and exits non-zero if any failed. A missing prerequisite is a
# failure, never a skip.
#
# Environment: DATABRICKS_GRPC_BIN (binary to test; default
# target/release/databricks-grpc), INTEROP_CHECK_TIMEOUT (seconds per check,
# default 300), PYTHON (interpreter for the venv; default python3.11).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VENV=$HERE/.venv
WORK=$HERE/.work
REQS=$HERE/requirements.txt
CHECK_TIMEOUT=${INTEROP_CHECK_TIMEOUT:-300}

ALL_CHECKS=(buf_lint python_grpc_client buf_curl grpc_streaming databricks_sdk_check sdk_clusters sdk_files python_commands sdk_commands library_sets go_plugin_host terraform http2_streams connection_flood)

child=""
cleanup() {
  # Stop a check that is still running (it stops the servers it started).
  if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

log() { printf '%s\n' "$*"; }
die() { printf 'interop: ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$WORK"
export BUF_CACHE_DIR=$WORK/buf-cache  # keep buf's cache inside the repository

# ─── prerequisites ──────────────────────────────────────────────────────────

pick_python() {
  local candidate
  for candidate in ${PYTHON:-} python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

make_venv() {
  local py=$1
  if "$py" -m venv --clear "$VENV"; then return 0; fi
  # Debian's own python3 needs the pythonX.Y-venv package for ensurepip.
  log "python -m venv failed; installing Debian's venv package"
  command -v apt-get >/dev/null || die "python -m venv failed and apt-get is not available"
  local ver
  ver=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${ver}-venv" || die "apt-get install python${ver}-venv failed"
  "$py" -m venv --clear "$VENV" || die "python -m venv still fails"
}

ensure_venv() {
  local py stamp want
  py=$(pick_python) || die "no python3.11 or python3 on PATH"
  want="$(sha256sum "$REQS" | cut -d' ' -f1) $("$py" -c 'import sys; print(sys.version)' | head -1)"
  stamp=$VENV/.interop-stamp
  if [[ -x $VENV/bin/python && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    log "venv: $VENV is up to date"
    return 0
  fi
  log "venv: creating $VENV with $py ($("$py" --version 2>&1)) and installing $REQS"
  make_venv "$py"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$REQS" \
    || die "pip install -r $REQS failed"
  "$VENV/bin/python" -m pip check || die "pip check found broken requirements"
  printf '%s' "$want" > "$stamp"
}

# Sets DATABRICKS_GRPC_BIN; returns non-zero (after saying why) when there is
# no binary to test. Builds it when it is missing.
ensure_binary() {
  if [[ -n ${DATABRICKS_GRPC_BIN:-} ]]; then
    if [[ ! -x $DATABRICKS_GRPC_BIN ]]; then
      log "binary: DATABRICKS_GRPC_BIN=$DATABRICKS_GRPC_BIN is not an executable"
      return 1
    fi
    DATABRICKS_GRPC_BIN=$(realpath "$DATABRICKS_GRPC_BIN")
    export DATABRICKS_GRPC_BIN
    return 0
  fi
  local target=${CARGO_TARGET_DIR:-$ROOT/target}
  [[ $target == /* ]] || target=$ROOT/$target
  if [[ ! -x $target/release/databricks-grpc ]]; then
    log "binary: $target/release/databricks-grpc missing; running cargo build --release"
    if ! (cd "$ROOT" && cargo build --release); then
      log "binary: cargo build --release failed"
      return 1
    fi
  fi
  [[ -x $target/release/databricks-grpc ]] || { log "binary: none at $target/release/databricks-grpc"; return 1; }
  export DATABRICKS_GRPC_BIN=$target/release/databricks-grpc
}

started=$SECONDS
log "=== interop: prerequisites"
ensure_venv
log "tools: $("$VENV/bin/buf" --version | sed 's/^/buf /'), $("$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null \
  | awk '$1 ~ /^(grpcio|grpcio-tools|protobuf|databricks-sdk)$/ {printf "%s %s, ", $1, $2}')"
log "prerequisites ready in $((SECONDS - started))s"

# ─── checks ─────────────────────────────────────────────────────────────────

checks=("$@")
(( ${#checks[@]} )) || checks=("${ALL_CHECKS[@]}")

command_for() {
  case $1 in
    buf_lint) echo "bash $HERE/buf_lint.sh" ;;  # the only check without the binary
    go_plugin_host) echo "bash $HERE/go_plugin_host.sh" ;;
    terraform) echo "bash $HERE/terraform.sh" ;;
    *) [[ -f $HERE/$1.py ]] || return 1; echo "$VENV/bin/python $HERE/$1.py" ;;
  esac
}

export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export PATH=$VENV/bin:$PATH
passed=() failed=()
binary_state=""
for name in "${checks[@]}"; do
  cmd=$(command_for "$name") || die "unknown check '$name' (known: ${ALL_CHECKS[*]})"
  log ""
  log "=== interop check: $name"
  t0=$SECONDS
  rc=0
  if [[ $name != buf_lint && -z $binary_state ]]; then
    if ensure_binary; then binary_state=ok; else binary_state=missing; fi
    [[ $binary_state == ok ]] && log "binary: $DATABRICKS_GRPC_BIN"
  fi
  if [[ $name != buf_lint && $binary_state != ok ]]; then
    log "FAIL $name: no databricks-grpc binary to test (see above)"
    failed+=("$name")
    continue
  fi
  # shellcheck disable=SC2086 # cmd is "interpreter script", split on purpose
  timeout --kill-after=15 "$CHECK_TIMEOUT" $cmd &
  child=$!
  wait "$child" || rc=$?
  child=""
  if (( rc == 0 )); then
    log "PASS $name ($((SECONDS - t0))s)"
    passed+=("$name")
  else
    (( rc == 124 )) && log "$name: timed out after ${CHECK_TIMEOUT}s"
    log "FAIL $name (exit $rc, $((SECONDS - t0))s)"
    failed+=("$name")
  fi
done

# Every server log the checks produced must be free of the credentials they
# used (the emulator's token, password and client secret, its OAuth tokens,
# and the refused token buf_curl sends). Stdout is left out: the emulator's
# banner prints its own demo token on purpose.
secrets=(dapi-emulator-token emulator-password emulator-client-secret emu-oauth- dapi-not-the-emulator-token-0001)
logs=("$WORK"/*.stderr.log)
if [[ -e ${logs[0]} ]]; then
  leaks=$(grep -n -F "${secrets[@]/#/-e}" "${logs[@]}" | cut -d: -f1,2 || true)
  if [[ -n $leaks ]]; then
    log "FAIL secrets: a credential reached a server log at (file:line):"
    log "$leaks"
    failed+=(secrets)
  else
    log "PASS secrets: ${#logs[@]} server logs ($(cat "${logs[@]}" | wc -l) lines) carry none of ${#secrets[@]} known credentials"
    passed+=(secrets)
  fi
fi

log ""
log "=== interop summary ($((SECONDS - started))s)"
for name in "${passed[@]}"; do log "  PASS $name"; done
for name in "${failed[@]}"; do log "  FAIL $name"; done
log "interop: ${#passed[@]} passed, ${#failed[@]} failed"
(( ${#failed[@]} == 0 ))

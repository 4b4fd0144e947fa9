"""The official Databricks Python SDK talks to `databricks-grpc emulator`: the
emulator must look like a Databricks workspace to a real client.
"""

from __future__ import annotations

import os
import shutil
import tempfile

# Nothing from this machine may configure the SDK: no DATABRICKS_* variables
# and no ~/.databrickscfg. Done before the SDK is imported. (DATABRICKS_GRPC_BIN
# names the binary under test, for run.sh; the SDK knows no such variable.)
for _name in [n for n in os.environ if n.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_"))
              and n != "DATABRICKS_GRPC_BIN"]:
    del os.environ[_name]
_HOME = tempfile.mkdtemp(prefix="interop-sdk-home-")
os.environ["HOME"] = _HOME

from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.core import Config  # noqa: E402
from databricks.sdk.errors import DatabricksError  # noqa: E402
from databricks.sdk.service.compute import (  # noqa: E402
    Library,
    LibraryInstallStatus,
    PythonPyPiLibrary,
    State,
)
from databricks.sdk.version import __version__ as SDK_VERSION  # noqa: E402

import common  # noqa: E402
from common import RUNNING_CLUSTER, STOPPED_CLUSTER, check, poll, say, step  # noqa: E402

PACKAGE = "simplejson==3.19.2"
MISSING = "0000-000000-missing0"


def client(host: str, token: str) -> WorkspaceClient:
    # Short budgets: the emulator answers at once, and a hang must fail the
    # check, not wait out the SDK's 5-minute retry budget.
    cfg = Config(host=host, token=token, auth_type="pat", http_timeout_seconds=10, retry_timeout_seconds=20)
    return WorkspaceClient(config=cfg)


def expect_sdk_error(what: str, call) -> DatabricksError:
    try:
        result = call()
        if hasattr(result, "__iter__") and not isinstance(result, (str, bytes, dict)):
            result = list(result)
    except DatabricksError as err:
        say(f"{what}: raised {type(err).__module__}.{type(err).__name__} "
            f"(mro: {[c.__name__ for c in type(err).__mro__[:4]]}) "
            f"error_code={err.error_code!r} message={str(err)!r}")
        return err
    raise common.CheckFailed(f"{what}: expected an SDK error, got {result!r}")


def main() -> None:
    say(f"databricks-sdk {SDK_VERSION}; HOME={_HOME}")
    server = common.start_emulator("sdk-emulator", ["--library-step", "0s"])
    host, token = server.banner.host, server.banner.token
    w = client(host, token)
    lib = Library(pypi=PythonPyPiLibrary(package=PACKAGE))

    step("clusters.get")
    for cid, state in ((RUNNING_CLUSTER, State.RUNNING), (STOPPED_CLUSTER, State.TERMINATED)):
        info = w.clusters.get(cid)
        say(f"clusters.get({cid}) -> cluster_id={info.cluster_id} state={info.state} name={info.cluster_name!r}")
        check(info.cluster_id == cid, f"clusters.get returned {info.cluster_id!r}")
        check(info.state == state, f"{cid} should be {state}, is {info.state}")

    step(f"libraries.install {PACKAGE} on {RUNNING_CLUSTER}")
    res = w.libraries.install(RUNNING_CLUSTER, [lib])
    say(f"libraries.install -> {res!r}")

    step("libraries.cluster_status")

    def statuses():
        entries = list(w.libraries.cluster_status(RUNNING_CLUSTER))
        say(f"  cluster_status -> {[ (e.library.as_dict(), e.status) for e in entries ]}")
        mine = [e for e in entries if e.library == lib]
        check(len(mine) == 1, f"{PACKAGE} should be listed once: {entries}")
        check(isinstance(mine[0].status, LibraryInstallStatus),
              f"status should be a LibraryInstallStatus, is {mine[0].status!r}")
        return mine[0]

    entry = poll("INSTALLED through the SDK", statuses,
                 lambda e: e.status == LibraryInstallStatus.INSTALLED, timeout_s=30, interval_s=0.05)
    say(f"entry: {entry.as_dict()}")
    check(not entry.is_library_for_all_clusters, "is_library_for_all_clusters should be false")

    step("libraries.all_cluster_statuses")
    everything = list(w.libraries.all_cluster_statuses())
    for c in everything:
        say(f"  {c.cluster_id}: {[(s.library.as_dict(), s.status) for s in c.library_statuses or []]}")
    ids = {c.cluster_id for c in everything}
    check({RUNNING_CLUSTER, STOPPED_CLUSTER} <= ids, f"seeded clusters missing from all_cluster_statuses: {ids}")
    running = [c for c in everything if c.cluster_id == RUNNING_CLUSTER][0]
    check(any(s.library == lib and s.status == LibraryInstallStatus.INSTALLED for s in running.library_statuses or []),
          f"{PACKAGE} should show INSTALLED in all_cluster_statuses: {running}")
    stopped = [c for c in everything if c.cluster_id == STOPPED_CLUSTER][0]
    check(all(s.is_library_for_all_clusters for s in stopped.library_statuses or []),
          f"only all-cluster libraries are expected on {STOPPED_CLUSTER}: {stopped}")

    step("libraries.uninstall")
    w.libraries.uninstall(RUNNING_CLUSTER, [lib])
    after = [e for e in w.libraries.cluster_status(RUNNING_CLUSTER) if e.library == lib]
    say(f"after uninstall: {[e.as_dict() for e in after]}")
    check(after and after[0].status == LibraryInstallStatus.UNINSTALL_ON_RESTART,
          f"expected UNINSTALL_ON_RESTART: {after}")

    step("errors the SDK maps")
    err = expect_sdk_error("libraries.cluster_status(unknown cluster)", lambda: w.libraries.cluster_status(MISSING))
    check(err.error_code == "INVALID_PARAMETER_VALUE", f"Databricks answers INVALID_PARAMETER_VALUE here: {err.error_code}")
    check(type(err).__name__ == "InvalidParameterValue", f"expected InvalidParameterValue, got {type(err).__name__}")
    check(MISSING in str(err), f"the message should name the cluster: {err}")
    err = expect_sdk_error("clusters.get(unknown cluster)", lambda: w.clusters.get(MISSING))
    check(type(err).__name__ in ("ResourceDoesNotExist", "InvalidParameterValue", "NotFound"),
          f"clusters.get of an unknown cluster raised {type(err).__name__}")
    bad = client(host, "dapi-not-the-token")
    err = expect_sdk_error("bad token: libraries.cluster_status", lambda: bad.libraries.cluster_status(RUNNING_CLUSTER))
    check(type(err).__name__ in ("PermissionDenied", "Unauthenticated"),
          f"a bad token should raise PermissionDenied or Unauthenticated, got {type(err).__name__}")


def run() -> None:
    try:
        main()
    finally:
        shutil.rmtree(_HOME, ignore_errors=True)


if __name__ == "__main__":
    common.run_check("databricks_sdk_check", run)

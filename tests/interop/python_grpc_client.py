"""A Python gRPC client built only from proto/ talks to `databricks-grpc serve
--emulator`: stubs are generated here with grpcio-tools, then health, the
library lifecycle, pagination and error statuses are exercised (the streaming
RPCs are in grpc_streaming.py).
"""

from __future__ import annotations


import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from google.rpc import error_details_pb2

import common
from common import RUNNING_CLUSTER, STOPPED_CLUSTER, check, poll, say, step

LIBRARY_STEP = "500ms"  # slow enough to observe every stage with a 50 ms poll
RPC_TIMEOUT_S = 10
PACKAGE = "simplejson==3.19.2"


def rich_details(err: grpc.RpcError) -> dict:
    """The google.rpc details carried in grpc-status-details-bin, by kind."""
    found: dict = {}
    status = rpc_status.from_call(err)
    if status is None:
        return found
    for any_msg in status.details:
        for kind in (error_details_pb2.BadRequest, error_details_pb2.ErrorInfo):
            if any_msg.Is(kind.DESCRIPTOR):
                msg = kind()
                any_msg.Unpack(msg)
                found[kind.DESCRIPTOR.name] = msg
    return found


def expect_error(what: str, code: grpc.StatusCode, call):
    try:
        resp = call()
    except grpc.RpcError as err:
        details = rich_details(err)
        say(f"{what}: {err.code().name} {err.details()!r} details={ {k: str(v) for k, v in details.items()} }")
        check(err.code() == code, f"{what}: expected {code.name}, got {err.code().name}: {err.details()}")
        return err, details
    raise common.CheckFailed(f"{what}: expected {code.name}, got a response: {resp}")


def run(pb2, pb2_grpc) -> None:
    S = pb2.LibraryInstallStatus

    server = common.start_serve("python-grpc-serve", ["--library-step", LIBRARY_STEP])
    channel, stub = common.connect(server, pb2_grpc, RPC_TIMEOUT_S)

    step("grpc.health.v1 Check")
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "databricks.compute.v1.ComputeService"):
        resp = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=RPC_TIMEOUT_S)
        say(f"health {service!r}: {health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)}")
        check(resp.status == health_pb2.HealthCheckResponse.SERVING, f"health of {service!r} is not SERVING")

    lib = pb2.Library(pypi=pb2.PythonPyPiLibrary(package=PACKAGE))

    def entry(cluster_id: str, library):
        resp = stub.ClusterStatus(pb2.ClusterStatusRequest(cluster_id=cluster_id), timeout=RPC_TIMEOUT_S)
        check(resp.cluster_id == cluster_id, f"ClusterStatus answered for {resp.cluster_id!r}, not {cluster_id!r}")
        matches = [s for s in resp.library_statuses if s.library == library]
        check(len(matches) <= 1, f"library listed {len(matches)} times: {resp}")
        return matches[0] if matches else None

    step(f"Install pypi {PACKAGE} on {RUNNING_CLUSTER}, poll ClusterStatus until INSTALLED")
    before = entry(RUNNING_CLUSTER, lib)
    check(before is None, f"{PACKAGE} is on the fresh emulator's cluster already: {before}")
    resp = stub.Install(pb2.InstallRequest(cluster_id=RUNNING_CLUSTER, libraries=[lib]), timeout=RPC_TIMEOUT_S)
    say(f"Install -> {type(resp).__name__} {{{resp}}}")
    seen: list[int] = []

    def probe():
        e = entry(RUNNING_CLUSTER, lib)
        check(e is not None, f"{PACKAGE} is missing from ClusterStatus right after Install")
        if not seen or seen[-1] != e.status:
            seen.append(e.status)
            say(f"  status {S.Name(e.status)} raw={e.raw_status!r} messages={list(e.messages)}")
        return e

    final = poll("INSTALLED", probe, lambda e: e.status == S.LIBRARY_INSTALL_STATUS_INSTALLED, timeout_s=30, interval_s=0.05)
    check(final.raw_status == "INSTALLED", f"raw_status should be 'INSTALLED', is {final.raw_status!r}")
    check(final.library.pypi.package == PACKAGE, f"library came back changed: {final.library}")
    check(not final.is_library_for_all_clusters, "is_library_for_all_clusters set on a cluster library")
    check(len(seen) >= 2, f"never observed a status before INSTALLED (seen {[S.Name(s) for s in seen]})")
    order = [S.LIBRARY_INSTALL_STATUS_PENDING, S.LIBRARY_INSTALL_STATUS_RESOLVING,
             S.LIBRARY_INSTALL_STATUS_INSTALLING, S.LIBRARY_INSTALL_STATUS_INSTALLED]
    check(all(s in order for s in seen), f"unexpected status on the way: {[S.Name(s) for s in seen]}")
    check(seen == sorted(seen, key=order.index), f"statuses went backwards: {[S.Name(s) for s in seen]}")
    say(f"observed: {' -> '.join(S.Name(s) for s in seen)}")

    step("Install of the identical library again is a no-op")
    stub.Install(pb2.InstallRequest(cluster_id=RUNNING_CLUSTER, libraries=[lib]), timeout=RPC_TIMEOUT_S)
    again = entry(RUNNING_CLUSTER, lib)
    check(again.status == S.LIBRARY_INSTALL_STATUS_INSTALLED, f"re-install changed the status: {again}")

    step(f"Uninstall {PACKAGE}: ClusterStatus shows UNINSTALL_ON_RESTART")
    stub.Uninstall(pb2.UninstallRequest(cluster_id=RUNNING_CLUSTER, libraries=[lib]), timeout=RPC_TIMEOUT_S)
    after = entry(RUNNING_CLUSTER, lib)
    say(f"after Uninstall: {S.Name(after.status) if after else None} raw={after.raw_status if after else None!r}")
    check(after is not None and after.status == S.LIBRARY_INSTALL_STATUS_UNINSTALL_ON_RESTART,
          f"expected UNINSTALL_ON_RESTART, got {after}")
    check(after.raw_status == "UNINSTALL_ON_RESTART", f"raw_status is {after.raw_status!r}")

    step(f"Install on the terminated {STOPPED_CLUSTER} is accepted and waits in PENDING")
    stub.Install(pb2.InstallRequest(cluster_id=STOPPED_CLUSTER, libraries=[lib]), timeout=RPC_TIMEOUT_S)
    waiting = entry(STOPPED_CLUSTER, lib)
    say(f"on {STOPPED_CLUSTER}: {S.Name(waiting.status) if waiting else None} messages={list(waiting.messages) if waiting else None}")
    check(waiting is not None and waiting.status == S.LIBRARY_INSTALL_STATUS_PENDING,
          f"a library on a terminated cluster should be PENDING: {waiting}")

    step("AllStatuses, one cluster per page")
    pages, token, ids = 0, "", []
    while True:
        page = stub.AllStatuses(pb2.AllStatusesRequest(page_size=1, page_token=token), timeout=RPC_TIMEOUT_S)
        pages += 1
        check(len(page.statuses) <= 1, f"page_size=1 returned {len(page.statuses)} clusters")
        ids += [c.cluster_id for c in page.statuses]
        token = page.next_page_token
        if not token:
            break
        check(pages < 100, "AllStatuses keeps returning next_page_token")
    say(f"AllStatuses: {pages} pages, clusters {ids}")
    check(len(ids) == len(set(ids)), f"a cluster came twice: {ids}")
    check(ids == sorted(ids), f"clusters are not ordered by cluster_id: {ids}")
    check({RUNNING_CLUSTER, STOPPED_CLUSTER} <= set(ids), f"seeded clusters missing: {ids}")
    whole = stub.AllStatuses(pb2.AllStatusesRequest(), timeout=RPC_TIMEOUT_S)
    check([c.cluster_id for c in whole.statuses] == ids and not whole.next_page_token,
          f"default page differs from the paged walk: {[c.cluster_id for c in whole.statuses]}")

    step("errors: validation and unknown cluster")
    _, details = expect_error(
        "Install with empty cluster_id", grpc.StatusCode.INVALID_ARGUMENT,
        lambda: stub.Install(pb2.InstallRequest(cluster_id="", libraries=[lib]), timeout=RPC_TIMEOUT_S))
    bad = details.get("BadRequest")
    check(bad is not None and any(v.field == "cluster_id" for v in bad.field_violations),
          f"INVALID_ARGUMENT should carry google.rpc.BadRequest naming cluster_id, details: {details}")
    expect_error(
        "Install with no libraries", grpc.StatusCode.INVALID_ARGUMENT,
        lambda: stub.Install(pb2.InstallRequest(cluster_id=RUNNING_CLUSTER), timeout=RPC_TIMEOUT_S))
    _, details = expect_error(
        "ClusterStatus of an unknown cluster", grpc.StatusCode.NOT_FOUND,
        lambda: stub.ClusterStatus(pb2.ClusterStatusRequest(cluster_id="0000-000000-missing0"), timeout=RPC_TIMEOUT_S))
    info = details.get("ErrorInfo")
    check(info is not None and info.reason == "INVALID_PARAMETER_VALUE" and info.metadata.get("http_status") == "400",
          f"NOT_FOUND should carry ErrorInfo(reason=INVALID_PARAMETER_VALUE, http_status=400), details: {details}")

    channel.close()


if __name__ == "__main__":
    common.run_check("python_grpc_client", common.with_stubs(run))

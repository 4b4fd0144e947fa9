"""The server-streaming RPC WatchClusterStatus, from a Python client generated
from proto/ and from `buf curl` through reflection, against `databricks-grpc
serve --emulator`.
"""

from __future__ import annotations

import itertools
import json

import grpc

import common
from buf_curl import SERVICE, Curl
from common import RUNNING_CLUSTER, STOPPED_CLUSTER, check, say, step

SETTLED = {"INSTALLED", "FAILED", "SKIPPED", "UNINSTALL_ON_RESTART", "RESTORED"}


def run(pb2, pb2_grpc) -> None:
    S = pb2.LibraryInstallStatus
    server = common.start_serve("streaming-serve", ["--library-step", "200ms"])
    channel, stub = common.connect(server, pb2_grpc)

    good = pb2.Library(pypi=pb2.PythonPyPiLibrary(package="simplejson==3.19.2"))
    bogus = pb2.Library(pypi=pb2.PythonPyPiLibrary(package="no-such-package-interop==0.0.1"))

    step(f"WatchClusterStatus {RUNNING_CLUSTER}: a known and an unknown package settle, then the stream ends OK")
    stub.Install(pb2.InstallRequest(cluster_id=RUNNING_CLUSTER, libraries=[good, bogus]), timeout=10)
    messages = []
    stream = stub.WatchClusterStatus(pb2.WatchClusterStatusRequest(cluster_id=RUNNING_CLUSTER), timeout=30)
    try:
        first = next(stream)
    except grpc.RpcError as err:
        if err.code() == grpc.StatusCode.UNIMPLEMENTED:
            raise common.NotImplementedYet(f"WatchClusterStatus: {err.details()}") from err
        raise
    for msg in itertools.chain([first], stream):
        mine = {s.library.pypi.package: S.Name(s.status) for s in msg.library_statuses if s.library in (good, bogus)}
        say(f"  settled={msg.settled} state={pb2.ClusterState.Name(msg.cluster_state)} {mine} message={msg.message!r}")
        messages.append(msg)
    check(messages, "WatchClusterStatus ended without a message")
    check(all(m.cluster_id == RUNNING_CLUSTER for m in messages), "a message names another cluster")
    last = messages[-1]
    check(last.settled, "the last message is not settled")
    check(all(not m.settled for m in messages[:-1]), "a message before the last one says settled")
    check(len(messages) >= 2, f"expected the initial state and at least one change, got {len(messages)} message(s)")
    check(last.cluster_state == pb2.CLUSTER_STATE_RUNNING and last.raw_cluster_state == "RUNNING",
          f"cluster state: {pb2.ClusterState.Name(last.cluster_state)} / {last.raw_cluster_state!r}")
    check(all(s.raw_status in SETTLED for s in last.library_statuses), f"unsettled library in the last message: {last}")
    final = {s.library.pypi.package: s for s in last.library_statuses if s.library in (good, bogus)}
    check(final[good.pypi.package].status == S.LIBRARY_INSTALL_STATUS_INSTALLED, f"{good} should be INSTALLED: {final}")
    failed = final[bogus.pypi.package]
    check(failed.status == S.LIBRARY_INSTALL_STATUS_FAILED and failed.raw_status == "FAILED",
          f"an unknown package should end FAILED: {failed}")
    check(failed.messages, "a FAILED library carries no messages")
    say(f"FAILED messages: {list(failed.messages)}")

    step(f"WatchClusterStatus {STOPPED_CLUSTER}: a library waiting on a terminated cluster is explained")
    stub.Install(pb2.InstallRequest(cluster_id=STOPPED_CLUSTER, libraries=[good]), timeout=10)
    call = stub.WatchClusterStatus(pb2.WatchClusterStatusRequest(cluster_id=STOPPED_CLUSTER), timeout=10)
    first = next(call)
    call.cancel()
    say(f"  first: settled={first.settled} state={pb2.ClusterState.Name(first.cluster_state)} message={first.message!r}")
    check(not first.settled, "a PENDING library on a terminated cluster is not settled")
    check(first.cluster_state == pb2.CLUSTER_STATE_TERMINATED, "cluster_state should be TERMINATED")
    check("TERMINATED" in first.message or "not running" in first.message.lower(),
          f"the message should say the cluster is not running: {first.message!r}")

    step("WatchClusterStatus with an unknown cluster -> NOT_FOUND")
    try:
        msgs = list(stub.WatchClusterStatus(pb2.WatchClusterStatusRequest(cluster_id="0000-000000-missing0"), timeout=10))
        raise common.CheckFailed(f"expected NOT_FOUND, got {msgs}")
    except grpc.RpcError as err:
        say(f"  {err.code().name}: {err.details()}")
        check(err.code() == grpc.StatusCode.NOT_FOUND, f"expected NOT_FOUND, got {err.code().name}")
    channel.close()

    step("WatchClusterStatus through buf curl (reflection)")
    curl = Curl(f"http://{server.banner.grpc_addr}")
    res = curl.run(data={"cluster_id": RUNNING_CLUSTER}, url=f"{curl.base}/{SERVICE}/WatchClusterStatus")
    check(res.returncode == 0, f"buf curl WatchClusterStatus exited {res.returncode}: {res.stderr}")
    decoder, text, docs, pos = json.JSONDecoder(), res.stdout, [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        doc, pos = decoder.raw_decode(text, pos)
        docs.append(doc)
    say(f"  {len(docs)} message(s); last: {json.dumps(docs[-1]) if docs else None}")
    check(docs and docs[-1].get("settled") is True, "the stream should end with a settled message")


if __name__ == "__main__":
    common.run_check("grpc_streaming", common.with_stubs(run))

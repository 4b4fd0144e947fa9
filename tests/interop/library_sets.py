"""The seed scenario through a Python gRPC client built only from proto/:
UploadLibrary (a client stream: header, then chunks) puts build 1 of a jar,
versioned, in /Volumes/main/default/libs; ApplyLibraries [jar v1, pypi] waits
until INSTALLED. Build 2 (other bytes) is uploaded the same way and applied
with the previous set: the plan installs v2, uninstalls v1 and leaves PyPI
unchanged; the cluster restarts once (one RESTARTING event); v2 is INSTALLED
and v1 gone. The same set again changes nothing (no step, no new RESTARTING
event). ReplaceLibrary's dry run with an uploaded build 3 closes it.
"""

from __future__ import annotations

import hashlib

import common
from common import RUNNING_CLUSTER, check, say, step

RPC_TIMEOUT_S = 60
PACKAGE = "simplejson==3.19.2"
VOLUME = "/Volumes/main/default/libs"
JAR_NAME = "etl-1.0.0.jar"
CHUNK = 64 * 1024


def run(pb2, pb2_grpc) -> None:
    S = pb2.LibraryInstallStatus
    Stage = pb2.ApplyStage
    server = common.start_serve("library-sets-serve", ["--library-step", "100ms"])
    channel, stub = common.connect(server, pb2_grpc, RPC_TIMEOUT_S)
    jar = lambda uri: pb2.Library(jar=uri)  # noqa: E731
    pypi = pb2.Library(pypi=pb2.PythonPyPiLibrary(package=PACKAGE))

    def apply(libraries, previous):
        request = pb2.ApplyLibrariesRequest(
            cluster_id=RUNNING_CLUSTER, libraries=libraries, previous=previous,
            restart=pb2.RESTART_POLICY_IF_NEEDED, wait=True)
        messages = list(stub.ApplyLibraries(request, timeout=RPC_TIMEOUT_S))
        for message in messages:
            say(f"  {Stage.Name(message.stage)}: {message.message}")
        check(messages and messages[0].stage == Stage.APPLY_STAGE_PLANNED, "the plan is not the first message")
        check(messages[-1].stage == Stage.APPLY_STAGE_DONE, "the last message is not DONE")
        return messages

    def status(message, library):
        found = [s for s in message.statuses if s.library == library and not s.is_library_for_all_clusters]
        return found[0].status if found else None

    def upload(content: bytes):
        """UploadLibrary of `content` as a versioned JAR_NAME; the library it returns."""
        def messages():
            yield pb2.UploadLibraryRequest(header=pb2.UploadLibraryHeader(
                destination=VOLUME, file_name=JAR_NAME, versioned=True))
            for at in range(0, len(content), CHUNK):
                yield pb2.UploadLibraryRequest(chunk=content[at:at + CHUNK])
        response = stub.UploadLibrary(messages(), timeout=RPC_TIMEOUT_S)
        digest = hashlib.sha256(content).hexdigest()
        say(f"  uploaded {response.path} ({response.size} bytes, sha256 {response.sha256[:12]}...)")
        check(response.sha256 == digest and response.size == len(content), f"upload: {response}")
        check(response.path == f"{VOLUME}/etl-1.0.0-{digest[:12]}.jar", f"path: {response.path}")
        check(response.library == jar(response.path), f"library: {response.library}")
        return response.library

    def restart_events():
        """RESTARTING events of the cluster so far."""
        request = pb2.ClusterEventsRequest(cluster_id=RUNNING_CLUSTER, event_types=["RESTARTING"], page_size=500)
        return len(stub.ClusterEvents(request, timeout=RPC_TIMEOUT_S).events)

    # Two builds of the same jar: 3 MB of bytes that differ in the last one.
    build = bytes(range(256)) * (3 * 1024 * 1024 // 256)
    step("UploadLibrary build 1 (versioned)")
    v1 = upload(build + b"1")
    restarts_at_start = restart_events()

    step("ApplyLibraries [jar v1, pypi]")
    first = apply([v1, pypi], [])
    check(list(first[0].plan.install) == [v1, pypi], f"plan: {first[0].plan}")
    check(status(first[-1], v1) == S.LIBRARY_INSTALL_STATUS_INSTALLED, "v1 is not INSTALLED")
    check(status(first[-1], pypi) == S.LIBRARY_INSTALL_STATUS_INSTALLED, "pypi is not INSTALLED")

    step("UploadLibrary build 2 (other bytes, so another path)")
    v2 = upload(build + b"2")
    check(v2 != v1, "build 2 got build 1's path")

    step("ApplyLibraries [jar v2, pypi] with previous [jar v1, pypi]")
    second = apply([v2, pypi], [v1, pypi])
    plan = second[0].plan
    check(list(plan.install) == [v2], f"install: {plan.install}")
    check(list(plan.uninstall) == [v1], f"uninstall: {plan.uninstall}")
    check(list(plan.unchanged) == [pypi], f"unchanged: {plan.unchanged}")
    restarts = [m for m in second if m.stage == Stage.APPLY_STAGE_RESTARTING]
    check(len(restarts) == 1, f"expected one restart, saw {len(restarts)}")
    check(restart_events() == restarts_at_start + 1, "the cluster did not restart exactly once")
    check(status(second[-1], v2) == S.LIBRARY_INSTALL_STATUS_INSTALLED, "v2 is not INSTALLED")
    check(status(second[-1], v1) is None, "v1 is still on the cluster")
    check(status(second[-1], pypi) == S.LIBRARY_INSTALL_STATUS_INSTALLED, "pypi is not INSTALLED")

    step("ApplyLibraries with the same set again changes nothing")
    third = apply([v2, pypi], [v2, pypi])
    check(not third[0].plan.install and not third[0].plan.uninstall, f"plan: {third[0].plan}")
    stages = {m.stage for m in third}
    check(stages.isdisjoint({Stage.APPLY_STAGE_UNINSTALLED, Stage.APPLY_STAGE_INSTALLED,
                             Stage.APPLY_STAGE_RESTARTING, Stage.APPLY_STAGE_STARTING}),
          f"the idempotent apply made a change: {[Stage.Name(s) for s in stages]}")
    check("nothing to do" in third[-1].message, third[-1].message)
    check(restart_events() == restarts_at_start + 1, "the idempotent apply restarted the cluster")

    step("UploadLibrary build 3, then ReplaceLibrary dry run on every cluster with the jar")
    v3 = upload(build + b"3")
    request = pb2.ReplaceLibraryRequest(library=v3, all_clusters=True, dry_run=True)
    reports = list(stub.ReplaceLibrary(request, timeout=RPC_TIMEOUT_S))
    for report in reports:
        say(f"  {report.cluster_id}: {report.message}")
    check([r.cluster_id for r in reports] == [RUNNING_CLUSTER], f"clusters: {[r.cluster_id for r in reports]}")
    check(list(reports[0].plan.uninstall) == [v2] and reports[0].done, f"report: {reports[0]}")
    channel.close()


if __name__ == "__main__":
    common.run_check("library_sets", common.with_stubs(run))

"""The seed scenario through a Python gRPC client built only from proto/:
ApplyLibraries [jar v1, pypi] until INSTALLED, then [jar v2, pypi] with the
previous set (plan: install v2, uninstall v1, PyPI unchanged; one restart;
v2 INSTALLED, v1 gone), then the same set again, which changes nothing.
ReplaceLibrary's dry run closes it.

The jars are versioned s3:// URIs, which the emulator installs without a file.
Once UploadLibrary is on this branch the scenario should upload v1 and v2 to
/Volumes/main/default/libs with `versioned` and apply the paths it returns.
"""

from __future__ import annotations

import common
from common import RUNNING_CLUSTER, check, say, step

RPC_TIMEOUT_S = 60
PACKAGE = "simplejson==3.19.2"
V1 = "s3://ci-artifacts/libs/etl-1.0.0-aaaaaaaaaaaa.jar"
V2 = "s3://ci-artifacts/libs/etl-1.1.0-bbbbbbbbbbbb.jar"


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

    step("ApplyLibraries [jar v1, pypi]")
    first = apply([jar(V1), pypi], [])
    check(list(first[0].plan.install) == [jar(V1), pypi], f"plan: {first[0].plan}")
    check(status(first[-1], jar(V1)) == S.LIBRARY_INSTALL_STATUS_INSTALLED, "v1 is not INSTALLED")
    check(status(first[-1], pypi) == S.LIBRARY_INSTALL_STATUS_INSTALLED, "pypi is not INSTALLED")

    step("ApplyLibraries [jar v2, pypi] with previous [jar v1, pypi]")
    second = apply([jar(V2), pypi], [jar(V1), pypi])
    plan = second[0].plan
    check(list(plan.install) == [jar(V2)], f"install: {plan.install}")
    check(list(plan.uninstall) == [jar(V1)], f"uninstall: {plan.uninstall}")
    check(list(plan.unchanged) == [pypi], f"unchanged: {plan.unchanged}")
    restarts = [m for m in second if m.stage == Stage.APPLY_STAGE_RESTARTING]
    check(len(restarts) == 1, f"expected one restart, saw {len(restarts)}")
    check(status(second[-1], jar(V2)) == S.LIBRARY_INSTALL_STATUS_INSTALLED, "v2 is not INSTALLED")
    check(status(second[-1], jar(V1)) is None, "v1 is still on the cluster")
    check(status(second[-1], pypi) == S.LIBRARY_INSTALL_STATUS_INSTALLED, "pypi is not INSTALLED")

    step("ApplyLibraries with the same set again changes nothing")
    third = apply([jar(V2), pypi], [jar(V2), pypi])
    check(not third[0].plan.install and not third[0].plan.uninstall, f"plan: {third[0].plan}")
    stages = {m.stage for m in third}
    check(stages.isdisjoint({Stage.APPLY_STAGE_UNINSTALLED, Stage.APPLY_STAGE_INSTALLED,
                             Stage.APPLY_STAGE_RESTARTING, Stage.APPLY_STAGE_STARTING}),
          f"the idempotent apply made a change: {[Stage.Name(s) for s in stages]}")
    check("nothing to do" in third[-1].message, third[-1].message)

    step("ReplaceLibrary dry run on every cluster with the jar")
    request = pb2.ReplaceLibraryRequest(library=jar("s3://ci-artifacts/libs/etl-1.2.0-cccccccccccc.jar"),
                                        all_clusters=True, dry_run=True)
    reports = list(stub.ReplaceLibrary(request, timeout=RPC_TIMEOUT_S))
    for report in reports:
        say(f"  {report.cluster_id}: {report.message}")
    check([r.cluster_id for r in reports] == [RUNNING_CLUSTER], f"clusters: {[r.cluster_id for r in reports]}")
    check(list(reports[0].plan.uninstall) == [jar(V2)] and reports[0].done, f"report: {reports[0]}")
    channel.close()


if __name__ == "__main__":
    common.run_check("library_sets", common.with_stubs(run))

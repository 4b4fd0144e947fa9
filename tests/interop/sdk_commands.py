"""The official Databricks Python SDK runs commands on the emulator with
`command_execution.create_and_wait` / `execute_and_wait`: the same notebook
answer the gRPC API gives, through the REST API 1.2 wire format.
"""

from __future__ import annotations

import os
import shutil
import tempfile

# Nothing from this machine may configure the SDK (see databricks_sdk_check.py).
for _name in [n for n in os.environ if n.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_"))
              and n != "DATABRICKS_GRPC_BIN"]:
    del os.environ[_name]
_HOME = tempfile.mkdtemp(prefix="interop-sdk-home-")
os.environ["HOME"] = _HOME

from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.core import Config  # noqa: E402
from databricks.sdk.service.compute import CommandStatus, Language, ResultType  # noqa: E402

import common  # noqa: E402
from common import RUNNING_CLUSTER, check, say, step  # noqa: E402


def main() -> None:
    server = common.start_emulator("sdk-commands-emulator", [])
    cfg = Config(host=server.banner.host, token=server.banner.token, auth_type="pat",
                 http_timeout_seconds=30, retry_timeout_seconds=30)
    w = WorkspaceClient(config=cfg)

    step("command_execution.create_and_wait")
    context = w.command_execution.create_and_wait(cluster_id=RUNNING_CLUSTER, language=Language.PYTHON)
    say(f"context: {context.as_dict()}")
    check(context.id, "create_and_wait returned no context id")

    def run(command: str):
        response = w.command_execution.execute_and_wait(
            cluster_id=RUNNING_CLUSTER, context_id=context.id, language=Language.PYTHON, command=command)
        say(f"execute_and_wait({command!r}) -> {response.as_dict()}")
        return response

    step("notebook: x = 21, then print(x * 2)")
    run("x = 21")
    answer = run("print(x * 2)")
    check(answer.status == CommandStatus.FINISHED, f"status: {answer.status}")
    check(answer.results.result_type == ResultType.TEXT, f"result type: {answer.results.result_type}")
    check(str(answer.results.data).strip() == "42", f"data: {answer.results.data!r}")

    step("an exception comes back as Finished with an error result")
    failed = run("1 / 0")
    check(failed.status == CommandStatus.FINISHED, f"status: {failed.status}")
    check(failed.results.result_type == ResultType.ERROR, f"result type: {failed.results.result_type}")
    check("ZeroDivisionError" in (failed.results.cause or ""), f"cause: {failed.results.cause!r}")

    step("command_execution.destroy")
    w.command_execution.destroy(cluster_id=RUNNING_CLUSTER, context_id=context.id)


def run_check() -> None:
    try:
        main()
    finally:
        shutil.rmtree(_HOME, ignore_errors=True)


if __name__ == "__main__":
    common.run_check("sdk_commands", run_check)

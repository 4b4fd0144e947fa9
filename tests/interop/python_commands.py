"""Command execution from a Python grpcio client generated from proto/: the
notebook scenario (state persists between commands) with streamed status,
an error command, and a SQL table, against `databricks-grpc serve --emulator`.
"""

from __future__ import annotations

import common
from common import RUNNING_CLUSTER, check, say, step


def run(pb2, pb2_grpc) -> None:
    server = common.start_serve("commands-serve", [])
    _, stub = common.connect(server, pb2_grpc)
    Outcome, State = pb2.CommandOutcome, pb2.CommandState

    def execute(command: str, language=pb2.LANGUAGE_PYTHON, context_id: str = ""):
        return stub.ExecuteCommand(
            pb2.ExecuteCommandRequest(cluster_id=RUNNING_CLUSTER, language=language, command=command,
                                      context_id=context_id),
            timeout=60,
        )

    def watch(started) -> list:
        request = pb2.StreamCommandStatusRequest(cluster_id=RUNNING_CLUSTER, context_id=started.context_id,
                                                 command_id=started.command_id)
        updates = [m.command for m in stub.StreamCommandStatus(request, timeout=60)]
        for command in updates:
            say(f"  {State.Name(command.status)} outcome={Outcome.Name(command.outcome)} "
                f"results={command.results.WhichOneof('result') if command.HasField('results') else None}")
        check(updates, "the stream ended without a message")
        return updates

    step("notebook: x = 21, then print(x * 2) in the same managed context, status streamed")
    first = execute("x = 21")
    say(f"ExecuteCommand -> command_id={first.command_id} context_id={first.context_id}")
    check(watch(first)[-1].outcome == Outcome.COMMAND_OUTCOME_SUCCEEDED, "x = 21 did not succeed")
    second = execute("import time\ntime.sleep(0.5)\nprint(x * 2)")
    check(second.context_id == first.context_id, "the managed context should be reused")
    updates = watch(second)
    last = updates[-1]
    check(last.status == State.COMMAND_STATE_FINISHED, f"expected FINISHED, got {State.Name(last.status)}")
    check(last.outcome == Outcome.COMMAND_OUTCOME_SUCCEEDED, f"expected SUCCEEDED: {last}")
    check(last.results.text.text.strip() == "42", f"print(x * 2) should print 42: {last.results}")
    check(any(u.status == State.COMMAND_STATE_RUNNING for u in updates[:-1]),
          "a half-second command should be seen RUNNING before it finishes")
    check(all(not u.HasField("results") for u in updates[:-1]), "only the last message carries results")

    step("an exception is a USER_ERROR with clean text")
    last = watch(execute("raise ValueError('bad <value>')"))[-1]
    check(last.status == State.COMMAND_STATE_FINISHED, "Databricks reports user errors as Finished")
    check(last.outcome == Outcome.COMMAND_OUTCOME_USER_ERROR, f"expected USER_ERROR: {last}")
    error = last.results.error
    say(f"  summary={error.summary!r}")
    check("ValueError" in error.summary and "\x1b" not in error.cause, f"unclean error: {error}")

    step("SQL in a context of our own returns a table")
    context_id = stub.CreateContext(pb2.CreateContextRequest(cluster_id=RUNNING_CLUSTER,
                                                             language=pb2.LANGUAGE_SQL), timeout=60).context_id
    last = watch(execute("SELECT 1 AS one, 'a' AS letter", pb2.LANGUAGE_SQL, context_id))[-1]
    table = last.results.table
    check([c.name for c in table.schema] == ["one", "letter"], f"schema: {table.schema}")
    check(len(table.data) == 1 and table.data[0].values[1].string_value == "a", f"rows: {table.data}")
    stub.DestroyContext(pb2.DestroyContextRequest(cluster_id=RUNNING_CLUSTER, context_id=context_id), timeout=30)


if __name__ == "__main__":
    common.run_check("python_commands", common.with_stubs(run))

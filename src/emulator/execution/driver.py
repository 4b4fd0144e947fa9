"""The driver of one emulated Databricks execution context (REST API 1.2).

The emulator runs one such process per context, so variables persist between
commands like in a notebook. It speaks JSON lines:

  stdin  -> {"op": "execute", "id", "language", "command"}
  stdin  -> {"op": "cancel", "id"}
  stdout <- {"event": "ready"}
  stdout <- {"event": "result", "id", "cancelled", "results"}

The protocol uses duplicates of the original stdin/stdout; user code sees
/dev/null as fd 0 and stderr as fd 1, and its prints are captured, so nothing
it does can corrupt the protocol. The emulator sends one command at a time.
The functions that shape results come from `driver_results.py`, which the
emulator puts before this file.
"""

import json
import os
import queue
import signal
import sys
import threading
import time

PROTO_OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
PROTO_IN = os.fdopen(os.dup(0), "r", encoding="utf-8")
os.dup2(2, 1)
_NULL = os.open(os.devnull, os.O_RDONLY)
os.dup2(_NULL, 0)
os.close(_NULL)


class State:
    """What the main thread runs, and which commands were cancelled."""

    current = None
    language = None
    cancelled = set()
    armed = False
    count = 0
    sql = None


LOCK = threading.Lock()
REQUESTS = queue.Queue()
MAIN = threading.main_thread().ident
NAMESPACE = {"__name__": "__main__", "__builtins__": __builtins__}


def send(event):
    PROTO_OUT.write(json.dumps(event, allow_nan=False) + "\n")
    PROTO_OUT.flush()


def on_sigint(_signum, _frame):
    # Only a cancel of the command being run interrupts it; a late signal
    # (the command already ended) is ignored.
    if State.armed and State.current in State.cancelled:
        State.armed = False
        raise KeyboardInterrupt


def cancel(command_id):
    with LOCK:
        State.cancelled.add(command_id)
        if State.current == command_id:
            if State.language == "sql" and State.sql is not None:
                State.sql.interrupt()
            signal.pthread_kill(MAIN, signal.SIGINT)


def reader():
    try:
        for line in PROTO_IN:
            request = json.loads(line)
            if request.get("op") == "cancel":
                cancel(request["id"])
            else:
                REQUESTS.put(request)
    finally:
        os._exit(0)  # stdin closed: the emulator is gone or destroyed us


def watchdog(parent):
    while os.getppid() == parent:
        time.sleep(0.25)
    os._exit(1)


def run_python(command):
    import ast
    import contextlib
    import io
    import linecache

    State.count += 1
    filename = f"<command-{State.count}>"
    linecache.cache[filename] = (len(command), None, command.splitlines(True), filename)
    out = io.StringIO()
    try:
        tree = ast.parse(command, filename)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(compile(tree, filename, "exec"), NAMESPACE)
            if last is not None:
                value = eval(compile(last, filename, "eval"), NAMESPACE)
                if value is not None:
                    NAMESPACE["_"] = value
                    print(f"Out[{State.count}]: {value!r}")
    except BaseException as error:  # noqa: B036 - user code may raise anything
        return python_error(error)
    return text_results(out.getvalue())


def split_sql(command):
    import sqlite3

    statements, pending = [], ""
    for piece in command.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \t\r\n;"):
                statements.append(pending)
            pending = ""
    if pending.strip(" \t\r\n;"):
        statements.append(pending)
    return statements


def run_sql(command):
    import html
    import sqlite3

    if State.sql is None:
        for name in ("BOOLEAN", "BOOL"):
            sqlite3.register_converter(name, lambda raw: raw not in (b"0", b"", b"false"))
        State.sql = sqlite3.connect(
            ":memory:",
            isolation_level=None,
            check_same_thread=False,
            detect_types=sqlite3.PARSE_DECLTYPES,
        )
    result = table([], [])
    try:
        for statement in split_sql(command):
            result = table_of(State.sql.execute(statement), statement)
    except sqlite3.Error as error:
        name = type(error).__name__
        summary = f'<div class="ansiout">Error in SQL statement: {name}: {html.escape(str(error))}</div>'
        return error_results(summary, f"sqlite3.{name}: {error}")
    return result


def run(request):
    language = request["language"]
    try:
        State.armed = True
        try:
            if language == "python":
                results = run_python(request["command"])
            elif language == "sql":
                results = run_sql(request["command"])
            else:
                results = unsupported(language)
        finally:
            State.armed = False
    except KeyboardInterrupt as error:  # interrupted outside the user's code
        results = python_error(error)
    return results


def main():
    signal.signal(signal.SIGINT, on_sigint)
    threading.Thread(target=reader, daemon=True).start()
    threading.Thread(target=watchdog, args=(os.getppid(),), daemon=True).start()
    send({"event": "ready"})
    while True:
        request = REQUESTS.get()
        with LOCK:
            cancelled = request["id"] in State.cancelled
            # Cancels of earlier commands that arrived too late are moot now.
            State.cancelled.intersection_update({request["id"]})
            if not cancelled:
                State.current, State.language = request["id"], request["language"]
        results = None if cancelled else run(request)
        with LOCK:
            cancelled = request["id"] in State.cancelled
            State.current = None
        send({"event": "result", "id": request["id"], "cancelled": cancelled, "results": results})


main()

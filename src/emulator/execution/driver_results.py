"""Result formatting for the emulator's context driver (`driver.py` follows
this file in the script the emulator runs): text, errors with IPython-style
ANSI tracebacks, and SQL tables, in the REST API 1.2 `results` shapes.
"""

import json

MAX_TEXT = 50_000
MAX_ROWS = 10_000
TRUNCATED = "\n*** WARNING: max output size exceeded, skipping output. ***"
RED, GREEN, RESET = "\x1b[0;31m", "\x1b[0;32m", "\x1b[0m"
DRIVER_FILE = "<string>"


def text_results(data):
    if data.endswith("\n"):
        data = data[:-1]
    if len(data) > MAX_TEXT:
        return {"resultType": "text", "data": data[:MAX_TEXT] + TRUNCATED, "truncated": True}
    return {"resultType": "text", "data": data}


def error_results(summary, cause):
    return {"resultType": "error", "summary": summary, "cause": cause}


def python_error(error):
    import html
    import traceback

    name = type(error).__name__
    message = error.msg if isinstance(error, SyntaxError) else str(error)
    summary = f"<span class='ansi-red-fg'>{html.escape(name)}</span>: {html.escape(message)}"
    last = f"{RED}{name}{RESET}: {message}"
    if isinstance(error, SyntaxError):
        lines = traceback.format_exception_only(type(error), error)
        return error_results(summary, "".join(lines[:-1]) + last)
    parts = [
        RED + "-" * 75 + RESET,
        f"{RED}{name}{RESET}{' ' * max(1, 42 - len(name))}Traceback (most recent call last)",
    ]
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == DRIVER_FILE:
            continue
        where = f"File {GREEN}{frame.filename}:{frame.lineno}{RESET}"
        if frame.name != "<module>":
            where += f", in {frame.name}()"
        parts.append(where)
        if frame.line:
            parts.append(f"{GREEN}----> {frame.lineno}{RESET} {frame.line}")
        parts.append("")
    parts.append(last)
    return error_results(summary, "\n".join(parts))



def column_type(values):
    kinds = {type(value) for value in values if value is not None}
    if not kinds:
        return "string"
    for name, allowed in (
        ("boolean", {bool}),
        ("long", {bool, int}),
        ("double", {bool, int, float}),
        ("binary", {bytes}),
    ):
        if kinds <= allowed:
            return name
    return "string"


def cell(value, kind):
    import base64
    import math

    if value is None:
        return None
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if kind == "string":
        return str(value)
    if kind == "double":
        return float(value)
    return value


def table(rows, columns, truncated=False):
    schema = [{"name": name, "type": json.dumps(kind), "metadata": "{}"} for name, kind in columns]
    kinds = [kind for _, kind in columns]
    data = [[cell(value, kind) for value, kind in zip(row, kinds)] for row in rows]
    return {
        "resultType": "table",
        "data": data,
        "schema": schema,
        "truncated": truncated,
        "isJsonSchema": True,
    }


def table_of(cursor, statement):
    if cursor.description is None:
        words = statement.split(None, 1)
        verb = words[0].upper() if words else ""
        count = cursor.rowcount
        if count >= 0 and verb in ("INSERT", "REPLACE"):
            return table([[count, count]], [("num_affected_rows", "long"), ("num_inserted_rows", "long")])
        if count >= 0 and verb in ("UPDATE", "DELETE"):
            return table([[count]], [("num_affected_rows", "long")])
        return table([], [])
    rows = cursor.fetchmany(MAX_ROWS + 1)
    truncated = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    names = [column[0] for column in cursor.description]
    kinds = [column_type([row[index] for row in rows]) for index in range(len(names))]
    return table(rows, list(zip(names, kinds)), truncated)



def unsupported(language):
    message = (
        f"The Databricks emulator runs only python and sql commands; "
        f"{language} is not supported."
    )
    return error_results(message, f"NotImplementedError: {message}")



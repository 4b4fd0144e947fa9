"""`buf curl` (a Go gRPC client with no local schema) drives `databricks-grpc
serve --emulator` through server reflection only.
"""

from __future__ import annotations

import json
import os
import subprocess

import common
from common import RUNNING_CLUSTER, check, poll, say, step

SERVICE = "databricks.compute.v1.ComputeService"
METHODS = [
    "Install", "Uninstall", "ClusterStatus", "AllStatuses", "WatchClusterStatus", "CreateContext",
    "ContextStatus", "DestroyContext", "ExecuteCommand", "CommandStatus", "CancelCommand",
    "StreamCommandStatus",
]
PACKAGE = "simplejson==3.19.2"
LIBRARY = {"pypi": {"package": PACKAGE}}


class Curl:
    def __init__(self, base: str):
        self.base = base
        self.buf = common.venv_tool("buf")
        self.env = dict(os.environ)
        self.env.setdefault("BUF_CACHE_DIR", str(common.WORK / "buf-cache"))

    def run(self, *args: str, data: object | None = None, reflect_protocol: str | None = None,
            url: str | None = None) -> subprocess.CompletedProcess:
        cmd = [self.buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge",
               "--connect-timeout", "5", "--timeout", "20s"]
        if reflect_protocol:
            cmd += ["--reflect-protocol", reflect_protocol]
        cmd += list(args)
        if data is not None:
            cmd += ["-d", json.dumps(data)]
        cmd.append(url or self.base)
        res = subprocess.run(cmd, capture_output=True, text=True, env=self.env, cwd=common.WORK, timeout=60)
        return res

    def call(self, method: str, data: object) -> dict:
        res = self.run(data=data, url=f"{self.base}/{SERVICE}/{method}")
        check(res.returncode == 0,
              f"buf curl {method} exited {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}")
        return json.loads(res.stdout)


def field(obj: dict, camel: str, snake: str):
    """protojson output uses lowerCamelCase; accept the proto name too."""
    return obj.get(camel, obj.get(snake))


def main() -> None:
    server = common.start_serve("buf-curl-serve", ["--library-step", "200ms"])
    curl = Curl(f"http://{server.banner.grpc_addr}")

    for proto in ("grpc-v1", "grpc-v1alpha"):
        step(f"reflection {proto}: --list-services / --list-methods")
        res = curl.run("--list-services", reflect_protocol=proto)
        check(res.returncode == 0, f"--list-services ({proto}) exited {res.returncode}: {res.stderr}")
        services = res.stdout.split()
        say(f"services: {services}")
        check(SERVICE in services, f"{SERVICE} not listed by reflection {proto}: {services}")
        res = curl.run("--list-methods", reflect_protocol=proto)
        check(res.returncode == 0, f"--list-methods ({proto}) exited {res.returncode}: {res.stderr}")
        methods = set(res.stdout.split())
        missing = [m for m in METHODS if f"{SERVICE}/{m}" not in methods]
        check(not missing, f"reflection {proto} does not list {missing}; got {sorted(methods)}")
        say(f"{len(methods)} methods listed, all {len(METHODS)} ComputeService methods present")

    step("grpc.health.v1.Health/Check through reflection")
    res = curl.run(data={}, url=f"{curl.base}/grpc.health.v1.Health/Check")
    say(f"exit {res.returncode}: {res.stdout.strip() or res.stderr.strip()}")
    check(res.returncode == 0 and json.loads(res.stdout).get("status") == "SERVING",
          "grpc.health.v1.Health/Check via reflection should answer SERVING")

    step(f"ClusterStatus {RUNNING_CLUSTER}")
    out = curl.call("ClusterStatus", {"cluster_id": RUNNING_CLUSTER})
    say(f"ClusterStatus -> {json.dumps(out)}")
    check(field(out, "clusterId", "cluster_id") == RUNNING_CLUSTER, f"clusterId missing or wrong: {out}")

    step(f"Install pypi {PACKAGE}, then ClusterStatus until INSTALLED")
    out = curl.call("Install", {"cluster_id": RUNNING_CLUSTER, "libraries": [LIBRARY]})
    say(f"Install -> {json.dumps(out)}")
    check(out == {}, f"Install should answer an empty message: {out}")
    seen: list[str] = []

    def probe():
        status = curl.call("ClusterStatus", {"cluster_id": RUNNING_CLUSTER})
        mine = [s for s in field(status, "libraryStatuses", "library_statuses") or [] if s.get("library") == LIBRARY]
        check(len(mine) == 1, f"{PACKAGE} should be listed once: {status}")
        if not seen or seen[-1] != mine[0].get("status"):
            seen.append(mine[0].get("status"))
            say(f"  {json.dumps(mine[0])}")
        return mine[0]

    final = poll("INSTALLED via buf curl", probe,
                 lambda s: s.get("status") == "LIBRARY_INSTALL_STATUS_INSTALLED", timeout_s=60, interval_s=0.05)
    check(field(final, "rawStatus", "raw_status") == "INSTALLED", f"rawStatus should be INSTALLED: {final}")
    say(f"observed: {' -> '.join(str(s) for s in seen)}")

    step("AllStatuses page_size=1 via buf curl")
    out = curl.call("AllStatuses", {"page_size": 1})
    say(f"AllStatuses -> {json.dumps(out)}")
    check(len(out.get("statuses", [])) == 1 and field(out, "nextPageToken", "next_page_token"),
          f"page_size=1 should give one cluster and a next page token: {out}")

    step("unknown cluster -> NOT_FOUND, empty cluster_id -> INVALID_ARGUMENT")
    for method, data, code, name in (
        ("ClusterStatus", {"cluster_id": "0000-000000-missing0"}, 5, "not_found"),
        ("Install", {"cluster_id": "", "libraries": [LIBRARY]}, 3, "invalid_argument"),
    ):
        res = curl.run(data=data, url=f"{curl.base}/{SERVICE}/{method}")
        say(f"{method} {json.dumps(data)}: exit {res.returncode}\n{res.stderr.strip()}")
        check(res.returncode == code << 3, f"buf curl exit code should be {code << 3} (code {code} << 3)")
        err = json.loads(res.stderr)
        check(err.get("code") == name, f"error code should be {name}: {err}")

    pass_through(curl)


def pass_through(plain: Curl) -> None:
    """`serve --auth-passthrough`: buf curl's own `-H authorization` is what
    reaches Databricks; without it the server refuses before any upstream call."""
    server = common.start_serve("buf-curl-passthrough", ["--auth-passthrough"])
    curl = Curl(f"http://{server.banner.grpc_addr}")
    url = f"{curl.base}/{SERVICE}/ClusterStatus"
    data = {"cluster_id": RUNNING_CLUSTER}
    token = server.banner.token
    check(bool(token), "the emulator banner should print its token")

    step("pass-through: no authorization -> UNAUTHENTICATED")
    res = curl.run(data=data, url=url)
    say(f"exit {res.returncode}\n{res.stderr.strip()}")
    check(res.returncode == 16 << 3, "buf curl exit code should be 128 (unauthenticated)")
    err = json.loads(res.stderr)
    check(err.get("code") == "unauthenticated" and "authorization: Bearer" in err.get("message", ""),
          f"the message should say which metadata to send: {err}")

    step("pass-through: -H 'Authorization: Bearer <emulator token>' -> OK")
    res = curl.run("-H", f"Authorization: Bearer {token}", data=data, url=url)
    check(res.returncode == 0, f"exit {res.returncode}: {res.stderr}")
    out = json.loads(res.stdout)
    check(field(out, "clusterId", "cluster_id") == RUNNING_CLUSTER, f"clusterId missing or wrong: {out}")
    say(f"ClusterStatus -> clusterId {RUNNING_CLUSTER}, {len(field(out, 'libraryStatuses', 'library_statuses') or [])} statuses")

    step("pass-through: a token Databricks refuses -> PERMISSION_DENIED, never echoed")
    wrong = "dapi-not-the-emulator-token-0001"
    res = curl.run("-H", f"Authorization: Bearer {wrong}", data=data, url=url)
    say(f"exit {res.returncode}\n{res.stderr.strip()}")
    check(res.returncode == 7 << 3, "buf curl exit code should be 56 (permission_denied)")
    check(wrong not in res.stderr, "the refused token must not be echoed")
    logged = server.stderr_log.read_text(errors="replace")
    check(token not in logged and wrong not in logged, "no caller token may reach the server log")
    say(f"server log ({len(logged.splitlines())} lines) carries neither token")


if __name__ == "__main__":
    common.run_check("buf_curl", main)

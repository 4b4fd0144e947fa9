"""Shared helpers for the interop checks: start the databricks-grpc binary,
wait (bounded) for its banner, parse the addresses it prints, and make sure it
is stopped when the check ends, however it ends.

The binary is found through $DATABRICKS_GRPC_BIN (run.sh sets it), else
target/release/databricks-grpc under the repository (or $CARGO_TARGET_DIR).
"""

from __future__ import annotations

import atexit
import importlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
import shutil
import tempfile
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = HERE / ".work"

RUNNING_CLUSTER = "0101-120000-running1"
STOPPED_CLUSTER = "0101-120000-stopped2"
SEEDED_CLUSTERS = {RUNNING_CLUSTER: "RUNNING", STOPPED_CLUSTER: "TERMINATED"}

# How long a started binary may take to print its whole banner.
BANNER_TIMEOUT_S = float(os.environ.get("INTEROP_BANNER_TIMEOUT", "60"))

EMULATOR_RE = re.compile(r"Databricks emulator listening on (https?://[^\s,;]+)")
HOST_RE = re.compile(r"^\s*DATABRICKS_HOST=(\S+)\s*$")
TOKEN_RE = re.compile(r"^\s*DATABRICKS_TOKEN=(\S+)\s*$")
CLUSTER_RE = re.compile(r"^\s*cluster\s+(\S+)\s+([A-Z_]+)\b\s*(.*)$")
GRPC_RE = re.compile(r"gRPC server listening on (?:https?://)?([^\s,;]+)")


class CheckFailed(AssertionError):
    """A check did not hold."""


# Exit status of a check whose feature the server answers UNIMPLEMENTED; run.sh
# reports it as a failure like any other non-zero exit.
NOT_IMPLEMENTED_EXIT = 3


class NotImplementedYet(Exception):
    """The server answered UNIMPLEMENTED for an RPC of the contract."""


def check(cond: object, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


def say(message: str) -> None:
    print(message, flush=True)


def step(message: str) -> None:
    print(f"--- {message}", flush=True)


def binary_path() -> Path:
    env = os.environ.get("DATABRICKS_GRPC_BIN")
    if env:
        path = Path(env)
    else:
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        if not target.is_absolute():
            target = ROOT / target
        path = target / "release" / "databricks-grpc"
    if not path.is_file() or not os.access(path, os.X_OK):
        raise CheckFailed(
            f"databricks-grpc binary not found at {path}: run `cargo build --release` "
            "(or set DATABRICKS_GRPC_BIN)"
        )
    return path


def venv_tool(name: str) -> str:
    """A console script installed in the running interpreter's venv (e.g. buf)."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    raise CheckFailed(f"{name} not found next to {sys.executable}: run tests/interop/run.sh")


# ─── Processes ──────────────────────────────────────────────────────────────

_started: list["Server"] = []


def _stop_all() -> None:
    for server in reversed(_started):
        server.stop()


atexit.register(_stop_all)


def _on_signal(signum, _frame):  # SIGTERM from run.sh's timeout, or a hang-up
    print(f"interrupted by signal {signum}; stopping the servers this check started", flush=True)
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


@dataclass
class Banner:
    emulator_url: Optional[str] = None
    host: Optional[str] = None
    token: Optional[str] = None
    clusters: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (state, name)
    grpc_addr: Optional[str] = None


class Server:
    """A databricks-grpc process whose stdout is read line by line."""

    def __init__(self, name: str, args: list[str], nofile: Optional[int] = None):
        self.name = name
        self.nofile = nofile  # RLIMIT_NOFILE for the process, when given
        self.args = [str(binary_path())] + args
        WORK.mkdir(parents=True, exist_ok=True)
        self.stdout_log = WORK / f"{name}.stdout.log"
        self.stderr_log = WORK / f"{name}.stderr.log"
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.seen: list[str] = []
        self.banner = Banner()
        self.proc: Optional[subprocess.Popen] = None
        self.killed = False  # needed SIGKILL: did not stop within 10 s of SIGTERM

    def start(self, want_grpc: bool) -> Banner:
        say(f"starting: {' '.join(self.args)}")
        stderr = open(self.stderr_log, "wb")
        # Only the arguments configure the binary: no DATABRICKS_* from this
        # machine's environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
        env.setdefault("RUST_LOG", "databricks_grpc=debug,info")  # debug: more lines for the secret scan
        env.setdefault("NO_COLOR", "1")  # plain log files
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=ROOT,
            env=env,
            start_new_session=True,  # our signals are not its signals; we stop it ourselves
            preexec_fn=self._limit_fds if self.nofile else None,
        )
        stderr.close()
        _started.append(self)
        threading.Thread(target=self._pump, daemon=True).start()
        self._wait_banner(want_grpc)
        return self.banner

    def _limit_fds(self) -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with open(self.stdout_log, "w") as log:
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                log.write(line + "\n")
                log.flush()
                self.lines.put(line)
        self.lines.put(None)  # EOF

    def _absorb(self, line: str) -> None:
        self.seen.append(line)
        b = self.banner
        if m := EMULATOR_RE.search(line):
            b.emulator_url = m.group(1).rstrip(".")
        elif m := HOST_RE.match(line):
            b.host = m.group(1)
        elif m := TOKEN_RE.match(line):
            b.token = m.group(1)
        elif m := CLUSTER_RE.match(line):
            b.clusters[m.group(1)] = (m.group(2), m.group(3).strip())
        elif m := GRPC_RE.search(line):
            b.grpc_addr = m.group(1)

    def _ready(self, want_grpc: bool) -> bool:
        b = self.banner
        emulator = bool(b.host and b.token and all(c in b.clusters for c in SEEDED_CLUSTERS))
        return emulator and (b.grpc_addr is not None or not want_grpc)

    def _wait_banner(self, want_grpc: bool) -> None:
        deadline = time.monotonic() + BANNER_TIMEOUT_S
        while not self._ready(want_grpc):
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail_with_logs(f"{self.name}: no complete banner within {BANNER_TIMEOUT_S:.0f}s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                assert self.proc is not None
                rc = self.proc.wait()
                self.fail_with_logs(f"{self.name}: exited with {rc} before printing its banner")
            self._absorb(line)
        say(f"{self.name} banner: {self.banner}")
        check(
            self.banner.host and self.banner.host.startswith("http://127.0.0.1:"),
            f"DATABRICKS_HOST should be http://127.0.0.1:<port>, got {self.banner.host!r}",
        )
        if self.banner.emulator_url is not None:
            check(
                self.banner.emulator_url.rstrip("/") == self.banner.host.rstrip("/"),
                f"emulator URL {self.banner.emulator_url!r} != DATABRICKS_HOST {self.banner.host!r}",
            )
        check(not self.banner.host.endswith(":0"), "emulator reported port 0, not the bound port")
        if want_grpc:
            check(
                self.banner.grpc_addr.startswith("127.0.0.1:") and not self.banner.grpc_addr.endswith(":0"),
                f"gRPC address should be 127.0.0.1:<port>, got {self.banner.grpc_addr!r}",
            )
        for cid, state in SEEDED_CLUSTERS.items():
            check(
                self.banner.clusters[cid][0] == state,
                f"banner says cluster {cid} is {self.banner.clusters[cid][0]}, expected {state}",
            )

    def stderr_tail(self, n: int = 40) -> str:
        try:
            lines = self.stderr_log.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def fail_with_logs(self, message: str) -> None:
        stdout = "\n".join(self.seen[-40:])
        raise CheckFailed(
            f"{message}\n  stdout so far:\n{stdout}\n  stderr tail ({self.stderr_log}):\n{self.stderr_tail()}"
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            say(f"{self.name}: did not exit 10s after SIGTERM; killing it")
            self.killed = True
            proc.kill()
            proc.wait(timeout=10)
            return
        say(f"{self.name}: stopped by SIGTERM, exit status {rc}")


def start_emulator(name: str, extra: list[str]) -> Server:
    server = Server(name, ["emulator", "--listen", "127.0.0.1:0"] + extra)
    server.start(want_grpc=False)
    return server


def start_serve(name: str, extra: list[str], nofile: Optional[int] = None) -> Server:
    server = Server(name, ["serve", "--listen", "127.0.0.1:0", "--emulator"] + extra, nofile)
    server.start(want_grpc=True)
    return server


def vm_rss_mb(server: Server, field: str = "VmRSS") -> float:
    """The server process's resident set size (VmRSS; VmHWM: its peak), in MB."""
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise CheckFailed(f"no {field} in /proc/PID/status")


def open_fds(server: Server) -> int:
    """File descriptors the server process has open."""
    assert server.proc is not None
    return len(os.listdir(f"/proc/{server.proc.pid}/fd"))


def cpu_seconds(server: Server) -> float:
    """User plus system CPU time the server process has used so far."""
    assert server.proc is not None
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def poll(
    what: str,
    probe: Callable[[], object],
    done: Callable[[object], bool],
    timeout_s: float = 30.0,
    interval_s: float = 0.05,
):
    """Call probe() until done(result) holds, or fail after timeout_s."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        last = probe()
        if done(last):
            return last
        if time.monotonic() >= deadline:
            raise CheckFailed(f"timed out after {timeout_s:.0f}s waiting for {what}; last: {last!r}")
        time.sleep(interval_s)


def generate_stubs(out: Path):
    """protoc from grpcio-tools: proto/ plus the well-known types it ships."""
    import grpc_tools
    from grpc_tools import protoc

    wkt = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    check(protos, "no .proto files under proto/")
    args = [
        "grpc_tools.protoc",
        f"-I{ROOT / 'proto'}",
        f"-I{wkt}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        *protos,
    ]
    say(f"generating stubs: protoc {' '.join(args[1:])}")
    rc = protoc.main(args)
    check(rc == 0, f"grpc_tools.protoc failed with {rc}")
    # The generated `databricks` package sits beside databricks-sdk's
    # pkgutil-style namespace package `databricks`; put ours first.
    sys.path.insert(0, str(out))
    for name in [m for m in sys.modules if m == "databricks" or m.startswith("databricks.")]:
        del sys.modules[name]
    pb2 = importlib.import_module("databricks.compute.v1.compute_pb2")
    pb2_grpc = importlib.import_module("databricks.compute.v1.compute_pb2_grpc")
    # The package's messages live in one file per family (clusters.proto, ...),
    # which compute.proto imports; checks name them all `pb2.<Name>`.
    for proto in protos:
        if proto.startswith("databricks/compute/v1/") and proto.endswith(".proto"):
            family = importlib.import_module(proto[: -len(".proto")].replace("/", ".") + "_pb2")
            for name in (n for n in dir(family) if not n.startswith("_") and not hasattr(pb2, n)):
                setattr(pb2, name, getattr(family, name))
    return pb2, pb2_grpc


def run_check(name: str, body: Callable[[], None]) -> None:
    """Run a check's body, print its verdict and exit with its status."""
    start = time.monotonic()
    try:
        body()
    except SystemExit:
        _stop_all()
        raise
    except NotImplementedYet as exc:
        _stop_all()
        say(f"{name}: NOT IMPLEMENTED ({time.monotonic() - start:.1f}s): {exc}")
        sys.exit(NOT_IMPLEMENTED_EXIT)
    except BaseException as exc:  # noqa: BLE001 - we report everything
        traceback.print_exc()
        for server in _started:
            if server.stderr_log.exists():
                say(f"--- {server.name} stderr tail ({server.stderr_log}):\n{server.stderr_tail()}")
        _stop_all()
        say(f"{name}: FAIL ({time.monotonic() - start:.1f}s): {type(exc).__name__}: {exc}")
        sys.exit(1)
    for server in _started:
        if not server.alive():
            say(f"{name}: FAIL: {server.name} died during the check\n{server.stderr_tail()}")
            _stop_all()
            sys.exit(1)
    _stop_all()
    for server in _started:
        if server.killed:
            say(f"{name}: FAIL: {server.name} ignored SIGTERM for 10s (graceful shutdown hangs)\n{server.stderr_tail()}")
            sys.exit(1)
    say(f"{name}: OK ({time.monotonic() - start:.1f}s)")


def with_stubs(body: Callable[[Any, Any], None]) -> Callable[[], None]:
    """A check body that gets (pb2, pb2_grpc) generated into a temporary
    directory, removed afterwards."""

    def run() -> None:
        stub_dir = Path(tempfile.mkdtemp(prefix="interop-stubs-"))
        try:
            body(*generate_stubs(stub_dir))
        finally:
            shutil.rmtree(stub_dir, ignore_errors=True)

    return run


def connect(server: "Server", pb2_grpc, timeout_s: float = 10.0):
    """A ready channel to `server`'s gRPC address and a ComputeService stub on it."""
    import grpc

    channel = grpc.insecure_channel(server.banner.grpc_addr)
    grpc.channel_ready_future(channel).result(timeout=timeout_s)
    return channel, pb2_grpc.ComputeServiceStub(channel)


def new_client_status(server: Server, pb2, pb2_grpc, deadline_s: float = 10.0) -> tuple[float, str]:
    """Seconds a ClusterStatus takes on a new connection, and its outcome."""
    import grpc

    start = time.monotonic()
    # A private subchannel pool: a new TCP connection, never a shared one.
    channel = grpc.insecure_channel(server.banner.grpc_addr, options=[("grpc.use_local_subchannel_pool", 1)])
    try:
        stub = pb2_grpc.ComputeServiceStub(channel)
        stub.ClusterStatus(pb2.ClusterStatusRequest(cluster_id=RUNNING_CLUSTER), timeout=deadline_s)
        outcome = "OK"
    except grpc.RpcError as error:
        outcome = error.code().name
    finally:
        channel.close()
    return time.monotonic() - start, outcome

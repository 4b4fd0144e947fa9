"""Python callers, by hand (not a CI check): how long one cluster-status read
takes for a Python service, through `databricks-grpc serve` with a grpcio
client (ClusterStatus) versus databricks-sdk-py calling the same upstream
directly (`w.libraries.cluster_status`). Both paths read the same emulator:
the one `serve --emulator` starts, whose URL and token its banner prints.

The calls alternate (one gRPC, one SDK, ...) after a warm-up of each, so a
noisy machine slows both alike. Prints p50/p90/p99 per path and the p50 ratio
gRPC / SDK; the goal is a ratio below 0.8.

    tests/interop/.venv/bin/python tests/interop/bench_python.py [--calls 2000] [--warmup 200]

Uses the release binary (see common.py: $DATABRICKS_GRPC_BIN, else
target/release/databricks-grpc) and the venv run.sh sets up. Exits 0 whether
or not the goal is met (a figure, not a check), non-zero when a call fails.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time

# As databricks_sdk_check.py: nothing from this machine configures the SDK.
for _name in [n for n in os.environ if n.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_"))
              and n != "DATABRICKS_GRPC_BIN"]:
    del os.environ[_name]
os.environ["HOME"] = tempfile.mkdtemp(prefix="bench-sdk-home-")
# Per-call debug logs would slow the server and the emulator: warnings only.
os.environ.setdefault("RUST_LOG", "warn")
# The SDK warns that the emulator has no /.well-known/databricks-config.
logging.getLogger("databricks.sdk").setLevel(logging.ERROR)

import common  # noqa: E402
from common import RUNNING_CLUSTER, check, say, step  # noqa: E402

GOAL_RATIO = 0.8
RPC_TIMEOUT_S = 10


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted samples."""
    rank = max(1, round(p / 100 * len(sorted_ms)))
    return sorted_ms[min(rank, len(sorted_ms)) - 1]


def sdk_client(host: str, token: str):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.core import Config

    cfg = Config(host=host, token=token, auth_type="pat", http_timeout_seconds=10, retry_timeout_seconds=20)
    return WorkspaceClient(config=cfg)


def bench(pb2, pb2_grpc, calls: int, warmup: int) -> None:
    server = common.start_serve("bench-serve", ["--library-step", "0s"])
    channel, stub = common.connect(server, pb2_grpc, RPC_TIMEOUT_S)
    w = sdk_client(server.banner.host, server.banner.token)
    request = pb2.ClusterStatusRequest(cluster_id=RUNNING_CLUSTER)

    def grpc_call() -> int:
        return len(stub.ClusterStatus(request, timeout=RPC_TIMEOUT_S).library_statuses)

    def sdk_call() -> int:
        return len(list(w.libraries.cluster_status(RUNNING_CLUSTER)))

    step(f"both paths see the same libraries on {RUNNING_CLUSTER} (the emulator seeds some)")
    expected = grpc_call()
    check(expected >= 1, f"{RUNNING_CLUSTER} has no libraries: the answers would be empty")
    check(sdk_call() == expected, "the SDK and gRPC paths see different libraries")
    say(f"{expected} libraries per answer")

    step(f"warm-up: {warmup} calls per path")
    for _ in range(warmup):
        grpc_call()
        sdk_call()

    step(f"measuring: {calls} calls per path, alternating")
    samples: dict[str, list[float]] = {"grpc": [], "sdk": []}
    clock = time.perf_counter_ns
    for _ in range(calls):
        for path, call in (("grpc", grpc_call), ("sdk", sdk_call)):
            started = clock()
            found = call()
            samples[path].append((clock() - started) / 1e6)
            check(found == expected, f"{path} call saw {found} libraries, not {expected}")
    channel.close()

    rows = {path: sorted(ms) for path, ms in samples.items()}
    p50 = {path: percentile(ms, 50) for path, ms in rows.items()}
    ratio = p50["grpc"] / p50["sdk"]
    say("")
    say(f"{calls} calls per path after {warmup} warm-up calls; same emulator upstream ({server.banner.host})")
    say("")
    say("| path | p50 | p90 | p99 | mean |")
    say("|---|---|---|---|---|")
    labels = {
        "grpc": "grpcio → `serve` → emulator (ClusterStatus)",
        "sdk": "databricks-sdk-py → emulator (`libraries.cluster_status`)",
    }
    for path, ms in rows.items():
        say(f"| {labels[path]} | {percentile(ms, 50):.2f} ms | {percentile(ms, 90):.2f} ms | "
            f"{percentile(ms, 99):.2f} ms | {statistics.fmean(ms):.2f} ms |")
    verdict = "met" if ratio < GOAL_RATIO else "missed"
    say("")
    say(f"p50 ratio gRPC / SDK: {ratio:.2f} (goal < {GOAL_RATIO}: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="measured calls per path (default 2000)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up calls per path (default 200)")
    args = parser.parse_args()
    check(args.calls > 0 and args.warmup >= 0, "--calls must be above 0 and --warmup at least 0")
    common.run_check("bench_python", common.with_stubs(lambda pb2, pb2_grpc: bench(pb2, pb2_grpc, args.calls, args.warmup)))


if __name__ == "__main__":
    main()

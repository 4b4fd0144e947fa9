"""A flood of idle TCP connections (connected, never a byte sent) against
`serve --emulator`, more of them than the server has file descriptors. While
the flood holds, a new gRPC client's ClusterStatus must succeed within its
deadline and the server must not spin a core; the figures are printed.

    python connection_flood.py                       # the check: 2,500 vs an fd limit of 2,048
    python connection_flood.py --connections 21000 --server-fd-limit 20000 --report-only

--report-only prints the figures without judging them (to measure a binary
from before the limits existed; DATABRICKS_GRPC_BIN picks the binary).
"""

from __future__ import annotations

import argparse
import errno
import multiprocessing
import resource
import selectors
import socket
import time

import common
from common import check, say, step

CPU_WINDOW_S = 2.0


# How long the flood waits for its connections to complete.
CONNECT_WAIT_S = 15.0
# Each flooding process connects PACE_BATCH sockets per PACE_S: connects
# faster than the server accepts overflow its accept queue, and the kernel
# then drops them instead of passing them to the server.
PACE_BATCH = 100
PACE_S = 0.05
# Sockets one flooding process holds (each process has its own fd limit).
PER_PROCESS = 8000


def raise_own_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def hold(address: str, count: int, connected, ready, stop) -> None:
    """In a child process: `count` non-blocking connects (none waits for the
    server to accept), held open until `stop` is set; counts into
    `connected` those the server's kernel completed."""
    raise_own_fd_limit(count + 64)
    host, port = address.rsplit(":", 1)
    sockets = []
    for n in range(count):
        if n % PACE_BATCH == PACE_BATCH - 1:
            time.sleep(PACE_S)  # paced, so the accept queue does not overflow
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        rc = sock.connect_ex((host, int(port)))
        if rc not in (0, errno.EINPROGRESS, errno.EAGAIN):
            raise OSError(rc, f"connect failed: {errno.errorcode.get(rc, rc)}")
        sockets.append(sock)
    # Connected (the server's kernel completed the handshake: accepted, or
    # in the accept queue) once writable; wait for all, within CONNECT_WAIT_S.
    pending = selectors.DefaultSelector()
    for sock in sockets:
        pending.register(sock, selectors.EVENT_WRITE)
    deadline = time.monotonic() + CONNECT_WAIT_S
    while pending.get_map() and time.monotonic() < deadline:
        for key, _ in pending.select(timeout=max(0.0, deadline - time.monotonic())):
            pending.unregister(key.fileobj)
            if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected.value += 1
    ready.set()
    stop.wait()


_last_fds: list[int] = []


def settled_fds(server: common.Server) -> bool:
    """True once the server's descriptor count held still over 5 polls."""
    _last_fds.append(common.open_fds(server))
    return len(_last_fds) >= 5 and len(set(_last_fds[-5:])) == 1


class Flood:
    """`count` idle connections to `address`, spread over child processes."""

    def __init__(self, address: str, count: int):
        self.stop = multiprocessing.Event()
        self.children = []
        self.connected = multiprocessing.Value("i", 0)
        for start in range(0, count, PER_PROCESS):
            ready = multiprocessing.Event()
            share = min(PER_PROCESS, count - start)
            child = multiprocessing.Process(
                target=hold, args=(address, share, self.connected, ready, self.stop), daemon=True
            )
            child.start()
            self.children.append((child, ready))
        for child, ready in self.children:
            check(ready.wait(CONNECT_WAIT_S + 30), f"a flooding process (exit {child.exitcode}) did not open its connections")

    def end(self) -> None:
        self.stop.set()
        for child, _ in self.children:
            child.join(10)


def main(args: argparse.Namespace):
    def run(pb2, pb2_grpc) -> None:
        server = common.start_serve("connection_flood", args.server_args, nofile=args.server_fd_limit)
        baseline_s, baseline = common.new_client_status(server, pb2, pb2_grpc)
        check(baseline == "OK", f"ClusterStatus before the flood: {baseline}")
        rss_before = common.vm_rss_mb(server)

        step(f"flood: {args.connections} idle connections; the server may open {args.server_fd_limit} files")
        flood = Flood(server.banner.grpc_addr, args.connections)
        say(f"{flood.connected.value} of {args.connections} flood connections completed")
        common.poll("the server to stop taking new descriptors", lambda: settled_fds(server), bool, timeout_s=20, interval_s=0.2)
        cpu_start = common.cpu_seconds(server)
        time.sleep(CPU_WINDOW_S)  # a measuring window, not synchronisation
        cpu_share = (common.cpu_seconds(server) - cpu_start) / CPU_WINDOW_S
        during_s, during = common.new_client_status(server, pb2, pb2_grpc)
        rss_during = common.vm_rss_mb(server)
        fds_during = common.open_fds(server)
        flood.end()
        say(
            f"figures: {args.connections} idle connections ({flood.connected.value} completed), server fd limit {args.server_fd_limit}: "
            f"RSS {rss_before:.0f} MB before, {rss_during:.0f} MB during, {fds_during} fds open; server CPU during the flood "
            f"{cpu_share:.0%} of a core; a new client's ClusterStatus: {baseline_s * 1000:.0f} ms before, "
            f"{during_s * 1000:.0f} ms during ({during})"
        )
        if args.report_only:
            return
        check(during == "OK", f"a new client's ClusterStatus during the flood ended {during}")
        check(cpu_share < 0.5, f"the server spent {cpu_share:.0%} of a core on a flood of idle connections")
        check(server.alive(), "the server died under the flood")

    common.run_check("connection_flood", common.with_stubs(run))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=2500)
    parser.add_argument("--server-fd-limit", type=int, default=2048)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("server_args", nargs="*", help="extra `serve` flags (after --)")
    main(parser.parse_args())

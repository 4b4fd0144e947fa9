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
import resource
import socket
import time

import common
from common import check, say, step

CPU_WINDOW_S = 2.0


def raise_own_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return
    try:  # root may raise the hard limit too
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(wanted, hard), max(wanted, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    check(resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= wanted,
          f"this client cannot open {wanted} files (hard limit {hard})")


def flood(address: str, count: int) -> list[socket.socket]:
    """`count` non-blocking connects: none waits for the server to accept."""
    host, port = address.rsplit(":", 1)
    sockets = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        rc = sock.connect_ex((host, int(port)))
        check(rc in (0, errno.EINPROGRESS, errno.EAGAIN), f"connect failed: {errno.errorcode.get(rc, rc)}")
        sockets.append(sock)
    return sockets


def main(args: argparse.Namespace):
    def run(pb2, pb2_grpc) -> None:
        raise_own_fd_limit(args.connections + 256)
        server = common.start_serve("connection_flood", args.server_args, nofile=args.server_fd_limit)
        baseline_s, baseline = common.new_client_status(server, pb2, pb2_grpc)
        check(baseline == "OK", f"ClusterStatus before the flood: {baseline}")
        rss_before = common.vm_rss_mb(server)

        step(f"flood: {args.connections} idle connections; the server may open {args.server_fd_limit} files")
        sockets = flood(server.banner.grpc_addr, args.connections)
        cpu_start = common.cpu_seconds(server)
        time.sleep(CPU_WINDOW_S)  # a measuring window, not synchronisation
        cpu_share = (common.cpu_seconds(server) - cpu_start) / CPU_WINDOW_S
        during_s, during = common.new_client_status(server, pb2, pb2_grpc)
        rss_during = common.vm_rss_mb(server)
        for sock in sockets:
            sock.close()
        say(
            f"figures: {args.connections} idle connections, server fd limit {args.server_fd_limit}: "
            f"RSS {rss_before:.0f} MB before, {rss_during:.0f} MB during; server CPU during the flood "
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

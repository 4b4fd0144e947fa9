"""One raw HTTP/2 connection (hyperframe + hpack, no client state machine)
opens more half-open streams than `serve --emulator` allows: ClusterStatus
HEADERS without END_STREAM, so each call waits for a request that never
comes. The server's SETTINGS must advertise MAX_CONCURRENT_STREAMS, the
streams beyond it must be refused (RST_STREAM REFUSED_STREAM), and once the
connection closes the server's VmRSS must come back to within RSS_SLACK_MB of
what it was before. A new client's ClusterStatus is timed while the streams
are open.

    python http2_streams.py                                   # the check
    python http2_streams.py --streams 60000 --report-only     # figures only

--report-only prints the figures without judging them (DATABRICKS_GRPC_BIN
picks the binary).
"""

from __future__ import annotations

import argparse
import socket
import threading
import time

import common
from common import check, say, step

CLUSTER_STATUS = "/databricks.compute.v1.ComputeService/ClusterStatus"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
MAX_CONCURRENT_STREAMS = 0x3
REFUSED_STREAM = 0x7
# Streams opened beyond the advertised limit in the check.
EXTRA_STREAMS = 500
# What the server may keep after the connection closed. glibc's malloc keeps
# freed memory in its per-thread arenas rather than returning it, so RSS does
# not fall back to the baseline; what a closed connection leaves is bounded by
# what the stream limit let it allocate. The 1,000 streams of the default
# limit cost ~9 MB while open (~9 KB each) and leave 6-10 MB; without a limit
# 60,000 streams cost ~520 MB, nearly all of it kept after the close.
RSS_SLACK_MB = 16.0
RSS_SETTLE_S = 10.0
# What a second identical connection may add on top of the first (measured:
# 3-5 MB, as its streams land in other arenas): the first one's memory is
# reused, not lost.
RSS_REUSE_SLACK_MB = 8.0


class RawConnection:
    """Frames in and out of one socket; a thread counts what comes back."""

    def __init__(self, address: str):
        from hyperframe.frame import SettingsFrame

        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.sock.settimeout(None)
        self.server_settings: dict[int, int] | None = None
        self.refused: set[int] = set()
        self.goaway_last_stream: int | None = None
        self.closed = threading.Event()
        self.got_settings = threading.Event()
        self.pong = threading.Event()
        self.sock.sendall(PREFACE + SettingsFrame(0).serialize())
        threading.Thread(target=self._read, daemon=True).start()
        check(self.got_settings.wait(10), "no SETTINGS frame from the server within 10s")

    def _recv_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _read(self) -> None:
        from hyperframe.frame import Frame, GoAwayFrame, PingFrame, RstStreamFrame, SettingsFrame

        try:
            while True:
                frame, length = Frame.parse_frame_header(memoryview(self._recv_exact(9)))
                frame.parse_body(memoryview(self._recv_exact(length)))
                if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
                    if self.server_settings is None:
                        self.server_settings = dict(frame.settings)
                        self.got_settings.set()
                    self.sock.sendall(SettingsFrame(0, flags=["ACK"]).serialize())
                elif isinstance(frame, RstStreamFrame) and frame.error_code == REFUSED_STREAM:
                    self.refused.add(frame.stream_id)
                elif isinstance(frame, PingFrame) and "ACK" in frame.flags:
                    self.pong.set()
                elif isinstance(frame, GoAwayFrame):
                    self.goaway_last_stream = frame.last_stream_id
        except (EOFError, OSError):
            pass
        finally:
            self.closed.set()

    def open_streams(self, count: int) -> None:
        """`count` ClusterStatus calls whose request never comes."""
        import hpack
        from hyperframe.frame import HeadersFrame

        # Never-indexed fields leave the dynamic table alone, so one block fits every stream.
        headers = [
            hpack.NeverIndexedHeaderTuple(name, value)
            for name, value in [
                (":method", "POST"), (":scheme", "http"), (":path", CLUSTER_STATUS),
                (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers"),
            ]
        ]
        block = hpack.Encoder().encode(headers)
        batch = bytearray()
        for n in range(count):
            batch += HeadersFrame(2 * n + 1, block, flags=["END_HEADERS"]).serialize()
            if len(batch) > 64 * 1024:
                self.sock.sendall(batch)
                batch.clear()
        self.sock.sendall(batch)

    def barrier(self) -> None:
        """Waits for the answer to a PING: the server read every frame before it."""
        from hyperframe.frame import PingFrame

        self.sock.sendall(PingFrame(0, opaque_data=b"barrier!").serialize())
        check(self.pong.wait(10), "no PING ACK from the server within 10s")

    def close(self) -> None:
        # shutdown() first: close() alone neither wakes the reading thread
        # nor sends a FIN while that thread is still blocked in recv().
        self.sock.shutdown(socket.SHUT_RDWR)
        self.closed.wait(10)
        self.sock.close()


def one_round(server: common.Server, pb2, pb2_grpc, streams: int, rss_before: float) -> dict:
    """Opens the streams on a new connection, closes it; what it cost."""
    conn = RawConnection(server.banner.grpc_addr)
    limit = (conn.server_settings or {}).get(MAX_CONCURRENT_STREAMS)
    say(f"server SETTINGS: {conn.server_settings}")
    count = streams or (limit + EXTRA_STREAMS if limit else 5000)
    step(f"opening {count} half-open streams (limit advertised: {limit})")
    conn.open_streams(count)
    conn.barrier()
    want_refused = max(0, count - limit) if limit else 0
    deadline = time.monotonic() + 10
    while len(conn.refused) < want_refused and not conn.closed.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)  # bounded poll of the refusal count
    rss_open = common.vm_rss_mb(server)
    call_s, outcome = common.new_client_status(server, pb2, pb2_grpc)
    refused = len(conn.refused)
    conn.close()
    step("connection closed; waiting for the server's memory to come back")
    settle_deadline = time.monotonic() + RSS_SETTLE_S
    rss_after = common.vm_rss_mb(server)
    while rss_after > rss_before + RSS_SLACK_MB and time.monotonic() < settle_deadline:
        time.sleep(0.2)
        rss_after = common.vm_rss_mb(server)
    say(
        f"figures: {count} half-open streams on one connection, limit {limit}, {refused} refused; "
        f"RSS {rss_before:.0f} MB before, {rss_open:.0f} MB with the streams open, "
        f"{rss_after:.0f} MB after the connection closed (peak so far {common.vm_rss_mb(server, 'VmHWM'):.0f} MB); "
    f"a new client's ClusterStatus "
        f"with the streams open: {call_s * 1000:.0f} ms ({outcome})"
    )
    return dict(count=count, limit=limit, refused=refused, refused_ids=set(conn.refused),
                rss_open=rss_open, rss_after=rss_after, call_s=call_s, outcome=outcome)


def main(args: argparse.Namespace):
    def run(pb2, pb2_grpc) -> None:
        server = common.start_serve("http2_streams", args.server_args)
        # Warm up: the allocator's and the client pool's steady state.
        for _ in range(3):
            _, outcome = common.new_client_status(server, pb2, pb2_grpc)
            check(outcome == "OK", f"ClusterStatus before the streams: {outcome}")
        rss_before = common.vm_rss_mb(server)

        rounds = [one_round(server, pb2, pb2_grpc, args.streams, rss_before) for _ in range(args.rounds)]
        first, last = rounds[0], rounds[-1]
        if args.report_only:
            return
        limit, count = first["limit"], first["count"]
        check(limit is not None, "the server's SETTINGS advertise no MAX_CONCURRENT_STREAMS")
        check(limit <= 10000, f"MAX_CONCURRENT_STREAMS {limit} is no real limit")
        for result in rounds:
            check(result["refused"] == count - limit,
                  f"{count - limit} streams beyond the limit should be refused, {result['refused']} were")
            check(all(stream > 2 * limit for stream in result["refused_ids"]), "a stream within the limit was refused")
            check(result["outcome"] == "OK", f"a new client's ClusterStatus with the streams open ended {result['outcome']}")
        check(
            first["rss_after"] <= rss_before + RSS_SLACK_MB,
            f"RSS {first['rss_after']:.0f} MB after the connection closed; it was {rss_before:.0f} MB before "
            f"(allowed: +{RSS_SLACK_MB:.0f} MB)",
        )
        check(
            last["rss_after"] <= first["rss_after"] + RSS_REUSE_SLACK_MB,
            f"RSS grew from {first['rss_after']:.0f} MB to {last['rss_after']:.0f} MB over {len(rounds)} "
            "identical connections: what a closed connection held is not reused",
        )

    common.run_check("http2_streams", common.with_stubs(run))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=0, help="streams to open (default: the limit + 500)")
    parser.add_argument("--rounds", type=int, default=2, help="connections opened one after the other")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("server_args", nargs="*", help="extra `serve` flags (after --)")
    main(parser.parse_args())

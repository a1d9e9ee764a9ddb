#!/usr/bin/env python3
"""What a node's webhooks cost it: CPU of the webhook machinery per event sent.

Two parts. `receive` plays the application's backend: it answers every POST with 204 and counts the
events and requests it got (GET / returns "events requests"). `sample` reads, over a window, the CPU
time of the node's webhook threads (`webhooks`, the sender, and `HttpClient-*`, the JDK HTTP client's
selector) and of all its other threads, from /proc, and divides by the events the receiver counted in
that window.

    python3 bench/tools/webhook_cost.py receive --port 18099 &
    SWITCHBOARD_WEBHOOKS_URL=http://127.0.0.1:18099/hooks \\
    SWITCHBOARD_WEBHOOKS_SECRET=0123456789abcdef0123456789abcdef-bench \\
    SWITCHBOARD_WEBHOOKS_EVENTS=message \\
      java -jar bench/target/switchboard-bench.jar run --targets switchboard --scenarios throughput --out /tmp/tp &
    sleep 13   # past the warm-up, inside the measured run
    python3 bench/tools/webhook_cost.py sample --port 18099 --pid "$(pgrep -f switchboard.jar | head -1)" --seconds 10

The harness passes its environment on to the node it starts, so the node sends a message event per
stored message to the receiver. The receiver is on the same machine and takes CPU from the node: the
throughput of such a run is not the node's alone, the webhook threads' CPU per event is.
"""
import argparse
import os
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WEBHOOK_THREADS = ("webhooks", "HttpClient")


def receive(port):
    counts = {"events": 0, "requests": 0}

    class Backend(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            counts["events"] += body.count(b'{"id":"')  # each event opens so; a message's own id is a number
            counts["requests"] += 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            answer = f"{counts['events']} {counts['requests']}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Backend).serve_forever()


def thread_ticks(pid):
    """CPU ticks (user + system) of the webhook threads and of the others."""
    ticks = {"webhook": 0, "other": 0}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as comm:
                name = comm.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        ticks["webhook" if name.startswith(WEBHOOK_THREADS) else "other"] += int(fields[11]) + int(fields[12])
    return ticks


def received(port):
    events, requests = urllib.request.urlopen(f"http://127.0.0.1:{port}/").read().split()
    return int(events), int(requests)


def sample(port, pid, seconds):
    hertz = os.sysconf("SC_CLK_TCK")
    before, (events_before, requests_before) = thread_ticks(pid), received(port)
    started = time.time()
    time.sleep(seconds)
    after, (events_after, requests_after) = thread_ticks(pid), received(port)
    elapsed = time.time() - started
    events = max(1, events_after - events_before)
    requests = max(1, requests_after - requests_before)
    print(f"events {events} ({events / elapsed:.0f}/s), {events / requests:.1f} per request")
    for kind in ("webhook", "other"):
        cpu = (after[kind] - before[kind]) / hertz
        print(f"{kind} threads: {cpu:.2f} s of CPU, {cpu * 1e6 / events:.2f} us per event")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    receiver = commands.add_parser("receive")
    receiver.add_argument("--port", type=int, default=18099)
    sampler = commands.add_parser("sample")
    sampler.add_argument("--port", type=int, default=18099)
    sampler.add_argument("--pid", required=True)
    sampler.add_argument("--seconds", type=float, default=10)
    arguments = parser.parse_args()
    if arguments.command == "receive":
        receive(arguments.port)
    else:
        sample(arguments.port, arguments.pid, arguments.seconds)


if __name__ == "__main__":
    main()

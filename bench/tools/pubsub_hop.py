#!/usr/bin/env python3
"""Time a bare Redis PUBLISH from one Redis to a subscriber on another (or the same) Redis.

Shows what a Redis Cluster's bus adds to classic pub/sub, with nothing of Switchboard's in the way:
in a Redis Cluster a PUBLISH reaches the subscribers of every node of the cluster, those of other
nodes over the cluster bus (docs/OPERATIONS.md, "Redis Cluster").

    deploy/local-redis-cluster.sh start
    python3 bench/tools/pubsub_hop.py --publish-port 7000 --subscribe-port 7001   # across the bus
    python3 bench/tools/pubsub_hop.py --publish-port 7000 --subscribe-port 7000   # one node
    deploy/local-redis-cluster.sh stop

One message at a time: PUBLISH, wait until the subscriber has it, pause, next. Prints p50, p90, p99
and the maximum of the time from sending the PUBLISH to reading the message, in milliseconds.
Python 3, no packages; loopback only.
"""
import argparse
import socket
import time


def connect(port):
    connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def command(*arguments):
    request = "*%d\r\n" % len(arguments)
    for argument in arguments:
        argument = str(argument)
        request += "$%d\r\n%s\r\n" % (len(argument.encode()), argument)
    return request.encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publish-port", type=int, required=True)
    parser.add_argument("--subscribe-port", type=int, required=True)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--pause-ms", type=float, default=10, help="between a message's arrival and the next PUBLISH")
    options = parser.parse_args()

    channel = "pubsub-hop-%d" % time.time_ns()
    subscriber = connect(options.subscribe_port)
    subscriber.sendall(command("SUBSCRIBE", channel))
    confirmation = b""
    while channel.encode() not in confirmation:
        confirmation += subscriber.recv(4096)
    publisher = connect(options.publish_port)

    millis = []
    for n in range(options.messages):
        body = b"m%d." % n
        started = time.perf_counter()
        publisher.sendall(command("PUBLISH", channel, body.decode()))
        received = b""
        while body not in received:
            received += subscriber.recv(4096)
        millis.append((time.perf_counter() - started) * 1000)
        publisher.recv(4096)  # the PUBLISH's reply: the count of receivers
        time.sleep(options.pause_ms / 1000)
    publisher.close()
    subscriber.close()

    millis.sort()
    def at(share):
        return millis[min(len(millis) - 1, int(share * len(millis)))]
    print("%d messages, PUBLISH on %d, subscriber on %d: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms"
          % (len(millis), options.publish_port, options.subscribe_port, at(0.5), at(0.9), at(0.99), millis[-1]))


if __name__ == "__main__":
    main()

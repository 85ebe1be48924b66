#!/usr/bin/env python3
"""Small clients for scripts/benchmark.sh (prints figures, asserts nothing).

  notify PATH                 bind a systemd NOTIFY_SOCKET at PATH; print the wall time of READY=1
  hold SOCKET PATH N          open N connections, GET PATH on each, wait for the first bytes of every
                              answer, print "open OK FAILED", then hold them until killed (at most 10 min)
  events SOCKET               GET /v1/events; print "subscribed" once the stream answers, then
                              "TIME TYPE" for every event as it arrives
Times are time.time() (wall clock, as bash's $EPOCHREALTIME). Every wait is bounded.
"""
import select
import socket
import sys
import time


def request(path):
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()


def notify(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(60)
    print("listening", flush=True)
    while True:
        data = sock.recv(4096)
        if b"READY=1" in data.split(b"\n"):
            print(f"{time.time():.6f}", flush=True)
            return


def hold(path, target, count):
    conns = []
    failed = 0
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            s.sendall(request(target))
            conns.append(s)
        except OSError:
            failed += 1
            s.close()
    pending = {s.fileno(): s for s in conns}
    first = {}
    deadline = time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        ready, _, _ = select.select(list(pending), [], [], 1)
        for fd in ready:
            first[fd] = pending.pop(fd).recv(64)
    ok = sum(1 for data in first.values() if data.startswith(b"HTTP/1.1 200"))
    print(f"open {ok} {count - ok}", flush=True)
    time.sleep(600)  # until the caller kills us


def events(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(request("/v1/events"))
    buffer = b""
    subscribed = False
    while True:
        data = s.recv(65536)
        if not data:
            return
        now = time.time()
        if not subscribed:
            subscribed = True
            print("subscribed", flush=True)
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"event: "):
                print(f"{now:.6f} {line[7:].decode(errors='replace').strip()}", flush=True)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "notify":
        notify(args[0])
    elif command == "hold":
        hold(args[0], args[1], int(args[2]))
    elif command == "events":
        events(args[0])
    else:
        sys.exit(f"unknown command {command}")

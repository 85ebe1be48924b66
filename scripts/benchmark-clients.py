#!/usr/bin/env python3
"""Small clients for scripts/benchmark.sh (prints figures, asserts nothing).

  notify PATH                 bind a systemd NOTIFY_SOCKET at PATH; print the wall time of READY=1
  hold SOCKET PATH N [P]      open N connections from P processes (default 1; each its share, so a
                              per-process cap of the server counts each), GET PATH on each, wait for the
                              first bytes of every answer, print "open OK FAILED", then hold them until
                              killed (at most 10 min; killing the first process ends them all)
  events SOCKET               GET /v1/events; print "subscribed" once the stream answers, then
                              "TIME TYPE" for every event as it arrives
Times are time.time() (wall clock, as bash's $EPOCHREALTIME). Every wait is bounded.
"""
import os
import select
import signal
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


def open_and_wait(path, target, count):
    """Opens `count` connections, sends the request on each, waits for every answer's first bytes;
    returns (the sockets, how many answered 200)."""
    conns = []
    for _ in range(count):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            s.sendall(request(target))
            conns.append(s)
        except OSError:
            s.close()
    pending = {s.fileno(): s for s in conns}
    first = {}
    deadline = time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        ready, _, _ = select.select(list(pending), [], [], 1)
        for fd in ready:
            first[fd] = pending.pop(fd).recv(64)
    return conns, sum(1 for data in first.values() if data.startswith(b"HTTP/1.1 200"))


def hold(path, target, count, processes=1):
    children = []
    read_end, write_end = os.pipe()
    for index in range(processes):
        share = count // processes + (1 if index < count % processes else 0)
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            conns, ok = open_and_wait(path, target, share)
            os.write(write_end, f"{ok}\n".encode())
            time.sleep(600)  # until the parent is killed (it kills us)
            os._exit(0)
        children.append(pid)
    os.close(write_end)

    def end(*_):
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, end)
    reports = b""
    with os.fdopen(read_end, "rb") as pipe:
        deadline = time.monotonic() + 60
        while reports.count(b"\n") < processes and time.monotonic() < deadline:
            chunk = pipe.read1(4096) if select.select([pipe], [], [], 1)[0] else b""
            if chunk == b"" and select.select([pipe], [], [], 0)[0]:
                break  # every child closed its end
            reports += chunk
    ok = sum(int(line) for line in reports.split())
    print(f"open {ok} {count - ok}", flush=True)
    time.sleep(600)  # until the caller kills us
    end()


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
        hold(args[0], args[1], int(args[2]), int(args[3]) if len(args) > 3 else 1)
    elif command == "events":
        events(args[0])
    else:
        sys.exit(f"unknown command {command}")

#!/usr/bin/python3
"""Load and abuse for Tests/system/reliability.sh: clients that stall, flood, send garbage.

Every loop is bounded in count and time, and every socket is a Unix socket on this machine.
Each mode prints one JSON line of figures.
"""
import argparse
import json
import os
import random
import socket
import statistics
import sys
import threading
import time

DEADLINE = 180  # seconds: no mode runs longer


def connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_response(s):
    """One HTTP/1.1 response (Content-Length framing): (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest[:length]


def request(s, method, path, body=None):
    payload = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    head = f"{method} {path} HTTP/1.1\r\nHost: jpkid\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(payload)}\r\n\r\n"
    s.sendall(head.encode() + payload)
    return read_response(s)


def once(path, method, url, body=None):
    s = connect(path)
    try:
        return request(s, method, url, body)
    finally:
        s.close()


def card_id(path, reader):
    """The cardId of the card on `reader` (jpkid requires it with every PIN)."""
    status, body = once(path, "GET", f"/v1/readers/{reader}")
    return json.loads(body)["card"]["cardId"] if status == 200 else ""


def timed(fn):
    start = time.monotonic()
    result = fn()
    return result, (time.monotonic() - start) * 1000


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 2)


# --- modes -------------------------------------------------------------------------------------

def held(args):
    """While another client holds reader A: latencies of health, reader B and a new event stream;
    a verify on reader A must answer card_busy within the card timeout."""
    latencies = {"health": [], "other_reader": [], "events": []}
    busy = {}
    bound = card_id(args.socket, args.held)

    def verify_held():
        def verify():
            s = connect(args.socket, timeout=60)
            try:
                return request(s, "POST", f"/v1/readers/{args.held}/pins/auth/verify",
                               {"pin": "9999", "cardId": bound})
            finally:
                s.close()
        (status, body), ms = timed(verify)
        busy.update({"status": status, "code": json.loads(body)["error"]["code"] if body else None, "ms": round(ms)})

    t = threading.Thread(target=verify_held)
    t.start()
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        latencies["health"].append(timed(lambda: once(args.socket, "GET", "/v1/health"))[1])
        latencies["other_reader"].append(timed(lambda: once(args.socket, "GET", f"/v1/readers/{args.other}"))[1])

        def open_events():
            s = connect(args.socket)
            s.sendall(b"GET /v1/events HTTP/1.1\r\nHost: jpkid\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                data += s.recv(4096)
            s.close()
            return data
        latencies["events"].append(timed(open_events)[1])
        time.sleep(0.2)
    t.join(timeout=30)
    return {"max_ms": {k: round(max(v), 2) for k, v in latencies.items()},
            "p99_ms": {k: percentile(v, 0.99) for k, v in latencies.items()},
            "samples": len(latencies["health"]), "held_reader_verify": busy}


def stalled_stream(args):
    """An event stream that never reads while `count` events are produced (right-PIN verifies)."""
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(args.socket)
    if not args.no_stall:
        stalled.sendall(b"GET /v1/events HTTP/1.1\r\nHost: jpkid\r\n\r\n")
    s = connect(args.socket, timeout=30)
    statuses = {}
    bound = card_id(args.socket, args.reader)
    for _ in range(args.count):
        status, _ = request(s, "POST", f"/v1/readers/{args.reader}/pins/auth/verify",
                            {"pin": "1234", "cardId": bound})
        statuses[status] = statuses.get(status, 0) + 1
    s.close()
    # Now read what the stalled stream got: it must end (the server cut it), with or without the
    # overflow marker depending on how much fitted in the socket buffers.
    stalled.settimeout(20)
    received = b""
    closed = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            chunk = stalled.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            closed = True
            break
        received += chunk
    text = received.decode(errors="replace")
    return {"posts": statuses, "events_received": text.count("\nevent: ") + text.startswith("event: "),
            "overflow_marker": "event: overflow" in text, "stream_closed": closed}


def idle_connections(args):
    """`workers` processes each open `per_worker` idle connections; count admitted vs refused."""
    read_fd, write_fd = os.pipe()
    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            socks, refused = [], 0
            for _ in range(args.per_worker):
                try:
                    # A blocking connect waits for room in the listen queue instead of failing.
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(args.socket)
                    socks.append(s)
                except OSError:
                    refused += 1
            time.sleep(1.0)  # let the server answer the refused ones
            admitted = 0
            for s in socks:
                s.setblocking(False)
                try:
                    data = s.recv(4096)
                    if data.startswith(b"HTTP/1.1 503"):
                        refused += 1
                    elif data == b"":
                        refused += 1
                    else:
                        admitted += 1
                except BlockingIOError:
                    admitted += 1
            os.write(write_fd, (json.dumps({"admitted": admitted, "refused": refused}) + "\n").encode())
            # Hold them until told to go (the parent closes the pipe's other end via SIGTERM).
            try:
                time.sleep(args.hold)
            finally:
                os._exit(0)
        children.append(pid)
    os.close(write_fd)
    results = []
    with os.fdopen(read_fd) as pipe:
        for line in pipe:
            results.append(json.loads(line))
            if len(results) == args.workers:
                break
    admitted = sum(r["admitted"] for r in results)
    refused = sum(r["refused"] for r in results)
    figures = {"connections": args.workers * args.per_worker, "admitted": admitted, "refused": refused}
    # A new client beyond the cap.
    try:
        status, body = once(args.socket, "GET", "/v1/health")
        figures["new_client_status"] = status
    except Exception as error:  # noqa: BLE001
        figures["new_client_status"] = str(error)
    if args.rss_pid:
        figures["rss_kib_with_connections"] = rss(args.rss_pid)
        figures["server_connections"] = sockets(args.rss_pid) - args.baseline_sockets
    for pid in children:
        os.kill(pid, 15)
    for pid in children:
        os.waitpid(pid, 0)
    # Served again once they are gone.
    start = time.monotonic()
    while time.monotonic() - start < 20:
        try:
            if once(args.socket, "GET", "/v1/health")[0] == 200:
                figures["served_again_after_ms"] = round((time.monotonic() - start) * 1000)
                break
        except Exception:  # noqa: BLE001
            pass
        time.sleep(0.05)
    return figures


def sockets(pid):
    """Sockets the process has open."""
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def slowloris(args):
    """`conns` slow-header connections for `seconds` from one process, while another thread polls
    like a normal client. The slow one forks and, with --as-uid, becomes another user (keeping
    group 0 to reach the socket): jpkid's caps are per user, and an attacker is another user."""
    pid = os.fork()
    if pid == 0:
        if args.as_uid is not None:
            os.setgroups([0])
            os.setgid(args.as_uid)
            os.setuid(args.as_uid)
        socks = []
        end = time.monotonic() + args.seconds
        reconnect_budget = 0.0
        last = time.monotonic()
        while time.monotonic() < end:
            now = time.monotonic()
            reconnect_budget = min(50.0, reconnect_budget + (now - last) * 50)  # at most 50 new a second
            last = now
            while len(socks) < args.conns and reconnect_budget >= 1:
                reconnect_budget -= 1
                try:
                    s = connect(args.socket, timeout=1)
                    s.sendall(b"GET /v1/readers HTTP/1.1\r\nHost: jpkid\r\nX-Slow: ")
                    s.setblocking(False)
                    socks.append(s)
                except OSError:
                    break
            alive = []
            for s in socks:
                try:
                    s.send(b"a")
                    try:
                        if s.recv(4096) == b"":
                            s.close()
                            continue
                    except BlockingIOError:
                        pass
                    alive.append(s)
                except OSError:
                    s.close()
            socks = alive
            time.sleep(2)
        os._exit(0)
    latencies, failures = [], 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        try:
            (status, _), ms = timed(lambda: once(args.socket, "GET", "/v1/readers"))
            latencies.append(ms)
            if status != 200:
                failures += 1
        except Exception:  # noqa: BLE001
            failures += 1
        time.sleep(0.05)
    os.waitpid(pid, 0)
    return {"requests": len(latencies) + failures, "failures": failures,
            "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
            "max_ms": round(max(latencies), 2) if latencies else None}


def malformed(args):
    """`count` malformed requests of many kinds, each on its own connection."""
    bad_json = [b"{", b"[]", b"null", b'{"pin": 1234}', b'{"pin": ["1"]}', b'{"pin": "1234", "pin": "9999"}',
                b'{"pin": "\xff\xfe"}', b'{"pin": "12\x0034"}', b'{"key": "auth", "pin": "1234", "data": "===="}',
                b'{"key": 5}', b'{"pin": "1234", "cardId": 7}', b"\x00" * 100]
    kinds = []

    def raw(data):
        def send():
            s = connect(args.socket, timeout=5)
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                while s.recv(65536):
                    pass
            except OSError:
                pass
            finally:
                s.close()
        return send
    for i in range(args.count):
        k = i % 10
        if k == 0:
            data = bytes(random.getrandbits(8) for _ in range(random.randint(1, 2000)))
        elif k == 1:
            data = b"GET /v1/health HTTP/1.1\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
        elif k == 2:
            data = b"POST /v1/card/pins/auth/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + b"{" * 70000
        elif k == 3:
            data = b"POST /v1/card/pins/auth/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"pin\""
        elif k in (4, 5):
            body = random.choice(bad_json)
            data = (b"POST /v1/card/pins/auth/verify HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
        elif k == 6:
            data = (b"POST /v1/card/sign HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5\r\n{\"key\r\n0\r\n\r\n")
        elif k == 7:
            data = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n" * 20 + b"GET /v1/readers HTTP/1.1\r\n\r\n"
        elif k == 8:
            data = b"GET /v1/readers/" + bytes(random.getrandbits(8) for _ in range(50)) + b" HTTP/1.1\r\n\r\n"
        else:
            data = b"DELETE /v1/card?refresh=maybe&%zz=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n{}}"
        raw(data)()
        kinds.append(k)
    status, _ = once(args.socket, "GET", "/v1/health")
    return {"requests": len(kinds), "health_after": status}


def random_pins(args):
    """`count` malformed PINs, spread over every PIN endpoint, on keep-alive connections."""
    alphabet = ["0", "1", "9", "A", "z", " ", "\t", "\n", "\u0000", "\u001b", "１", "２", "Ａ", "ß", "é", "日",
                "\U0001F600", "\u200b", "-", "'", "\"", "\\", "%", "\u0663"]

    def well_formed(pin, kind):
        if kind in ("auth", "card-text", "juki"):
            return len(pin) == 4 and all(c in "0123456789" for c in pin)
        upper = pin.upper() if all(ord(c) < 128 for c in pin) else pin
        ok = 6 <= len(pin) <= 16 and all(c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in upper)
        return ok and any(c.isdigit() for c in upper) and any(c.isalpha() for c in upper)

    endpoints = [("auth", "pins/auth/verify"), ("sign", "pins/sign/verify"), ("card-text", "pins/card-text/verify"),
                 ("juki", "pins/juki/verify"), ("auth", "sign"), ("sign", "certificates/sign"),
                 ("auth", "authenticate")]
    counts = {"sent": 0, "skipped_well_formed": 0, "statuses": {}}
    lock = threading.Lock()

    bound = card_id(args.socket, args.reader)

    def worker(n, seed):
        rng = random.Random(seed)
        s = connect(args.socket, timeout=30)
        done = 0
        while done < n:
            kind, path = rng.choice(endpoints)
            pin = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            if well_formed(pin, kind):
                with lock:
                    counts["skipped_well_formed"] += 1
                continue
            body = {"pin": pin, "cardId": bound}
            if path == "sign":
                body.update({"key": "auth", "data": "AQI="})
            status, _ = request(s, "POST", f"/v1/readers/{args.reader}/{path}", body)
            done += 1
            with lock:
                counts["sent"] += 1
                counts["statuses"][status] = counts["statuses"].get(status, 0) + 1
        s.close()

    threads = [threading.Thread(target=worker, args=(args.count // 4, i)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DEADLINE)
    return counts


def idle_clients(args):
    """Opens `count` idle keep-alive clients (each answered once) and one event stream, then waits
    to be killed; prints when they are all open."""
    socks = []
    for _ in range(args.count):
        s = connect(args.socket)
        request(s, "GET", "/v1/health")
        socks.append(s)
    streams = 0
    if not args.no_stream:
        stream = connect(args.socket)
        stream.sendall(b"GET /v1/events HTTP/1.1\r\nHost: jpkid\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = stream.recv(4096)
            if not chunk:
                break
            data += chunk
        streams = int(data.startswith(b"HTTP/1.1 200"))
    print(json.dumps({"open": len(socks), "event_streams": streams}), flush=True)
    time.sleep(args.hold)
    return {"done": True}


def poll(args):
    """GET /v1/readers at `rate` per second until `stop_file` exists; counts answers."""
    ok = failed = 0
    end = time.monotonic() + DEADLINE
    interval = 1.0 / args.rate
    while not os.path.exists(args.stop_file) and time.monotonic() < end:
        try:
            status, _ = once(args.socket, "GET", "/v1/readers")
            ok += status == 200
            failed += status != 200
        except Exception:  # noqa: BLE001
            failed += 1
        time.sleep(interval)
    return {"answered": ok, "failed": failed}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--held")
    parser.add_argument("--other")
    parser.add_argument("--reader")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--per-worker", type=int, default=100)
    parser.add_argument("--hold", type=float, default=60)
    parser.add_argument("--conns", type=int, default=500)
    parser.add_argument("--rss-pid", type=int)
    parser.add_argument("--baseline-sockets", type=int, default=0)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--stop-file")
    parser.add_argument("--no-stall", action="store_true")
    parser.add_argument("--no-stream", action="store_true")
    parser.add_argument("--as-uid", type=int)
    args = parser.parse_args()
    modes = {"held": held, "stalled-stream": stalled_stream, "idle-connections": idle_connections,
             "slowloris": slowloris, "malformed": malformed, "random-pins": random_pins,
             "idle-clients": idle_clients, "poll": poll}
    print(json.dumps(modes[args.mode](args)), flush=True)


if __name__ == "__main__":
    sys.exit(main())

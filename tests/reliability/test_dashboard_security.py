"""The dashboard server (``tethers serve``): loopback by default, validated parameters, no traversal,
bounded requests, and a bounded load test — 2,000 requests from a second process, to 127.0.0.1 only."""

from __future__ import annotations

import inspect
import json
import socket
import subprocess
import sys
import textwrap
import threading

import pytest

dash = pytest.importorskip("tethers.dashboard.app")

LOAD_REQUESTS = 2000


@pytest.fixture(scope="module")
def live(atlas_path):
    server = dash.make_server("127.0.0.1", 0, atlas_path=atlas_path, quiet=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def raw(port: int, target: bytes, *, host: bytes | None = None) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: " + (host or b"127.0.0.1:%d" % port)
                  + b"\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_binds_to_loopback_by_default():
    assert inspect.signature(dash.make_server).parameters["host"].default == "127.0.0.1"


TRAVERSAL = [b"/static/..%2f..%2fstore.py", b"/static/../../../../etc/passwd", b"/static/%2e%2e/%2e%2e/etc/passwd",
             b"/static//etc/passwd", b"/static/%2fetc%2fpasswd", b"/static/dashboard.js%00.png",
             b"/static/dashboard.js%2500", b"/static/..%252f..%252fapp.py", b"/..%2f..%2fetc%2fpasswd",
             b"//etc/passwd", b"/static/..\\..\\app.py", b"/static/%c0%ae%c0%ae/etc/passwd",
             b"/api/../static/../app.py", b"/static/./dashboard.js/..", b"/etc/passwd"]


@pytest.mark.parametrize("target", TRAVERSAL, ids=lambda t: t.decode())
def test_no_path_traversal(live, target):
    status, body = raw(live, target)
    assert status in (400, 404), (status, body[:200])
    assert b"root:" not in body and b"import " not in body


@pytest.mark.parametrize(("query", "status"), [
    (b"/api/profile?country=NARNIA&year=2021", 404),
    (b"/api/view?country=QQQ&start=2000&end=2021", 404),
    (b"/api/profile?country=KAZ&year=abc", 422),
    (b"/api/profile?country=KAZ&year=99999999999999999999999", 422),
    (b"/api/view?country=KAZ&start=1800&end=2021", 422),
    (b"/api/view?country=KAZ&start=2021&end=2000", 422),
    (b"/api/view?country=KAZ&start=1992&end=2021&poles=RUS,XXX", 422),
    (b"/api/view?country=KAZ&start=1992&end=2021&scenario=..%2f..%2fetc%2fpasswd", 422),
    (b"/api/profile?country=KAZ&country=RUS&year=2021", 422),
    (b"/api/profile?country=KAZ&year=2021&evil=1", 422),
    (b"/api/profile?country=" + b"A" * 500 + b"&year=2021", 422),
    (b"/api/profile?country=KAZ%00&year=2021", 404),
    (b"/api/health?" + b"x" * 5000, 413),
])
def test_parameters_are_validated_with_a_message(live, query, status):
    got, body = raw(live, query)
    assert got == status, body[:300]
    msg = json.loads(body)["error"]
    assert msg and "Traceback" not in msg


def test_foreign_host_header_refused(live):
    status, _ = raw(live, b"/api/health", host=b"evil.example:80")
    assert status == 400


LOAD = textwrap.dedent("""
    import http.client, json, sys, time
    port, n = int(sys.argv[1]), int(sys.argv[2])
    paths = ["/api/health", "/api/options", "/api/profile?country=KAZ&year=2021", "/static/dashboard.css",
             "/api/profile?country=NARNIA&year=2021", "/static/..%2fapp.py", "/api/view?country=KAZ&start=1992&end=2021"]
    want = {0: 200, 1: 200, 2: 200, 3: 200, 4: 404, 5: 404, 6: 200}
    lat, errors, statuses = [], 0, {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    for i in range(n):
        k = i % len(paths)
        t = time.perf_counter()
        try:
            conn.request("GET", paths[k])
            r = conn.getresponse(); r.read()
            statuses[r.status] = statuses.get(r.status, 0) + 1
            if r.status != want[k]:
                errors += 1
            if r.getheader("Connection", "").lower() == "close":
                conn.close(); conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        except Exception as exc:
            errors += 1
            conn.close(); conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        lat.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - t0
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))]
    print(json.dumps({"requests": n, "errors": errors, "statuses": statuses, "wall_s": round(wall, 2),
                      "p50_ms": round(pct(50), 2), "p95_ms": round(pct(95), 2), "p99_ms": round(pct(99), 2),
                      "max_ms": round(lat[-1], 2)}))
""")


def test_load_2000_requests_from_a_second_process(live, tmp_path):
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    out = subprocess.run([sys.executable, str(script), str(live), str(LOAD_REQUESTS)], capture_output=True,
                         text=True, timeout=600, check=True).stdout
    fig = json.loads(out)
    print(f"\ndashboard load: {fig}")
    (tmp_path / "figures.json").write_text(out)
    assert fig["requests"] == LOAD_REQUESTS
    assert fig["errors"] == 0, fig

#!/usr/bin/env python3
"""http_peer.py - the Linux side of the HTTP integration tests, where curl is
not precise enough. Every mode is bounded by a timeout and exits non-zero
with one line on stderr when its check fails.

  http_peer.py raw HOST PORT EXPECT REQUEST
        sends REQUEST (Python escapes: \\r\\n, \\x00) on a new connection and
        reads until the server closes (or 10 s); the reply must start with
        "HTTP/1.1 EXPECT"; prints the reply's head
  http_peer.py pipeline HOST PORT
        two GETs in one segment, then an HTTP/1.0 one without keep-alive:
        three responses in order, then the server's FIN
  http_peer.py partial HOST PORT
        half a request, then silence: the server must answer 408 and close
  http_peer.py hold HOST PORT N
        N keep-alive connections open at once, each answered; prints "held N"
  http_peer.py serve PORT DIR
        an HTTP/1.1 server for `tapir get`: files under DIR, plus /chunked
        (a chunked body: the file chunked.src), /redirect (302 to
        /redirected/ then 301 to data.bin), /loop (redirects to itself);
        prints "listening" once it is
"""
import http.server
import os
import re
import socket
import sys
import time

TIMEOUT = 10


def die(msg):
    print("http_peer.py: " + msg, file=sys.stderr)
    sys.exit(1)


def read_all(s, deadline):
    data = b""
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            return data, True
        data += chunk
    return data, False


def raw(host, port, expect, request):
    req = request.encode().decode("unicode_escape").encode("latin-1")
    s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    s.sendall(req)
    data, _ = read_all(s, time.monotonic() + TIMEOUT)
    head = data.split(b"\r\n\r\n")[0].decode("latin-1")
    print(head)
    if not data.startswith(b"HTTP/1.1 " + expect.encode()):
        die("expected %s, got %r" % (expect, data[:80]))


def pipeline(host, port):
    s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"
              b"HEAD /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"
              b"GET /nothere HTTP/1.0\r\n\r\n")
    data, closed = read_all(s, time.monotonic() + TIMEOUT)
    if not closed:
        die("HTTP/1.0 without keep-alive: the server did not close")
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    if statuses != [b"200", b"200", b"404"]:
        die("pipelined statuses %r, expected 200 200 404" % statuses)
    print("pipelined: 200 200 404, then FIN")


def partial(host, port):
    s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: a\r\n")
    data, closed = read_all(s, time.monotonic() + TIMEOUT)
    if not data.startswith(b"HTTP/1.1 408") or not closed:
        die("expected 408 and a close, got %r (closed %s)" % (data[:60], closed))
    print("partial request: 408, then FIN")


def hold(host, port, n):
    conns = []
    for _ in range(int(n)):
        conns.append(socket.create_connection((host, int(port)), timeout=TIMEOUT))
    for s in conns:
        s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
    for i, s in enumerate(conns):
        data = b""
        while b"hello" not in data:
            chunk = s.recv(4096)
            if not chunk:
                die("connection %d closed early" % i)
            data += chunk
    print("held %d" % len(conns))
    for s in conns:
        s.close()


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/chunked":
            body = open("chunked.src", "rb").read()
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            step = 1000
            for i in range(0, len(body), step):
                piece = body[i:i + step]
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
            self.close_connection = True
            return
        targets = {"/redirect": (302, "/redirected/"), "/redirected/": (301, "../data.bin"),
                   "/loop": (307, "/loop")}
        if self.path in targets:
            code, where = targets[self.path]
            self.send_response(code)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


def serve(port, directory):
    os.chdir(directory)
    server = http.server.ThreadingHTTPServer(("0.0.0.0", int(port)), Handler)
    print("listening", flush=True)
    server.serve_forever()


def main():
    if len(sys.argv) < 2:
        die("usage: see the docstring")
    mode, args = sys.argv[1], sys.argv[2:]
    modes = {"raw": raw, "pipeline": pipeline, "partial": partial, "hold": hold, "serve": serve}
    if mode not in modes:
        die("unknown mode " + mode)
    modes[mode](*args)


if __name__ == "__main__":
    main()

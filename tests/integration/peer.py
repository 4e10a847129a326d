#!/usr/bin/env python3
"""peer.py - the Linux side of the TCP/UDP integration tests, where nc is not
precise enough. Every mode is bounded by a timeout and exits non-zero with
one line on stderr when its check fails.

  peer.py chargen-sha256 N          sha256 of the first N bytes of RFC 864's
                                    pattern, computed here independently
  peer.py refused HOST PORT         a TCP connect must fail with ECONNREFUSED
  peer.py udp-echo HOST PORT        datagrams to an echo port come back whole
  peer.py udp-refused HOST PORT     a connected UDP socket must get
                                    ECONNREFUSED (an ICMP port unreachable)
  peer.py serve PORT SEND RECV      accepts one TCP connection on PORT and, at
                                    the same time, sends the file SEND (then
                                    shutdown SHUT_WR) and writes what arrives
                                    into RECV until EOF; prints "listening"
                                    once it is
"""
import errno
import hashlib
import socket
import sys
import threading

TIMEOUT = 30


def die(msg):
    print("peer.py: " + msg, file=sys.stderr)
    sys.exit(1)


def chargen_pattern(n):
    """RFC 864: 72-character lines of the 95 printable ASCII characters,
    each line starting one character further on, ended by CR LF."""
    printable = bytes(range(32, 127))
    period = b"".join(
        (printable * 2)[line:line + 72] + b"\r\n" for line in range(95))
    h = hashlib.sha256()
    whole, rest = divmod(n, len(period))
    for _ in range(whole):
        h.update(period)
    h.update(period[:rest])
    return h.hexdigest()


def refused(host, port):
    s = socket.socket()
    s.settimeout(TIMEOUT)
    try:
        s.connect((host, port))
    except ConnectionRefusedError:
        print("connect to %s:%d: refused (RST)" % (host, port))
        return
    except OSError as e:
        die("connect to %s:%d: %s, expected ECONNREFUSED" % (host, port, e))
    die("connect to %s:%d succeeded, expected ECONNREFUSED" % (host, port))


def udp_echo(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((host, port))
    for size in (0, 1, 100, 1472, 4000):    # 4000: fragmented both ways
        data = bytes((i * 7 + size) & 0xff for i in range(size))
        for attempt in range(3):            # a datagram may be lost
            s.send(data)
            try:
                back = s.recv(65536)
                break
            except socket.timeout:
                continue
        else:
            die("no echo of a %d-byte datagram" % size)
        if back != data:
            die("%d-byte datagram came back as %d different bytes" % (size, len(back)))
    print("udp echo: 0, 1, 100, 1472 and 4000 bytes came back whole")


def udp_refused(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((host, port))
    for attempt in range(3):
        s.send(b"anyone there?")
        try:
            s.recv(100)
            die("a closed UDP port answered")
        except ConnectionRefusedError:
            print("udp to %s:%d: ECONNREFUSED (ICMP port unreachable)" % (host, port))
            return
        except socket.timeout:
            continue
    die("no ICMP port unreachable from %s:%d" % (host, port))


def serve(port, send_path, recv_path):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(1)
    ls.settimeout(TIMEOUT)
    print("listening", flush=True)
    conn, _ = ls.accept()
    conn.settimeout(TIMEOUT)
    failure = []

    def send():
        try:
            with open(send_path, "rb") as f:
                conn.sendall(f.read())
            conn.shutdown(socket.SHUT_WR)
        except OSError as e:
            failure.append("sending: %s" % e)

    sender = threading.Thread(target=send)
    sender.start()
    with open(recv_path, "wb") as out:
        while True:
            try:
                chunk = conn.recv(1 << 16)
            except OSError as e:
                die("receiving: %s" % e)
            if not chunk:
                break
            out.write(chunk)
    sender.join(TIMEOUT)
    if failure:
        die(failure[0])
    conn.close()


def main(argv):
    if len(argv) >= 2 and argv[0] == "chargen-sha256":
        print(chargen_pattern(int(argv[1])))
    elif len(argv) == 3 and argv[0] == "refused":
        refused(argv[1], int(argv[2]))
    elif len(argv) == 3 and argv[0] == "udp-echo":
        udp_echo(argv[1], int(argv[2]))
    elif len(argv) == 3 and argv[0] == "udp-refused":
        udp_refused(argv[1], int(argv[2]))
    elif len(argv) == 4 and argv[0] == "serve":
        serve(int(argv[1]), argv[2], argv[3])
    else:
        die("usage: see the top of this file")


if __name__ == "__main__":
    main(sys.argv[1:])

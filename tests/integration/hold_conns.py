#!/usr/bin/env python3
"""hold_conns.py ADDR: opens TCP connections to tapir's echo (7) and discard
(9) services that leave tapir's side in chosen states, prints "ready", then
holds them (never reading) until killed, 120 s at most.

  established  an idle connection to echo
  close_wait   384 KiB to echo with a tiny receive window, then our FIN:
               echo stalls (its 256 KiB send buffer full, we never read), so
               it never reads our FIN -> tapir CLOSE_WAIT, Recv-Q > 0
  last_ack     64 KiB to echo, then our FIN: echo reads it all and closes
               with the echo still unsent -> tapir LAST_ACK, Send-Q > 0
  time_wait    a word to discard, our FIN first, then tapir's: TIME_WAIT
               is ours (Linux's), and tapir's side is gone
"""
import socket
import sys
import time

addr = sys.argv[1]
held = []


def connect(port, tiny_window=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if tiny_window:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(20)
    s.connect((addr, port))
    held.append(s)
    return s


est = connect(7)
est.sendall(b"x")
assert est.recv(1) == b"x"

for size in (384 * 1024, 64 * 1024):
    s = connect(7, tiny_window=True)
    s.sendall(b"e" * size)
    s.shutdown(socket.SHUT_WR)

tw = connect(9)
tw.sendall(b"bye")
tw.shutdown(socket.SHUT_WR)
assert tw.recv(1) == b""        # tapir's FIN: discard closed after ours
tw.close()
held.remove(tw)

print("ready", flush=True)
time.sleep(120)                 # holding, not synchronising: killed when done

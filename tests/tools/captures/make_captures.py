#!/usr/bin/env python3
"""Writes the hand-made captures the ladder's golden tests draw, next to
this script. Each is a conversation no pcaps/ vector holds (yet), built
segment by segment so the picture it must give is known:

  simultaneous_close.pcap  both ends send FIN before either FIN arrives
                           (RFC 9293 figure 13): FIN_WAIT_1 -> CLOSING ->
                           TIME_WAIT on both sides
  fast_retransmit.pcap     seen at the receiver: one segment lost before
                           the capture point, three duplicate ACKs with SACK
                           blocks, the fast retransmission (RFC 5681 §3.2,
                           RFC 2018), window scaling and timestamps

linux_echo.pcap beside them is real: tcpdump -i lo of Python's socket
module talking to itself on Linux 6.x (an echo and a close).

Run it again only to change a capture; then refresh the goldens
(tests/golden/ladder/README.md).
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def options(mss=None, ws=None, sack_ok=False, ts=None, sack=()):
    o = b""
    if mss is not None:
        o += struct.pack("!BBH", 2, 4, mss)
    if sack_ok:
        o += b"\x04\x02"
    if ts is not None:
        o += b"\x01\x01" + struct.pack("!BBII", 8, 10, ts[0], ts[1])
    if ws is not None:
        o += b"\x01" + struct.pack("!BBB", 3, 3, ws)
    if sack:
        o += b"\x01\x01" + struct.pack("!BB", 5, 2 + 8 * len(sack))
        for left, right in sack:
            o += struct.pack("!II", left, right)
    return o + b"\0" * (-len(o) % 4)


def frame(src, dst, flags, seq, ack=0, win=65535, data=b"", **opt):
    (sip, sport, smac), (dip, dport, dmac) = src, dst
    o = options(**opt)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (20 + len(o)) // 4 << 4, flags, win, 0, 0) + o + data
    pseudo = ip4(sip) + ip4(dip) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                     ip4(sip), ip4(dip))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dmac + smac + b"\x08\x00" + ip + tcp


def write(name, frames):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in frames:
            f.write(struct.pack("<IIII", int(t), round((t % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)


def simultaneous_close():
    c = ("10.0.0.1", 40000, MAC_A)
    s = ("10.0.0.2", 7, MAC_B)
    ci, si = 1000, 5000
    write("simultaneous_close.pcap", [
        (1.000, frame(c, s, SYN, ci, mss=1460)),
        (1.010, frame(s, c, SYN | ACK, si, ci + 1, mss=1460)),
        (1.020, frame(c, s, ACK, ci + 1, si + 1)),
        (1.500, frame(c, s, FIN | ACK, ci + 1, si + 1)),
        (1.501, frame(s, c, FIN | ACK, si + 1, ci + 1)),       # does not ACK the client's FIN
        (1.510, frame(c, s, ACK, ci + 2, si + 2)),
        (1.511, frame(s, c, ACK, si + 2, ci + 2)),
    ])


def fast_retransmit():
    c = ("192.0.2.10", 51000, MAC_A)       # the receiver, where the capture was taken
    s = ("198.51.100.80", 80, MAC_B)
    ci, si, mss = 3000000000, 4294960000, 1448   # the server's numbers wrap past 2^32
    get = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"
    f = [
        (0.000, frame(c, s, SYN, ci, win=64240, mss=1460, sack_ok=True, ts=(100, 0), ws=7)),
        (0.020, frame(s, c, SYN | ACK, si, ci + 1, win=65160, mss=1460, sack_ok=True, ts=(900, 100), ws=7)),
        (0.020, frame(c, s, ACK, ci + 1, si + 1, win=502, ts=(120, 900))),
        (0.021, frame(c, s, PSH | ACK, ci + 1, si + 1, win=502, data=get, ts=(121, 900))),
        (0.041, frame(s, c, ACK, si + 1, ci + 1 + len(get), win=509, ts=(920, 121))),
    ]
    t, ack = 0.042, ci + 1 + len(get)
    seg = [si + 1 + i * mss for i in range(6)]
    f.append((t, frame(s, c, ACK, seg[0], ack, win=509, data=b"a" * mss, ts=(921, 121))))
    f.append((t + 0.0001, frame(c, s, ACK, ack, seg[1], win=501, ts=(140, 921))))
    # seg[1] is lost on the way: segments 2..4 arrive, each drawing a duplicate ACK with SACK
    for i in (2, 3, 4):
        f.append((t + 0.001 * i, frame(s, c, ACK, seg[i], ack, win=509, data=b"b" * mss, ts=(922, 121))))
        f.append((t + 0.001 * i + 0.0001, frame(c, s, ACK, ack, seg[1], win=501,
                                                 ts=(141, 922), sack=[(seg[2], seg[i] + mss)])))
    f.append((0.070, frame(s, c, ACK, seg[1], ack, win=509, data=b"c" * mss, ts=(950, 141))))
    f.append((0.0701, frame(c, s, ACK, ack, seg[5], win=501, ts=(170, 950))))
    f.append((0.100, frame(s, c, FIN | PSH | ACK, seg[5], ack, win=509, data=b"d" * 100, ts=(980, 170))))
    f.append((0.101, frame(c, s, ACK, ack, seg[5] + 101, win=501, ts=(171, 980))))
    write("fast_retransmit.pcap", f)


if __name__ == "__main__":
    simultaneous_close()
    fast_retransmit()

#!/usr/bin/env python3
"""send_malformed.py IFACE DST_MAC SRC_IP DST_IP - writes hostile frames to
DST_MAC through IFACE (an AF_PACKET socket: run it inside the test's network
namespace, on the host side of tapir's TAP). Each kind of frame is one that
tapir must drop and count; the counter it should land in is printed next to
it. Python's standard library only."""
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, payload, proto=1, ident=1, frag=0, ihl=5, total=None,
         version=4, options=b"", good_csum=True):
    hdr_len = 20 + len(options)
    hdr = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0,
                      total if total is not None else hdr_len + len(payload),
                      ident, frag, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst)) + options
    c = csum(hdr)
    if not good_csum:
        c ^= 0x5A5A
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def echo(ident, seq, data=b"tapir" * 8, good_csum=True):
    msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    c = csum(msg) ^ (0 if good_csum else 0x1234)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


MF = 0x2000


def main():
    iface, dst_mac, src, dst = sys.argv[1:5]
    with open("/sys/class/net/%s/address" % iface) as f:
        src_mac = bytes.fromhex(f.read().strip().replace(":", ""))
    eth_dst = bytes.fromhex(dst_mac.replace(":", ""))

    def eth(ethertype, payload):
        return eth_dst + src_mac + struct.pack("!H", ethertype) + payload

    good = echo(7, 1)
    frames = [
        ("ip.drop_short", eth(0x0800, ipv4(src, dst, good)[:10])),
        ("arp.drop_malformed", eth(0x0806, b"\x00\x01\x08\x00\x06\x04\x00")),
        ("eth.drop_ethertype", eth(0x88B5, b"local experimental ethertype")),
        ("ip.drop_version", eth(0x0800, ipv4(src, dst, good, version=6))),
        ("ip.drop_hdr_len", eth(0x0800, ipv4(src, dst, good, ihl=4))),
        ("ip.drop_hdr_len", eth(0x0800, ipv4(src, dst, b"", ihl=15))),
        ("ip.drop_total_len", eth(0x0800, ipv4(src, dst, good, total=1500))),
        ("ip.drop_total_len", eth(0x0800, ipv4(src, dst, good, total=12))),
        ("ip.drop_checksum", eth(0x0800, ipv4(src, dst, good, good_csum=False))),
        ("ip.drop_options", eth(0x0800, ipv4(src, dst, good, ihl=6, options=b"\x07\x00\x00\x00"))),
        ("ip.drop_bad_src", eth(0x0800, ipv4("255.255.255.255", dst, good))),
        ("ip.drop_bad_src", eth(0x0800, ipv4("127.0.0.1", dst, good))),
        ("icmp.drop_checksum", eth(0x0800, ipv4(src, dst, echo(7, 2, good_csum=False)))),
        ("icmp.drop_malformed", eth(0x0800, ipv4(src, dst, b"\x08\x00\xf7"))),
        # A fragment reaching past 65535 bytes (offset 65528 + 100).
        ("ip.reass_oversize", eth(0x0800, ipv4(src, dst, b"x" * 100, ident=900, frag=MF | 8191))),
        # Not the last fragment, yet not a multiple of 8 bytes.
        ("ip.reass_bad_frag", eth(0x0800, ipv4(src, dst, b"x" * 13, ident=901, frag=MF))),
        # The same bytes sent twice with different contents.
        ("(setup)", eth(0x0800, ipv4(src, dst, b"a" * 64, ident=902, frag=MF))),
        ("ip.reass_overlap", eth(0x0800, ipv4(src, dst, b"b" * 64, ident=902, frag=MF))),
    ]
    # The flood: fragments that each make a reassembly reserve 64 KiB
    # (offset 60000), then many small first fragments, all never completed:
    # far past the 1 MiB reassembly budget.
    for i in range(40):
        frames.append(("ip.reass_memory", eth(0x0800, ipv4(src, dst, b"f" * 1000, ident=1000 + i,
                                                           frag=MF | 7500))))
    for i in range(400):
        frames.append(("ip.reass_memory", eth(0x0800, ipv4(src, dst, b"g" * 1480, ident=2000 + i,
                                                           frag=MF))))

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    expected = {}
    for counter, frame in frames:
        s.send(frame)
        expected[counter] = expected.get(counter, 0) + 1
    for counter, n in sorted(expected.items()):
        print("sent %4d frames for %s" % (n, counter))


if __name__ == "__main__":
    main()

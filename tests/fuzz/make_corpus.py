#!/usr/bin/env python3
"""Regenerates the seed corpus in tests/fuzz/corpus/ from pcaps/*.pcap.

  frames/       one input per pcap: the peer's frames as fuzz_frames records
                (clock steps from the capture's timing, no fix-ups), plus
                hand-made records aimed at fuzz_world's live connections
  decode/       every distinct frame in the pcaps, either direction
  tcp_options/  every distinct TCP option list in the pcaps, and a few more
  replay_conf/  every vector sidecar pcaps/*.conf
  ladder_vars/  hand-made CAPTURE.vars sidecars, each after a --vars list line

Usage: tests/fuzz/make_corpus.py   (from anywhere; rewrites these folders)
"""
import glob
import hashlib
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PCAPS = os.path.join(HERE, "..", "..", "pcaps")
STACK_MAC = bytes.fromhex("020000000002")

# fuzz_frames.c's record format
CLOCK_STEPS_US = [0, 1000, 10000, 200000, 1000000, 3000000, 30000000, 300000000]
FIX_ETH, FIX_ADDRS, FIX_SEQ, FIX_CKSUM = 1, 2, 4, 8
FIX_ALL = FIX_ETH | FIX_ADDRS | FIX_SEQ | FIX_CKSUM
SOCKOP = 0x80


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    at, frames = 24, []
    while at + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack(endian + "IIII", data[at:at + 16])
        at += 16
        frames.append((sec * 1000000 + usec, data[at:at + incl]))
        at += incl
    return frames


def frame_record(frame, fix=0, step=0):
    return bytes([(fix << 3) | step]) + struct.pack(">H", len(frame)) + frame


def sockop_record(which, arg, step=0):
    return bytes([SOCKOP | step, which, arg])


def clock_step(dt_us):
    best = 0
    for i, step in enumerate(CLOCK_STEPS_US):
        if step <= dt_us:
            best = i
    return best


def tcp_frame(sport, dport, seq_off, ack_off, flags, data=b"", opts=b"", wnd=65535):
    """Peer -> us, to be sent with every fix-up: addresses, seq/ack and
    checksums are filled in by the harness."""
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq_off & 0xFFFFFFFF, ack_off & 0xFFFFFFFF,
                      (5 + len(opts) // 4) << 4, flags, wnd, 0, 0) + opts + data
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, bytes(4), bytes(4))
    return bytes(14) + ip + tcp


def write_set(folder, inputs):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    for blob in inputs:
        name = hashlib.sha1(blob).hexdigest()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(blob)


def tcp_options_of(frame):
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    hl = (frame[14] & 15) * 4
    t = frame[14 + hl:]
    if len(t) < 20:
        return None
    off = (t[12] >> 4) * 4
    return t[20:off] if off > 20 else None


def main():
    frames_inputs, decode_inputs, option_inputs = [], set(), set()
    for path in sorted(glob.glob(os.path.join(PCAPS, "*.pcap"))):
        records, last = b"", None
        for t, frame in read_pcap(path):
            decode_inputs.add(frame)
            opts = tcp_options_of(frame)
            if opts:
                option_inputs.add(bytes(opts))
            if frame[6:12] == STACK_MAC:
                continue
            step = clock_step(t - last) if last is not None else 0
            last = t
            records += frame_record(frame, 0, step)
        if records:
            frames_inputs.append(records)

    # Aimed at the live connections fuzz_world builds (peer port -> our port).
    F, S, R, P, A = 1, 2, 4, 8, 16
    conns = [(40001, 80), (40002, 80), (40003, 80), (40004, 80), (40005, 80), (40006, 80),
             (40007, 80), (40008, 7), (9000, 5555), (9001, 5556), (41001, 81), (41002, 81),
             (41003, 81)]
    for sport, dport in conns:
        segs = [
            tcp_frame(sport, dport, 0, 0, A | P, b"hello"),
            tcp_frame(sport, dport, 0, 1, A | F),
            tcp_frame(sport, dport, 0, 3000, A, b"", wnd=0),
            tcp_frame(sport, dport, 0, 0, R),
            tcp_frame(sport, dport, 5, 0, R | A),
            tcp_frame(sport, dport, 0, 0, S),
            tcp_frame(sport, dport, 100, 0, A | P, b"x" * 100),
            tcp_frame(sport, dport, 0xFFFF0000, 0, A, b"old"),
            tcp_frame(sport, dport, 1, 1, S | A, opts=bytes([2, 4, 5, 0xB4, 1, 3, 3, 14])),
        ]
        records = b"".join(frame_record(s, FIX_ALL) for s in segs)
        frames_inputs.append(records)
        frames_inputs.append(frame_record(segs[0], FIX_ALL) + sockop_record(0, 200, 1) +
                             sockop_record(0x40, 50, 3) + frame_record(segs[1], FIX_ALL, 4) +
                             sockop_record(0x80, 0, 6))
    # SYN cookies: port 81's SYN queue is full. With FIX_SEQ an ACK to a
    # listener has its ack taken as an offset from the cookie for a SYN with
    # the ACK's own options: offset 0 is the valid cookie, others fail.
    syn_opts = bytes([2, 4, 5, 0xB4, 4, 2, 1, 3, 3, 7])
    mss_only = bytes([2, 4, 2, 0x18])
    for port in (42001, 42002):
        for opts in (syn_opts, mss_only, b""):
            pad = opts + bytes(-len(opts) % 4)
            frames_inputs.append(b"".join(frame_record(s, FIX_ALL, st) for s, st in [
                (tcp_frame(port, 81, 1000, 0, S, opts=pad), 0),
                (tcp_frame(port, 81, 1001, 0, A | P, b"GET /", opts=pad), 2),
                (tcp_frame(port, 81, 1001, 1, A, opts=pad), 0),
                (tcp_frame(port, 81, 1006, 0, A | F, opts=pad), 1),
            ]))
    # A valid cookie ACK long after (the cookie expired), and one with a FIN.
    frames_inputs.append(frame_record(tcp_frame(42003, 81, 7, 0, S), FIX_ALL) +
                         frame_record(tcp_frame(42003, 81, 8, 0, A | F, b"late"), FIX_ALL, 6) +
                         frame_record(tcp_frame(42003, 81, 8, 0, A | F, b"late"), FIX_ALL, 7))
    # A SYN flood at port 80: its queue overflows into cookies too.
    frames_inputs.append(b"".join(frame_record(tcp_frame(43000 + i, 80, i, 0, S, opts=syn_opts + bytes(2)),
                                               FIX_ALL) for i in range(8)))
    # The memory budget: big sends on every descriptor, then data from peers.
    frames_inputs.append(b"".join(sockop_record(0x40 | w, 255) for w in range(24)) +
                         b"".join(frame_record(tcp_frame(sp, dp, 0, 0, A | P, b"m" * 1000), FIX_ALL)
                                  for sp, dp in conns) +
                         b"".join(frame_record(tcp_frame(44000 + i, 80, 0, 0, S), FIX_ALL)
                                  for i in range(4)))
    # Buffers past TCP_MEM_FLOOR, where the budget limits them: 62 KiB send
    # buffers filled, and a child of port 80 (62 KiB receive buffer) fed.
    frames_inputs.append(b"".join(sockop_record(0xC0 | w, 0xF9) + sockop_record(0x40 | w, 255) * 4
                                  for w in range(2, 12)))
    frames_inputs.append(sockop_record(0xC0, 0xF8) +
                         frame_record(tcp_frame(45000, 80, 0, 0, S, opts=syn_opts + bytes(2)), FIX_ALL) +
                         frame_record(tcp_frame(45000, 80, 0, 1, A), FIX_ALL) +
                         b"".join(frame_record(tcp_frame(45000, 80, 0, 0, A | P, b"r" * 1400), FIX_ALL)
                                  for _ in range(30)))
    # Socket calls on every descriptor, and time passing.
    frames_inputs.append(b"".join(sockop_record(w, a, w % 8) for w in range(0, 256, 7)
                                  for a in (0, 33, 255)))
    frames_inputs.append(b"".join(bytes([s]) + b"\x00\x00" for s in range(8)))

    write_set(os.path.join(HERE, "corpus", "frames"), frames_inputs)
    write_set(os.path.join(HERE, "corpus", "decode"), sorted(decode_inputs))
    option_inputs |= {b"", bytes([1, 1, 0]), bytes([2, 4, 5, 0xB4, 3, 3, 15, 4, 2]),
                      bytes([8, 10]) + bytes(8), bytes([5, 10]) + bytes(8), bytes([30, 1])}
    write_set(os.path.join(HERE, "corpus", "tcp_options"), sorted(option_inputs))
    confs = []
    for path in sorted(glob.glob(os.path.join(PCAPS, "*.conf"))):
        with open(path, "rb") as f:
            confs.append(f.read())
    write_set(os.path.join(HERE, "corpus", "replay_conf"), confs)
    write_set(os.path.join(HERE, "corpus", "ladder_vars"), ladder_vars_seeds())
    print("frames %d, decode %d, tcp_options %d, replay_conf %d" % (
        len(frames_inputs), len(decode_inputs), len(option_inputs), len(confs)))


def ladder_vars_seeds():
    """fuzz_ladder_vars inputs: the --vars list, a newline, the sidecar."""
    head = b"# tapir-vars 1\n# a comment\n"
    lines = [
        b"7 out state=ESTABLISHED snd.una=1731086362 snd.nxt=1731086462 snd.wnd=65535 rcv.nxt=5001 "
        b"rcv.wnd=65535 cwnd=1000 ssthresh=inf srtt=100000 rto=300000 timers=rtx:300000\n",
        b"4 in state=CLOSED\n",
        b"0 out state=SYN_SENT snd.una=1 snd.nxt=2 timers=rtx:1000000,keepalive:7200000000\n",
        b"1 in state=ESTABLISHED rcv.nxt=4294967295 rcv.wnd=0 srtt=1500 rto=201500 "
        b"timers=persist:400000,delack:40000 future.key=1\r\n",
        b"9 in state=TIME_WAIT timers=2msl:60000000,wait:1\n",
    ]
    body = head + b"".join(lines)
    return [b"all\n" + body, b"\n" + body, b"snd.una,cwnd,timers\n" + body, b"STATE,rto\n" + body,
            b"cwnd,\n" + body, b"all\n" + head + lines[0] + lines[0], b"all\n" + head + b"\n\n",
            b"all\n# tapir-vars 2\n" + lines[1]]


if __name__ == "__main__":
    main()

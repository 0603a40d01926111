#!/usr/bin/env python3
"""Minimal DHCPv4 client for the benchmarks (run inside a client namespace, as root).

Modes (all print key=value lines; times are CLOCK_REALTIME seconds, comparable with `date +%s.%N`):

  lease --iface IF [--mac MAC] [--timeout S] [--retry-ms MS] [--ctl SOCKET]
      DISCOVER (broadcast flag set) every MS until an OFFER, then REQUEST (option 50 + 54) until
      an ACK; on a NAK or silence start over. With --ctl it also polls the daemon's control
      socket (command 1, docs/protocol.md#block-table) every 20 ms and records when the first
      block is CLAIMING (3) and the first is OURS (4).
      Prints t_first_discover, t_ctl_up, t_claiming, t_ours, t_offer, t_ack, yiaddr, server, mac.
  reboot --iface IF --mac MAC --addr A [--timeout S] [--retry-ms MS]
      INIT-REBOOT: broadcast REQUEST with option 50 = A and no server id (a roaming client),
      until ACK or NAK. Prints t_sent, t_reply, reply (ack|nak|none).
  release --iface IF --mac MAC --addr A --server S
      Sends one RELEASE (ciaddr A, option 54 S) to the broadcast address.

The client retransmits much faster than a real one (dhclient backs off 3-4 s, then doubling) so
that what is measured is the daemon's time, not the client's back-off.
"""
import argparse
import os
import random
import select
import socket
import struct
import sys
import time

MAGIC = b"\x63\x82\x53\x63"


def build(msgtype, xid, mac, ciaddr=b"\0\0\0\0", flags=0x8000, opts=()):
    pkt = struct.pack("!BBBBIHH", 1, 1, 6, 0, xid, 0, flags)
    pkt += ciaddr + b"\0" * 12  # ciaddr, yiaddr, siaddr, giaddr
    pkt += mac + b"\0" * 10 + b"\0" * 192 + MAGIC
    pkt += bytes([53, 1, msgtype])
    for code, data in opts:
        pkt += bytes([code, len(data)]) + data
    pkt += bytes([55, 6, 1, 3, 6, 28, 51, 54, 255])
    return pkt + b"\0" * max(0, 300 - len(pkt))


def parse(pkt):
    if len(pkt) < 240 or pkt[236:240] != MAGIC or pkt[0] != 2:
        return None
    xid = struct.unpack("!I", pkt[4:8])[0]
    opts, i = {}, 240
    while i < len(pkt) and pkt[i] != 255:
        if pkt[i] == 0:
            i += 1
            continue
        if i + 1 >= len(pkt):
            break
        opts.setdefault(pkt[i], pkt[i + 2:i + 2 + pkt[i + 1]])
        i += 2 + pkt[i + 1]
    t = opts.get(53, b"\0")[0]
    return {"xid": xid, "type": t, "yiaddr": pkt[16:20], "chaddr": pkt[28:34], "opts": opts}


def open_socket(iface):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.bind(("0.0.0.0", 68))
    return s


def block_states(path):
    """States of the rows of the block table, or None if the daemon does not answer."""
    try:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(1.0)
        c.connect(path)
        c.sendall(b"\x01")
        data = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        c.close()
    except OSError:
        return None
    states = set()
    for line in data.split(b"\n"):
        f = line.split(b"\t")
        if len(f) >= 6 and f[0].isdigit() and f[1].isdigit():
            states.add(int(f[1]))
    return states


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def do_lease(a):
    s = open_socket(a.iface)
    mac = mac_bytes(a.mac) if a.mac else bytes([0x02, 0xbe] + [random.randrange(256) for _ in range(4)])
    out = {"mac": ":".join(f"{b:02x}" for b in mac)}
    deadline = time.time() + a.timeout
    retry = a.retry_ms / 1000.0
    state, xid, offer, next_send, next_poll = "discover", random.getrandbits(32), None, 0.0, 0.0
    req_sends = 0
    while time.time() < deadline:
        now = time.time()
        if a.ctl and now >= next_poll and "t_ours" not in out:
            st = block_states(a.ctl)
            t = time.time()
            if st is not None:
                out.setdefault("t_ctl_up", t)
                if 3 in st:
                    out.setdefault("t_claiming", t)
                if 4 in st:
                    out.setdefault("t_ours", t)
            next_poll = t + 0.02
        if now >= next_send:
            if state == "discover":
                pkt = build(1, xid, mac)
                out.setdefault("t_first_discover", time.time())
            else:
                pkt = build(3, xid, mac, opts=((50, offer["yiaddr"]), (54, offer["opts"].get(54, b""))))
                req_sends += 1
                if req_sends > 5:  # no ACK for a while: start over
                    state, xid = "discover", random.getrandbits(32)
                    continue
            s.sendto(pkt, ("255.255.255.255", 67))
            next_send = time.time() + retry
        wait = max(0.0, min(next_send, next_poll if a.ctl and "t_ours" not in out else next_send) - time.time())
        r, _, _ = select.select([s], [], [], wait)
        if not r:
            continue
        rep = parse(s.recv(1500))
        if not rep or rep["xid"] != xid or rep["chaddr"] != mac:
            continue
        if state == "discover" and rep["type"] == 2:
            out["t_offer"] = time.time()
            # An offer means the daemon owns a block; if the 20 ms poll has not seen OURS yet,
            # the offer time is the upper bound for it.
            if a.ctl and "t_ours" not in out:
                out["t_ours"] = out["t_offer"]
            offer, state, req_sends = rep, "request", 0
            next_send = 0.0
        elif state == "request" and rep["type"] == 5:
            out["t_ack"] = time.time()
            out["yiaddr"] = socket.inet_ntoa(rep["yiaddr"])
            out["server"] = socket.inet_ntoa(rep["opts"].get(54, b"\0\0\0\0")[:4])
            break
        elif state == "request" and rep["type"] == 6:
            out["naks"] = out.get("naks", 0) + 1
            state, xid, next_send = "discover", random.getrandbits(32), 0.0
    return out


def do_reboot(a):
    s = open_socket(a.iface)
    mac = mac_bytes(a.mac)
    xid = random.getrandbits(32)
    addr = socket.inet_aton(a.addr)
    out = {"reply": "none"}
    deadline = time.time() + a.timeout
    next_send = 0.0
    while time.time() < deadline:
        if time.time() >= next_send:
            s.sendto(build(3, xid, mac, opts=((50, addr),)), ("255.255.255.255", 67))
            out.setdefault("t_sent", time.time())
            next_send = time.time() + a.retry_ms / 1000.0
        r, _, _ = select.select([s], [], [], max(0.0, next_send - time.time()))
        if not r:
            continue
        rep = parse(s.recv(1500))
        if rep and rep["xid"] == xid and rep["chaddr"] == mac and rep["type"] in (5, 6):
            out["t_reply"] = time.time()
            out["reply"] = "ack" if rep["type"] == 5 else "nak"
            break
    return out


def do_release(a):
    s = open_socket(a.iface)
    pkt = build(7, random.getrandbits(32), mac_bytes(a.mac), ciaddr=socket.inet_aton(a.addr), flags=0,
                opts=((54, socket.inet_aton(a.server)),))
    s.sendto(pkt, ("255.255.255.255", 67))
    return {"sent": 1}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["lease", "reboot", "release"])
    p.add_argument("--iface", required=True)
    p.add_argument("--mac")
    p.add_argument("--addr")
    p.add_argument("--server", default="0.0.0.0")
    p.add_argument("--ctl")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--retry-ms", type=float, default=100)
    a = p.parse_args()
    out = {"lease": do_lease, "reboot": do_reboot, "release": do_release}[a.mode](a)
    for k, v in out.items():
        print(f"{k}={v:.6f}" if isinstance(v, float) else f"{k}={v}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

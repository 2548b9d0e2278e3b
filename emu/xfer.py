#!/usr/bin/env python3
"""Bulk TCP transfer with a digest at both ends, for the real-daemon tests.

  xfer.py sink ADDR PORT         accept one connection, read to EOF, print
                                 "<bytes> <sha256>" and exit
  xfer.py source ADDR PORT FILE  accept one connection, send FILE, close
  xfer.py put HOST PORT FILE     connect, send FILE, close
  xfer.py get HOST PORT          connect, read to EOF, print "<bytes> <sha256>"

iperf3 counts bytes but never looks at them; this catches corrupted or
mis-checksummed payloads (a wrong TCP checksum stalls the transfer)."""
import hashlib
import socket
import sys


def drain(conn):
    digest, total = hashlib.sha256(), 0
    while True:
        chunk = conn.recv(1 << 20)
        if not chunk:
            break
        digest.update(chunk)
        total += len(chunk)
    print(total, digest.hexdigest(), flush=True)


def listen(addr, port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, int(port)))
    srv.listen(1)
    print("listening", flush=True)
    conn, _ = srv.accept()
    srv.close()
    return conn


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    mode, host, port = argv[1], argv[2], argv[3]
    if mode in ("sink", "source"):
        conn = listen(host, port)
    elif mode in ("put", "get"):
        conn = socket.create_connection((host, int(port)), timeout=30)
    else:
        sys.exit(__doc__)
    with conn:
        if mode in ("sink", "get"):
            drain(conn)
        else:
            with open(argv[4], "rb") as f:
                conn.sendfile(f)
            conn.shutdown(socket.SHUT_WR)
            conn.recv(1)  # wait for the peer's close: everything was read


if __name__ == "__main__":
    main(sys.argv)

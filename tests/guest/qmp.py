#!/usr/bin/env python3
"""Tiny QMP client for hvkit test guests.

usage: qmp.py SOCKET 'JSON-COMMAND' [TIMEOUT]
Negotiates capabilities, sends one command, prints its reply (one JSON line;
asynchronous events are skipped). Exit 0 on "return", 1 on "error" or I/O
failure.
"""
import json
import socket
import sys


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, cmd = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    try:
        json.loads(cmd)
    except ValueError as e:
        print(f"qmp: command is not JSON: {e}", file=sys.stderr)
        return 2
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(path)
        f = s.makefile("rwb")

        def reply():
            while True:
                line = f.readline()
                if not line:
                    raise OSError("connection closed")
                msg = json.loads(line)
                if "return" in msg or "error" in msg:
                    return msg

        greeting = json.loads(f.readline() or b"{}")
        if "QMP" not in greeting:
            raise OSError("no QMP greeting")
        f.write(b'{"execute":"qmp_capabilities"}\n')
        f.flush()
        reply()
        f.write(cmd.encode() + b"\n")
        f.flush()
        msg = reply()
    except (OSError, ValueError) as e:
        print(f"qmp: {path}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(msg))
    return 0 if "return" in msg else 1


if __name__ == "__main__":
    sys.exit(main())

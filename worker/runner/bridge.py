#!/usr/bin/env python3
"""In-container side of the egress bridge: 127.0.0.1:<port> -> a mounted unix socket.

The container has no network (``--network none``), only loopback. The worker
mounts a unix socket into it; this forwarder accepts TCP on the container's own
loopback and relays each connection byte-for-byte to that socket, where the
worker's egress proxy decides what may leave. It knows nothing about HTTP and
holds no secret.

    bridge.py --listen 127.0.0.1:8377 --socket /run/clawweb/egress.sock -- claude ...

With a command after ``--`` it binds first, then runs the command with this
process's stdin/stdout/stderr and exits with its status, so the command never
races the listener. Standard library only: it runs on the image's python3.
"""

import argparse
import signal
import socket
import subprocess
import sys
import threading


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        # Half-close so the other direction can still finish its reply.
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def _serve_one(client: socket.socket, socket_path: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(socket_path)
    except OSError:
        client.close()
        upstream.close()
        return
    back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
    back.start()
    _pipe(client, upstream)
    back.join()
    client.close()
    upstream.close()


def _accept_forever(listener: socket.socket, socket_path: str) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_serve_one, args=(client, socket_path), daemon=True).start()


def _listen(address: str) -> socket.socket:
    host, _, port = address.rpartition(":")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host or "127.0.0.1", int(port)))
    listener.listen(64)
    return listener


def _run_child(argv: list) -> int:
    child = subprocess.Popen(argv)
    # Pass stop signals on, so `docker stop` reaches the agent, not just us.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    return child.wait()


def main(args=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="host:port on the container's loopback")
    parser.add_argument("--socket", required=True, help="the mounted unix socket")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    opts = parser.parse_args(args)
    listener = _listen(opts.listen)
    command = opts.command[1:] if opts.command[:1] == ["--"] else opts.command
    if not command:
        _accept_forever(listener, opts.socket)
        return 0
    threading.Thread(target=_accept_forever, args=(listener, opts.socket), daemon=True).start()
    code = _run_child(command)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())

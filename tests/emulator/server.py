"""Start the AWS emulator on 127.0.0.1.

    .venv/bin/python tests/emulator/server.py --port 0 --port-file /tmp/emu.port

With --port 0 the OS picks a free port; the chosen port is written to
--port-file (atomically) once the socket is listening. SIGTERM/SIGINT stop it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

# Must be set before moto's IAM backend is imported: the AWS-managed policies
# (ViewOnlyAccess, ...) only exist when this is on.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
# Harmless dummy credentials so that nothing in-process ever looks for real ones.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
# MOTO_ACCOUNT_ID would pin every request to one account and break cross-account.
os.environ.pop("MOTO_ACCOUNT_ID", None)


def write_port_file(path: str, port: int) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def watch_parent() -> None:
    """Exit when the process that started us goes away.

    A test run killed hard (SIGKILL, a CI timeout) never gets to stop its
    emulators; without this they would linger holding memory and ports.
    """
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local AWS emulator (moto + extensions)")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: pick a free one)")
    parser.add_argument("--port-file", help="write the bound port here once ready")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    args = parser.parse_args(argv)

    from werkzeug.serving import make_server

    from emu_app import Emulator, request_handler

    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    app = Emulator()
    # Threaded: every request runs on its own thread, concurrently with the
    # others (emu_common.LockSet keeps the stores consistent).
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=request_handler())

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    watch_parent()

    port = server.socket.getsockname()[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"emulator listening on http://127.0.0.1:{port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

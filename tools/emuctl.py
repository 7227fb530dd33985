#!/usr/bin/env python3
"""Tiny client for the emulator's JSON control API, for shell scripts.

  emuctl.py wait --port-file F [--timeout S]      prints the endpoint once healthy
  emuctl.py call URL METHOD PATH [JSON] [--get a.b]  prints the response (or one field)
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def call(endpoint, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        endpoint.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        raw = resp.read()
    return json.loads(raw) if raw.strip() else None


def wait(port_file, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            port = int(open(port_file).read().strip())
            endpoint = f"http://127.0.0.1:{port}"
            call(endpoint, "GET", "/_emulator/health")
            return endpoint
        except (OSError, ValueError, urllib.error.URLError):
            time.sleep(0.1)
    raise SystemExit(f"emulator not healthy after {timeout}s")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("wait")
    w.add_argument("--port-file", required=True)
    w.add_argument("--timeout", type=float, default=120)
    c = sub.add_parser("call")
    c.add_argument("endpoint")
    c.add_argument("method")
    c.add_argument("path")
    c.add_argument("body", nargs="?")
    c.add_argument("--get", help="dotted path of one field to print raw")
    args = parser.parse_args()

    if args.command == "wait":
        print(wait(args.port_file, args.timeout))
        return 0
    try:
        result = call(args.endpoint, args.method.upper(), args.path,
                      json.loads(args.body) if args.body else None)
    except urllib.error.HTTPError as e:
        sys.stderr.write(f"{args.method} {args.path}: HTTP {e.code}: {e.read().decode(errors='replace')}\n")
        return 1
    if args.get:
        for key in args.get.split("."):
            result = result[key]
    print(result if isinstance(result, str) else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared pieces of the emulator: config, fault rules, request log, and the
protocol-correct error/response builders for the services we fake."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

MANAGEMENT_ACCOUNT = "123456789012"

# One process-wide lock: moto's backends are not thread-safe and our own state
# transitions (async completions) must be atomic with the request that sees them.
LOCK = threading.RLock()


def now() -> float:
    return time.time()


def new_request_id() -> str:
    return str(uuid.uuid4())


class AwsError(Exception):
    """An error that is rendered in the protocol of the service that raised it."""

    def __init__(self, code: str, message: str, status: int, extra: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra or {}


@dataclass
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(obj: Any, status: int = 200, content_type: str = "application/json") -> Response:
    body = json.dumps(obj).encode()
    return Response(
        status,
        body,
        [("Content-Type", content_type), ("x-amzn-RequestId", new_request_id())],
    )


# --- error rendering per protocol -------------------------------------------------

def render_error(service: str, err: AwsError) -> Response:
    rid = new_request_id()
    if service in ("iam", "sts"):
        ns = (
            "https://iam.amazonaws.com/doc/2010-05-08/"
            if service == "iam"
            else "https://sts.amazonaws.com/doc/2011-06-15/"
        )
        kind = "Receiver" if err.status >= 500 else "Sender"
        body = (
            f'<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type>'
            f"<Code>{_xml_escape(err.code)}</Code><Message>{_xml_escape(err.message)}</Message>"
            f"</Error><RequestId>{rid}</RequestId></ErrorResponse>"
        )
        return Response(err.status, body.encode(), [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)])
    if service == "eks":
        # restJson1: code in the header, lower-case "message" in the body.
        body = {"message": err.message, **err.extra}
        return Response(
            err.status,
            json.dumps(body).encode(),
            [
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", err.code),
                ("x-amzn-RequestId", rid),
            ],
        )
    # awsJson1_1 (sso-admin, identitystore)
    body = {"__type": err.code, "Message": err.message, **err.extra}
    return Response(
        err.status,
        json.dumps(body).encode(),
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", err.code),
            ("x-amzn-RequestId", rid),
        ],
    )


def _xml_escape(s: str) -> str:
    return (
        s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


# --- config ------------------------------------------------------------------------

DEFAULT_CONFIG = {
    "assignment_delay": 0.0,
    "provisioning_delay": 0.0,
    "deletion_delay": 0.0,
    "role_visibility_delay": 0.0,
    "eks_principal_delay": 0.0,
    "conflict_on_concurrent": True,
}


class Config:
    def __init__(self) -> None:
        self.values = dict(DEFAULT_CONFIG)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError as e:
            raise AttributeError(name) from e

    def update(self, body: dict) -> dict:
        for key, value in body.items():
            if key not in DEFAULT_CONFIG:
                raise ValueError(f"unknown config key {key!r}; known: {sorted(DEFAULT_CONFIG)}")
            if key == "conflict_on_concurrent":
                if not isinstance(value, bool):
                    raise ValueError("conflict_on_concurrent must be a boolean")
                self.values[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{key} must be a non-negative number of seconds")
                self.values[key] = float(value)
        return dict(self.values)


# --- faults ------------------------------------------------------------------------

SERVICES = ("sso-admin", "iam", "eks", "sts", "identitystore")
FAULT_KINDS = ("throttle", "error5xx", "conflict", "latency", "fail_async")


@dataclass
class FaultRule:
    service: str
    operation: str
    kind: str
    rate: float = 1.0
    count: int | None = None
    latency_ms: int = 0
    failure_reason: str | None = None
    fired: int = 0

    def matches(self, service: str, operation: str) -> bool:
        return self.service == service and self.operation in ("*", operation)

    def to_json(self) -> dict:
        return {
            "service": self.service,
            "operation": self.operation,
            "kind": self.kind,
            "rate": self.rate,
            "count": self.count,
            "latency_ms": self.latency_ms,
            "failure_reason": self.failure_reason,
            "fired": self.fired,
        }


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.rng = random.Random(0)

    def replace(self, body: dict) -> dict:
        rules = []
        for raw in body.get("rules", []):
            if not isinstance(raw, dict):
                raise ValueError("each rule must be an object")
            service = raw.get("service")
            kind = raw.get("kind")
            if service not in SERVICES:
                raise ValueError(f"rule service must be one of {SERVICES}, got {service!r}")
            if kind not in FAULT_KINDS:
                raise ValueError(f"rule kind must be one of {FAULT_KINDS}, got {kind!r}")
            rate = raw.get("rate", 1.0)
            if rate is None:
                rate = 1.0
            if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise ValueError("rate must be within 0..1")
            count = raw.get("count")
            if count is not None and (not isinstance(count, int) or count < 0):
                raise ValueError("count must be null or a non-negative integer")
            rules.append(
                FaultRule(
                    service=service,
                    operation=raw.get("operation") or "*",
                    kind=kind,
                    rate=float(rate),
                    count=count,
                    latency_ms=int(raw.get("latency_ms") or 0),
                    failure_reason=raw.get("failure_reason"),
                )
            )
        self.rules = rules
        self.rng = random.Random(body.get("seed", 0))
        return self.to_json()

    def clear(self) -> None:
        self.rules = []
        self.rng = random.Random(0)

    def to_json(self) -> dict:
        return {"rules": [r.to_json() for r in self.rules]}

    def fire(self, service: str, operation: str, kinds: tuple[str, ...]) -> list[FaultRule]:
        """Rules of the given kinds that fire for this call, consuming count and RNG."""
        fired = []
        for rule in self.rules:
            if rule.kind not in kinds or not rule.matches(service, operation):
                continue
            if rule.count is not None and rule.fired >= rule.count:
                continue
            # Only draw for fractional rates, so rate=1/0 rules do not shift the
            # random sequence seen by the other rules.
            if rule.rate >= 1.0:
                hit = True
            elif rule.rate <= 0.0:
                hit = False
            else:
                hit = self.rng.random() < rule.rate
            if hit:
                rule.fired += 1
                fired.append(rule)
        return fired


def fault_error(service: str, kind: str) -> AwsError:
    if kind == "throttle":
        if service in ("iam", "sts"):
            return AwsError("Throttling", "Rate exceeded", 400)
        return AwsError("ThrottlingException", "Rate exceeded", 429)
    if kind == "error5xx":
        if service in ("iam", "sts"):
            return AwsError("ServiceUnavailable", "Service is unavailable. Please retry.", 503)
        if service == "eks":
            return AwsError("ServerException", "An internal server error occurred.", 500)
        return AwsError(
            "InternalServerException",
            "The request processing has failed because of an unknown error, exception or failure.",
            500,
        )
    if kind == "conflict":
        if service in ("iam", "sts"):
            return AwsError(
                "ConcurrentModification",
                "The request was rejected because multiple requests to change this object were submitted simultaneously.",
                409,
            )
        if service == "eks":
            return AwsError("ResourceInUseException", "The specified resource is in use.", 409)
        return AwsError("ConflictException", "There is a conflicting operation in process.", 409)
    raise ValueError(kind)


# --- request log -------------------------------------------------------------------

class RequestLog:
    def __init__(self) -> None:
        self.entries: list[dict] = []

    def add(self, service: str, operation: str, account: str, region: str, status: int) -> None:
        self.entries.append(
            {
                "service": service,
                "operation": operation,
                "account": account,
                "region": region,
                "status": status,
            }
        )

    def clear(self) -> None:
        self.entries = []

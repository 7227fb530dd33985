"""Shared pieces of the emulator: config, fault rules, request log, and the
protocol-correct error/response builders for the services we fake."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

MANAGEMENT_ACCOUNT = "123456789012"



class LockSet:
    """One lock per store, always taken in the order of ORDER.

    werkzeug's threaded server runs every request on its own thread. moto's
    backends are plain dicts and lists with no locking of their own: moto
    guards only the creation of a backend (moto.core.base_backend.backend_lock)
    and copies a dict before iterating it in a few places (moto issue #5881).
    Our own state moves through multi-step transitions (an async completion
    writes the assignment and the reserved role in IAM). So every
    read-modify-write runs under the lock of the store it touches. Requests to different stores (EKS, Identity Center,
    the identity store, IAM/STS) run in parallel, and anything that waits
    (injected latency, sso_write_duration) waits outside every lock.

    ORDER is the only order in which a thread may nest them; taking a lock
    that ranks below one the thread already holds raises, so a lock-order bug
    fails a test instead of deadlocking a run.
    """

    # IAM and STS share one lock: STS sessions are access keys in IAM's backends.
    ORDER = ("eks", "sso", "identitystore", "iam")

    def __init__(self) -> None:
        self._locks = {name: threading.RLock() for name in self.ORDER}
        self._local = threading.local()

    def _held(self) -> list[int]:
        held = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = []
        return held

    @contextmanager
    def hold(self, *names: str) -> Iterator[None]:
        ranks = sorted({self.ORDER.index(n) for n in names})
        held = self._held()
        taken: list[int] = []
        try:
            for rank in ranks:
                if rank not in held and held and max(held) > rank:
                    raise RuntimeError(
                        f"emulator lock order: {self.ORDER[rank]} taken while holding "
                        f"{[self.ORDER[r] for r in held]}"
                    )
                self._locks[self.ORDER[rank]].acquire()
                held.append(rank)
                taken.append(rank)
            yield
        finally:
            for rank in reversed(taken):
                del held[len(held) - 1 - held[::-1].index(rank)]
                self._locks[self.ORDER[rank]].release()

    def all(self):
        return self.hold(*self.ORDER)


LOCKS = LockSet()


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
    if service in ("eks", "sso"):
        # restJson1 (EKS, the access portal): code in the header, lower-case
        # "message" in the body.
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

DEFAULT_CONFIG: dict[str, Any] = {
    "assignment_delay": 0.0,
    "provisioning_delay": 0.0,
    "deletion_delay": 0.0,
    "role_visibility_delay": 0.0,
    "eks_principal_delay": 0.0,
    "conflict_on_concurrent": True,
    # While true, account assignment creations stay IN_PROGRESS (AWS lets
    # them run for minutes when Identity Center is busy; the
    # DescribeAccountAssignmentCreationStatus reference lists IN_PROGRESS as a
    # status a caller must keep polling through). Set false again to let the
    # held ones finish on the next request.
    "hold_assignments": False,
    # Server-side processing time of each sso-admin write that names a
    # permission set; another write to the same set arriving meanwhile gets
    # ConflictException (see SsoAdmin.handle).
    "sso_write_duration": 0.0,
    # Requests per second of the shared IAM Identity Center token bucket
    # (sso-admin + identitystore), or None for no quota.
    "sso_tps_quota": None,
}
SECONDS_KEYS = (
    "assignment_delay",
    "provisioning_delay",
    "deletion_delay",
    "role_visibility_delay",
    "eks_principal_delay",
    "sso_write_duration",
)


class Config:
    def __init__(self) -> None:
        self.values = dict(DEFAULT_CONFIG)
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError as e:
            raise AttributeError(name) from e

    def update(self, body: dict) -> dict:
        staged = dict(self.values)
        for key, value in body.items():
            if key not in DEFAULT_CONFIG:
                raise ValueError(f"unknown config key {key!r}; known: {sorted(DEFAULT_CONFIG)}")
            if key in ("conflict_on_concurrent", "hold_assignments"):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be a boolean")
                staged[key] = value
            elif key == "sso_tps_quota":
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                    raise ValueError("sso_tps_quota must be null (off) or a positive number of requests per second")
                staged[key] = None if value is None else float(value)
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{key} must be a non-negative number of seconds")
                staged[key] = float(value)
        with self.lock:
            self.values.update(staged)
        return dict(self.values)

    def reset(self) -> None:
        with self.lock:
            self.values.clear()
            self.values.update(DEFAULT_CONFIG)


# --- which calls write --------------------------------------------------------------

# One definition for the whole emulator: an operation writes when its name starts
# with one of these verbs (followed by the next CamelCase word). AssumeRole,
# GetRoleCredentials, GetCallerIdentity, Describe*, Get*, List* only read or hand
# out sessions, so they are not writes.
MUTATING_VERBS = (
    "Add", "Associate", "Attach", "Change", "Create", "Delete", "Deregister", "Detach",
    "Disable", "Disassociate", "Enable", "Import", "Logout", "Modify", "Provision", "Put",
    "Register", "Remove", "Reset", "Set", "Start", "Stop", "Tag", "Untag", "Update", "Upload",
)


def is_mutating(operation: str) -> bool:
    for verb in MUTATING_VERBS:
        if operation.startswith(verb):
            rest = operation[len(verb):]
            if not rest or rest[0].isupper():
                return True
    return False


# --- the Identity Center request quota -------------------------------------------------


class TokenBucket:
    """IAM Identity Center's shared request quota: "all IAM Identity Center APIs
    share 20 TPS" (/work/shared/research/perf.md §3, from the IAM Identity Center
    quotas page). A bucket of `rate` tokens refilled continuously at `rate` per
    second; a request takes one token or is throttled. Burst = one second's worth
    (the burst size AWS uses is not published: UNCONFIRMED)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rate: float | None = None
        self.tokens = 0.0
        self.stamp = time.monotonic()

    def configure(self, rate: float | None) -> None:
        with self.lock:
            if rate != self.rate:
                self.rate = rate
                self.tokens = rate or 0.0
                self.stamp = time.monotonic()

    def take(self) -> bool:
        with self.lock:
            if self.rate is None:
                return True
            t = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (t - self.stamp) * self.rate)
            self.stamp = t
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


# Message of IAM Identity Center's ThrottlingException (awsapi.md §1, from
# aws-samples/aws-iam-identity-center-extensions issue #111).
QUOTA_THROTTLE_MESSAGE = "There are too many requests processing. Please try again later."


# --- faults ------------------------------------------------------------------------

SERVICES = ("sso-admin", "iam", "eks", "sts", "identitystore", "sso")
FAULT_KINDS = ("throttle", "error5xx", "conflict", "latency", "fail_async", "lost_response")


@dataclass
class FaultRule:
    service: str  # one of SERVICES or "*"
    operation: str
    kind: str
    rate: float = 1.0
    count: int | None = None
    latency_ms: int = 0
    failure_reason: str | None = None
    # Fire on exactly the nth call this rule matches (1-based), whatever the rate.
    nth: int | None = None
    # Only match calls that write (is_mutating).
    mutating: bool = False
    fired: int = 0
    seen: int = 0

    def matches(self, service: str, operation: str) -> bool:
        if self.service not in ("*", service) or self.operation not in ("*", operation):
            return False
        return not self.mutating or is_mutating(operation)

    def to_json(self) -> dict:
        return {
            "service": self.service,
            "operation": self.operation,
            "kind": self.kind,
            "rate": self.rate,
            "count": self.count,
            "latency_ms": self.latency_ms,
            "failure_reason": self.failure_reason,
            "nth": self.nth,
            "mutating": self.mutating,
            "fired": self.fired,
            "seen": self.seen,
        }


class Faults:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rules: list[FaultRule] = []
        self.rng = random.Random(0)

    def replace(self, body: dict) -> dict:
        rules = []
        for raw in body.get("rules", []):
            if not isinstance(raw, dict):
                raise ValueError("each rule must be an object")
            service = raw.get("service")
            kind = raw.get("kind")
            if service not in SERVICES and service != "*":
                raise ValueError(f"rule service must be one of {SERVICES} or '*', got {service!r}")
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
            nth = raw.get("nth")
            if nth is not None and (isinstance(nth, bool) or not isinstance(nth, int) or nth < 1):
                raise ValueError("nth must be null or a positive integer (1 = the first matching call)")
            mutating = raw.get("mutating", False)
            if not isinstance(mutating, bool):
                raise ValueError("mutating must be a boolean")
            rules.append(
                FaultRule(
                    service=service,
                    operation=raw.get("operation") or "*",
                    kind=kind,
                    rate=float(rate),
                    count=count,
                    latency_ms=int(raw.get("latency_ms") or 0),
                    failure_reason=raw.get("failure_reason"),
                    nth=nth,
                    mutating=mutating,
                )
            )
        seed = body.get("seed", 0)
        with self.lock:
            self.rules = rules
            self.rng = random.Random(seed)
        return self.to_json()

    def clear(self) -> None:
        with self.lock:
            self.rules = []
            self.rng = random.Random(0)

    def to_json(self) -> dict:
        with self.lock:
            return {"rules": [r.to_json() for r in self.rules]}

    def fire(self, service: str, operation: str, kinds: tuple[str, ...]) -> list[FaultRule]:
        """Rules of the given kinds that fire for this call, consuming count and RNG.

        Each rule counts the calls it matches (`seen`), so `nth` picks one call
        exactly. With concurrent clients, which call is "nth", and which call a
        fractional rate hits, follows the order in which calls arrive here."""
        fired = []
        with self.lock:
            for rule in self.rules:
                if rule.kind not in kinds or not rule.matches(service, operation):
                    continue
                rule.seen += 1
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if rule.nth is not None:
                    hit = rule.seen == rule.nth
                # Only draw for fractional rates, so rate=1/0 rules do not shift the
                # random sequence seen by the other rules.
                elif rule.rate >= 1.0:
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
        if service == "sso":
            return AwsError("TooManyRequestsException", "Rate exceeded", 429)
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
    if kind == "lost_response":
        # What a client sees when the response never makes it back through the
        # front end: a 503, which every AWS SDK retries.
        return AwsError("ServiceUnavailable", "Service Unavailable", 503)
    raise ValueError(kind)


# --- request log -------------------------------------------------------------------

class RequestLog:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[dict] = []

    def add(
        self,
        service: str,
        operation: str,
        account: str,
        region: str,
        status: int,
        fault: str | None = None,
        access_key_id: str | None = None,
    ) -> None:
        entry = {
            "service": service,
            "operation": operation,
            "account": account,
            "region": region,
            "status": status,
            "mutating": is_mutating(operation),
        }
        if fault:
            entry["fault"] = fault
        # The key ID the request was signed with, as CloudTrail records it
        # (`userIdentity.accessKeyId`); never the secret, which SigV4 never sends.
        if access_key_id:
            entry["access_key_id"] = access_key_id
        with self.lock:
            self.entries.append(entry)

    def snapshot(self) -> list[dict]:
        with self.lock:
            return list(self.entries)

    def clear(self) -> None:
        with self.lock:
            self.entries = []

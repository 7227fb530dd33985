"""STS AssumeRoleWithWebIdentity, checked the way AWS checks it before moto
hands out credentials.

moto's own AssumeRoleWithWebIdentity accepts any token for any role, so a
provider that sent an empty token, the wrong file's token or no token at all
would pass. This module checks what the AWS STS API reference
("AssumeRoleWithWebIdentity") and the IAM User Guide ("Create a role for web
identity or OpenID Connect federation", "IAM and AWS STS condition context
keys") document, and records every accepted call so tests can see which role
each credential side assumed with which token:

- RoleArn (20-2048 characters), RoleSessionName (2-64 of ``[\\w+=,.@-]``)
  and WebIdentityToken (4-20000 characters) are required; DurationSeconds is
  900-43200. Violations are ``ValidationError``.
- The token is an OpenID Connect ID token (a JWT). One that cannot be decoded,
  or lacks ``iss``, ``sub``, ``aud`` or ``exp``, is ``InvalidIdentityToken``;
  one past ``exp`` is ``ExpiredTokenException``. The signature is not verified:
  the emulator has no network to fetch the issuer's keys.
- The role's account must hold an IAM OIDC provider for the token's issuer
  (``InvalidIdentityToken``: "No OpenIDConnect provider found in your account
  for <iss>") whose client ID list contains the token's audience
  (``InvalidIdentityToken``: "Incorrect token audience").
- The role must exist and its trust policy must allow
  ``sts:AssumeRoleWithWebIdentity`` to ``Principal.Federated`` = that
  provider's ARN, with every ``StringEquals``/``StringLike`` condition on
  ``<provider>:aud`` and ``<provider>:sub`` satisfied; otherwise
  ``AccessDenied``: "Not authorized to perform sts:AssumeRoleWithWebIdentity".

When every check passes, moto serves the call as before: the credentials it
returns act in the role's account.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import time
from typing import Any

from emu_common import AwsError

ROLE_ARN_RE = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)$")
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")
ACTION = "sts:AssumeRoleWithWebIdentity"


def _validation(message: str) -> AwsError:
    return AwsError("ValidationError", message, 400)


def _b64url_json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def decode_jwt(token: str) -> dict:
    """The payload of a JWT, without verifying its signature."""
    parts = token.split(".")
    if len(parts) != 3:
        raise AwsError("InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.", 400)
    try:
        header = _b64url_json(parts[0])
        claims = _b64url_json(parts[1])
    except (ValueError, UnicodeError):
        raise AwsError("InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.", 400)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AwsError("InvalidIdentityToken", "The web identity token that was passed is not a JSON web token.", 400)
    for claim in ("iss", "sub", "aud", "exp"):
        if claim not in claims:
            raise AwsError("InvalidIdentityToken", f"The web identity token has no '{claim}' claim.", 400)
    return claims


def _as_list(v: Any) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


class WebIdentity:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def reset(self) -> None:
        self.calls.clear()

    def check(self, form: dict[str, list[str]]) -> None:
        """Raises AwsError unless AWS would accept this call; records it otherwise."""
        p = {k: v[0] for k, v in form.items() if v}
        role_arn = p.get("RoleArn", "")
        session = p.get("RoleSessionName", "")
        token = p.get("WebIdentityToken", "")
        if not 20 <= len(role_arn) <= 2048:
            raise _validation("1 validation error detected: Value at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048")
        if not SESSION_NAME_RE.match(session):
            raise _validation(
                f"1 validation error detected: Value '{session}' at 'roleSessionName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64"
            )
        if not 4 <= len(token) <= 20000:
            raise _validation("1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000")
        if "DurationSeconds" in p:
            try:
                duration = int(p["DurationSeconds"])
            except ValueError:
                raise _validation("DurationSeconds must be a number")
            if not 900 <= duration <= 43200:
                raise _validation("1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200")
        m = ROLE_ARN_RE.match(role_arn)
        if not m:
            raise _validation(f"{role_arn} is invalid")
        partition, account = m.group(1), m.group(2)

        claims = decode_jwt(token)
        if float(claims["exp"]) <= time.time():
            raise AwsError("ExpiredTokenException", "Token expired: current date/time must be before the expiration date/time.", 400)
        issuer = str(claims["iss"])
        host_path = re.sub(r"^https://", "", issuer).rstrip("/")
        audiences = [str(a) for a in _as_list(claims["aud"])]

        from moto.iam.models import iam_backends

        iam = iam_backends[account][partition]
        provider = next((o for o in iam.open_id_providers.values() if o.url.rstrip("/") == host_path), None)
        if provider is None:
            raise AwsError("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}", 400)
        if not any(a in provider.client_id_list for a in audiences):
            raise AwsError("InvalidIdentityToken", "Incorrect token audience", 400)

        denied = AwsError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
        role = next((r for r in iam.roles.values() if r.arn == role_arn), None)
        if role is None:
            raise denied
        try:
            trust = json.loads(role.assume_role_policy_document)
        except ValueError:
            raise denied
        context = {f"{host_path}:aud": audiences, f"{host_path}:sub": [str(claims["sub"])]}
        if not any(self._allows(s, provider.arn, context) for s in _as_list(trust.get("Statement"))):
            raise denied
        self.calls.append(
            {
                "role_arn": role_arn,
                "account": account,
                "session_name": session,
                "issuer": issuer,
                "subject": str(claims["sub"]),
                "audience": audiences,
            }
        )

    @staticmethod
    def _allows(statement: dict, provider_arn: str, context: dict[str, list[str]]) -> bool:
        if statement.get("Effect") != "Allow":
            return False
        if ACTION not in _as_list(statement.get("Action")) and "sts:*" not in _as_list(statement.get("Action")):
            return False
        principal = statement.get("Principal") or {}
        if not isinstance(principal, dict) or provider_arn not in _as_list(principal.get("Federated")):
            return False
        for operator, tests in (statement.get("Condition") or {}).items():
            if operator not in ("StringEquals", "StringLike"):
                return False  # an operator we do not evaluate never grants access
            for key, wanted in tests.items():
                have = context.get(key)
                if have is None:
                    return False
                patterns = [str(w) for w in _as_list(wanted)]
                if operator == "StringEquals":
                    ok = any(h in patterns for h in have)
                else:
                    ok = any(fnmatch.fnmatchcase(h, w) for h in have for w in patterns)
                if not ok:
                    return False
        return True

"""The AWS access portal API (botocore service `sso`, signing name
`awsssoportal`): what the AWS CLI and SDKs call with a cached SSO token to turn a
permission set assignment into credentials.

Real tokens come from an OIDC device-code login that cannot run offline, so the
control API hands them out instead (POST /_emulator/sso/tokens), one per
identity-store user. The portal then answers as IAM Identity Center does:
- GetRoleCredentials(role_name = permission set name, account_id) succeeds
  only if the user is assigned that permission set in that account, directly
  or through a group, and its AWSReservedSSO role exists in IAM; the
  credentials are a session of that role named after the user, so STS
  GetCallerIdentity answers
  `arn:aws:sts::<acct>:assumed-role/AWSReservedSSO_<set>_<suffix>/<user>`
  (awsapi.md §2 "Caller identity");
- ListAccounts / ListAccountRoles list what the user may use.

Shapes and status codes come from botocore's `sso` model (2019-06-10): every
operation is unsigned and carries the token in `x-amz-sso_bearer_token`;
UnauthorizedException is 401, ResourceNotFoundException 404. An unknown or
expired token gets UnauthorizedException "Session token not found or invalid"
(the text of the IAM Identity Center troubleshooting entry "Error: Session token
not found or invalid"). A role the user is not assigned gets
ForbiddenException "No access", which is not in the model but is what the
portal sends (ministryofjustice/modernisation-platform PR #10161: "An error
occurred (ForbiddenException) when calling the GetRoleCredentials operation: No
access"); its 403 status is UNCONFIRMED.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from emu_common import LOCKS, MANAGEMENT_ACCOUNT, AwsError, json_response
from emu_sso import duration_seconds

# The portal's request routes (botocore `sso` model, `http.requestUri`).
ROUTES = {
    ("GET", "/federation/credentials"): "GetRoleCredentials",
    ("GET", "/assignment/accounts"): "ListAccounts",
    ("GET", "/assignment/roles"): "ListAccountRoles",
    ("POST", "/logout"): "Logout",
}

DEFAULT_TOKEN_SECONDS = 8 * 3600  # the access portal's default session length


def operation_for(method: str, path: str) -> str | None:
    return ROUTES.get((method, path.rstrip("/") or "/"))


def unauthorized() -> AwsError:
    return AwsError("UnauthorizedException", "Session token not found or invalid", 401)


@dataclass
class Token:
    user_id: str
    user_name: str
    expires: float


class Portal:
    def __init__(self, sso) -> None:
        self.sso = sso
        self.reset()

    def reset(self) -> None:
        self.tokens: dict[str, Token] = {}

    # -- control API --

    def issue(self, body: dict) -> dict:
        """POST /_emulator/sso/tokens {"user_name", "expires_in"?}: a token for
        an identity-store user, plus what `aws sso login` would cache with it."""
        user_name = body.get("user_name")
        if not isinstance(user_name, str) or not user_name:
            raise ValueError("user_name is required")
        expires_in = body.get("expires_in", DEFAULT_TOKEN_SECONDS)
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
            raise ValueError("expires_in must be a number of seconds")
        with LOCKS.hold("sso", "identitystore"):
            inst = self.sso.instance
            if inst is None:
                raise ValueError("Identity Center is not enabled; call /_emulator/sso/setup first")
            store = self._store()
            user = next((u for u in store.users.values() if u.UserName == user_name), None) if store else None
            if user is None:
                raise ValueError(f"no user {user_name!r} in identity store {inst.identity_store_id}")
            token = "emu-sso-" + secrets.token_urlsafe(32)
            expires = time.time() + float(expires_in)
            self.tokens[token] = Token(user_id=user.UserId, user_name=user_name, expires=expires)
        return {
            "accessToken": token,
            "expiresAt": datetime.fromtimestamp(expires, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": inst.region,
            "startUrl": f"https://{inst.identity_store_id}.awsapps.com/start",
            "user_id": user.UserId,
        }

    # -- the portal API --

    def handle(self, operation: str, bearer: str | None, query: str) -> Any:
        q = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        with LOCKS.hold("sso", "identitystore", "iam"):
            token = self._token(bearer)
            if operation == "Logout":
                self.tokens.pop(bearer or "", None)
                return json_response({})
            if operation == "GetRoleCredentials":
                return json_response(self._role_credentials(token, q))
            if operation == "ListAccounts":
                accounts = sorted({acct for acct, _ in self._usable(token)})
                items = [
                    {"accountId": a, "accountName": f"account-{a}", "emailAddress": f"aws+{a}@example.com"}
                    for a in accounts
                ]
                return json_response(self._page(q, items, "accountList"))
            if operation == "ListAccountRoles":
                account = self._required(q, "account_id", "accountId")
                roles = sorted({name for acct, name in self._usable(token) if acct == account})
                items = [{"roleName": name, "accountId": account} for name in roles]
                return json_response(self._page(q, items, "roleList"))
        raise AwsError("InvalidRequestException", f"Unknown operation {operation}", 400)

    def _store(self):
        from moto.identitystore.models import identitystore_backends

        inst = self.sso.instance
        backend = identitystore_backends[MANAGEMENT_ACCOUNT][inst.region]
        return backend.identity_stores.get(inst.identity_store_id)

    def _token(self, value: str | None) -> Token:
        token = self.tokens.get(value or "")
        if token is None or token.expires <= time.time() or self.sso.instance is None:
            raise unauthorized()
        return token

    @staticmethod
    def _required(q: dict, key: str, member: str) -> str:
        value = q.get(key)
        if not value:
            raise AwsError("InvalidRequestException", f"{member} is required", 400)
        return value

    def _groups_of(self, user_id: str) -> set[str]:
        store = self._store()
        if store is None:
            return set()
        return {
            m["GroupId"] for m in list(store.group_memberships.values()) if m["MemberId"].get("UserId") == user_id
        }

    def _usable(self, token: Token) -> list[tuple[str, str]]:
        """(account, permission set name) pairs the user may sign in to: an
        assignment to the user or one of its groups, with the reserved role in IAM."""
        inst = self.sso.instance
        groups = self._groups_of(token.user_id)
        out = []
        for inst_arn, account, ps_arn, ptype, pid in list(self.sso.assignments):
            if inst_arn != inst.arn:
                continue
            if not ((ptype == "USER" and pid == token.user_id) or (ptype == "GROUP" and pid in groups)):
                continue
            ps = self.sso.permission_sets.get(ps_arn)
            rec = self.sso.roles.get((ps_arn, account))
            if ps is None or rec is None or not self._role_in_iam(rec):
                continue
            out.append((account, ps.name))
        return out

    @staticmethod
    def _role_in_iam(rec) -> bool:
        from moto.iam.models import iam_backends

        iam = iam_backends[rec.account]["aws"]
        return rec.materialized and any(r.arn == rec.arn for r in list(iam.roles.values()))

    def _role_credentials(self, token: Token, q: dict) -> dict:
        from moto.sts.models import sts_backends

        role_name = self._required(q, "role_name", "roleName")
        account = self._required(q, "account_id", "accountId")
        if (account, role_name) not in self._usable(token):
            raise AwsError("ForbiddenException", "No access", 403)
        ps = next(p for p in self.sso.permission_sets.values() if p.name == role_name and p.instance_arn == self.sso.instance.arn)
        rec = self.sso.roles[(ps.arn, account)]
        # The permission set's session duration bounds the session; the role's
        # own MaxSessionDuration is always 12 h (User Guide, "Set session duration").
        seconds = int(duration_seconds(rec.snapshot["session_duration"]))
        session = sts_backends[account]["aws"].assume_role(
            region_name=self.sso.instance.region,
            role_session_name=token.user_name,
            role_arn=rec.arn,
            policy=None,
            duration=seconds,
            external_id=None,
        )
        return {
            "roleCredentials": {
                "accessKeyId": session.access_key_id,
                "secretAccessKey": session.secret_access_key,
                "sessionToken": session.session_token,
                "expiration": int((time.time() + seconds) * 1000),
            }
        }

    @staticmethod
    def _page(q: dict, items: list, key: str) -> dict:
        try:
            size = int(q.get("max_result") or 100)
            start = int((q.get("next_token") or "emu-0").split("-", 1)[1])
        except (ValueError, IndexError):
            raise AwsError("InvalidRequestException", "The next token or page size is invalid.", 400)
        out: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            out["nextToken"] = f"emu-{start + size}"
        return out

"""STS AssumeRole as AWS authorizes it (moto assumes any role, even a missing one).

Who is calling is worked out from the access key the request was signed with:
- a key of an STS session (moto puts those in IAM's `access_keys` with the
  role's ARN) is that role's session;
- a key of an IAM user is that user;
- any other key (the tests' `testing` credentials) is the root user of the
  account moto maps it to, the management account.

The caller may assume the role when, per the IAM User Guide ("Policy evaluation
logic" and "Cross-account policy evaluation logic"):
1. the role exists under exactly the ARN asked for;
2. its trust policy allows the caller (Principal, Action, Condition) and nothing
   in it denies;
3. the caller's identity-based policies allow sts:AssumeRole on the role too,
   unless the trust policy names the caller itself and both are in the same
   account. Role trust policies are the documented exception to "a
   resource-based policy alone grants access in the same account": "Role trust
   policies and KMS key policies are exceptions to this logic, because they
   must explicitly allow access for principals", and a trust that names the
   account root delegates to the account's identity policies (AWS re:Post
   "allow only a particular principal arn from same account in trust
   policy"). The root user needs no identity policy. An explicit Deny in any
   identity policy, the role's permissions boundary or the session policy
   always refuses.
A refusal is STS's 403 AccessDenied "User: <caller ARN> is not authorized to
perform: sts:AssumeRole on resource: <role ARN>" (the shape of real answers, e.g.
Netflix/security_monkey issue #77 quoting the ErrorResponse XML). The reason is
written to the emulator's stderr, which real STS never tells.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from emu_common import LOCKS, MANAGEMENT_ACCOUNT, AwsError
from emu_policy import ALLOW, DENY, Principal, evaluate_identity_policies, evaluate_resource_policy

ACTION = "sts:AssumeRole"
RE_IAM_ARN = re.compile(r"arn:aws:iam::(\d{12}):(role|user)(/.*)?/([^/]+)")
RE_ROOT_ARN = re.compile(r"arn:aws:iam::(\d{12}):root")


def _iam(account: str):
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def _find_role(account: str, name: str):
    for role in list(_iam(account).roles.values()):
        if role.name == name:
            return role
    return None


def _find_user(account: str, name: str):
    return _iam(account).users.get(name)


def _default_document(policy) -> str | None:
    for version in getattr(policy, "versions", []):
        if version.is_default:
            return version.document
    return None


def _managed_document(account: str, arn: str) -> str | None:
    iam = _iam(account)
    policy = iam.managed_policies.get(arn)
    return _default_document(policy) if policy is not None else None


class Caller:
    """The principal behind an access key, with its identity-based policies."""

    def __init__(self, principal: Principal, policies: list, boundary: Any = None, session_policy: Any = None,
                 gone: str | None = None):
        self.principal = principal
        self.policies = policies
        self.boundary = boundary
        self.session_policy = session_policy
        # Why this caller cannot act at all (its role was deleted), if so.
        self.gone = gone


def _role_policies(role) -> tuple[list, Any]:
    docs: list = list(role.policies.values())
    docs += [d for d in (_default_document(p) for p in role.managed_policies.values()) if d]
    boundary = None
    if role.permissions_boundary_arn:
        boundary = _managed_document(role.account_id, role.permissions_boundary_arn) or "{}"
    return docs, boundary


def _user_policies(account: str, user) -> list:
    docs: list = list(user.policies.values())
    docs += [d for d in (_default_document(p) for p in user.managed_policies.values()) if d]
    for group in list(_iam(account).groups.values()):
        if user in group.users:
            docs += list(group.policies.values())
            docs += [d for d in (_default_document(p) for p in group.managed_policies.values()) if d]
    return docs


def root_caller(account: str) -> Caller:
    root = f"arn:aws:iam::{account}:root"
    return Caller(Principal(account=account, arn=root, principal_arn=root, kind="root"), policies=[])


def session_caller(account: str, role_arn: str, session_name: str, session_policy: Any = None) -> Caller:
    """A session of the role named by `role_arn` (its name is what counts: the
    session's aws:PrincipalArn is the role's real ARN, with its path)."""
    name = role_arn.rsplit("/", 1)[-1]
    session_arn = f"arn:aws:sts::{account}:assumed-role/{name}/{session_name}"
    role = _find_role(account, name)
    if role is None:
        p = Principal(account=account, arn=session_arn, principal_arn=role_arn, kind="session", aliases=[session_arn])
        return Caller(p, policies=[], gone=f"the session's role {role_arn} no longer exists")
    p = Principal(account=account, arn=session_arn, principal_arn=role.arn, kind="session", aliases=[session_arn])
    docs, boundary = _role_policies(role)
    return Caller(p, policies=docs, boundary=boundary, session_policy=session_policy)


def user_caller(account: str, user) -> Caller:
    p = Principal(account=account, arn=user.arn, principal_arn=user.arn, kind="user")
    return Caller(p, policies=_user_policies(account, user))


def caller_for_key(access_key: str | None) -> Caller:
    """Caller of a request signed with `access_key` (iam lock held)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    if access_key:
        for account, parts in list(iam_backends.items()):
            iam = dict.get(parts, "aws")
            if iam is None:
                continue
            key = iam.access_keys.get(access_key)
            if key is None:
                continue
            if key.role_arn:
                session_name, policy = "session", None
                sts = dict.get(sts_backends.get(account, {}) or {}, "aws")
                for assumed in list(getattr(sts, "assumed_roles", [])):
                    if assumed.access_key_id == access_key:
                        session_name, policy = assumed.session_name, assumed.policy
                        break
                return session_caller(account, key.role_arn, session_name, policy)
            if key.user_name:
                user = iam.users.get(key.user_name)
                if user is not None:
                    return user_caller(account, user)
            return root_caller(account)
    return root_caller(MANAGEMENT_ACCOUNT)


def caller_for_arn(arn: str, session_name: str = "simulated") -> Caller:
    """Caller named by an IAM ARN, for the control API's simulation."""
    m = RE_ROOT_ARN.fullmatch(arn)
    if m:
        return root_caller(m.group(1))
    m = RE_IAM_ARN.fullmatch(arn)
    if not m:
        raise ValueError(f"principal_arn must be an IAM role, user or root ARN, got {arn!r}")
    account, kind, _, name = m.groups()
    if kind == "role":
        caller = session_caller(account, arn, session_name)
        if caller.gone is None and caller.principal.principal_arn != arn:
            raise ValueError(f"no role {arn} (the role {name} has ARN {caller.principal.principal_arn})")
        return caller
    user = _find_user(account, name)
    if user is None or user.arn != arn:
        raise ValueError(f"no IAM user {arn}")
    return user_caller(account, user)


def context_for(caller: Caller, params: dict) -> dict[str, Any]:
    p = caller.principal
    ctx: dict[str, Any] = {
        "aws:principalarn": p.principal_arn,
        "aws:principalaccount": p.account,
        "aws:principaltype": {"root": "Account", "user": "User", "session": "AssumedRole"}[p.kind],
    }
    if p.kind == "user":
        ctx["aws:username"] = p.principal_arn.rsplit("/", 1)[-1]
    if params.get("RoleSessionName"):
        ctx["sts:rolesessionname"] = params["RoleSessionName"]
    if params.get("ExternalId"):
        ctx["sts:externalid"] = params["ExternalId"]
    return ctx


def decide(caller: Caller, role_arn: str, params: dict) -> tuple[bool, str]:
    """(allowed, reason) for `caller` calling AssumeRole on `role_arn` (iam lock held)."""
    m = RE_IAM_ARN.fullmatch(role_arn)
    if not m or m.group(2) != "role":
        return False, f"{role_arn} is not an IAM role ARN"
    account, name = m.group(1), m.group(4)
    if caller.gone:
        return False, caller.gone
    role = _find_role(account, name)
    if role is None:
        return False, f"no role {name} exists in account {account}"
    if role.arn != role_arn:
        return False, f"the role {name} has ARN {role.arn}, not {role_arn}"
    ctx = context_for(caller, params)
    trust = evaluate_resource_policy(role.assume_role_policy_document, caller.principal, ACTION, ctx)
    if trust.effect != ALLOW:
        return False, trust.reason
    if caller.principal.kind == "root":
        return True, "the trust policy allows the account's root user"
    identity = evaluate_identity_policies(caller.policies, ACTION, role.arn, ctx)
    if identity.effect == DENY:
        return False, identity.reason
    for limit, what in ((caller.boundary, "permissions boundary"), (caller.session_policy, "session policy")):
        if limit is None:
            continue
        d = evaluate_identity_policies([limit], ACTION, role.arn, ctx)
        if d.effect != ALLOW:
            return False, f"the {what} does not allow {ACTION} ({d.reason})"
    if trust.named and account == caller.principal.account:
        return True, "the trust policy names the caller, in the same account"
    if identity.effect != ALLOW:
        where = "in the same account" if account == caller.principal.account else "across accounts"
        return False, (
            f"the trust policy allows the caller only through its account or \"*\" ({where}), "
            f"and {identity.reason}"
        )
    return True, "the trust policy and the caller's identity-based policies allow it"


def authorize_assume_role(access_key: str | None, params: dict) -> None:
    """Raises STS's AccessDenied unless the caller may assume params["RoleArn"]."""
    role_arn = params.get("RoleArn")
    if not isinstance(role_arn, str):
        return  # moto reports the missing parameter
    with LOCKS.hold("iam"):
        caller = caller_for_key(access_key)
        allowed, reason = decide(caller, role_arn, params)
    if not allowed:
        print(f"emulator: AssumeRole of {role_arn} by {caller.principal.arn} denied: {reason}", file=sys.stderr, flush=True)
        raise AwsError(
            "AccessDenied",
            f"User: {caller.principal.arn} is not authorized to perform: {ACTION} on resource: {role_arn}",
            403,
        )


def simulate(body: dict) -> dict:
    """The control API's POST /_emulator/iam/simulate-assume-role."""
    principal_arn = body.get("principal_arn")
    role_arn = body.get("role_arn")
    if not isinstance(principal_arn, str) or not isinstance(role_arn, str):
        raise ValueError("principal_arn and role_arn are required strings")
    params = {"RoleArn": role_arn, "RoleSessionName": body.get("session_name") or "simulated"}
    if body.get("external_id"):
        params["ExternalId"] = body["external_id"]
    with LOCKS.hold("iam"):
        caller = caller_for_arn(principal_arn, params["RoleSessionName"])
        allowed, reason = decide(caller, role_arn, params)
    return {"allowed": allowed, "reason": reason}


def issued_sessions() -> list[dict]:
    """The control API's GET /_emulator/sts/sessions: every temporary
    credential STS has handed out (AssumeRole, AssumeRoleWithWebIdentity and
    the portal's GetRoleCredentials all go through moto's STS), secret parts
    included, so a test can check that a client never writes them anywhere
    (iam lock held)."""
    from moto.sts.models import sts_backends

    out = []
    for account, parts in list(sts_backends.items()):
        sts = dict.get(parts, "aws")
        for assumed in list(getattr(sts, "assumed_roles", [])):
            out.append(
                {
                    "account": account,
                    "arn": assumed.arn,
                    "access_key_id": assumed.access_key_id,
                    "secret_access_key": assumed.secret_access_key,
                    "session_token": assumed.session_token,
                }
            )
    return out

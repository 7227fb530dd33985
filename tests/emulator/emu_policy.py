"""IAM policy evaluation for the one decision the emulator makes: may this caller
call sts:AssumeRole on this role?

Pure functions over parsed policy documents; emu_trust.py gathers the documents
from moto's IAM and turns the decision into an STS answer. Semantics follow the
IAM User Guide:

- Wildcards: `*` matches any run of characters (including none) and `?` exactly
  one, in Action, Resource and the *Like operators ("IAM JSON policy elements:
  Condition operators", docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
- ArnEquals / ArnLike (and their Not forms): "Each of the six colon-delimited
  components of the ARN is checked separately and each can include multi-character
  match wildcards (*) or single-character match wildcards (?)" (same page), so a
  `*` never crosses a colon into the next component.
- StringEquals is exact and case-sensitive; StringLike is a case-sensitive glob
  over the whole value.
- A condition key missing from the request makes positive operators false and
  negated operators true; `...IfExists` operators are true when the key is
  missing (same page, "Condition keys that are not present").
- Explicit Deny beats Allow; nothing that allows means an implicit deny ("Policy
  evaluation logic", reference_policies_evaluation-logic.html).

Anything the evaluator does not understand (an unknown operator, a malformed
statement) makes the statement fail closed: an Allow does not apply, and a Deny
does. So an odd document can never look more permissive than it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ALLOW = "Allow"
DENY = "Deny"
IMPLICIT = "ImplicitDeny"


def glob(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """`*` / `?` wildcard match over the whole text, without recursion (one
    backtracking point, so hostile patterns stay linear-ish)."""
    if ignore_case:
        pattern, text = pattern.lower(), text.lower()
    p = t = 0
    star = -1
    mark = 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def arn_like(pattern: str, arn: str) -> bool:
    """IAM's ArnLike/ArnEquals: the six colon-separated parts compared one by one."""
    pp = pattern.split(":", 5)
    aa = arn.split(":", 5)
    if len(pp) != 6 or len(aa) != 6:
        return False
    return all(glob(p, a) for p, a in zip(pp, aa))


def values(v: Any) -> list:
    if isinstance(v, list):
        return v
    return [v]


def parse_document(doc: Any) -> dict | None:
    if isinstance(doc, dict):
        return doc
    if isinstance(doc, str):
        try:
            parsed = json.loads(doc)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def statements(doc: Any) -> list[dict] | None:
    parsed = parse_document(doc)
    if parsed is None:
        return None
    st = parsed.get("Statement")
    if isinstance(st, dict):
        return [st]
    if isinstance(st, list) and all(isinstance(s, dict) for s in st):
        return st
    return None


# --- conditions --------------------------------------------------------------------


def _string_equals(ignore_case: bool):
    def test(want: str, have: str) -> bool:
        return want.lower() == have.lower() if ignore_case else want == have

    return test


OPERATORS = {
    "StringEquals": (_string_equals(False), False),
    "StringNotEquals": (_string_equals(False), True),
    "StringEqualsIgnoreCase": (_string_equals(True), False),
    "StringNotEqualsIgnoreCase": (_string_equals(True), True),
    "StringLike": (lambda want, have: glob(want, have), False),
    "StringNotLike": (lambda want, have: glob(want, have), True),
    "ArnEquals": (arn_like, False),
    "ArnLike": (arn_like, False),
    "ArnNotEquals": (arn_like, True),
    "ArnNotLike": (arn_like, True),
}


class Unsupported(Exception):
    """A policy element this evaluator does not implement."""


def condition_holds(condition: Any, context: dict[str, Any]) -> bool:
    """Whether a statement's Condition block holds. `context` maps lower-case
    condition keys (aws:principalarn, ...) to a string or a list of strings."""
    if condition is None:
        return True
    if not isinstance(condition, dict):
        raise Unsupported(f"Condition must be an object, got {condition!r}")
    for op, keys in condition.items():
        if not isinstance(keys, dict):
            raise Unsupported(f"Condition operator {op} must map keys to values")
        if_exists = op.endswith("IfExists")
        base = op[: -len("IfExists")] if if_exists else op
        for key, wanted in keys.items():
            have = context.get(key.lower())
            if base == "Null":
                want_null = [str(w).lower() for w in values(wanted)]
                is_null = have is None
                if not any((w == "true") == is_null for w in want_null):
                    return False
                continue
            if base.startswith("ForAnyValue:") or base.startswith("ForAllValues:"):
                raise Unsupported(f"set operator {op}")
            if base not in OPERATORS:
                raise Unsupported(f"condition operator {op}")
            test, negated = OPERATORS[base]
            if have is None:
                if if_exists:
                    continue
                if negated:
                    continue
                return False
            wanted_values = [str(w) for w in values(wanted)]
            have_values = [str(h) for h in values(have)]
            hit = any(test(w, h) for w in wanted_values for h in have_values)
            if hit == negated:
                return False
    return True


# --- statements ----------------------------------------------------------------------


@dataclass
class Principal:
    """Who is calling, as the Principal element and aws:PrincipalArn see it."""

    account: str
    # The ARN in error messages: the session ARN for a role session.
    arn: str
    # aws:PrincipalArn: for a role session the role's ARN *with its path*;
    # for a user the user ARN; for the root user arn:aws:iam::<acct>:root.
    principal_arn: str
    kind: str  # root | user | session
    # Other ARNs a Principal element may name to mean this caller exactly.
    aliases: list[str] = field(default_factory=list)


@dataclass
class Decision:
    effect: str  # Allow | Deny | ImplicitDeny
    # For an Allow from a resource policy: whether a statement named this
    # principal itself (not just its account or "*").
    named: bool = False
    reason: str = ""


def _principal_level(element: Any, who: Principal) -> str | None:
    """How a Principal element matches `who`: "named", "account", "any", or None."""
    if element == "*":
        return "any"
    if not isinstance(element, dict):
        raise Unsupported(f"Principal must be \"*\" or an object, got {element!r}")
    best = None
    for kind, ids in element.items():
        if kind != "AWS":
            continue  # Service / Federated / CanonicalUser never name an IAM caller
        for ident in values(ids):
            if not isinstance(ident, str):
                raise Unsupported(f"Principal value {ident!r}")
            if ident == "*":
                best = best or "any"
            elif ident in (who.account, f"arn:aws:iam::{who.account}:root"):
                if best != "named":
                    best = "account"
            elif ident == who.principal_arn or ident in who.aliases:
                best = "named"
    return best


def _action_matches(stmt: dict, action: str) -> bool:
    if "Action" in stmt:
        return any(isinstance(a, str) and glob(a, action, ignore_case=True) for a in values(stmt["Action"]))
    if "NotAction" in stmt:
        return not any(isinstance(a, str) and glob(a, action, ignore_case=True) for a in values(stmt["NotAction"]))
    raise Unsupported("statement without Action or NotAction")


def _resource_matches(stmt: dict, resource: str) -> bool:
    if "Resource" in stmt:
        return any(isinstance(r, str) and glob(r, resource) for r in values(stmt["Resource"]))
    if "NotResource" in stmt:
        return not any(isinstance(r, str) and glob(r, resource) for r in values(stmt["NotResource"]))
    raise Unsupported("identity-policy statement without Resource or NotResource")


def evaluate_resource_policy(doc: Any, who: Principal, action: str, context: dict[str, Any]) -> Decision:
    """A resource-based policy such as a role's trust policy."""
    stmts = statements(doc)
    if stmts is None:
        return Decision(IMPLICIT, reason="the trust policy is not a valid policy document")
    allowed: Decision | None = None
    for stmt in stmts:
        effect = stmt.get("Effect")
        try:
            if "Principal" in stmt:
                level = _principal_level(stmt["Principal"], who)
            elif "NotPrincipal" in stmt:
                level = None if _principal_level(stmt["NotPrincipal"], who) else "any"
            else:
                raise Unsupported("trust-policy statement without Principal")
            applies = level is not None and _action_matches(stmt, action) and condition_holds(
                stmt.get("Condition"), context
            )
        except Unsupported as e:
            if effect == DENY:
                return Decision(DENY, reason=f"a Deny statement the emulator cannot evaluate ({e})")
            continue
        if not applies:
            continue
        if effect == DENY:
            return Decision(DENY, reason="an explicit Deny in the trust policy")
        if effect == ALLOW:
            named = level == "named"
            if allowed is None or (named and not allowed.named):
                allowed = Decision(ALLOW, named=named)
    return allowed or Decision(IMPLICIT, reason="no statement of the trust policy allows the caller")


def evaluate_identity_policies(docs: list[Any], action: str, resource: str, context: dict[str, Any]) -> Decision:
    """Identity-based policies (inline and managed) of one principal, together."""
    allowed = False
    for doc in docs:
        stmts = statements(doc)
        if stmts is None:
            continue
        for stmt in stmts:
            effect = stmt.get("Effect")
            try:
                applies = (
                    _action_matches(stmt, action)
                    and _resource_matches(stmt, resource)
                    and condition_holds(stmt.get("Condition"), context)
                )
            except Unsupported as e:
                if effect == DENY:
                    return Decision(DENY, reason=f"a Deny statement the emulator cannot evaluate ({e})")
                continue
            if applies and effect == DENY:
                return Decision(DENY, reason="an explicit Deny in an identity-based policy")
            if applies and effect == ALLOW:
                allowed = True
    if allowed:
        return Decision(ALLOW)
    return Decision(IMPLICIT, reason="no identity-based policy allows the action")

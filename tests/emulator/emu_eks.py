"""EKS access entries and access policies (absent from moto), plus the cluster
`accessConfig` that moto does not keep.

Entries live on moto's Cluster object, so deleting or recreating a cluster
drops them exactly as AWS does, and a moto reset clears them.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote

from emu_common import LOCKS, AwsError, json_response, now

ACCESS_POLICY_NAMES = [
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSViewPolicy",
]
ACCESS_POLICIES = [
    {"name": n, "arn": f"arn:aws:eks::aws:cluster-access-policy/{n}"} for n in ACCESS_POLICY_NAMES
]
ACCESS_POLICY_ARNS = {p["arn"] for p in ACCESS_POLICIES}

ENTRY_TYPES = ("STANDARD", "FARGATE_LINUX", "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX", "HYPERPOD_LINUX")
AUTH_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
RESERVED_USERNAME_PREFIXES = ("system:", "eks:", "aws:", "amazon:", "iam:")

MSG_IN_USE = "The specified access entry resource is already in use on this cluster."
MSG_INVALID_PRINCIPAL = "The specified principalArn is invalid: invalid principal."
MSG_ENTRY_NOT_FOUND = (
    "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'."
)
MSG_AUTH_MODE = (
    "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."
)
MSG_STANDARD_ONLY = 'This operation can only be performed on Access Entries with a type of "STANDARD".'

RE_PRINCIPAL = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):(role|user)/(.+)")

# Method + raw path routes for the access-entry API; segments are matched before
# percent-decoding because principal and policy ARNs arrive with %2F for '/'.
ROUTES = [
    ("POST", re.compile(r"^/clusters/([^/]+)/access-entries/?$"), "CreateAccessEntry"),
    ("GET", re.compile(r"^/clusters/([^/]+)/access-entries/?$"), "ListAccessEntries"),
    ("GET", re.compile(r"^/clusters/([^/]+)/access-entries/([^/]+)/access-policies/?$"), "ListAssociatedAccessPolicies"),
    ("POST", re.compile(r"^/clusters/([^/]+)/access-entries/([^/]+)/access-policies/?$"), "AssociateAccessPolicy"),
    ("DELETE", re.compile(r"^/clusters/([^/]+)/access-entries/([^/]+)/access-policies/([^/]+)/?$"), "DisassociateAccessPolicy"),
    ("GET", re.compile(r"^/clusters/([^/]+)/access-entries/([^/]+)/?$"), "DescribeAccessEntry"),
    ("POST", re.compile(r"^/clusters/([^/]+)/access-entries/([^/]+)/?$"), "UpdateAccessEntry"),
    ("DELETE", re.compile(r"^/clusters/([^/]+)/access-entries/([^/]+)/?$"), "DeleteAccessEntry"),
    ("GET", re.compile(r"^/access-policies/?$"), "ListAccessPolicies"),
    ("POST", re.compile(r"^/clusters/([^/]+)/update-config/?$"), "UpdateClusterConfig"),
    ("GET", re.compile(r"^/clusters/([^/]+)/updates/([^/]+)/?$"), "DescribeUpdate"),
    # Tags of access entries (see `serves`: other resources' tags stay with moto).
    ("POST", re.compile(r"^/tags/([^/]+)/?$"), "TagResource"),
    ("DELETE", re.compile(r"^/tags/([^/]+)/?$"), "UntagResource"),
    ("GET", re.compile(r"^/tags/([^/]+)/?$"), "ListTagsForResource"),
]

TAG_OPERATIONS = ("TagResource", "UntagResource", "ListTagsForResource")
RE_ENTRY_ARN = re.compile(r"arn:aws[a-z-]*:eks:([a-z0-9-]+):(\d{12}):access-entry/([^/]+)/.+")


def match_route(method: str, raw_path: str) -> tuple[str, list[str]] | None:
    for m, rx, op in ROUTES:
        if m == method:
            hit = rx.match(raw_path)
            if hit:
                # Decode each label exactly once: a '%2F' inside an ARN must
                # become '/', but a literal '%25' must stay a single '%'.
                return op, [unquote(g) for g in hit.groups()]
    return None


def invalid_param(msg: str) -> AwsError:
    return AwsError("InvalidParameterException", msg, 400)


def not_found(msg: str) -> AwsError:
    return AwsError("ResourceNotFoundException", msg, 404)


def default_access_config() -> dict:
    return {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}


def _backend(account: str, region: str):
    from moto.eks.models import eks_backends

    return eks_backends[account][region]


def _iam(account: str):
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def get_cluster(account: str, region: str, name: str):
    cluster = _backend(account, region).clusters.get(name)
    if cluster is None:
        raise AwsError("ResourceNotFoundException", f"No cluster found for name: {name}.", 404, {"clusterName": name})
    ensure_cluster_fields(cluster)
    return cluster


def ensure_cluster_fields(cluster) -> None:
    if not hasattr(cluster, "access_config"):
        cluster.access_config = default_access_config()
    if not hasattr(cluster, "emu_access_entries"):
        cluster.emu_access_entries = {}
    if not hasattr(cluster, "emu_updates"):
        cluster.emu_updates = {}


def validate_access_config(access: Any) -> dict:
    if access is None:
        return default_access_config()
    if not isinstance(access, dict):
        raise invalid_param("accessConfig must be an object.")
    mode = access.get("authenticationMode", "CONFIG_MAP")
    if mode not in AUTH_MODES:
        raise invalid_param(f"The specified authenticationMode {mode} is invalid. Valid values: {list(AUTH_MODES)}.")
    bootstrap = access.get("bootstrapClusterCreatorAdminPermissions", True)
    if not isinstance(bootstrap, bool):
        raise invalid_param("bootstrapClusterCreatorAdminPermissions must be a boolean.")
    if mode == "CONFIG_MAP" and bootstrap is False:
        # terraform-aws-eks #3026: a CONFIG_MAP cluster needs the creator bootstrap.
        raise invalid_param(
            "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP"
        )
    return {"authenticationMode": mode, "bootstrapClusterCreatorAdminPermissions": bootstrap}


class AccessEntries:
    def __init__(self, sso) -> None:
        self.sso = sso  # for reserved-role principal visibility

    @staticmethod
    def serves(op: str, labels: list[str], params: dict) -> bool:
        """Whether this class answers a routed EKS call: everything routed here
        except UpdateClusterConfig without accessConfig, and tag calls on
        anything but an access entry (cluster tags stay with moto)."""
        if op == "UpdateClusterConfig":
            return "accessConfig" in params
        if op in TAG_OPERATIONS:
            return RE_ENTRY_ARN.fullmatch(labels[0]) is not None
        return True

    def handle(self, op: str, labels: list[str], method: str, query: str, body: dict, account: str, region: str):
        handler = getattr(self, "op_" + op)
        multi = parse_qs(query, keep_blank_values=True)
        q = {k: v[-1] for k, v in multi.items()}
        if op == "UntagResource":
            q["tagKeys"] = multi.get("tagKeys", [])  # repeated in the query string
        return json_response(handler(labels, q, body, account, region))

    # -- helpers --

    def _cluster_for_entries(self, account: str, region: str, name: str):
        cluster = get_cluster(account, region, name)
        if cluster.access_config["authenticationMode"] not in ("API", "API_AND_CONFIG_MAP"):
            raise AwsError("InvalidRequestException", MSG_AUTH_MODE, 400)
        return cluster

    def _entry(self, cluster, principal_arn: str) -> dict:
        entry = cluster.emu_access_entries.get(principal_arn)
        if entry is None:
            raise not_found(MSG_ENTRY_NOT_FOUND)
        return entry

    def principal_ok(self, account: str, principal_arn: str) -> tuple[str, str, str] | None:
        """(kind, principal account, name) if EKS would accept the principal now."""
        m = RE_PRINCIPAL.fullmatch(principal_arn)
        if not m:
            return None
        _, p_account, kind, resource = m.groups()
        if p_account != account or resource.startswith("aws-service-role/"):
            return None
        with LOCKS.hold("sso", "iam"):
            iam = _iam(account)
            if kind == "role":
                if not any(r.arn == principal_arn for r in list(iam.roles.values())):
                    return None
                rec = self.sso.reserved_role_for_arn(principal_arn)
                if rec is not None and now() < rec.eks_visible_at:
                    # IAM already shows the role, EKS does not yet.
                    return None
            else:
                if not any(u.arn == principal_arn for u in list(iam.users.values())):
                    return None
        return kind, p_account, resource.rsplit("/", 1)[-1]

    @staticmethod
    def _check_username(username: Any) -> None:
        if not isinstance(username, str) or not username:
            raise invalid_param("The username must be a non-empty string.")
        if username.startswith(RESERVED_USERNAME_PREFIXES):
            raise invalid_param(
                f"The username {username} is invalid: a username can't start with system:, eks:, aws:, amazon:, or iam:."
            )

    @staticmethod
    def _check_groups(groups: Any) -> list[str]:
        if groups is None:
            return []
        if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
            raise invalid_param("kubernetesGroups must be a list of non-empty strings.")
        return list(dict.fromkeys(groups))

    @staticmethod
    def _entry_json(entry: dict) -> dict:
        return {k: v for k, v in entry.items() if k not in ("policies", "_token")}

    @staticmethod
    def _page(q: dict, items: list) -> tuple[list, str | None]:
        try:
            max_results = int(q.get("maxResults") or 100)
        except ValueError:
            raise invalid_param("maxResults must be an integer.")
        if not 1 <= max_results <= 100:
            raise invalid_param("maxResults must be between 1 and 100.")
        start = 0
        if q.get("nextToken"):
            try:
                start = int(q["nextToken"].split("-", 1)[1])
            except (IndexError, ValueError):
                raise invalid_param("The specified nextToken is invalid.")
        token = f"emu-{start + max_results}" if start + max_results < len(items) else None
        return items[start : start + max_results], token

    # -- access entries --

    def create_entry(self, cluster, account: str, region: str, body: dict, check_principal: bool = True) -> dict:
        principal = body.get("principalArn")
        if not isinstance(principal, str) or not principal:
            raise invalid_param("principalArn is required.")
        etype = body.get("type") or "STANDARD"
        if etype not in ENTRY_TYPES:
            raise invalid_param(f"The specified type {etype} is invalid. Valid values: {list(ENTRY_TYPES)}.")
        groups = self._check_groups(body.get("kubernetesGroups"))
        username = body.get("username")
        if etype != "STANDARD" and (groups or username is not None):
            raise invalid_param(MSG_STANDARD_ONLY)
        if username is not None:
            self._check_username(username)
        tags = body.get("tags") or {}
        if not isinstance(tags, dict) or len(tags) > 50:
            raise invalid_param("tags must be a map of at most 50 entries.")
        if check_principal:
            resolved = self.principal_ok(account, principal)
        else:
            # The cluster creator: it exists by definition, even when moto's IAM
            # never saw the role that was assumed.
            m = RE_PRINCIPAL.fullmatch(principal)
            resolved = (m.group(3), m.group(2), m.group(4).rsplit("/", 1)[-1]) if m else None
        if resolved is None:
            raise invalid_param(MSG_INVALID_PRINCIPAL)
        existing = cluster.emu_access_entries.get(principal)
        if existing is not None:
            token = body.get("clientRequestToken")
            if token and existing.get("_token") == token:
                return existing  # an SDK retry of a create that already succeeded
            raise AwsError("ResourceInUseException", MSG_IN_USE, 409, {"clusterName": cluster.name})
        kind, p_account, name = resolved
        if username is None:
            if etype == "STANDARD":
                username = (
                    f"arn:aws:sts::{p_account}:assumed-role/{name}/{{{{SessionName}}}}" if kind == "role" else principal
                )
            elif etype.startswith("EC2"):
                username = "system:node:{{EC2PrivateDNSName}}"
            else:
                username = "system:node:{{SessionName}}"
        t = now()
        entry = {
            "clusterName": cluster.name,
            "principalArn": principal,
            "kubernetesGroups": groups,
            "accessEntryArn": f"arn:aws:eks:{region}:{account}:access-entry/{cluster.name}/{kind}/{p_account}/{name}/{uuid.uuid4()}",
            "createdAt": t,
            "modifiedAt": t,
            "tags": dict(tags),
            "username": username,
            "type": etype,
            "policies": {},
            "_token": body.get("clientRequestToken"),
        }
        cluster.emu_access_entries[principal] = entry
        return entry

    def op_CreateAccessEntry(self, labels, q, body, account, region):
        cluster = self._cluster_for_entries(account, region, labels[0])
        entry = self.create_entry(cluster, account, region, body)
        return {"accessEntry": self._entry_json(entry)}

    def op_DescribeAccessEntry(self, labels, q, body, account, region):
        cluster = self._cluster_for_entries(account, region, labels[0])
        return {"accessEntry": self._entry_json(self._entry(cluster, labels[1]))}

    def op_UpdateAccessEntry(self, labels, q, body, account, region):
        cluster = self._cluster_for_entries(account, region, labels[0])
        entry = self._entry(cluster, labels[1])
        groups = body.get("kubernetesGroups")
        username = body.get("username")
        if entry["type"] != "STANDARD" and (groups or username is not None):
            raise invalid_param(MSG_STANDARD_ONLY)
        if groups is not None:
            entry["kubernetesGroups"] = self._check_groups(groups)
        if username is not None:
            self._check_username(username)
            entry["username"] = username
        entry["modifiedAt"] = now()
        return {"accessEntry": self._entry_json(entry)}

    def op_DeleteAccessEntry(self, labels, q, body, account, region):
        cluster = self._cluster_for_entries(account, region, labels[0])
        self._entry(cluster, labels[1])
        # Associations go with the entry.
        del cluster.emu_access_entries[labels[1]]
        return {}

    def op_ListAccessEntries(self, labels, q, body, account, region):
        cluster = self._cluster_for_entries(account, region, labels[0])
        wanted = q.get("associatedPolicyArn")
        arns = [
            e["principalArn"]
            for e in cluster.emu_access_entries.values()
            if not wanted or wanted in e["policies"]
        ]
        page, token = self._page(q, arns)
        out: dict[str, Any] = {"accessEntries": page}
        if token:
            out["nextToken"] = token
        return out

    # -- tags of access entries --
    #
    # Access entries are taggable through the generic tag API with their
    # accessEntryArn, as terraform-provider-aws's aws_eks_access_entry does
    # (`@Tags(identifierAttribute="access_entry_arn")`). Limits from the API
    # reference of TagResource: at most 50 tags, keys 1-128 and values up to
    # 256 characters. NotFoundException is the tag API's error for a missing
    # resource (API reference, "Errors"); its message text is UNCONFIRMED.

    def _entry_by_arn(self, arn: str, account: str, region: str) -> dict:
        m = RE_ENTRY_ARN.fullmatch(arn)
        missing = AwsError("NotFoundException", f"Resource {arn} was not found.", 404)
        if m is None or m.group(1) != region or m.group(2) != account:
            raise missing
        try:
            cluster = get_cluster(account, region, m.group(3))
        except AwsError:
            raise missing
        for entry in cluster.emu_access_entries.values():
            if entry["accessEntryArn"] == arn:
                return entry
        raise missing

    @staticmethod
    def _check_tag_key(key: Any) -> None:
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            raise AwsError("BadRequestException", "Tag keys must be 1 to 128 characters long.", 400)
        if key.lower().startswith("aws:"):
            raise AwsError("BadRequestException", "Tag keys starting with aws: are reserved.", 400)

    def op_TagResource(self, labels, q, body, account, region):
        entry = self._entry_by_arn(labels[0], account, region)
        tags = body.get("tags")
        if not isinstance(tags, dict) or not tags:
            raise AwsError("BadRequestException", "tags must be a non-empty map.", 400)
        for k, v in tags.items():
            self._check_tag_key(k)
            if not isinstance(v, str) or len(v) > 256:
                raise AwsError("BadRequestException", "Tag values must be at most 256 characters long.", 400)
        merged = {**entry["tags"], **tags}
        if len(merged) > 50:
            raise AwsError("BadRequestException", "A resource can have at most 50 tags.", 400)
        entry["tags"] = merged
        return {}

    def op_UntagResource(self, labels, q, body, account, region):
        entry = self._entry_by_arn(labels[0], account, region)
        keys = q.get("tagKeys") or []
        if not keys:
            raise AwsError("BadRequestException", "tagKeys must name at least one key.", 400)
        for k in keys:
            self._check_tag_key(k)
            entry["tags"].pop(k, None)
        return {}

    def op_ListTagsForResource(self, labels, q, body, account, region):
        entry = self._entry_by_arn(labels[0], account, region)
        return {"tags": dict(entry["tags"])}

    # -- access policies --

    @staticmethod
    def _scope(scope: Any) -> dict:
        if not isinstance(scope, dict):
            raise invalid_param("accessScope is required.")
        stype = scope.get("type")
        namespaces = scope.get("namespaces") or []
        if not isinstance(namespaces, list) or not all(isinstance(n, str) and n for n in namespaces):
            raise invalid_param("namespaces must be a list of non-empty strings.")
        if stype == "cluster":
            if namespaces:
                raise invalid_param("Namespaces can't be specified when the access scope type is cluster.")
        elif stype == "namespace":
            if not namespaces:
                raise invalid_param("At least one namespace must be specified when the access scope type is namespace.")
        else:
            raise invalid_param(f"The specified access scope type {stype} is invalid. Valid values: [cluster, namespace].")
        return {"type": stype, "namespaces": list(dict.fromkeys(namespaces))}

    def associate(self, cluster, principal: str, body: dict) -> dict:
        entry = self._entry(cluster, principal)
        policy = body.get("policyArn")
        if not isinstance(policy, str) or not policy:
            raise invalid_param("policyArn is required.")
        scope = self._scope(body.get("accessScope"))
        if entry["type"] != "STANDARD":
            raise invalid_param(MSG_STANDARD_ONLY)
        if policy not in ACCESS_POLICY_ARNS:
            raise not_found(f"The specified policyArn {policy} could not be found. You can view available policies with 'list-access-policies'.")
        t = now()
        assoc = entry["policies"].get(policy)
        if assoc is None:
            assoc = {"policyArn": policy, "accessScope": scope, "associatedAt": t, "modifiedAt": t}
            entry["policies"][policy] = assoc
        else:
            # Re-association replaces the scope in place (EKS user guide).
            assoc["accessScope"] = scope
            assoc["modifiedAt"] = t
        return assoc

    def op_AssociateAccessPolicy(self, labels, q, body, account, region):
        cluster = self._cluster_for_entries(account, region, labels[0])
        assoc = self.associate(cluster, labels[1], body)
        return {"clusterName": cluster.name, "principalArn": labels[1], "associatedAccessPolicy": dict(assoc)}

    def op_DisassociateAccessPolicy(self, labels, q, body, account, region):
        cluster = self._cluster_for_entries(account, region, labels[0])
        entry = self._entry(cluster, labels[1])
        if labels[2] not in entry["policies"]:
            raise not_found(f"The specified policyArn {labels[2]} is not associated with the access entry.")
        del entry["policies"][labels[2]]
        return {}

    def op_ListAssociatedAccessPolicies(self, labels, q, body, account, region):
        cluster = self._cluster_for_entries(account, region, labels[0])
        entry = self._entry(cluster, labels[1])
        page, token = self._page(q, [dict(a) for a in entry["policies"].values()])
        out: dict[str, Any] = {
            "clusterName": cluster.name,
            "principalArn": labels[1],
            "associatedAccessPolicies": page,
        }
        if token:
            out["nextToken"] = token
        return out

    def op_ListAccessPolicies(self, labels, q, body, account, region):
        page, token = self._page(q, ACCESS_POLICIES)
        out: dict[str, Any] = {"accessPolicies": page}
        if token:
            out["nextToken"] = token
        return out

    # -- cluster access config --

    def op_UpdateClusterConfig(self, labels, q, body, account, region):
        cluster = get_cluster(account, region, labels[0])
        access = body.get("accessConfig")
        others = [k for k in body if k not in ("accessConfig", "clientRequestToken", "name")]
        if others:
            raise invalid_param("Only one type of update can be allowed.")
        if not isinstance(access, dict) or "authenticationMode" not in access:
            raise invalid_param("accessConfig.authenticationMode is required.")
        if "bootstrapClusterCreatorAdminPermissions" in access:
            raise invalid_param("bootstrapClusterCreatorAdminPermissions can only be set when the cluster is created.")
        old = cluster.access_config["authenticationMode"]
        new = access["authenticationMode"]
        if new not in AUTH_MODES:
            raise invalid_param(f"The specified authenticationMode {new} is invalid. Valid values: {list(AUTH_MODES)}.")
        allowed = {("CONFIG_MAP", "API_AND_CONFIG_MAP"), ("API_AND_CONFIG_MAP", "API")}
        if (old, new) not in allowed:
            raise invalid_param(f"Unsupported authentication mode update from {old} to {new}")
        cluster.access_config["authenticationMode"] = new
        update = {
            "id": str(uuid.uuid4()),
            "status": "Successful",
            "type": "AccessConfigUpdate",
            "params": [{"type": "AuthenticationMode", "value": new}],
            "createdAt": now(),
            "errors": [],
        }
        cluster.emu_updates[update["id"]] = update
        return {"update": update}

    def op_DescribeUpdate(self, labels, q, body, account, region):
        cluster = get_cluster(account, region, labels[0])
        update = cluster.emu_updates.get(labels[1])
        if update is None:
            raise not_found(f"No update found for ID: {labels[1]}")
        return {"update": update}

    # -- state dump --

    def dump(self) -> list[dict]:
        from moto.eks.models import eks_backends

        out = []
        for account, regions in list(eks_backends.items()):
            for region, backend in list(regions.items()):
                for cluster in list(backend.clusters.values()):
                    for e in getattr(cluster, "emu_access_entries", {}).values():
                        out.append(
                            {
                                "account": account,
                                "region": region,
                                "cluster": cluster.name,
                                "principal_arn": e["principalArn"],
                                "username": e["username"],
                                "kubernetes_groups": list(e["kubernetesGroups"]),
                                "type": e["type"],
                                "access_entry_arn": e["accessEntryArn"],
                                "tags": dict(e["tags"]),
                                "policies": [
                                    {"policy_arn": a["policyArn"], "access_scope": dict(a["accessScope"])}
                                    for a in e["policies"].values()
                                ],
                            }
                        )
        return out

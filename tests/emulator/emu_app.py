"""The WSGI application: a middleware in front of moto's server app that adds the
control API, fault injection, the Identity Center request quota, the request
log, our own sso-admin, access portal and EKS access-entry implementations,
trust-policy checks on STS AssumeRole, and a few moto monkeypatches.

Requests run concurrently (werkzeug's threaded server); each one takes only
the locks of the stores it touches (emu_common.LockSet)."""

from __future__ import annotations

import io
import json
import re
import sys
import time
import traceback
import uuid
from typing import Any, Iterable
from urllib.parse import parse_qs, quote

from emu_common import (
    LOCKS,
    MANAGEMENT_ACCOUNT,
    QUOTA_THROTTLE_MESSAGE,
    AwsError,
    Config,
    Faults,
    RequestLog,
    Response,
    TokenBucket,
    fault_error,
    json_response,
    render_error,
)
from emu_eks import AccessEntries, ensure_cluster_fields, match_route, validate_access_config
from emu_portal import Portal
from emu_portal import operation_for as portal_operation
from emu_sso import SsoAdmin
from emu_trust import authorize_assume_role, caller_for_key, issued_sessions, simulate
from emu_sts import WebIdentity

RE_CRED_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")

# SigV4 signing names that differ from the service names used in the log/faults.
# (The access portal, botocore's `sso`, is unsigned; it is told apart by its
# bearer-token header and paths.)
SIGNING_TO_SERVICE = {"sso": "sso-admin", "awsssoportal": "sso"}

# Services under IAM Identity Center's shared request quota (perf.md §3).
QUOTA_SERVICES = ("sso-admin", "identitystore")

ORG_ACCESS_ROLE = "OrganizationAccountAccessRole"

# The access portal's bearer-token header, `x-amz-sso_bearer_token` (botocore
# `sso` model). Werkzeug drops every header with an underscore from the WSGI
# environ, so RequestHandler copies this one under its own key.
PORTAL_TOKEN_HEADER = "x-amz-sso_bearer_token"
PORTAL_TOKEN_ENVIRON = "emulator.sso_bearer_token"


def request_handler():
    """moto's werkzeug request handler, keeping the portal's token header."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class RequestHandler(MotoRequestHandler):
        def make_environ(self):
            environ = super().make_environ()
            for name, value in self.headers.items():
                if name.lower() == PORTAL_TOKEN_HEADER:
                    environ[PORTAL_TOKEN_ENVIRON] = value
            return environ

    return RequestHandler
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


def _build_rest_router(service: str) -> list[tuple[str, re.Pattern, str]]:
    """Operation names for restJson services, from botocore's model, so the request
    log names every EKS call, including ones moto serves."""
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = http["requestUri"].split("?", 1)[0]
        literal_segments = path.count("/") - path.count("{")
        rx = "^" + re.sub(r"\{[^}]+\}", "[^/]+", path.rstrip("/")) + "/?$"
        routes.append((literal_segments, http["method"], re.compile(rx), name))
    # Prefer the most specific template (more literal segments) on overlaps.
    routes.sort(key=lambda r: -r[0])
    return [(m, rx, n) for _, m, rx, n in routes]


class Emulator:
    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.config = Config()
        self.faults = Faults()
        self.log = RequestLog()
        self.quota = TokenBucket()
        self.sso = SsoAdmin(self.config, self.faults)
        self.portal = Portal(self.sso)
        self.eks = AccessEntries(self.sso)
        self.web_identity = WebIdentity()
        self.moto_app = DomainDispatcherApplication(create_backend_app)
        self.eks_router = _build_rest_router("eks")
        install_moto_patches(self)

    # -- WSGI entry --

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if not raw:
            raw = quote(environ.get("PATH_INFO", ""), safe="/:@!$&'()*+,;=-._~")
            if environ.get("QUERY_STRING"):
                raw += "?" + environ["QUERY_STRING"]
        raw_path, _, query = raw.partition("?")
        if raw_path.startswith("/_emulator/") or raw_path == "/_emulator":
            resp = self._control(environ, raw_path)
            return self._send(resp, start_response)
        try:
            resp = self._aws(environ, raw_path, query)
        except Exception:  # pragma: no cover - surfaced to the client as a 500
            traceback.print_exc()
            resp = Response(500, b'{"message": "emulator internal error"}', [("Content-Type", "application/json")])
        return self._send(resp, start_response)

    @staticmethod
    def _send(resp: Response, start_response) -> list[bytes]:
        headers = [(k, v) for k, v in resp.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(resp.body))))
        start_response(f"{resp.status} {_reason(resp.status)}", headers)
        return [resp.body]

    # -- AWS requests --

    @staticmethod
    def _read_body(environ: dict) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        # moto reads the body again.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    def _identify(self, environ: dict, raw_path: str, query: str, body: bytes) -> tuple[str, str, str, str | None]:
        """(service, operation, region, access key) of an AWS request."""
        auth = environ.get("HTTP_AUTHORIZATION", "")
        m = RE_CRED_SCOPE.search(auth)
        access_key, region, signing = (m.group(1), m.group(2), m.group(3)) if m else (None, "us-east-1", None)
        if access_key is None:
            # Presigned query auth (e.g. `aws eks get-token` URLs replayed at us).
            qs = parse_qs(query)
            cred = (qs.get("X-Amz-Credential") or [""])[0].split("/")
            if len(cred) == 5:
                access_key, region, signing = cred[0], cred[2], cred[3]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        form: dict[str, list[str]] = {}
        ctype = environ.get("CONTENT_TYPE", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or parse_qs(query).get("Action") or [None])[0]
        portal_op = portal_operation(environ["REQUEST_METHOD"], raw_path)
        if signing:
            service = SIGNING_TO_SERVICE.get(signing, signing)
        elif PORTAL_TOKEN_ENVIRON in environ or portal_op:
            service = "sso"
            # Unsigned, so no region in the request: the portal answers in the
            # Identity Center home region.
            region = self.sso.instance.region if self.sso.instance else region
        elif target.startswith("SWBExternalService."):
            service = "sso-admin"
        elif target.startswith("AWSIdentityStore."):
            service = "identitystore"
        elif action:
            service = "sts"  # unsigned AssumeRoleWithWebIdentity / AssumeRoleWithSAML
        else:
            service = "unknown"
        if target:
            operation = target.split(".", 1)[-1]
        elif action:
            operation = action
        elif service == "eks":
            operation = self._eks_operation(environ["REQUEST_METHOD"], raw_path)
        elif service == "sso":
            operation = portal_op or "Unknown"
        else:
            operation = "Unknown"
        return service, operation, region, access_key

    def _eks_operation(self, method: str, raw_path: str) -> str:
        for m, rx, name in self.eks_router:
            if m == method and rx.match(raw_path):
                return name
        return "Unknown"

    def _aws(self, environ: dict, raw_path: str, query: str) -> Response:
        """One AWS request, in the order a real front end would see it: the
        Identity Center quota, injected latency and errors, the operation
        itself, and a response lost on the way back."""
        body = self._read_body(environ)
        service, operation, region, access_key = self._identify(environ, raw_path, query, body)
        account = _account_for(access_key)
        self.sso.tick()
        fault = None
        if service in QUOTA_SERVICES and not self.quota.take():
            fault = "quota"
            resp = render_error(service, AwsError("ThrottlingException", QUOTA_THROTTLE_MESSAGE, 429))
        else:
            latency = sum(r.latency_ms for r in self.faults.fire(service, operation, ("latency",))) / 1000.0
            fired = self.faults.fire(service, operation, ("throttle", "error5xx", "conflict"))
            if fired:
                if latency:
                    time.sleep(latency)
                fault = fired[0].kind
                resp = render_error(service, fault_error(service, fault))
            else:
                resp = self._dispatch(environ, raw_path, query, body, service, operation, region, account, access_key, latency)
                # The operation ran; the client never hears how it went.
                if self.faults.fire(service, operation, ("lost_response",)):
                    fault = "lost_response"
                    resp = render_error(service, fault_error(service, fault))
        self.log.add(service, operation, account, region, resp.status, fault, access_key)
        return resp

    def _dispatch(
        self, environ, raw_path, query, body, service, operation, region, account, access_key, latency
    ) -> Response:
        try:
            if service == "sso-admin":
                try:
                    params = json.loads(body or b"{}")
                except ValueError:
                    raise AwsError("SerializationException", "Request body is not valid JSON.", 400)
                if not isinstance(params, dict):
                    raise AwsError("SerializationException", "Request body must be a JSON object.", 400)
                with LOCKS.hold("iam"):
                    caller_arn = caller_for_key(access_key).principal.arn
                # sso-admin sleeps the latency itself, inside a write's in-flight window.
                return self.sso.handle(operation, params, account, region, caller_arn, latency)
            if latency:
                time.sleep(latency)
            if service == "sso":
                return self.portal.handle(operation, environ.get(PORTAL_TOKEN_ENVIRON), query)
            if service == "sts" and operation == "AssumeRoleWithWebIdentity":
                with LOCKS.hold("iam"):
                    self.web_identity.check(parse_qs(body.decode("utf-8", "replace")) or parse_qs(query))
            if service == "eks":
                route = match_route(environ["REQUEST_METHOD"], raw_path)
                if route is not None:
                    op, labels = route
                    try:
                        params = json.loads(body) if body else {}
                    except ValueError:
                        raise AwsError("InvalidParameterException", "Request body is not valid JSON.", 400)
                    # Only the accessConfig form of UpdateClusterConfig and the
                    # tags of access entries are ours; other cluster updates and
                    # cluster tags stay with moto.
                    if self.eks.serves(op, labels, params):
                        with LOCKS.hold("eks"):
                            return self.eks.handle(op, labels, environ["REQUEST_METHOD"], query, params, account, region)
                with LOCKS.hold("eks"):
                    return self._call_moto(environ)
            if service == "identitystore":
                self._check_identity_store(body, account, region)
                with LOCKS.hold("identitystore"):
                    return _fix_json_error_status(self._call_moto(environ))
            if service == "sts" and operation == "AssumeRole":
                authorize_assume_role(access_key, _query_params(environ, body, query))
        except AwsError as e:
            return render_error(service, e)
        # IAM, STS and anything else moto serves: STS sessions live in IAM's backends.
        with LOCKS.hold("iam"):
            return self._call_moto(environ)

    def _check_identity_store(self, body: bytes, account: str, region: str) -> None:
        """The identity store exists only in the Identity Center home region (User
        Guide, "IAM Identity Center Region availability": users and groups "are
        also stored in the same Region"); moto would create an empty store on
        demand anywhere. The error is what the identity store API sends for a
        store it does not have: ResourceNotFoundException "IdentityStore not
        present for IdentityStoreId: d-..." with ResourceType IDENTITY_STORE
        (awslabs/ssosync issue #221). That this is also the answer in a wrong
        region is UNCONFIRMED."""
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return  # moto reports the malformed body
        store_id = params.get("IdentityStoreId") if isinstance(params, dict) else None
        if not isinstance(store_id, str) or not store_id:
            return
        inst = self.sso.home_instance(account, region)
        if inst is None or inst.identity_store_id != store_id:
            raise AwsError(
                "ResourceNotFoundException",
                f"IdentityStore not present for IdentityStoreId: {store_id}",
                404,
                {"ResourceType": "IDENTITY_STORE", "ResourceId": store_id},
            )

    def _call_moto(self, environ: dict) -> Response:
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return lambda data: None

        chunks = self.moto_app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return Response(captured["status"], body, list(captured["headers"]))

    # -- control API --

    def _control(self, environ: dict, raw_path: str) -> Response:
        method = environ["REQUEST_METHOD"]
        path = raw_path[len("/_emulator") :].rstrip("/") or "/"
        body_raw = self._read_body(environ)
        try:
            body = json.loads(body_raw) if body_raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            return json_response(self._control_op(method, path, body))
        except (ValueError, KeyError, TypeError) as e:
            return json_response({"error": str(e)}, status=400)
        except LookupError as e:  # pragma: no cover
            return json_response({"error": str(e)}, status=404)

    def _control_op(self, method: str, path: str, body: dict) -> Any:
        if (method, path) == ("GET", "/health"):
            return {"ok": True}
        if (method, path) == ("POST", "/reset"):
            self.reset()
            return {"ok": True}
        if path == "/config":
            if method == "POST":
                values = self.config.update(body)
                self.quota.configure(values["sso_tps_quota"])
                return values
            if method == "GET":
                return dict(self.config.values)
        if path == "/faults":
            if method == "POST":
                return self.faults.replace(body)
            if method == "DELETE":
                self.faults.clear()
                return self.faults.to_json()
            if method == "GET":
                return self.faults.to_json()
        if path == "/requests":
            if method == "GET":
                return {"requests": self.log.snapshot()}
            if method == "DELETE":
                self.log.clear()
                return {"requests": []}
        if (method, path) == ("GET", "/sts/web-identity"):
            return {"calls": list(self.web_identity.calls)}
        if (method, path) == ("GET", "/sts/sessions"):
            with LOCKS.hold("iam"):
                return {"sessions": issued_sessions()}
        if (method, path) == ("POST", "/sso/setup"):
            with LOCKS.hold("sso", "identitystore"):
                return self.sso_setup(body)
        if (method, path) == ("POST", "/sso/tokens"):
            return self.portal.issue(body)
        if (method, path) == ("POST", "/accounts"):
            return self.member_account(body)
        if (method, path) == ("POST", "/iam/roles"):
            with LOCKS.hold("iam"):
                return self.create_role(body)
        if (method, path) == ("POST", "/iam/simulate-assume-role"):
            return simulate(body)
        if (method, path) == ("POST", "/eks/clusters"):
            with LOCKS.hold("eks"):
                return self.create_cluster(body)
        if (method, path) == ("GET", "/state"):
            self.sso.tick()
            with LOCKS.all():
                return self.state()
        raise ValueError(f"unknown control endpoint {method} /_emulator{path}")

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        with LOCKS.all():
            moto_api_backend.reset()
            self.sso.reset()
            self.portal.reset()
            self.web_identity.reset()
            self.config.reset()
            self.quota.configure(None)
            self.faults.clear()
            self.log.clear()

    def sso_setup(self, body: dict) -> dict:
        from moto.identitystore.models import identitystore_backends

        region = body.get("region") or "us-east-1"
        inst = self.sso.enable(region)
        backend = identitystore_backends[MANAGEMENT_ACCOUNT][region]
        store_id = inst.identity_store_id
        backend.list_groups(identity_store_id=store_id, filters=[])  # creates the store
        store = backend.identity_stores[store_id]
        groups = {}
        for name in body.get("groups") or []:
            existing = next((g for g in store.groups.values() if g.DisplayName == name), None)
            groups[name] = existing.GroupId if existing else backend.create_group(store_id, name, None)[0]
        users = {}
        for name in body.get("users") or []:
            existing = next((u for u in store.users.values() if u.UserName == name), None)
            if existing:
                users[name] = existing.UserId
                continue
            users[name] = backend.create_user(
                store_id, name, {"GivenName": name, "FamilyName": "User"}, name,
                None, None, [{"Value": f"{name}@example.com", "Type": "work", "Primary": True}],
                None, None, None, None, None, None, None,
            )[0]
        memberships = body.get("memberships") or {}
        if not isinstance(memberships, dict):
            raise ValueError("memberships must map group names to lists of user names")
        for group, members in memberships.items():
            if group not in groups:
                raise ValueError(f"membership of unknown group {group!r}; list it in groups")
            for member in members:
                if member not in users:
                    raise ValueError(f"membership of unknown user {member!r}; list it in users")
                current = {
                    m["MemberId"].get("UserId")
                    for m in store.group_memberships.values()
                    if m["GroupId"] == groups[group]
                }
                if users[member] not in current:
                    backend.create_group_membership(store_id, groups[group], {"UserId": users[member]})
        return {
            "instance_arn": inst.arn,
            "identity_store_id": store_id,
            "region": inst.region,
            "groups": groups,
            "users": users,
        }

    def member_account(self, body: dict) -> dict:
        """A member account as AWS Organizations creates it: with the role
        Organizations puts there, OrganizationAccountAccessRole, trusted by the
        management account's root and granted AdministratorAccess (AWS
        Organizations User Guide, "Accessing member accounts ... created using
        AWS Organizations"). This is how tests get into an account the
        management account's credentials cannot otherwise reach, now that
        AssumeRole checks trust."""
        account = body.get("account")
        if not isinstance(account, str) or not account.isdigit() or len(account) != 12:
            raise ValueError("account must be a 12-digit account ID")
        management = body.get("management_account") or MANAGEMENT_ACCOUNT
        name = body.get("org_role") or ORG_ACCESS_ROLE
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{management}:root"}, "Action": "sts:AssumeRole"}
            ],
        }
        with LOCKS.hold("iam"):
            role = self.create_role(
                {"account": account, "name": name, "trust_policy": trust, "managed_policy_arns": [ADMINISTRATOR_ACCESS]}
            )
        return {"account": account, "org_role_arn": role["arn"]}

    def create_role(self, body: dict) -> dict:
        """An IAM role made directly in an account's IAM (POST /_emulator/iam/roles),
        for roles that exist before anything the tests drive could create them.
        Idempotent: an existing role gets the trust policy and the policies."""
        from moto.iam.models import iam_backends

        account = body.get("account") or MANAGEMENT_ACCOUNT
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("name is required")
        trust = body.get("trust_policy")
        if trust is None:
            raise ValueError("trust_policy is required (a policy document, as an object or a string)")
        trust_text = trust if isinstance(trust, str) else json.dumps(trust)
        iam = iam_backends[account]["aws"]
        role = next((r for r in iam.roles.values() if r.name == name), None)
        if role is None:
            role = iam.create_role(
                role_name=name,
                assume_role_policy_document=trust_text,
                path=body.get("path") or "/",
                permissions_boundary=None,
                description=body.get("description") or "",
                tags=[],
                max_session_duration=str(body.get("max_session_duration") or 3600),
            )
        else:
            role.assume_role_policy_document = trust_text
        for arn in body.get("managed_policy_arns") or []:
            if arn not in role.managed_policies:
                iam.attach_role_policy(arn, name)
        for policy_name, doc in (body.get("inline_policies") or {}).items():
            iam.put_role_policy(name, policy_name, doc if isinstance(doc, str) else json.dumps(doc))
        return {"account": account, "name": role.name, "arn": role.arn, "path": role.path, "role_id": role.id}

    def create_cluster(self, body: dict) -> dict:
        from moto.eks.models import eks_backends

        account = body.get("account") or MANAGEMENT_ACCOUNT
        region = body.get("region") or "us-east-1"
        name = body["name"]
        access = validate_access_config_or_value_error(
            {
                "authenticationMode": body.get("authentication_mode") or "API_AND_CONFIG_MAP",
                "bootstrapClusterCreatorAdminPermissions": body.get("bootstrap_cluster_creator_admin_permissions", True),
            }
        )
        backend = eks_backends[account][region]
        if name in backend.clusters:
            raise ValueError(f"cluster {name} already exists in {account}/{region}")
        cluster = backend.create_cluster(
            name=name,
            role_arn=body.get("role_arn") or f"arn:aws:iam::{account}:role/eks-cluster-role",
            resources_vpc_config={"subnetIds": [], "securityGroupIds": [], "endpointPublicAccess": True},
            version=body.get("version") or "1.31",
        )
        ensure_cluster_fields(cluster)
        cluster.access_config = access
        cluster.status = body.get("status") or "ACTIVE"
        return self._describe_cluster_via_moto(account, region, name)

    def _describe_cluster_via_moto(self, account: str, region: str, name: str) -> dict:
        from werkzeug.test import EnvironBuilder

        builder = EnvironBuilder(
            method="GET",
            path=f"/clusters/{quote(name)}",
            headers={
                "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIAEMULATORCONTROL0/20240101/{region}/eks/aws4_request, SignedHeaders=host, Signature=0",
                # moto's own override for the account a request acts in.
                "x-moto-account-id": account,
            },
        )
        resp = self._call_moto(builder.get_environ())
        return json.loads(resp.body)["cluster"]

    def state(self) -> dict:
        from moto.iam.models import iam_backends

        out = self.sso.dump()
        out["access_entries"] = self.eks.dump()
        roles, policies = [], []
        for account, parts in list(iam_backends.items()):
            iam = parts.get("aws") if hasattr(parts, "get") else None
            if iam is None:
                continue
            for role in list(iam.roles.values()):
                roles.append({"account": account, "name": role.name, "arn": role.arn, "path": role.path})
            for arn, pol in list(iam.managed_policies.items()):
                if not arn.startswith("arn:aws:iam::aws:"):
                    policies.append({"account": account, "arn": arn, "name": pol.name})
        out["iam_roles"] = roles
        out["iam_policies"] = policies
        return out


def validate_access_config_or_value_error(access: dict) -> dict:
    try:
        return validate_access_config(access)
    except AwsError as e:
        raise ValueError(e.message)


def _query_params(environ: dict, body: bytes, query: str) -> dict:
    """The parameters of a query-protocol (IAM/STS) request, form body or URL."""
    params = parse_qs(query)
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        params.update(parse_qs(body.decode("utf-8", "replace")))
    return {k: v[-1] for k, v in params.items()}


def _account_for(access_key: str | None) -> str:
    if not access_key:
        return MANAGEMENT_ACCOUNT
    from moto.iam import models

    return models.get_account_id_from(access_key)


def _fix_json_error_status(resp: Response) -> Response:
    # moto answers every identitystore error with 400; AWS uses these codes.
    if resp.status != 400:
        return resp
    try:
        code = json.loads(resp.body).get("__type", "")
    except ValueError:
        return resp
    status = {
        "ResourceNotFoundException": 404,
        "ConflictException": 409,
        "AccessDeniedException": 403,
        "ThrottlingException": 429,
    }.get(code.split("#")[-1])
    if status:
        resp.status = status
    return resp


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


# --- moto monkeypatches ------------------------------------------------------------


def install_moto_patches(emulator: Emulator) -> None:
    _patch_account_lookup()
    _patch_ssoadmin_managed_policy_lookup()
    _patch_identitystore_ids()
    _patch_iam_list_roles_encoding()
    _patch_eks_clusters(emulator)


def _patch_account_lookup() -> None:
    """moto maps an access key to its account by probing every partition of every
    account's IAM backend, creating the missing ones on the way; with the managed
    policies loaded that costs ~0.1 s per request. Only look at backends that exist."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam import models

    def get_account_id_from(access_key: str) -> str:
        for account_id, account in list(models.iam_backends.items()):
            for backend in list(dict.values(account)):
                if access_key in backend.access_keys:
                    return account_id
        return DEFAULT_ACCOUNT_ID

    models.get_account_id_from = get_account_id_from


def _patch_ssoadmin_managed_policy_lookup() -> None:
    """Our sso-admin replaces moto's, but fix moto's lookup too, in case anything
    reaches it: it reads a lower-case "path" key while the data uses "Path", so
    policies under a path (job-function/ViewOnlyAccess) were "not found"."""
    from moto.ssoadmin import models

    def _find_managed_policy(self, managed_policy_arn: str):
        if self.aws_managed_policies is None:
            self.aws_managed_policies = json.loads(models.aws_managed_policies_data)
        policy_name = managed_policy_arn.split("/")[-1]
        data = self.aws_managed_policies.get(policy_name)
        if data is not None:
            path = data.get("Path") or data.get("path") or "/"
            if managed_policy_arn == f"arn:{self.partition}:iam::aws:policy{path}{policy_name}":
                return models.ManagedPolicy(managed_policy_arn, policy_name)
        raise models.ResourceNotFoundException(f"Policy does not exist with ARN: {managed_policy_arn}")

    models.SSOAdminBackend._find_managed_policy = _find_managed_policy


def _patch_identitystore_ids() -> None:
    """AWS identity-store IDs are `<10 hex>-<uuid>`; moto issues bare UUIDs."""
    import secrets

    from moto.identitystore import models

    class _Random:
        def __getattr__(self, name):
            from moto.moto_api._internal import mock_random

            return getattr(mock_random, name)

        @staticmethod
        def uuid4() -> str:
            return f"{secrets.token_hex(5)}-{uuid.uuid4()}"

    models.mock_random = _Random()


def _patch_iam_list_roles_encoding() -> None:
    """Real IAM returns AssumeRolePolicyDocument URL-encoded in ListRoles as well
    as GetRole; moto only encodes it for GetRole/CreateRole."""
    from moto.core.serialize import url_encode
    from moto.iam.responses import IamResponse

    IamResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER["ListRolesResponse.Roles.Role.AssumeRolePolicyDocument"] = url_encode


def _patch_eks_clusters(emulator: Emulator) -> None:
    """moto's EKS ignores accessConfig; keep it per cluster and, as AWS does,
    bootstrap an admin access entry for the creator when asked to."""
    from moto.eks import exceptions as eks_exc
    from moto.eks import models as eks_models
    from moto.eks.responses import EKSResponse

    original_init = eks_models.Cluster.__init__

    def cluster_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        ensure_cluster_fields(self)

    eks_models.Cluster.__init__ = cluster_init

    original_create = EKSResponse.create_cluster

    def create_cluster(self):
        try:
            access = validate_access_config(self._get_param("accessConfig"))
        except AwsError as e:
            raise eks_exc.InvalidParameterException(message=e.message)
        result = original_create(self)
        cluster = self.eks_backend.clusters[self._get_param("name")]
        cluster.access_config = access
        if access["authenticationMode"] != "CONFIG_MAP" and access["bootstrapClusterCreatorAdminPermissions"]:
            _bootstrap_creator(emulator, cluster, self.current_account, self.region, self.get_access_key())
        return result

    EKSResponse.create_cluster = create_cluster


def _bootstrap_creator(emulator: Emulator, cluster, account: str, region: str, access_key: str) -> None:
    from moto.iam.models import iam_backends

    with LOCKS.hold("iam"):
        key = iam_backends[account]["aws"].access_keys.get(access_key)
        if key is None:
            return  # root/default credentials: AWS gives root no access entry either
        if key.role_arn:
            principal = key.role_arn
        elif key.user_name:
            try:
                principal = iam_backends[account]["aws"].get_user(key.user_name).arn
            except Exception:
                return
        else:
            return
    try:
        emulator.eks.create_entry(cluster, account, region, {"principalArn": principal}, check_principal=False)
        emulator.eks.associate(
            cluster,
            principal,
            {
                "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                "accessScope": {"type": "cluster"},
            },
        )
    except AwsError as e:
        print(f"emulator: no bootstrap access entry for {principal}: {e.message}", file=sys.stderr)

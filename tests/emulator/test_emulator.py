"""Behaviour tests for the AWS emulator, driven with boto3 against a real server
process. Run: .venv/bin/python -m pytest tests/emulator -q -n0"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
MEMBER = "111122223333"
MGMT = "123456789012"
VIEW_ONLY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
CLUSTER_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
TRUST_EC2 = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
)
ORG_ROLE = "OrganizationAccountAccessRole"
TRUST_MGMT_ROOT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}, "Action": "sts:AssumeRole"}],
}
INLINE = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "eks:*", "Resource": "*"}]})


def start_server() -> tuple[subprocess.Popen, int, float]:
    port_file = tempfile.mktemp(prefix="emu-port-")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, SERVER, "--port", "0", "--port-file", port_file],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    while not os.path.exists(port_file):
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode())
        if time.monotonic() - t0 > 20:
            proc.kill()
            raise RuntimeError("emulator did not start")
        time.sleep(0.02)
    elapsed = time.monotonic() - t0
    with open(port_file) as f:
        port = int(f.read().strip())
    os.unlink(port_file)
    return proc, port, elapsed


class Emu:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def ctl(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/_emulator" + path, method=method, data=data)
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    def client(self, service: str, region: str = "us-east-1", creds: dict | None = None, validate: bool = True):
        creds = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=validate),
            **creds,
        )

    def assume(self, account: str, role: str = ORG_ROLE) -> dict:
        """Credentials of a session of `role` in `account`, assumed with the
        management account's root credentials. The org role is made the way
        AWS Organizations makes it (control API); any other role must exist
        and trust the caller."""
        if role == ORG_ROLE:
            self.ctl("POST", "/accounts", {"account": account})
        c = self.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="terraform")
        cr = c["Credentials"]
        return {
            "aws_access_key_id": cr["AccessKeyId"],
            "aws_secret_access_key": cr["SecretAccessKey"],
            "aws_session_token": cr["SessionToken"],
        }


@pytest.fixture(scope="module")
def server():
    proc, port, _ = start_server()
    try:
        yield Emu(port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def emu(server):
    server.ctl("POST", "/reset")
    return server


def err(excinfo) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a pytest.raises result or a ClientError."""
    e = getattr(excinfo, "value", excinfo).response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def wait_until(fn, timeout=5.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(interval)


# --- helpers building the Identity Center side ----------------------------------


class Sso:
    def __init__(self, emu: Emu, region: str = "eu-west-1", groups=("EKS_Cluster_Admins", "Platform"),
                 users=("alice",), memberships: dict | None = None):
        self.emu = emu
        self.region = region
        self.setup = emu.ctl(
            "POST",
            "/sso/setup",
            {"region": region, "groups": list(groups), "users": list(users), "memberships": memberships or {}},
        )
        self.inst = self.setup["instance_arn"]
        self.c = emu.client("sso-admin", region)

    def permission_set(self, name="EKSClusterAdminAccess", **kw) -> str:
        ps = self.c.create_permission_set(InstanceArn=self.inst, Name=name, Description=kw.pop("Description", "EKS admins"), **kw)
        return ps["PermissionSet"]["PermissionSetArn"]

    def assign(self, ps: str, group="EKS_Cluster_Admins", account=MEMBER, delete=False) -> dict:
        args = dict(
            InstanceArn=self.inst,
            TargetId=account,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=ps,
            PrincipalType="GROUP",
            PrincipalId=self.setup["groups"][group],
        )
        if delete:
            return self.c.delete_account_assignment(**args)["AccountAssignmentDeletionStatus"]
        return self.c.create_account_assignment(**args)["AccountAssignmentCreationStatus"]

    def creation_status(self, rid: str) -> dict:
        return self.c.describe_account_assignment_creation_status(
            InstanceArn=self.inst, AccountAssignmentCreationRequestId=rid
        )["AccountAssignmentCreationStatus"]

    def deletion_status(self, rid: str) -> dict:
        return self.c.describe_account_assignment_deletion_status(
            InstanceArn=self.inst, AccountAssignmentDeletionRequestId=rid
        )["AccountAssignmentDeletionStatus"]

    def provision_status(self, rid: str) -> dict:
        return self.c.describe_permission_set_provisioning_status(
            InstanceArn=self.inst, ProvisionPermissionSetRequestId=rid
        )["PermissionSetProvisioningStatus"]


def reserved_roles(emu: Emu, account=MEMBER, creds: dict | None = None) -> list[dict]:
    iam = emu.client("iam", creds=creds or emu.assume(account))
    return iam.list_roles(PathPrefix="/aws-reserved/sso.amazonaws.com/")["Roles"]


# === process ===================================================================


def test_start_fast_parallel_instances_and_clean_sigterm():
    started = [start_server() for _ in range(2)]
    try:
        ports = {p for _, p, _ in started}
        assert len(ports) == 2
        for _, _, elapsed in started:
            assert elapsed < 2.0, f"startup took {elapsed:.2f}s"
        a, b = (Emu(p) for _, p, _ in started)
        assert a.ctl("GET", "/health") == {"ok": True}
        # State is per process.
        a.client("iam").create_role(RoleName="OnlyInA", AssumeRolePolicyDocument=TRUST_EC2)
        assert [r["name"] for r in a.ctl("GET", "/state")["iam_roles"]] == ["OnlyInA"]
        assert b.ctl("GET", "/state")["iam_roles"] == []
    finally:
        for proc, _, _ in started:
            proc.send_signal(signal.SIGTERM)
        for proc, _, _ in started:
            assert proc.wait(timeout=5) == 0


# === Identity Center: instance, permission sets, validation ======================


def test_list_instances_and_setup_ids(emu):
    sso = Sso(emu)
    inst = emu.client("sso-admin", "eu-west-1").list_instances()["Instances"]
    assert len(inst) == 1
    assert inst[0]["InstanceArn"] == sso.inst
    assert inst[0]["IdentityStoreId"] == sso.setup["identity_store_id"]
    assert re.fullmatch(r"arn:aws:sso:::instance/ssoins-[0-9a-f]{16}", sso.inst)
    assert re.fullmatch(r"d-[0-9a-f]{10}", sso.setup["identity_store_id"])
    uuid_re = r"([0-9a-f]{10}-|)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch(uuid_re, sso.setup["groups"]["EKS_Cluster_Admins"])
    assert re.fullmatch(uuid_re, sso.setup["users"]["alice"])
    # Deterministic across resets and processes; setup is idempotent.
    emu.ctl("POST", "/reset")
    again = emu.ctl("POST", "/sso/setup", {"region": "eu-west-1", "groups": ["EKS_Cluster_Admins"]})
    assert again["instance_arn"] == sso.inst
    assert again == {**again, **emu.ctl("POST", "/sso/setup", {"region": "eu-west-1", "groups": ["EKS_Cluster_Admins"]})}
    # The identity store answers for the same ID.
    ids = emu.client("identitystore", "eu-west-1")
    gid = ids.get_group_id(
        IdentityStoreId=again["identity_store_id"],
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": "EKS_Cluster_Admins"}},
    )["GroupId"]
    assert gid == again["groups"]["EKS_Cluster_Admins"]
    # Member accounts see no instance.
    assert emu.client("sso-admin", "eu-west-1", creds=emu.assume(MEMBER)).list_instances()["Instances"] == []


def test_permission_set_validation(emu):
    sso = Sso(emu)
    raw = emu.client("sso-admin", "eu-west-1", validate=False)
    cases = [
        dict(InstanceArn=sso.inst, Name="x" * 33),
        dict(InstanceArn=sso.inst, Name="has space"),
        dict(InstanceArn=sso.inst, Name="ok", SessionDuration="4 hours"),
        dict(InstanceArn=sso.inst, Name="ok", RelayState="r" * 241),
        dict(InstanceArn=sso.inst),
        dict(Name="ok"),
        dict(InstanceArn="arn:aws:sso:::instance/bogus", Name="ok"),
        dict(InstanceArn=sso.inst, Name="ok", Tags=[{"Key": "k"}]),
    ]
    for case in cases:
        with pytest.raises(ClientError) as e:
            raw.create_permission_set(**case)
        code, _, status = err(e)
        assert (code, status) == ("ValidationException", 400), case
    ps = sso.permission_set("ok", SessionDuration="PT12H", RelayState="https://console.aws.amazon.com/eks/home")
    d = sso.c.describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)["PermissionSet"]
    assert d["SessionDuration"] == "PT12H" and d["RelayState"].startswith("https://")
    assert re.fullmatch(r"arn:aws:sso:::permissionSet/ssoins-[0-9a-f]{16}/ps-[0-9a-f]{16}", ps)
    # UpdatePermissionSet without RelayState clears it, as the real API does.
    sso.c.update_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, Description="new", SessionDuration="PT2H")
    d = sso.c.describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)["PermissionSet"]
    assert d["Description"] == "new" and d["SessionDuration"] == "PT2H" and "RelayState" not in d
    with pytest.raises(ClientError) as e:
        sso.c.describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps[:-16] + "0" * 16)
    assert err(e)[0::2] == ("ResourceNotFoundException", 404)


def test_duplicate_permission_set_name_is_conflict(emu):
    sso = Sso(emu)
    sso.permission_set("AdministratorAccess")
    with pytest.raises(ClientError) as e:
        sso.permission_set("AdministratorAccess")
    assert err(e) == ("ConflictException", "PermissionSet with name AdministratorAccess already exists.", 409)


def test_view_only_access_attach_and_unknown_policy(emu):
    sso = Sso(emu)
    ps = sso.permission_set()
    sso.c.attach_managed_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, ManagedPolicyArn=VIEW_ONLY)
    attached = sso.c.list_managed_policies_in_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)
    assert attached["AttachedManagedPolicies"] == [{"Arn": VIEW_ONLY, "Name": "ViewOnlyAccess"}]
    with pytest.raises(ClientError) as e:  # right name, wrong path
        sso.c.attach_managed_policy_to_permission_set(
            InstanceArn=sso.inst, PermissionSetArn=ps, ManagedPolicyArn="arn:aws:iam::aws:policy/ViewOnlyAccess"
        )
    assert err(e)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        sso.c.attach_managed_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, ManagedPolicyArn=VIEW_ONLY)
    # A second attach (what an SDK retry meets after a lost response) is a
    # ConflictException in AWS's words, misspelling included.
    assert err(e) == (
        "ConflictException",
        f"Permission set with id {ps.rsplit('/', 1)[-1]} already has a typed link attachment to a manged policy with {VIEW_ONLY}",
        409,
    )
    # moto's own IAM accepts the path-qualified AWS-managed policy as well.
    iam = emu.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_EC2)
    iam.attach_role_policy(RoleName="r", PolicyArn=VIEW_ONLY)
    assert iam.list_attached_role_policies(RoleName="r")["AttachedPolicies"][0]["PolicyArn"] == VIEW_ONLY


def test_tags_on_permission_sets(emu):
    sso = Sso(emu)
    ps = sso.permission_set(Tags=[{"Key": "team", "Value": "platform"}])
    sso.c.tag_resource(InstanceArn=sso.inst, ResourceArn=ps, Tags=[{"Key": "env", "Value": "prod"}])
    tags = sso.c.list_tags_for_resource(InstanceArn=sso.inst, ResourceArn=ps)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "platform", "env": "prod"}
    sso.c.untag_resource(InstanceArn=sso.inst, ResourceArn=ps, TagKeys=["team"])
    assert sso.c.list_tags_for_resource(InstanceArn=sso.inst, ResourceArn=ps)["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert emu.ctl("GET", "/state")["permission_sets"][0]["tags"] == {"env": "prod"}
    with pytest.raises(ClientError) as e:
        sso.c.tag_resource(InstanceArn=sso.inst, ResourceArn=ps, Tags=[{"Key": "bad{key", "Value": "v"}])
    assert err(e)[0] == "ValidationException"


def test_permissions_boundary_and_customer_managed_refs(emu):
    sso = Sso(emu)
    ps = sso.permission_set()
    with pytest.raises(ClientError) as e:
        sso.c.get_permissions_boundary_for_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)
    assert err(e)[0::2] == ("ResourceNotFoundException", 404)
    sso.c.put_permissions_boundary_to_permission_set(
        InstanceArn=sso.inst, PermissionSetArn=ps, PermissionsBoundary={"ManagedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}
    )
    got = sso.c.get_permissions_boundary_for_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)
    assert got["PermissionsBoundary"] == {"ManagedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}
    sso.c.attach_customer_managed_policy_reference_to_permission_set(
        InstanceArn=sso.inst, PermissionSetArn=ps, CustomerManagedPolicyReference={"Name": "EKSExtra", "Path": "/team/"}
    )
    refs = sso.c.list_customer_managed_policy_references_in_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)
    assert refs["CustomerManagedPolicyReferences"] == [{"Name": "EKSExtra", "Path": "/team/"}]

    # Missing customer-managed policy in the target account: provisioning fails
    # asynchronously, as in AWS.
    st = sso.assign(ps)
    st = sso.creation_status(st["RequestId"])
    assert st["Status"] == "FAILED"
    assert f"arn:aws:iam::{MEMBER}:policy/team/EKSExtra" in st["FailureReason"]
    assert reserved_roles(emu) == []

    member_iam = emu.client("iam", creds=emu.assume(MEMBER))
    member_iam.create_policy(PolicyName="EKSExtra", Path="/team/", PolicyDocument=INLINE)
    st = sso.creation_status(sso.assign(ps)["RequestId"])
    assert st["Status"] == "SUCCEEDED"
    role = reserved_roles(emu)[0]
    full = member_iam.get_role(RoleName=role["RoleName"])["Role"]
    assert full["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    attached = member_iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [f"arn:aws:iam::{MEMBER}:policy/team/EKSExtra"]

    sso.c.delete_permissions_boundary_from_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)
    assert emu.ctl("GET", "/state")["permission_sets"][0]["permissions_boundary"] is None


# === async statuses and the reserved role =======================================


def test_assignment_in_progress_then_succeeded_with_side_effects_at_completion(emu):
    emu.ctl("POST", "/config", {"assignment_delay": 0.5})
    sso = Sso(emu)
    ps = sso.permission_set()
    reserved_roles(emu)  # warm up the member account before the clock starts
    st = sso.assign(ps)
    assert st["Status"] == "IN_PROGRESS"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", st["RequestId"])
    assert sso.creation_status(st["RequestId"])["Status"] == "IN_PROGRESS"
    listed = sso.c.list_account_assignments(InstanceArn=sso.inst, AccountId=MEMBER, PermissionSetArn=ps)
    assert listed["AccountAssignments"] == []
    assert reserved_roles(emu) == []
    final = wait_until(lambda: (s := sso.creation_status(st["RequestId"]))["Status"] != "IN_PROGRESS" and s)
    assert final["Status"] == "SUCCEEDED"
    listed = sso.c.list_account_assignments(InstanceArn=sso.inst, AccountId=MEMBER, PermissionSetArn=ps)
    assert listed["AccountAssignments"] == [
        {"AccountId": MEMBER, "PermissionSetArn": ps, "PrincipalType": "GROUP", "PrincipalId": sso.setup["groups"]["EKS_Cluster_Admins"]}
    ]
    assert len(reserved_roles(emu)) == 1


def test_held_assignment_stays_in_progress_until_released(emu):
    sso = Sso(emu)
    ps = sso.permission_set()
    emu.ctl("POST", "/config", {"hold_assignments": True})
    st = sso.assign(ps)
    time.sleep(0.3)
    assert sso.creation_status(st["RequestId"])["Status"] == "IN_PROGRESS"
    assert reserved_roles(emu) == []
    emu.ctl("POST", "/config", {"hold_assignments": False})
    assert sso.creation_status(st["RequestId"])["Status"] == "SUCCEEDED"
    assert len(reserved_roles(emu)) == 1
    with pytest.raises(urllib.error.HTTPError) as e:
        emu.ctl("POST", "/config", {"hold_assignments": 1})
    assert e.value.code == 400


def test_reserved_role_shape_with_region_segment(emu):
    sso = Sso(emu, region="eu-west-1")
    ps = sso.permission_set(SessionDuration="PT4H")
    sso.c.attach_managed_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, ManagedPolicyArn=VIEW_ONLY)
    sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=INLINE)
    sso.assign(ps)
    (role,) = reserved_roles(emu)
    assert re.fullmatch(r"AWSReservedSSO_EKSClusterAdminAccess_[0-9a-f]{16}", role["RoleName"])
    assert role["Path"] == "/aws-reserved/sso.amazonaws.com/eu-west-1/"
    assert role["Arn"] == f"arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/eu-west-1/{role['RoleName']}"
    iam = emu.client("iam", creds=emu.assume(MEMBER))
    full = iam.get_role(RoleName=role["RoleName"])["Role"]
    assert full["Description"] == "EKS admins"
    stmt = full["AssumeRolePolicyDocument"]["Statement"][0]
    assert re.fullmatch(rf"arn:aws:iam::{MEMBER}:saml-provider/AWSSSO_[0-9a-f]{{16}}_DO_NOT_DELETE", stmt["Principal"]["Federated"])
    assert stmt["Action"] == ["sts:AssumeRoleWithSAML", "sts:TagSession"]
    assert stmt["Condition"] == {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
    assert iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"] == ["AwsSSOInlinePolicy"]
    doc = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="AwsSSOInlinePolicy")["PolicyDocument"]
    assert doc == json.loads(INLINE)
    attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [VIEW_ONLY]
    state = emu.ctl("GET", "/state")
    (rr,) = state["reserved_roles"]
    assert rr["name"] == role["RoleName"] and rr["managed_policies"] == [VIEW_ONLY] and rr["visible_in_iam"]


def test_reserved_role_without_region_segment_in_us_east_1(emu):
    sso = Sso(emu, region="us-east-1")
    sso.assign(sso.permission_set("K8StudioEKSExec"))
    (role,) = reserved_roles(emu)
    assert role["Path"] == "/aws-reserved/sso.amazonaws.com/"
    assert re.fullmatch(r"AWSReservedSSO_K8StudioEKSExec_[0-9a-f]{16}", role["RoleName"])


def test_get_and_list_roles_return_url_encoded_trust_policy(emu):
    sso = Sso(emu)
    sso.assign(sso.permission_set())
    iam = emu.client("iam", creds=emu.assume(MEMBER))
    raw_bodies = []
    iam.meta.events.register("before-parse.iam.*", lambda response_dict, **kw: raw_bodies.append(response_dict["body"].decode()))
    role = iam.list_roles(PathPrefix="/aws-reserved/sso.amazonaws.com/")["Roles"][0]
    iam.get_role(RoleName=role["RoleName"])
    for body in raw_bodies:
        doc = re.search(r"<AssumeRolePolicyDocument>(.*?)</AssumeRolePolicyDocument>", body).group(1)
        assert doc.startswith("%7B%22Version%22"), doc[:40]
        assert json.loads(urllib.parse.unquote(doc))["Statement"][0]["Action"] == ["sts:AssumeRoleWithSAML", "sts:TagSession"]


def test_role_deleted_with_last_assignment_and_new_suffix_after(emu):
    emu.ctl("POST", "/config", {"deletion_delay": 0.2})
    sso = Sso(emu)
    ps = sso.permission_set()
    sso.assign(ps, "EKS_Cluster_Admins")
    sso.assign(ps, "Platform")
    (first,) = reserved_roles(emu)
    # Removing one of two assignments keeps the role.
    st = sso.assign(ps, "Platform", delete=True)
    assert st["Status"] == "IN_PROGRESS"
    wait_until(lambda: sso.deletion_status(st["RequestId"])["Status"] == "SUCCEEDED")
    assert [r["RoleName"] for r in reserved_roles(emu)] == [first["RoleName"]]
    # Removing the last one deletes it, but only when the deletion completes.
    st = sso.assign(ps, "EKS_Cluster_Admins", delete=True)
    assert sso.deletion_status(st["RequestId"])["Status"] == "IN_PROGRESS"
    assert len(reserved_roles(emu)) == 1
    wait_until(lambda: sso.deletion_status(st["RequestId"])["Status"] == "SUCCEEDED")
    assert reserved_roles(emu) == []
    assert emu.ctl("GET", "/state")["reserved_roles"] == []
    # A new assignment gets a new role with a new suffix.
    sso.assign(ps)
    (second,) = reserved_roles(emu)
    assert second["RoleName"] != first["RoleName"]
    assert second["RoleName"].startswith("AWSReservedSSO_EKSClusterAdminAccess_")


def test_reprovision_updates_existing_role_keeping_suffix(emu):
    emu.ctl("POST", "/config", {"provisioning_delay": 0.3})
    sso = Sso(emu)
    ps = sso.permission_set()
    sso.assign(ps)
    (role,) = reserved_roles(emu)
    sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=INLINE)
    sso.c.attach_managed_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, ManagedPolicyArn=VIEW_ONLY)
    listed = sso.c.list_permission_sets_provisioned_to_account(
        InstanceArn=sso.inst, AccountId=MEMBER, ProvisioningStatus="LATEST_PERMISSION_SET_NOT_PROVISIONED"
    )
    assert listed["PermissionSets"] == [ps]
    iam = emu.client("iam", creds=emu.assume(MEMBER))
    # Not pushed to the role until provisioned.
    assert iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"] == []
    st = sso.c.provision_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, TargetId=MEMBER, TargetType="AWS_ACCOUNT")
    st = st["PermissionSetProvisioningStatus"]
    assert st["Status"] == "IN_PROGRESS" and st["AccountId"] == MEMBER
    assert sso.provision_status(st["RequestId"])["Status"] == "IN_PROGRESS"
    wait_until(lambda: sso.provision_status(st["RequestId"])["Status"] == "SUCCEEDED")
    assert [r["RoleName"] for r in reserved_roles(emu)] == [role["RoleName"]]
    assert iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"] == ["AwsSSOInlinePolicy"]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]] == [VIEW_ONLY]
    listed = sso.c.list_permission_sets_provisioned_to_account(
        InstanceArn=sso.inst, AccountId=MEMBER, ProvisioningStatus="LATEST_PERMISSION_SET_PROVISIONED"
    )
    assert listed["PermissionSets"] == [ps]
    accounts = sso.c.list_accounts_for_provisioned_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)
    assert accounts["AccountIds"] == [MEMBER]


def test_provision_all_accounts_without_assignments_succeeds(emu):
    sso = Sso(emu)
    ps = sso.permission_set()
    st = sso.c.provision_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, TargetType="ALL_PROVISIONED_ACCOUNTS")
    st = st["PermissionSetProvisioningStatus"]
    assert st["Status"] == "IN_PROGRESS" and "AccountId" not in st
    assert sso.provision_status(st["RequestId"])["Status"] == "SUCCEEDED"
    assert reserved_roles(emu) == []
    # Provisioning to an account with no assignment still creates the role.
    st = sso.c.provision_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, TargetId=MEMBER, TargetType="AWS_ACCOUNT")
    assert sso.provision_status(st["PermissionSetProvisioningStatus"]["RequestId"])["Status"] == "SUCCEEDED"
    assert len(reserved_roles(emu)) == 1


def test_role_visibility_and_eks_principal_delay(emu):
    emu.ctl("POST", "/config", {"role_visibility_delay": 0.4, "eks_principal_delay": 0.4})
    emu.ctl("POST", "/eks/clusters", {"account": MEMBER, "region": "eu-west-1", "name": "prod", "authentication_mode": "API"})
    sso = Sso(emu)
    ps = sso.permission_set()
    creds = emu.assume(MEMBER)  # before the clock starts
    eks = emu.client("eks", "eu-west-1", creds=creds)
    t0 = time.monotonic()
    assert sso.creation_status(sso.assign(ps)["RequestId"])["Status"] == "SUCCEEDED"
    assert reserved_roles(emu, creds=creds) == []  # succeeded, but IAM does not show the role yet
    arn = emu.ctl("GET", "/state")["reserved_roles"][0]["arn"]
    role = wait_until(lambda: reserved_roles(emu, creds=creds))[0]
    assert time.monotonic() - t0 >= 0.35
    assert role["Arn"] == arn
    if time.monotonic() - t0 < 0.7:
        with pytest.raises(ClientError) as e:
            eks.create_access_entry(clusterName="prod", principalArn=arn)
        assert err(e) == ("InvalidParameterException", "The specified principalArn is invalid: invalid principal.", 400)
    while time.monotonic() - t0 < 0.85:
        time.sleep(0.05)
    assert eks.create_access_entry(clusterName="prod", principalArn=arn)["accessEntry"]["principalArn"] == arn


def test_conflict_while_async_operation_in_progress(emu):
    emu.ctl("POST", "/config", {"assignment_delay": 0.4})
    sso = Sso(emu)
    ps = sso.permission_set()
    other = sso.permission_set("Other")
    st = sso.assign(ps, "EKS_Cluster_Admins")
    writes = [
        lambda: sso.assign(ps, "Platform"),
        lambda: sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=INLINE),
        lambda: sso.c.attach_managed_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, ManagedPolicyArn=VIEW_ONLY),
        lambda: sso.c.provision_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, TargetType="ALL_PROVISIONED_ACCOUNTS"),
        lambda: sso.c.update_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, Description="x"),
        lambda: sso.c.delete_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps),
    ]
    for write in writes:
        with pytest.raises(ClientError) as e:
            write()
        assert err(e) == ("ConflictException", "There is a conflicting operation in process.", 409)
    # Reads and other permission sets are unaffected.
    sso.c.describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)
    sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=other, InlinePolicy=INLINE)
    wait_until(lambda: sso.creation_status(st["RequestId"])["Status"] == "SUCCEEDED")
    sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=INLINE)
    # Switched off, concurrent writes go through.
    emu.ctl("POST", "/config", {"conflict_on_concurrent": False})
    sso.assign(other, "EKS_Cluster_Admins")
    sso.assign(other, "Platform")


def test_delete_permission_set_with_assignments_is_conflict(emu):
    sso = Sso(emu)
    ps = sso.permission_set()
    sso.assign(ps)
    with pytest.raises(ClientError) as e:
        sso.c.delete_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)
    assert err(e)[0::2] == ("ConflictException", 409)
    sso.assign(ps, delete=True)
    sso.c.delete_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)
    assert emu.ctl("GET", "/state")["permission_sets"] == []


def test_fail_async_reports_failure_reason_without_side_effects(emu):
    emu.ctl("POST", "/config", {"assignment_delay": 0.2})
    emu.ctl(
        "POST",
        "/faults",
        {"rules": [{"service": "sso-admin", "operation": "CreateAccountAssignment", "kind": "fail_async", "count": 1,
                    "failure_reason": "Received a 500 status error: boom"}]},
    )
    sso = Sso(emu)
    ps = sso.permission_set()
    st = sso.assign(ps)
    assert st["Status"] == "IN_PROGRESS"
    final = wait_until(lambda: (s := sso.creation_status(st["RequestId"]))["Status"] != "IN_PROGRESS" and s)
    assert final["Status"] == "FAILED" and final["FailureReason"] == "Received a 500 status error: boom"
    assert sso.c.list_account_assignments(InstanceArn=sso.inst, AccountId=MEMBER, PermissionSetArn=ps)["AccountAssignments"] == []
    assert emu.ctl("GET", "/state")["reserved_roles"] == []
    # count=1: the retry succeeds.
    st = sso.assign(ps)
    assert wait_until(lambda: (s := sso.creation_status(st["RequestId"]))["Status"] != "IN_PROGRESS" and s)["Status"] == "SUCCEEDED"


def test_unknown_principal_fails_assignment(emu):
    sso = Sso(emu)
    ps = sso.permission_set()
    st = sso.c.create_account_assignment(
        InstanceArn=sso.inst, TargetId=MEMBER, TargetType="AWS_ACCOUNT", PermissionSetArn=ps,
        PrincipalType="GROUP", PrincipalId="0123456789-00000000-0000-0000-0000-000000000000",
    )["AccountAssignmentCreationStatus"]
    final = sso.creation_status(st["RequestId"])
    assert final["Status"] == "FAILED" and "does not exist" in final["FailureReason"]


# === faults, latency, request log ================================================


def test_throttle_and_5xx_injection_per_protocol(emu):
    sso = Sso(emu)
    emu.ctl(
        "POST",
        "/faults",
        {
            "rules": [
                {"service": "sso-admin", "operation": "ListPermissionSets", "kind": "throttle", "count": 2},
                {"service": "iam", "operation": "*", "kind": "throttle", "count": 1},
                {"service": "eks", "operation": "ListClusters", "kind": "error5xx", "count": 1},
                {"service": "sts", "operation": "GetCallerIdentity", "kind": "error5xx", "count": 1},
                {"service": "sso-admin", "operation": "ListInstances", "kind": "conflict", "count": 1},
            ],
            "seed": 42,
        },
    )
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            sso.c.list_permission_sets(InstanceArn=sso.inst)
        assert err(e) == ("ThrottlingException", "Rate exceeded", 429)
    sso.c.list_permission_sets(InstanceArn=sso.inst)  # count exhausted
    with pytest.raises(ClientError) as e:
        emu.client("iam").list_roles()
    assert err(e) == ("Throttling", "Rate exceeded", 400)
    with pytest.raises(ClientError) as e:
        emu.client("eks", "eu-west-1").list_clusters()
    assert err(e)[0::2] == ("ServerException", 500)
    with pytest.raises(ClientError) as e:
        emu.client("sts").get_caller_identity()
    assert err(e)[0::2] == ("ServiceUnavailable", 503)
    with pytest.raises(ClientError) as e:
        sso.c.list_instances()
    assert err(e) == ("ConflictException", "There is a conflicting operation in process.", 409)
    emu.ctl("DELETE", "/faults")
    emu.client("iam").list_roles()


def test_fault_rate_is_seeded_and_deterministic(emu):
    def run() -> list[int]:
        emu.ctl("POST", "/faults", {"rules": [{"service": "iam", "operation": "ListRoles", "kind": "throttle", "rate": 0.5}], "seed": 7})
        iam = emu.client("iam")
        out = []
        for _ in range(12):
            try:
                iam.list_roles()
                out.append(200)
            except ClientError as e:
                out.append(e.response["ResponseMetadata"]["HTTPStatusCode"])
        return out

    first, second = run(), run()
    assert first == second and 200 in first and 400 in first


def test_sdk_retries_through_throttling(emu):
    emu.ctl("POST", "/faults", {"rules": [{"service": "iam", "operation": "ListRoles", "kind": "throttle", "count": 2}]})
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=emu.url, aws_access_key_id="testing", aws_secret_access_key="testing",
                       config=Config(retries={"max_attempts": 5, "mode": "standard"}))
    iam.list_roles()
    statuses = [r["status"] for r in emu.ctl("GET", "/requests")["requests"] if r["operation"] == "ListRoles"]
    assert statuses == [400, 400, 200]


def test_latency_injection(emu):
    emu.ctl("POST", "/faults", {"rules": [{"service": "sts", "operation": "*", "kind": "latency", "latency_ms": 300}]})
    t0 = time.monotonic()
    emu.client("sts").get_caller_identity()
    assert time.monotonic() - t0 >= 0.3


def test_request_log(emu):
    emu.ctl("DELETE", "/requests")
    emu.ctl("POST", "/eks/clusters", {"account": MEMBER, "region": "eu-west-1", "name": "prod", "authentication_mode": "API"})
    creds = emu.assume(MEMBER)
    emu.client("eks", "eu-west-1", creds=creds).describe_cluster(name="prod")
    with pytest.raises(ClientError):
        emu.client("eks", "eu-west-1", creds=creds).describe_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:role/none")
    emu.client("sso-admin", "eu-west-1").list_instances()
    emu.client("iam", creds=creds).create_role(RoleName="dev", AssumeRolePolicyDocument=TRUST_EC2)
    log = emu.ctl("GET", "/requests")["requests"]
    mgmt = {"mutating": False, "access_key_id": "testing"}
    read = {"mutating": False, "access_key_id": creds["aws_access_key_id"]}
    assert log == [
        {"service": "sts", "operation": "AssumeRole", "account": MGMT, "region": "us-east-1", "status": 200, **mgmt},
        {"service": "eks", "operation": "DescribeCluster", "account": MEMBER, "region": "eu-west-1", "status": 200, **read},
        {"service": "eks", "operation": "DescribeAccessEntry", "account": MEMBER, "region": "eu-west-1", "status": 404, **read},
        {"service": "sso-admin", "operation": "ListInstances", "account": MGMT, "region": "eu-west-1", "status": 200, **mgmt},
        {"service": "iam", "operation": "CreateRole", "account": MEMBER, "region": "us-east-1", "status": 200, "mutating": True,
         "access_key_id": creds["aws_access_key_id"]},
    ]
    # The session STS issued, secrets included, for leak checks.
    sessions = emu.ctl("GET", "/sts/sessions")["sessions"]
    assert {
        "account": MEMBER,
        "arn": f"arn:aws:sts::{MEMBER}:assumed-role/{ORG_ROLE}/" + sessions[0]["arn"].rsplit("/", 1)[1],
        "access_key_id": creds["aws_access_key_id"],
        "secret_access_key": creds["aws_secret_access_key"],
        "session_token": creds["aws_session_token"],
    } == sessions[0]
    assert len(sessions) == 1
    emu.ctl("DELETE", "/requests")
    assert emu.ctl("GET", "/requests") == {"requests": []}


def test_control_api_config_and_validation(emu):
    cfg = emu.ctl("POST", "/config", {"assignment_delay": 1.5})
    assert cfg == {
        "assignment_delay": 1.5, "provisioning_delay": 0.0, "deletion_delay": 0.0,
        "role_visibility_delay": 0.0, "eks_principal_delay": 0.0, "conflict_on_concurrent": True,
        "hold_assignments": False, "sso_write_duration": 0.0, "sso_tps_quota": None,
    }
    for bad in ({"bogus": 1}, {"sso_tps_quota": 0}, {"sso_tps_quota": True}, {"sso_write_duration": -1}):
        with pytest.raises(urllib.error.HTTPError) as e:
            emu.ctl("POST", "/config", bad)
        assert e.value.code == 400, bad
    assert emu.ctl("POST", "/config", {"sso_tps_quota": 20})["sso_tps_quota"] == 20.0
    assert emu.ctl("POST", "/config", {"sso_tps_quota": None})["sso_tps_quota"] is None
    emu.ctl("POST", "/reset")
    assert emu.ctl("POST", "/config", {})["assignment_delay"] == 0.0


# === EKS access entries ===========================================================


@pytest.fixture
def cluster(emu):
    emu.ctl("POST", "/eks/clusters", {"account": MEMBER, "region": "eu-west-1", "name": "prod", "authentication_mode": "API"})
    creds = emu.assume(MEMBER)
    iam = emu.client("iam", creds=creds)
    iam.create_role(RoleName="dev", Path="/team/a/", AssumeRolePolicyDocument=TRUST_EC2)
    iam.create_role(RoleName="node", AssumeRolePolicyDocument=TRUST_EC2)
    iam.create_user(UserName="bob", Path="/people/")
    return emu.client("eks", "eu-west-1", creds=creds)


ROLE_WITH_PATH = f"arn:aws:iam::{MEMBER}:role/team/a/dev"


def test_access_entry_defaults_arn_and_path_echo(cluster):
    e = cluster.create_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)["accessEntry"]
    assert e["principalArn"] == ROLE_WITH_PATH
    assert e["username"] == f"arn:aws:sts::{MEMBER}:assumed-role/dev/{{{{SessionName}}}}"
    assert e["type"] == "STANDARD" and e["kubernetesGroups"] == []
    assert re.fullmatch(
        rf"arn:aws:eks:eu-west-1:{MEMBER}:access-entry/prod/role/{MEMBER}/dev/[0-9a-f-]{{36}}", e["accessEntryArn"]
    )
    u = cluster.create_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:user/people/bob")["accessEntry"]
    assert u["username"] == f"arn:aws:iam::{MEMBER}:user/people/bob"
    assert "/user/" + MEMBER + "/bob/" in u["accessEntryArn"]
    n = cluster.create_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:role/node", type="EC2_LINUX")["accessEntry"]
    assert n["username"] == "system:node:{{EC2PrivateDNSName}}"
    listed = cluster.list_access_entries(clusterName="prod")["accessEntries"]
    assert sorted(listed) == sorted([ROLE_WITH_PATH, f"arn:aws:iam::{MEMBER}:user/people/bob", f"arn:aws:iam::{MEMBER}:role/node"])
    got = cluster.describe_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)["accessEntry"]
    assert got["accessEntryArn"] == e["accessEntryArn"]
    upd = cluster.update_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH, kubernetesGroups=["devs"], username="dev-user")
    assert upd["accessEntry"]["kubernetesGroups"] == ["devs"] and upd["accessEntry"]["username"] == "dev-user"


def test_access_entry_errors(cluster):
    cluster.create_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)
    with pytest.raises(ClientError) as e:
        cluster.create_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)
    assert err(e) == ("ResourceInUseException", "The specified access entry resource is already in use on this cluster.", 409)
    # The same clientRequestToken is a retry of the same create, not a duplicate.
    tok = "6a2b9a5e-1111-4222-8333-944445555666"
    cluster.create_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:user/people/bob", clientRequestToken=tok)
    cluster.create_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:user/people/bob", clientRequestToken=tok)
    cluster.delete_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:user/people/bob")
    invalid = ("InvalidParameterException", "The specified principalArn is invalid: invalid principal.", 400)
    for bad in (
        f"arn:aws:iam::{MEMBER}:role/dev",  # path stripped
        f"arn:aws:iam::{MEMBER}:role/ghost",
        f"arn:aws:iam::{MGMT}:role/team/a/dev",  # other account
        f"arn:aws:sts::{MEMBER}:assumed-role/dev/session",
    ):
        with pytest.raises(ClientError) as e:
            cluster.create_access_entry(clusterName="prod", principalArn=bad)
        assert err(e) == invalid, bad
    with pytest.raises(ClientError) as e:
        cluster.associate_access_policy(
            clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:role/node", policyArn=CLUSTER_ADMIN, accessScope={"type": "cluster"}
        )
    assert err(e) == (
        "ResourceNotFoundException",
        "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.",
        404,
    )
    with pytest.raises(ClientError) as e:
        cluster.describe_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:role/node")
    assert err(e)[0::2] == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as e:
        cluster.list_access_entries(clusterName="nope")
    assert err(e)[0::2] == ("ResourceNotFoundException", 404)
    for name in ("system:admin", "eks:x", "aws:x", "amazon:x", "iam:x"):
        with pytest.raises(ClientError) as e:
            cluster.create_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:role/node", username=name)
        assert err(e)[0] == "InvalidParameterException"
    standard_only = ("InvalidParameterException", 'This operation can only be performed on Access Entries with a type of "STANDARD".', 400)
    with pytest.raises(ClientError) as e:
        cluster.create_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:role/node", type="EC2_LINUX", kubernetesGroups=["g"])
    assert err(e) == standard_only
    cluster.create_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:role/node", type="EC2_LINUX")
    with pytest.raises(ClientError) as e:
        cluster.associate_access_policy(
            clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:role/node", policyArn=CLUSTER_ADMIN, accessScope={"type": "cluster"}
        )
    assert err(e) == standard_only


def test_access_entry_tags_on_create_describe_and_tag_calls(cluster, emu):
    e = cluster.create_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH, tags={"owner": "tf", "keep": "1"})["accessEntry"]
    assert e["tags"] == {"owner": "tf", "keep": "1"}
    arn = e["accessEntryArn"]
    got = cluster.describe_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)["accessEntry"]
    assert got["tags"] == {"owner": "tf", "keep": "1"}
    cluster.tag_resource(resourceArn=arn, tags={"env": "prod"})
    cluster.untag_resource(resourceArn=arn, tagKeys=["owner", "absent"])
    assert cluster.list_tags_for_resource(resourceArn=arn)["tags"] == {"keep": "1", "env": "prod"}
    assert cluster.describe_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)["accessEntry"]["tags"] == {
        "keep": "1",
        "env": "prod",
    }
    (dumped,) = [x for x in emu.ctl("GET", "/state")["access_entries"] if x["principal_arn"] == ROLE_WITH_PATH]
    assert dumped["tags"] == {"keep": "1", "env": "prod"}
    with pytest.raises(ClientError) as x:
        cluster.tag_resource(resourceArn=arn, tags={"aws:reserved": "v"})
    assert err(x)[0::2] == ("BadRequestException", 400)
    cluster.delete_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)
    with pytest.raises(ClientError) as x:
        cluster.untag_resource(resourceArn=arn, tagKeys=["keep"])
    assert err(x)[0::2] == ("NotFoundException", 404)
    # Cluster tags still go to moto.
    cluster_arn = cluster.describe_cluster(name="prod")["cluster"]["arn"]
    cluster.tag_resource(resourceArn=cluster_arn, tags={"team": "a"})
    assert cluster.list_tags_for_resource(resourceArn=cluster_arn)["tags"].get("team") == "a"


def test_percent_encoded_arn_on_raw_http(cluster, emu):
    cluster.create_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)
    creds = emu.assume(MEMBER)
    encoded = urllib.parse.quote(ROLE_WITH_PATH, safe="")
    assert "%2F" in encoded and "%3A" in encoded
    conn = http.client.HTTPConnection("127.0.0.1", emu.port)
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={creds['aws_access_key_id']}/20250101/eu-west-1/eks/aws4_request, SignedHeaders=host, Signature=0",
        "X-Amz-Security-Token": creds["aws_session_token"],
    }
    conn.request("GET", f"/clusters/prod/access-entries/{encoded}", headers=headers)
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 200, body
    assert body["accessEntry"]["principalArn"] == ROLE_WITH_PATH
    # Decoded exactly once: a double-encoded ARN is a different (missing) entry.
    conn.request("GET", f"/clusters/prod/access-entries/{urllib.parse.quote(encoded, safe='')}", headers=headers)
    resp = conn.getresponse()
    assert resp.status == 404 and resp.getheader("x-amzn-ErrorType") == "ResourceNotFoundException"
    assert "message" in json.loads(resp.read())
    # A percent-encoded policy ARN on disassociate.
    cluster.associate_access_policy(clusterName="prod", principalArn=ROLE_WITH_PATH, policyArn=VIEW_POLICY, accessScope={"type": "cluster"})
    conn.request(
        "DELETE",
        f"/clusters/prod/access-entries/{encoded}/access-policies/{urllib.parse.quote(VIEW_POLICY, safe='')}",
        headers=headers,
    )
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 200
    assert cluster.list_associated_access_policies(clusterName="prod", principalArn=ROLE_WITH_PATH)["associatedAccessPolicies"] == []
    conn.close()


def test_associate_upsert_scopes_and_delete_cascade(cluster):
    cluster.create_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)
    first = cluster.associate_access_policy(
        clusterName="prod", principalArn=ROLE_WITH_PATH, policyArn=VIEW_POLICY, accessScope={"type": "namespace", "namespaces": ["dev"]}
    )["associatedAccessPolicy"]
    again = cluster.associate_access_policy(
        clusterName="prod", principalArn=ROLE_WITH_PATH, policyArn=VIEW_POLICY, accessScope={"type": "namespace", "namespaces": ["dev", "qa-*"]}
    )["associatedAccessPolicy"]
    assert again["associatedAt"] == first["associatedAt"]
    cluster.associate_access_policy(clusterName="prod", principalArn=ROLE_WITH_PATH, policyArn=CLUSTER_ADMIN, accessScope={"type": "cluster"})
    listed = cluster.list_associated_access_policies(clusterName="prod", principalArn=ROLE_WITH_PATH)["associatedAccessPolicies"]
    assert {p["policyArn"]: p["accessScope"] for p in listed} == {
        VIEW_POLICY: {"type": "namespace", "namespaces": ["dev", "qa-*"]},
        CLUSTER_ADMIN: {"type": "cluster", "namespaces": []},
    }
    assert cluster.list_access_entries(clusterName="prod", associatedPolicyArn=CLUSTER_ADMIN)["accessEntries"] == [ROLE_WITH_PATH]
    for scope in ({"type": "namespace"}, {"type": "namespace", "namespaces": []}, {"type": "cluster", "namespaces": ["dev"]}):
        with pytest.raises(ClientError) as e:
            cluster.associate_access_policy(clusterName="prod", principalArn=ROLE_WITH_PATH, policyArn=VIEW_POLICY, accessScope=scope)
        assert err(e)[0::2] == ("InvalidParameterException", 400), scope
    cluster.disassociate_access_policy(clusterName="prod", principalArn=ROLE_WITH_PATH, policyArn=VIEW_POLICY)
    with pytest.raises(ClientError) as e:
        cluster.disassociate_access_policy(clusterName="prod", principalArn=ROLE_WITH_PATH, policyArn=VIEW_POLICY)
    assert err(e)[0::2] == ("ResourceNotFoundException", 404)
    cluster.delete_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)
    cluster.create_access_entry(clusterName="prod", principalArn=ROLE_WITH_PATH)
    assert cluster.list_associated_access_policies(clusterName="prod", principalArn=ROLE_WITH_PATH)["associatedAccessPolicies"] == []


def test_list_access_policies(cluster):
    names = [p["name"] for p in cluster.list_access_policies()["accessPolicies"]]
    for n in ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSEditPolicy",
              "AmazonEKSViewPolicy", "AmazonEKSAutoNodePolicy", "AmazonEKSHybridPolicy"):
        assert n in names
    page = cluster.list_access_policies(maxResults=5)
    assert len(page["accessPolicies"]) == 5 and page["nextToken"]
    rest = cluster.list_access_policies(maxResults=100, nextToken=page["nextToken"])
    assert len(page["accessPolicies"]) + len(rest["accessPolicies"]) == len(names)


def test_authentication_mode_rule_and_transitions(emu):
    emu.ctl("POST", "/eks/clusters", {"account": MEMBER, "region": "eu-west-1", "name": "legacy", "authentication_mode": "CONFIG_MAP"})
    creds = emu.assume(MEMBER)
    emu.client("iam", creds=creds).create_role(RoleName="dev", AssumeRolePolicyDocument=TRUST_EC2)
    eks = emu.client("eks", "eu-west-1", creds=creds)
    arn = f"arn:aws:iam::{MEMBER}:role/dev"
    rule = (
        "InvalidRequestException",
        "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
        400,
    )
    for call in (
        lambda: eks.create_access_entry(clusterName="legacy", principalArn=arn),
        lambda: eks.describe_access_entry(clusterName="legacy", principalArn=arn),
        lambda: eks.list_access_entries(clusterName="legacy"),
        lambda: eks.delete_access_entry(clusterName="legacy", principalArn=arn),
        lambda: eks.associate_access_policy(clusterName="legacy", principalArn=arn, policyArn=CLUSTER_ADMIN, accessScope={"type": "cluster"}),
    ):
        with pytest.raises(ClientError) as e:
            call()
        assert err(e) == rule
    assert eks.describe_cluster(name="legacy")["cluster"]["accessConfig"]["authenticationMode"] == "CONFIG_MAP"
    with pytest.raises(ClientError) as e:  # must go through API_AND_CONFIG_MAP
        eks.update_cluster_config(name="legacy", accessConfig={"authenticationMode": "API"})
    assert err(e)[0] == "InvalidParameterException"
    upd = eks.update_cluster_config(name="legacy", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})["update"]
    assert upd["type"] == "AccessConfigUpdate"
    assert eks.describe_update(name="legacy", updateId=upd["id"])["update"]["status"] == "Successful"
    eks.create_access_entry(clusterName="legacy", principalArn=arn)
    eks.update_cluster_config(name="legacy", accessConfig={"authenticationMode": "API"})
    with pytest.raises(ClientError) as e:  # never back
        eks.update_cluster_config(name="legacy", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    assert err(e)[0] == "InvalidParameterException"
    assert eks.describe_cluster(name="legacy")["cluster"]["accessConfig"] == {
        "authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True
    }


def test_create_cluster_api_honours_access_config_and_bootstraps_creator(emu):
    emu.ctl("POST", "/iam/roles", {"account": MEMBER, "name": "EKSClusterCreator", "trust_policy": TRUST_MGMT_ROOT})
    creds = emu.assume(MEMBER, "EKSClusterCreator")
    eks = emu.client("eks", "eu-west-1", creds=creds)
    vpc = {"subnetIds": ["subnet-1"]}
    role = f"arn:aws:iam::{MEMBER}:role/eks-cluster"
    eks.create_cluster(name="default", roleArn=role, resourcesVpcConfig=vpc)
    assert eks.describe_cluster(name="default")["cluster"]["accessConfig"]["authenticationMode"] == "CONFIG_MAP"
    eks.create_cluster(name="api", roleArn=role, resourcesVpcConfig=vpc, accessConfig={"authenticationMode": "API"})
    creator = f"arn:aws:iam::{MEMBER}:role/EKSClusterCreator"
    assert eks.list_access_entries(clusterName="api")["accessEntries"] == [creator]
    pols = eks.list_associated_access_policies(clusterName="api", principalArn=creator)["associatedAccessPolicies"]
    assert [p["policyArn"] for p in pols] == [CLUSTER_ADMIN]
    eks.create_cluster(
        name="nobootstrap", roleArn=role, resourcesVpcConfig=vpc,
        accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    )
    assert eks.list_access_entries(clusterName="nobootstrap")["accessEntries"] == []
    with pytest.raises(ClientError) as e:
        eks.create_cluster(
            name="bad", roleArn=role, resourcesVpcConfig=vpc,
            accessConfig={"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": False},
        )
    assert err(e)[0] == "InvalidParameterException"
    # Entries go with the cluster.
    eks.delete_cluster(name="api")
    assert emu.ctl("GET", "/state")["access_entries"] == []


def test_entries_are_per_account_region_cluster(emu):
    for account, region in ((MEMBER, "eu-west-1"), (MEMBER, "us-west-2"), (MGMT, "eu-west-1")):
        emu.ctl("POST", "/eks/clusters", {"account": account, "region": region, "name": "prod", "authentication_mode": "API"})
    creds = emu.assume(MEMBER)
    emu.client("iam", creds=creds).create_role(RoleName="dev", AssumeRolePolicyDocument=TRUST_EC2)
    emu.client("eks", "eu-west-1", creds=creds).create_access_entry(clusterName="prod", principalArn=f"arn:aws:iam::{MEMBER}:role/dev")
    assert emu.client("eks", "us-west-2", creds=creds).list_access_entries(clusterName="prod")["accessEntries"] == []
    assert emu.client("eks", "eu-west-1").list_access_entries(clusterName="prod")["accessEntries"] == []
    (entry,) = emu.ctl("GET", "/state")["access_entries"]
    assert (entry["account"], entry["region"], entry["cluster"]) == (MEMBER, "eu-west-1", "prod")


# === cross-account and the state dump =============================================


def test_cross_account_assume_role(emu):
    creds = emu.assume(MEMBER)
    ident = emu.client("sts", creds=creds).get_caller_identity()
    assert ident["Account"] == MEMBER
    assert ident["Arn"] == f"arn:aws:sts::{MEMBER}:assumed-role/OrganizationAccountAccessRole/terraform"
    emu.client("iam", creds=creds).create_role(RoleName="EKSClusterCreator", AssumeRolePolicyDocument=TRUST_EC2)
    assert [r["RoleName"] for r in emu.client("iam").list_roles()["Roles"]] == []
    state = emu.ctl("GET", "/state")
    assert sorted(state["iam_roles"], key=lambda r: r["name"]) == [
        {"account": MEMBER, "name": "EKSClusterCreator", "arn": f"arn:aws:iam::{MEMBER}:role/EKSClusterCreator", "path": "/"},
        {"account": MEMBER, "name": ORG_ROLE, "arn": f"arn:aws:iam::{MEMBER}:role/{ORG_ROLE}", "path": "/"},
    ]


def test_state_dump_shape(emu):
    emu.ctl("POST", "/eks/clusters", {"account": MEMBER, "region": "eu-west-1", "name": "prod", "authentication_mode": "API"})
    sso = Sso(emu)
    ps = sso.permission_set(Tags=[{"Key": "a", "Value": "b"}])
    sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=INLINE)
    sso.assign(ps)
    creds = emu.assume(MEMBER)
    emu.client("iam", creds=creds).create_policy(PolicyName="EKSClusterCreatorPolicy", PolicyDocument=INLINE)
    role_arn = emu.ctl("GET", "/state")["reserved_roles"][0]["arn"]
    eks = emu.client("eks", "eu-west-1", creds=creds)
    eks.create_access_entry(clusterName="prod", principalArn=role_arn)
    eks.associate_access_policy(clusterName="prod", principalArn=role_arn, policyArn=CLUSTER_ADMIN, accessScope={"type": "cluster"})
    s = emu.ctl("GET", "/state")
    assert set(s) >= {"permission_sets", "assignments", "reserved_roles", "access_entries", "iam_roles", "iam_policies"}
    (p,) = s["permission_sets"]
    assert set(p) >= {"arn", "name", "instance_arn", "description", "session_duration", "relay_state", "inline_policy",
                      "managed_policies", "customer_managed_policies", "permissions_boundary", "tags"}
    assert p["inline_policy"] == INLINE and p["session_duration"] == "PT1H"
    assert s["assignments"] == [{"permission_set_arn": ps, "account": MEMBER, "principal_type": "GROUP",
                                 "principal_id": sso.setup["groups"]["EKS_Cluster_Admins"]}]
    (r,) = s["reserved_roles"]
    assert set(r) >= {"account", "name", "arn", "path", "inline_policy", "managed_policies"}
    assert json.loads(r["inline_policy"]) == json.loads(INLINE)
    (e,) = s["access_entries"]
    assert e["principal_arn"] == role_arn and e["policies"] == [
        {"policy_arn": CLUSTER_ADMIN, "access_scope": {"type": "cluster", "namespaces": []}}
    ]
    assert set(e) >= {"account", "region", "cluster", "username", "kubernetes_groups", "type", "access_entry_arn"}
    assert s["iam_policies"] == [
        {"account": MEMBER, "arn": f"arn:aws:iam::{MEMBER}:policy/EKSClusterCreatorPolicy", "name": "EKSClusterCreatorPolicy"}
    ]


# === Identity Center lives in its home region only ================================


def test_instance_exists_only_in_its_home_region(emu):
    for region in ("us-east-1", "eu-west-1"):  # before setup: no instance anywhere
        assert emu.client("sso-admin", region).list_instances()["Instances"] == []
    sso = Sso(emu, region="eu-west-1", groups=("EKS_Cluster_Admins",))
    ps = sso.permission_set()
    home = emu.client("sso-admin", "eu-west-1")
    away = emu.client("sso-admin", "us-east-1")
    assert [i["InstanceArn"] for i in home.list_instances()["Instances"]] == [sso.inst]
    assert away.list_instances()["Instances"] == []
    # Every call naming the instance from another region: AccessDeniedException.
    calls = {
        "ListPermissionSets": lambda: away.list_permission_sets(InstanceArn=sso.inst),
        "DescribePermissionSet": lambda: away.describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps),
        "CreatePermissionSet": lambda: away.create_permission_set(InstanceArn=sso.inst, Name="Other"),
        "ListTagsForResource": lambda: away.list_tags_for_resource(ResourceArn=ps),
    }
    for op, call in calls.items():
        with pytest.raises(ClientError) as e:
            call()
        resource = sso.inst
        assert err(e) == (
            "AccessDeniedException",
            f"User: arn:aws:iam::{MGMT}:root is not authorized to perform: sso:{op} on resource: {resource}",
            403,
        ), op
    # A permission set that does not exist, in the home region: a different error.
    with pytest.raises(ClientError) as e:
        home.describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps[:-16] + "0" * 16)
    assert err(e) == ("ResourceNotFoundException", "Could not find PermissionSet with id ps-0000000000000000", 404)
    # The identity store likewise.
    store = sso.setup["identity_store_id"]
    assert [g["DisplayName"] for g in emu.client("identitystore", "eu-west-1").list_groups(IdentityStoreId=store)["Groups"]] == [
        "EKS_Cluster_Admins"
    ]
    with pytest.raises(ClientError) as e:
        emu.client("identitystore", "us-east-1").list_groups(IdentityStoreId=store)
    assert err(e) == ("ResourceNotFoundException", f"IdentityStore not present for IdentityStoreId: {store}", 404)
    assert e.value.response["ResourceType"] == "IDENTITY_STORE" and e.value.response["ResourceId"] == store
    # One instance per organization: setup cannot move it.
    with pytest.raises(urllib.error.HTTPError) as e:
        emu.ctl("POST", "/sso/setup", {"region": "us-east-1"})
    assert e.value.code == 400 and "eu-west-1" in json.loads(e.value.read())["error"]
    assert emu.ctl("POST", "/sso/setup", {"region": "eu-west-1"})["instance_arn"] == sso.inst


def test_session_duration_is_bounded_to_one_to_twelve_hours(emu):
    sso = Sso(emu)
    for bad in ("PT59M", "PT3599S", "PT12H1M", "PT13H", "P1D", "-PT1H", "PT0S"):
        with pytest.raises(ClientError) as e:
            sso.permission_set("Bad", SessionDuration=bad)
        assert err(e) == (
            "ValidationException",
            f"1 validation error detected: Value '{bad}' at 'sessionDuration' failed to satisfy constraint: "
            "Member must be a duration between PT1H and PT12H",
            400,
        ), bad
    for good in ("PT1H", "PT60M", "PT1H30M", "PT12H", "PT43200S"):
        ps = sso.permission_set(f"ok{good}", SessionDuration=good)
        assert sso.c.describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)["PermissionSet"]["SessionDuration"] == good
    ps = sso.permission_set("Upd", SessionDuration="PT4H")
    with pytest.raises(ClientError) as e:
        sso.c.update_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, SessionDuration="PT24H")
    assert err(e)[0::2] == ("ValidationException", 400)
    assert sso.c.describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)["PermissionSet"]["SessionDuration"] == "PT4H"
    # The reserved role's own maximum is always 12 hours.
    sso.assign(ps)
    (role,) = reserved_roles(emu)
    assert role["MaxSessionDuration"] == 43200


# === CreateAccountAssignment provisions the set ===================================


def test_create_account_assignment_provisions_the_permission_set(emu):
    sso = Sso(emu)
    ps = sso.permission_set()
    sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=INLINE)
    sso.c.attach_managed_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, ManagedPolicyArn=VIEW_ONLY)
    emu.ctl("DELETE", "/requests")
    assert sso.creation_status(sso.assign(ps)["RequestId"])["Status"] == "SUCCEEDED"
    provisioned = lambda status: sso.c.list_permission_sets_provisioned_to_account(  # noqa: E731
        InstanceArn=sso.inst, AccountId=MEMBER, ProvisioningStatus=status
    )["PermissionSets"]
    assert provisioned("LATEST_PERMISSION_SET_PROVISIONED") == [ps]
    assert provisioned("LATEST_PERMISSION_SET_NOT_PROVISIONED") == []
    assert sso.c.list_accounts_for_provisioned_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)["AccountIds"] == [MEMBER]
    assert not [r for r in emu.ctl("GET", "/requests")["requests"] if r["operation"] == "ProvisionPermissionSet"]
    iam = emu.client("iam", creds=emu.assume(MEMBER))
    (role,) = reserved_roles(emu)
    assert iam.get_role_policy(RoleName=role["RoleName"], PolicyName="AwsSSOInlinePolicy")["PolicyDocument"] == json.loads(INLINE)
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]] == [VIEW_ONLY]
    # A later change waits for ProvisionPermissionSet, which still works.
    sso.c.detach_managed_policy_from_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, ManagedPolicyArn=VIEW_ONLY)
    assert provisioned("LATEST_PERMISSION_SET_NOT_PROVISIONED") == [ps]
    st = sso.c.provision_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, TargetId=MEMBER, TargetType="AWS_ACCOUNT")
    assert sso.provision_status(st["PermissionSetProvisioningStatus"]["RequestId"])["Status"] == "SUCCEEDED"
    assert provisioned("LATEST_PERMISSION_SET_PROVISIONED") == [ps]
    assert iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"] == []


# === concurrency ==================================================================


def _in_parallel(*calls):
    """Runs the calls on threads started together; returns (result | exception) per call."""
    import threading

    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i, call):
        start.wait()
        try:
            results[i] = call()
        except Exception as e:  # noqa: BLE001 - handed back to the test
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_overlapping_writes_to_one_permission_set_conflict(emu):
    emu.ctl("POST", "/config", {"sso_write_duration": 0.6})
    sso = Sso(emu)
    ps = sso.permission_set()
    clients = [emu.client("sso-admin", "eu-west-1") for _ in range(2)]
    put = lambda c: lambda: c.put_inline_policy_to_permission_set(  # noqa: E731
        InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=INLINE
    )
    results = _in_parallel(put(clients[0]), put(clients[1]))
    conflicts = [r for r in results if isinstance(r, ClientError)]
    assert len(conflicts) == 1, results
    assert conflicts[0].response["Error"]["Code"] == "ConflictException"
    assert conflicts[0].response["Error"]["Message"] == "There is a conflicting operation in process."
    # One after the other they never conflict: the window ends with the response.
    put(clients[0])()
    put(clients[1])()
    # Switched off, overlapping writes both go through.
    emu.ctl("POST", "/config", {"conflict_on_concurrent": False})
    assert not [r for r in _in_parallel(put(clients[0]), put(clients[1])) if isinstance(r, Exception)]


def test_independent_requests_run_in_parallel(emu):
    emu.ctl("POST", "/config", {"sso_write_duration": 1.5})
    sso = Sso(emu)
    a, b = sso.permission_set("SetA"), sso.permission_set("SetB")
    clients = [emu.client("sso-admin", "eu-west-1") for _ in range(3)]
    iam = emu.client("iam")
    done = []

    def write(c, ps):
        c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=INLINE)
        done.append(ps)

    def read_while_writing():
        time.sleep(0.2)
        out = (
            clients[2].describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=a)["PermissionSet"]["Name"],
            len(iam.list_roles()["Roles"]),
            list(done),
        )
        return out

    t0 = time.monotonic()
    results = _in_parallel(lambda: write(clients[0], a), lambda: write(clients[1], b), read_while_writing)
    elapsed = time.monotonic() - t0
    assert not [r for r in results if isinstance(r, Exception)], results
    # Both 1.5 s writes overlapped (in series they would take 3 s) ...
    assert elapsed < 2.7, elapsed
    # ... and a read of the set being written, and an IAM call, answered while
    # both writes were still in flight.
    assert results[2] == ("SetA", 0, [])


# === the Identity Center quota ====================================================


def test_sso_tps_quota_throttles_with_a_token_bucket(emu):
    sso = Sso(emu)
    store = sso.setup["identity_store_id"]
    emu.ctl("POST", "/config", {"sso_tps_quota": 5})
    emu.ctl("DELETE", "/requests")
    admin = [emu.client("sso-admin", "eu-west-1") for _ in range(3)]
    ids = [emu.client("identitystore", "eu-west-1") for _ in range(3)]

    def burst(i):
        def run():
            statuses = []
            for _ in range(5):
                try:
                    if i % 2:
                        ids[i // 2].list_groups(IdentityStoreId=store)
                    else:
                        admin[i // 2].list_permission_sets(InstanceArn=sso.inst)
                    statuses.append(200)
                except ClientError as e:
                    statuses.append(err(e))
            return statuses
        return run

    t0 = time.monotonic()
    results = _in_parallel(*[burst(i) for i in range(6)])
    elapsed = time.monotonic() - t0
    assert not [r for r in results if isinstance(r, Exception)], results
    seen = [s for r in results for s in r]
    ok = seen.count(200)
    throttled = [s for s in seen if s != 200]
    assert throttled, seen
    assert set(throttled) == {("ThrottlingException", "There are too many requests processing. Please try again later.", 429)}
    # A full bucket of 5, plus 5 per second while the burst ran.
    assert ok <= 5 + 5 * elapsed + 1, (ok, elapsed)
    log = emu.ctl("GET", "/requests")["requests"]
    assert len(log) == 30
    assert sum(1 for r in log if r["status"] == 429 and r.get("fault") == "quota") == len(throttled)
    assert {r["service"] for r in log if r["status"] == 429} == {"sso-admin", "identitystore"}
    # Other services are outside the quota; switched off, nothing is throttled.
    for _ in range(10):
        emu.client("sts").get_caller_identity()
    emu.ctl("POST", "/config", {"sso_tps_quota": None})
    for _ in range(10):
        admin[0].list_permission_sets(InstanceArn=sso.inst)


# === lost responses ===============================================================


def test_lost_response_runs_the_operation_then_answers_503(emu):
    sso = Sso(emu)
    emu.ctl("POST", "/faults", {"rules": [
        {"service": "sso-admin", "operation": "CreatePermissionSet", "kind": "lost_response", "count": 1},
    ]})
    emu.ctl("DELETE", "/requests")
    retrying = boto3.client("sso-admin", region_name="eu-west-1", endpoint_url=emu.url, aws_access_key_id="testing",
                            aws_secret_access_key="testing", config=Config(retries={"max_attempts": 3, "mode": "standard"}))
    with pytest.raises(ClientError) as e:  # the SDK's retry meets the set the lost call made
        retrying.create_permission_set(InstanceArn=sso.inst, Name="Lost")
    assert err(e) == ("ConflictException", "PermissionSet with name Lost already exists.", 409)
    assert [p["name"] for p in emu.ctl("GET", "/state")["permission_sets"]] == ["Lost"]
    log = [(r["operation"], r["status"], r.get("fault")) for r in emu.ctl("GET", "/requests")["requests"]]
    assert log == [("CreatePermissionSet", 503, "lost_response"), ("CreatePermissionSet", 409, None)]
    assert emu.ctl("GET", "/faults")["rules"][0]["fired"] == 1


def test_lost_response_targets_the_nth_write(emu):
    sso = Sso(emu)
    ps = sso.permission_set()
    emu.ctl("POST", "/faults", {"rules": [
        {"service": "*", "operation": "*", "mutating": True, "kind": "lost_response", "nth": 2},
    ]})
    emu.ctl("DELETE", "/requests")
    sso.c.describe_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps)  # a read: not counted
    sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=INLINE)
    with pytest.raises(ClientError) as e:
        sso.c.attach_managed_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, ManagedPolicyArn=VIEW_ONLY)
    assert err(e) == ("ServiceUnavailable", "Service Unavailable", 503)
    emu.client("iam").create_role(RoleName="third-write", AssumeRolePolicyDocument=TRUST_EC2)
    # The lost call was carried out.
    assert emu.ctl("GET", "/state")["permission_sets"][0]["managed_policies"] == [VIEW_ONLY]
    (rule,) = emu.ctl("GET", "/faults")["rules"]
    assert (rule["seen"], rule["fired"]) == (3, 1)
    log = [(r["operation"], r["status"], r["mutating"]) for r in emu.ctl("GET", "/requests")["requests"]]
    assert log == [
        ("DescribePermissionSet", 200, False),
        ("PutInlinePolicyToPermissionSet", 200, True),
        ("AttachManagedPolicyToPermissionSet", 503, True),
        ("CreateRole", 200, True),
    ]


def test_lost_response_rate_is_seeded(emu):
    def run() -> list[int]:
        emu.ctl("POST", "/reset")
        emu.ctl("POST", "/faults", {"rules": [{"service": "iam", "operation": "CreateRole", "kind": "lost_response", "rate": 0.5}],
                                    "seed": 11})
        iam = emu.client("iam")
        out = []
        for i in range(10):
            try:
                iam.create_role(RoleName=f"r{i}", AssumeRolePolicyDocument=TRUST_EC2)
                out.append(200)
            except ClientError as e:
                out.append(e.response["ResponseMetadata"]["HTTPStatusCode"])
        assert len(emu.ctl("GET", "/state")["iam_roles"]) == 10  # every call ran
        return out

    first, second = run(), run()
    assert first == second and 200 in first and 503 in first


# === the IAM policy evaluator (pure functions) ====================================

sys.path.insert(0, HERE)
import emu_policy  # noqa: E402


def test_policy_wildcards_and_arn_like_parts():
    g = emu_policy.glob
    assert g("a*c", "abbbc") and g("a*c", "ac") and not g("a*c", "abcd")
    assert g("a??", "abc") and not g("a??", "ab") and not g("a??", "abcd")
    assert g("*", "") and g("role/*/x", "role/a/b/x") and not g("Role", "role")
    assert g("STS:assumerole", "sts:AssumeRole", ignore_case=True)
    like = emu_policy.arn_like
    assert like("arn:aws:iam::*:role/x", f"arn:aws:iam::{MEMBER}:role/x")
    # `*` never crosses into the next ARN component ...
    assert not like("arn:aws:iam::*", f"arn:aws:iam::{MEMBER}:role/x")
    assert not like("arn:aws:iam:*:role/x", f"arn:aws:iam::{MEMBER}:role/x")
    # ... but spans slashes inside the resource part.
    assert like(f"arn:aws:iam::{MEMBER}:role/*AWSReservedSSO_A_*", f"arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_A_1")
    sixteen = "?" * 16
    pattern = f"arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_{sixteen}"
    assert like(pattern, f"arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_0123456789abcdef")
    assert not like(pattern, f"arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_EKSClusterAdminAccess_Extra_0123456789abcdef")
    assert not like(pattern, f"arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_EKSClusterAdminAccess_0123456789abcdef")
    assert not like("not-an-arn", "not-an-arn")


def test_policy_conditions():
    holds = emu_policy.condition_holds
    ctx = {"aws:principalarn": f"arn:aws:iam::{MEMBER}:role/team/dev"}
    assert holds({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/*"}}, ctx)
    assert holds({"ArnEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{MEMBER}:role/x", f"arn:aws:iam::{MEMBER}:role/team/dev"]}}, ctx)
    assert not holds({"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/dev"}}, ctx)  # path matters
    assert not holds({"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/team/*"}}, ctx)
    assert holds({"StringEquals": {"aws:principalarn": f"arn:aws:iam::{MEMBER}:role/team/dev"}}, ctx)  # key case-insensitive
    assert not holds({"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/team/*"}}, ctx)  # no wildcards
    assert holds({"StringLike": {"aws:PrincipalArn": "*:role/team/d?v"}}, ctx)
    # Every operator and every key must hold.
    assert not holds({"StringLike": {"aws:PrincipalArn": "*"}, "StringEquals": {"aws:PrincipalArn": "x"}}, ctx)
    # A key missing from the request: positive operators fail, negated and IfExists pass.
    assert not holds({"StringEquals": {"sts:ExternalId": "x"}}, ctx)
    assert holds({"StringNotEquals": {"sts:ExternalId": "x"}}, ctx)
    assert holds({"StringEqualsIfExists": {"sts:ExternalId": "x"}}, ctx)
    assert holds({"Null": {"sts:ExternalId": "true"}}, ctx) and not holds({"Null": {"aws:PrincipalArn": "true"}}, ctx)
    with pytest.raises(emu_policy.Unsupported):
        holds({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, ctx)


def test_trust_policy_principal_action_and_deny():
    who = emu_policy.Principal(
        account=MEMBER,
        arn=f"arn:aws:sts::{MEMBER}:assumed-role/dev/s",
        principal_arn=f"arn:aws:iam::{MEMBER}:role/team/dev",
        kind="session",
        aliases=[f"arn:aws:sts::{MEMBER}:assumed-role/dev/s"],
    )

    def decide(*statements):
        return emu_policy.evaluate_resource_policy({"Statement": list(statements)}, who, "sts:AssumeRole", {
            "aws:principalarn": who.principal_arn,
        })

    allow = lambda principal, action="sts:AssumeRole", **kw: {"Effect": "Allow", "Principal": principal, "Action": action, **kw}  # noqa: E731
    for principal in ({"AWS": MEMBER}, {"AWS": f"arn:aws:iam::{MEMBER}:root"}, {"AWS": "*"}, "*"):
        d = decide(allow(principal))
        assert (d.effect, d.named) == ("Allow", False), principal
    d = decide(allow({"AWS": [f"arn:aws:iam::{MGMT}:root", f"arn:aws:iam::{MEMBER}:role/team/dev"]}))
    assert (d.effect, d.named) == ("Allow", True)
    for principal in ({"AWS": f"arn:aws:iam::{MEMBER}:role/dev"}, {"AWS": MGMT}, {"Service": "ec2.amazonaws.com"}):
        assert decide(allow(principal)).effect == "ImplicitDeny", principal
    for action in ("sts:*", "sts:Assume*", "*", ["sts:TagSession", "sts:assumerole"]):
        assert decide(allow("*", action)).effect == "Allow", action
    assert decide(allow("*", "sts:AssumeRoleWithSAML")).effect == "ImplicitDeny"
    assert decide({"Effect": "Allow", "Principal": "*", "NotAction": "sts:TagSession"}).effect == "Allow"
    # An explicit Deny wins, whatever the order.
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/team/*"}}}
    assert decide(allow("*"), deny).effect == "Deny"
    assert decide(deny, allow("*")).effect == "Deny"
    # An Allow the evaluator cannot read does not apply; such a Deny does.
    odd = {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}
    assert decide(allow("*", Condition=odd)).effect == "ImplicitDeny"
    assert decide(allow("*"), {"Effect": "Deny", "Principal": "*", "Action": "*", "Condition": odd}).effect == "Deny"
    assert decide().effect == "ImplicitDeny"


# === STS AssumeRole checks trust ==================================================


def _mgmt_user(emu: Emu, name: str, policy: dict | None = None) -> dict:
    iam = emu.client("iam")
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def _assume(emu: Emu, creds: dict | None, role_arn: str, **kw) -> dict:
    cr = emu.client("sts", creds=creds).assume_role(RoleArn=role_arn, RoleSessionName=kw.pop("session", "ss"), **kw)["Credentials"]
    return {"aws_access_key_id": cr["AccessKeyId"], "aws_secret_access_key": cr["SecretAccessKey"], "aws_session_token": cr["SessionToken"]}


def _denied(emu: Emu, creds: dict | None, role_arn: str, caller_arn: str, **kw) -> None:
    with pytest.raises(ClientError) as e:
        _assume(emu, creds, role_arn, **kw)
    assert err(e) == (
        "AccessDenied",
        f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        403,
    )


def test_assume_role_evaluates_trust_and_identity_policies(emu):
    def role(name, *statements, account=MEMBER, path="/", inline=None):
        body = {"account": account, "name": name, "path": path,
                "trust_policy": {"Version": "2012-10-17", "Statement": list(statements)}}
        if inline:
            body["inline_policies"] = {"p": inline}
        return emu.ctl("POST", "/iam/roles", body)["arn"]

    trust = lambda principal, **kw: {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole", **kw}  # noqa: E731
    may_assume = lambda resource: {"Version": "2012-10-17", "Statement": [  # noqa: E731
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}]}
    root = f"arn:aws:iam::{MGMT}:root"

    # The management account's root user: the trust alone decides.
    cross = role("FromMgmt", trust(MGMT))
    assert emu.client("sts", creds=_assume(emu, None, cross)).get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{MEMBER}:assumed-role/FromMgmt/ss"
    )
    _denied(emu, None, role("OnlyMember", trust(MEMBER)), root)
    _denied(emu, None, role("Ec2Only", {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}), root)
    _denied(emu, None, f"arn:aws:iam::{MEMBER}:role/Missing", root)
    # The role's ARN must be exact, path included.
    with_path = role("Pathed", trust(MGMT), path="/team/")
    _denied(emu, None, f"arn:aws:iam::{MEMBER}:role/Pathed", root)
    _assume(emu, None, with_path)

    # Across accounts an IAM user also needs an identity-based allow.
    nobody = _mgmt_user(emu, "nobody")
    _denied(emu, nobody, cross, f"arn:aws:iam::{MGMT}:user/nobody")
    allowed = _mgmt_user(emu, "allowed", may_assume(f"arn:aws:iam::{MEMBER}:role/From*"))
    _assume(emu, allowed, cross)
    deny_too = _mgmt_user(emu, "denied", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": cross}]})
    _denied(emu, deny_too, cross, f"arn:aws:iam::{MGMT}:user/denied")

    # Inside one account: a trust naming the caller's role suffices; one naming
    # the account root needs the caller's identity policy as well.
    hub = _assume(emu, None, role("Hub", trust(MGMT), path="/ci/"))
    hub_session = f"arn:aws:sts::{MEMBER}:assumed-role/Hub/ss"
    named = role("TrustsHub", trust(f"arn:aws:iam::{MEMBER}:role/ci/Hub"))
    _assume(emu, hub, named)
    by_root = role("TrustsRoot", trust(f"arn:aws:iam::{MEMBER}:root"))
    _denied(emu, hub, by_root, hub_session)
    by_condition = role("TrustsCiPath", trust(f"arn:aws:iam::{MEMBER}:root",
                                              Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/ci/*"}}))
    hub2 = _assume(emu, None, role("Hub2", trust(MGMT), path="/ci/", inline=may_assume("*")))
    _assume(emu, hub2, by_root)
    _assume(emu, hub2, by_condition)
    # aws:PrincipalArn is the role ARN with its path, not the session ARN.
    not_session = role("NotBySession", trust(f"arn:aws:iam::{MEMBER}:root",
                                             Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:sts::{MEMBER}:assumed-role/Hub2/*"}}))
    _denied(emu, hub2, not_session, f"arn:aws:sts::{MEMBER}:assumed-role/Hub2/ss")
    # An explicit Deny in the trust policy wins.
    fenced = role("Fenced", trust(f"arn:aws:iam::{MEMBER}:root"), {
        "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/ci/Hub2"}}})
    _denied(emu, hub2, fenced, f"arn:aws:sts::{MEMBER}:assumed-role/Hub2/ss")
    # sts:ExternalId reaches the conditions.
    external = role("External", trust(MGMT, Condition={"StringEquals": {"sts:ExternalId": "k-123"}}))
    _denied(emu, None, external, root)
    _assume(emu, None, external, ExternalId="k-123")

    # The control API answers the same question without a session.
    sim = lambda p, r: emu.ctl("POST", "/iam/simulate-assume-role", {"principal_arn": p, "role_arn": r})  # noqa: E731
    assert sim(f"arn:aws:iam::{MEMBER}:role/ci/Hub2", by_condition)["allowed"] is True
    verdict = sim(f"arn:aws:iam::{MEMBER}:role/ci/Hub", by_root)
    assert verdict["allowed"] is False and "identity-based policy" in verdict["reason"]
    assert sim(root, cross)["allowed"] is True
    with pytest.raises(urllib.error.HTTPError) as e:
        sim(f"arn:aws:iam::{MEMBER}:role/Hub", by_root)  # path missing: no such role
    assert e.value.code == 400


# === the access portal (service `sso`) =============================================


def _portal(emu: Emu):
    from botocore import UNSIGNED

    return boto3.client("sso", region_name="eu-west-1", endpoint_url=emu.url,
                        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1, "mode": "standard"}))


def _role_credentials(emu: Emu, token: str, role: str, account: str = MEMBER) -> dict:
    cr = _portal(emu).get_role_credentials(roleName=role, accountId=account, accessToken=token)["roleCredentials"]
    return {"aws_access_key_id": cr["accessKeyId"], "aws_secret_access_key": cr["secretAccessKey"],
            "aws_session_token": cr["sessionToken"]}


def test_portal_role_credentials_follow_assignments(emu):
    sso = Sso(emu, groups=("EKS_Cluster_Admins",), users=("alice", "bob", "carol"),
              memberships={"EKS_Cluster_Admins": ["alice"]})
    admins = sso.permission_set("EKSClusterAdminAccess", SessionDuration="PT4H")
    sso.assign(admins)
    direct = sso.permission_set("Direct")
    sso.c.create_account_assignment(InstanceArn=sso.inst, TargetId=MEMBER, TargetType="AWS_ACCOUNT", PermissionSetArn=direct,
                                    PrincipalType="USER", PrincipalId=sso.setup["users"]["carol"])
    tokens = {u: emu.ctl("POST", "/sso/tokens", {"user_name": u}) for u in ("alice", "bob", "carol")}
    assert tokens["alice"]["startUrl"] == f"https://{sso.setup['identity_store_id']}.awsapps.com/start"
    assert tokens["alice"]["region"] == "eu-west-1"
    portal = _portal(emu)
    t0 = time.time()
    raw = portal.get_role_credentials(roleName="EKSClusterAdminAccess", accountId=MEMBER, accessToken=tokens["alice"]["accessToken"])
    assert abs(raw["roleCredentials"]["expiration"] / 1000 - (t0 + 4 * 3600)) < 60  # the set's session duration
    creds = _role_credentials(emu, tokens["alice"]["accessToken"], "EKSClusterAdminAccess")
    ident = emu.client("sts", creds=creds).get_caller_identity()
    assert re.fullmatch(rf"arn:aws:sts::{MEMBER}:assumed-role/AWSReservedSSO_EKSClusterAdminAccess_[0-9a-f]{{16}}/alice", ident["Arn"])
    assert ident["Account"] == MEMBER
    # Group members and direct assignees only, and only their own sets.
    for user, role in (("bob", "EKSClusterAdminAccess"), ("carol", "EKSClusterAdminAccess"), ("alice", "Direct")):
        with pytest.raises(ClientError) as e:
            portal.get_role_credentials(roleName=role, accountId=MEMBER, accessToken=tokens[user]["accessToken"])
        assert err(e) == ("ForbiddenException", "No access", 403), (user, role)
    _role_credentials(emu, tokens["carol"]["accessToken"], "Direct")
    with pytest.raises(ClientError) as e:
        portal.get_role_credentials(roleName="EKSClusterAdminAccess", accountId=MGMT, accessToken=tokens["alice"]["accessToken"])
    assert err(e)[0] == "ForbiddenException"
    assert portal.list_accounts(accessToken=tokens["alice"]["accessToken"])["accountList"] == [
        {"accountId": MEMBER, "accountName": f"account-{MEMBER}", "emailAddress": f"aws+{MEMBER}@example.com"}
    ]
    assert portal.list_account_roles(accessToken=tokens["alice"]["accessToken"], accountId=MEMBER)["roleList"] == [
        {"roleName": "EKSClusterAdminAccess", "accountId": MEMBER}
    ]
    assert portal.list_accounts(accessToken=tokens["bob"]["accessToken"])["accountList"] == []
    # Unknown, expired and logged-out tokens.
    expired = emu.ctl("POST", "/sso/tokens", {"user_name": "alice", "expires_in": -1})["accessToken"]
    for token in ("not-a-token", expired):
        with pytest.raises(ClientError) as e:
            portal.get_role_credentials(roleName="EKSClusterAdminAccess", accountId=MEMBER, accessToken=token)
        assert err(e) == ("UnauthorizedException", "Session token not found or invalid", 401)
    portal.logout(accessToken=tokens["alice"]["accessToken"])
    with pytest.raises(ClientError) as e:
        portal.list_accounts(accessToken=tokens["alice"]["accessToken"])
    assert err(e)[0] == "UnauthorizedException"
    log = [r for r in emu.ctl("GET", "/requests")["requests"] if r["service"] == "sso"]
    assert {r["operation"] for r in log} == {"GetRoleCredentials", "ListAccounts", "ListAccountRoles", "Logout"}
    assert {r["operation"] for r in log if r["mutating"]} == {"Logout"}
    with pytest.raises(urllib.error.HTTPError):
        emu.ctl("POST", "/sso/tokens", {"user_name": "nobody"})


def _cli_home(tmp_path, emu: Emu, config: str, token: dict, session: str = "sso") -> dict:
    """A HOME with ~/.aws/config and the SSO token cache file `aws sso login`
    writes (botocore SSOTokenLoader: ~/.aws/sso/cache/<sha1(session name)>.json
    with accessToken and expiresAt), and the env to run the v1 CLI in it."""
    import hashlib

    home = tmp_path / "home"
    (home / ".aws" / "sso" / "cache").mkdir(parents=True)
    (home / ".aws" / "config").write_text(config)
    cached = {k: token[k] for k in ("startUrl", "region", "accessToken", "expiresAt")}
    (home / ".aws" / "sso" / "cache" / f"{hashlib.sha1(session.encode()).hexdigest()}.json").write_text(json.dumps(cached))
    return {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "AWS_ENDPOINT_URL": emu.url,
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "no-credentials")}


def _aws_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    cli = os.path.join(os.path.dirname(sys.executable), "aws")
    return subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=120)


def _creator_trust(account: str, sso_region: str, permission_set: str) -> dict:
    """The trust eks_cluster_creator_role renders for trusted_permission_sets
    (src/resources/cluster_creator_role/trust_policy.rs): the account root,
    narrowed by ArnLike on aws:PrincipalArn to the set's reserved roles."""
    path = "/aws-reserved/sso.amazonaws.com/" + ("" if sso_region == "us-east-1" else f"{sso_region}/")
    pattern = f"arn:aws:iam::{account}:role{path}AWSReservedSSO_{permission_set}_" + "?" * 16
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "TrustSsoPermissionSets", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "sts:AssumeRole", "Condition": {"ArnLike": {"aws:PrincipalArn": [pattern]}}}]}


def test_aws_cli_v1_sso_profile_and_chained_creator_profile(emu, tmp_path):
    sso = Sso(emu, groups=("EKS_Cluster_Admins",), users=("alice",), memberships={"EKS_Cluster_Admins": ["alice"]})
    creator = emu.ctl("POST", "/iam/roles", {"account": MEMBER, "name": "EKSClusterCreator",
                                             "trust_policy": _creator_trust(MEMBER, "eu-west-1", "EKSClusterAdminAccess")})["arn"]
    ps = sso.permission_set("EKSClusterAdminAccess")
    sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": creator}]}))
    sso.assign(ps)
    token = emu.ctl("POST", "/sso/tokens", {"user_name": "alice"})
    # Byte for byte what data.eks_sso_cli_profile renders (src/data_sources/sso_cli_profile.rs).
    config = (
        f"[sso-session sso]\nsso_start_url = {token['startUrl']}\nsso_region = eu-west-1\n"
        "sso_registration_scopes = sso:account:access\n\n"
        f"[profile admin]\nsso_session = sso\nsso_account_id = {MEMBER}\nsso_role_name = EKSClusterAdminAccess\n"
        "region = eu-west-1\noutput = json\n\n"
        f"[profile creator]\nrole_arn = {creator}\nsource_profile = admin\nregion = eu-west-1\noutput = json\n"
    )
    env = _cli_home(tmp_path, emu, config, token)
    out = _aws_cli(env, "sts", "get-caller-identity", "--profile", "admin")
    assert out.returncode == 0, out.stderr
    arn = json.loads(out.stdout)["Arn"]
    assert re.fullmatch(rf"arn:aws:sts::{MEMBER}:assumed-role/AWSReservedSSO_EKSClusterAdminAccess_[0-9a-f]{{16}}/alice", arn)
    assert arn.split("/")[1] == reserved_roles(emu)[0]["RoleName"]
    out = _aws_cli(env, "sts", "get-caller-identity", "--profile", "creator")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"].startswith(f"arn:aws:sts::{MEMBER}:assumed-role/EKSClusterCreator/")
    ops = [(r["service"], r["operation"], r["status"]) for r in emu.ctl("GET", "/requests")["requests"] if r["service"] in ("sso", "sts")]
    assert ("sso", "GetRoleCredentials", 200) in ops and ("sts", "AssumeRole", 200) in ops
    # Without a cached token the CLI says so and calls nothing.
    os.unlink(next((tmp_path / "home" / ".aws" / "sso" / "cache").iterdir()))
    emu.ctl("DELETE", "/requests")
    out = _aws_cli(env, "sts", "get-caller-identity", "--profile", "admin")
    assert out.returncode != 0 and "sso" in out.stderr.lower()
    assert emu.ctl("GET", "/requests")["requests"] == []


@pytest.mark.parametrize("sso_region", ["us-east-1", "eu-west-1"])
def test_j1_reserved_role_session_assumes_the_creator_role(emu, sso_region):
    """J1: the creator role trusts the account root, narrowed by ArnLike on
    aws:PrincipalArn to AWSReservedSSO_EKSClusterAdminAccess_<16 chars> (with
    the region segment outside us-east-1)."""
    sso = Sso(emu, region=sso_region, groups=("EKS_Cluster_Admins", "Others"), users=("alice", "bob"),
              memberships={"EKS_Cluster_Admins": ["alice"], "Others": ["bob"]})
    creator = emu.ctl("POST", "/iam/roles", {"account": MEMBER, "name": "EKSClusterCreator",
                                             "trust_policy": _creator_trust(MEMBER, sso_region, "EKSClusterAdminAccess")})["arn"]
    may_assume = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AssumeClusterCreatorRole", "Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": creator}]})
    admin = sso.permission_set("EKSClusterAdminAccess")
    extra = sso.permission_set("EKSClusterAdminAccess_Extra")
    for ps in (extra,):
        sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=ps, InlinePolicy=may_assume)
    sso.assign(admin, "EKS_Cluster_Admins")
    sso.assign(extra, "Others")
    alice = emu.ctl("POST", "/sso/tokens", {"user_name": "alice"})["accessToken"]
    bob = emu.ctl("POST", "/sso/tokens", {"user_name": "bob"})["accessToken"]
    role_name = lambda ps: next(r["name"] for r in emu.ctl("GET", "/state")["reserved_roles"] if r["permission_set_arn"] == ps)  # noqa: E731
    session_arn = lambda ps, user: f"arn:aws:sts::{MEMBER}:assumed-role/{role_name(ps)}/{user}"  # noqa: E731

    first = role_name(admin)
    session = _role_credentials(emu, alice, "EKSClusterAdminAccess")
    # The trust matches, but with the account root as principal the reserved
    # role also needs an identity-based allow, which this set lacks so far.
    _denied(emu, session, creator, session_arn(admin, "alice"))
    sso.c.put_inline_policy_to_permission_set(InstanceArn=sso.inst, PermissionSetArn=admin, InlinePolicy=may_assume)
    st = sso.c.provision_permission_set(InstanceArn=sso.inst, PermissionSetArn=admin, TargetId=MEMBER, TargetType="AWS_ACCOUNT")
    assert sso.provision_status(st["PermissionSetProvisioningStatus"]["RequestId"])["Status"] == "SUCCEEDED"
    chained = _assume(emu, session, creator, session="j1")
    assert emu.client("sts", creds=chained).get_caller_identity()["Arn"] == f"arn:aws:sts::{MEMBER}:assumed-role/EKSClusterCreator/j1"
    # A set whose name only extends ours is not trusted, whatever its policy.
    _denied(emu, _role_credentials(emu, bob, "EKSClusterAdminAccess_Extra"), creator, session_arn(extra, "bob"))

    # The last assignment goes: the role and its sessions go with it.
    st = sso.assign(admin, "EKS_Cluster_Admins", delete=True)
    assert sso.deletion_status(st["RequestId"])["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as e:
        _assume(emu, session, creator)
    assert err(e)[0::2] == ("AccessDenied", 403)
    # Re-added, Identity Center makes a role with a new suffix; it is still trusted.
    sso.assign(admin, "EKS_Cluster_Admins")
    second = role_name(admin)
    assert second != first and re.fullmatch(r"AWSReservedSSO_EKSClusterAdminAccess_[0-9a-f]{16}", second)
    again = _role_credentials(emu, alice, "EKSClusterAdminAccess")
    assert emu.client("sts", creds=again).get_caller_identity()["Arn"] == session_arn(admin, "alice")
    _assume(emu, again, creator)


def test_one_definition_of_a_write():
    import emu_common

    writes = ["CreatePermissionSet", "DeleteAccountAssignment", "PutInlinePolicyToPermissionSet", "AttachRolePolicy",
              "DetachManagedPolicyFromPermissionSet", "UpdateAssumeRolePolicy", "AssociateAccessPolicy",
              "DisassociateAccessPolicy", "ProvisionPermissionSet", "TagResource", "UntagRole", "CreateGroupMembership",
              "Logout", "Tag"]
    reads = ["AssumeRole", "AssumeRoleWithWebIdentity", "GetRoleCredentials", "GetCallerIdentity", "DescribeCluster",
             "ListRoles", "GetRole", "ListInstances", "DescribePermissionSetProvisioningStatus", "Tagger", "Settings",
             "Startup", "Unknown"]
    assert [op for op in writes if not emu_common.is_mutating(op)] == []
    assert [op for op in reads if emu_common.is_mutating(op)] == []

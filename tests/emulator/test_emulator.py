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

    def assume(self, account: str, role: str = "OrganizationAccountAccessRole") -> dict:
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
    e = excinfo.value.response
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
    def __init__(self, emu: Emu, region: str = "eu-west-1", groups=("EKS_Cluster_Admins", "Platform")):
        self.emu = emu
        self.region = region
        self.setup = emu.ctl("POST", "/sso/setup", {"region": region, "groups": list(groups), "users": ["alice"]})
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


def reserved_roles(emu: Emu, account=MEMBER) -> list[dict]:
    iam = emu.client("iam", creds=emu.assume(account))
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
    assert err(e)[0::2] == ("ConflictException", 409)
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
    t0 = time.monotonic()
    assert sso.creation_status(sso.assign(ps)["RequestId"])["Status"] == "SUCCEEDED"
    assert reserved_roles(emu) == []  # succeeded, but IAM does not show the role yet
    arn = emu.ctl("GET", "/state")["reserved_roles"][0]["arn"]
    eks = emu.client("eks", "eu-west-1", creds=emu.assume(MEMBER))
    role = wait_until(lambda: reserved_roles(emu))[0]
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
    log = emu.ctl("GET", "/requests")["requests"]
    assert log == [
        {"service": "sts", "operation": "AssumeRole", "account": MGMT, "region": "us-east-1", "status": 200},
        {"service": "eks", "operation": "DescribeCluster", "account": MEMBER, "region": "eu-west-1", "status": 200},
        {"service": "eks", "operation": "DescribeAccessEntry", "account": MEMBER, "region": "eu-west-1", "status": 404},
        {"service": "sso-admin", "operation": "ListInstances", "account": MGMT, "region": "eu-west-1", "status": 200},
    ]
    emu.ctl("DELETE", "/requests")
    assert emu.ctl("GET", "/requests") == {"requests": []}


def test_control_api_config_and_validation(emu):
    cfg = emu.ctl("POST", "/config", {"assignment_delay": 1.5})
    assert cfg == {
        "assignment_delay": 1.5, "provisioning_delay": 0.0, "deletion_delay": 0.0,
        "role_visibility_delay": 0.0, "eks_principal_delay": 0.0, "conflict_on_concurrent": True,
    }
    with pytest.raises(urllib.error.HTTPError) as e:
        emu.ctl("POST", "/config", {"bogus": 1})
    assert e.value.code == 400
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
    assert state["iam_roles"] == [
        {"account": MEMBER, "name": "EKSClusterCreator", "arn": f"arn:aws:iam::{MEMBER}:role/EKSClusterCreator", "path": "/"}
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

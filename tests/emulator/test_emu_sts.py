"""AssumeRoleWithWebIdentity in the emulator (emu_sts.py): what AWS accepts
and rejects, driven with boto3 against a real server process."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
MEMBER = "111122223333"
ISSUER = "https://app.terraform.io"
HOST = "app.terraform.io"
AUDIENCE = "aws.workload.identity"
SUBJECT = "organization:acme:project:p:workspace:w:run_phase:apply"


@pytest.fixture(scope="module")
def endpoint():
    port_file = tempfile.mktemp(prefix="emu-sts-port-")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "server.py"), "--port", "0", "--port-file", port_file],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not os.path.exists(port_file):
        assert proc.poll() is None, "emulator exited"
        assert time.monotonic() < deadline, "emulator did not start"
        time.sleep(0.02)
    with open(port_file) as f:
        port = int(f.read().strip())
    os.unlink(port_file)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def client(endpoint, service, **creds):
    creds = creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, **creds)


def member_iam(endpoint):
    # STS checks the role's trust (emu_trust.py), so the member account and
    # its OrganizationAccountAccessRole must exist, as AWS Organizations
    # creates them (control API, idempotent).
    req = urllib.request.Request(
        f"{endpoint}/_emulator/accounts",
        data=json.dumps({"account": MEMBER}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=30).read()
    c = client(endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", RoleSessionName="setup"
    )["Credentials"]
    return client(
        endpoint,
        "iam",
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def jwt(**overrides) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": SUBJECT, "iat": now, "exp": now + 600, **overrides}
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc({'alg': 'RS256', 'typ': 'JWT'})}.{enc(claims)}.c2ln"


@pytest.fixture(scope="module")
def role_arn(endpoint):
    iam = member_iam(endpoint)
    iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=[AUDIENCE], ThumbprintList=["a" * 40])
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{MEMBER}:oidc-provider/{HOST}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{HOST}:aud": AUDIENCE},
                    "StringLike": {f"{HOST}:sub": "organization:acme:project:p:*"},
                },
            }
        ],
    }
    return iam.create_role(RoleName="hcp-run", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def assume(endpoint, role, token, session="terraform-run"):
    # botocore sends AssumeRoleWithWebIdentity unsigned, as the SDKs do.
    return client(endpoint, "sts").assume_role_with_web_identity(
        RoleArn=role, RoleSessionName=session, WebIdentityToken=token
    )


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_a_trusted_token_gets_credentials_that_act_in_the_roles_account(endpoint, role_arn):
    creds = assume(endpoint, role_arn, jwt())["Credentials"]
    who = client(
        endpoint,
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).get_caller_identity()
    assert who["Account"] == MEMBER
    with urllib.request.urlopen(f"{endpoint}/_emulator/sts/web-identity") as r:
        calls = json.load(r)["calls"]
    assert calls[-1] == {
        "role_arn": role_arn,
        "account": MEMBER,
        "session_name": "terraform-run",
        "issuer": ISSUER,
        "subject": SUBJECT,
        "audience": [AUDIENCE],
    }


def test_a_token_that_is_not_a_jwt_is_invalid(endpoint, role_arn):
    with pytest.raises(ClientError) as e:
        assume(endpoint, role_arn, "not-a-token")
    assert code_of(e) == "InvalidIdentityToken"


def test_an_issuer_without_an_oidc_provider_is_invalid(endpoint, role_arn):
    with pytest.raises(ClientError) as e:
        assume(endpoint, role_arn, jwt(iss="https://token.actions.githubusercontent.com"))
    assert code_of(e) == "InvalidIdentityToken"
    assert "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com" in str(e.value)


def test_a_wrong_audience_is_invalid(endpoint, role_arn):
    with pytest.raises(ClientError) as e:
        assume(endpoint, role_arn, jwt(aud="sts.amazonaws.com"))
    assert code_of(e) == "InvalidIdentityToken"
    assert "Incorrect token audience" in str(e.value)


def test_a_subject_the_trust_policy_does_not_match_is_denied(endpoint, role_arn):
    with pytest.raises(ClientError) as e:
        assume(endpoint, role_arn, jwt(sub="organization:other:project:p:workspace:w:run_phase:apply"))
    assert code_of(e) == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_expired_token_is_rejected(endpoint, role_arn):
    with pytest.raises(ClientError) as e:
        assume(endpoint, role_arn, jwt(exp=int(time.time()) - 5))
    assert code_of(e) == "ExpiredTokenException"


def test_a_role_that_does_not_exist_is_denied(endpoint, role_arn):
    with pytest.raises(ClientError) as e:
        assume(endpoint, role_arn.replace("hcp-run", "no-such-role"), jwt())
    assert code_of(e) == "AccessDenied"


def test_a_bad_session_name_is_a_validation_error(endpoint, role_arn):
    with pytest.raises(ClientError) as e:
        assume(endpoint, role_arn, jwt(), session="bad session!")
    assert code_of(e) == "ValidationError"

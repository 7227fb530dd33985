#!/usr/bin/env python3
"""Set up web-identity federation in one emulated account, as HCP Terraform's
AWS dynamic credentials need it, and write the token file a run would get.

    web_identity.py --endpoint URL --account ID --role-name NAME \\
        --issuer https://app.terraform.io --audience aws.workload.identity \\
        --subject "organization:acme:project:p:workspace:w:run_phase:apply" \\
        --token-file PATH

Through the real IAM API (boto3 against the emulator), in `--account`
(reached with AssumeRole into its OrganizationAccountAccessRole unless it is
the default account): an IAM OIDC provider for the issuer with the audience
as its client ID, and a role trusting it with `StringEquals` on
`<issuer>:aud` and `StringLike` on `<issuer>:sub`, as HashiCorp's AWS
configuration guide for dynamic credentials describes. The token is a JWT
with those claims; its signature part is a placeholder (the emulator, like
nothing offline, cannot verify it). Prints `{"role_arn": ...}`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import urllib.request

import boto3

DEFAULT_ACCOUNT = "123456789012"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def member_account(endpoint: str, account: str) -> None:
    """Makes `account` a member account as AWS Organizations does, with an
    OrganizationAccountAccessRole trusting the management account (the
    emulator checks trust policies on AssumeRole). Idempotent."""
    req = urllib.request.Request(
        f"{endpoint}/_emulator/accounts",
        data=json.dumps({"account": account}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


def iam_client(endpoint: str, account: str):
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    if account != DEFAULT_ACCOUNT:
        member_account(endpoint, account)
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=endpoint, **keys)
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="setup"
        )["Credentials"]
        keys = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
    return boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint, **keys)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--role-name", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--audience", required=True)
    p.add_argument("--subject", required=True)
    p.add_argument("--token-file", required=True)
    args = p.parse_args()

    iam = iam_client(args.endpoint, args.account)
    host = args.issuer.removeprefix("https://")
    provider_arn = f"arn:aws:iam::{args.account}:oidc-provider/{host}"
    existing = [o["Arn"] for o in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    if provider_arn not in existing:
        iam.create_open_id_connect_provider(Url=args.issuer, ClientIDList=[args.audience], ThumbprintList=["a" * 40])
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{host}:aud": args.audience},
                    "StringLike": {f"{host}:sub": args.subject.rsplit(":", 1)[0] + ":*"},
                },
            }
        ],
    }
    role = iam.create_role(RoleName=args.role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]

    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": "test"}
    claims = {"iss": args.issuer, "aud": args.audience, "sub": args.subject, "iat": now, "nbf": now, "exp": now + 3600}
    token = ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), b64url(b"unsigned")])
    with open(args.token_file, "w") as f:
        f.write(token)
    os.chmod(args.token_file, 0o600)
    print(json.dumps({"role_arn": role["Arn"], "provider_arn": provider_arn}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Build the AWS world the seed journeys start from, inside the project's emulator.

The examples (examples/*) assume what an organization already has before
Terraform runs: an IAM Identity Center instance with its groups, member
accounts that AWS Organizations created with an OrganizationAccountAccessRole
trusting the management account, and EKS clusters in API authentication mode.
`make demo` and tests/acceptance_examples.rs create exactly that here, so the
example HCL itself stays the same as against real AWS.

  demo_setup.py world --endpoint URL --spec JSON   (JSON text, or @file)
  demo_setup.py org-role --endpoint URL --account ID [--name N] [--management-account ID]

The world spec:

  {"config": {...emulator timing knobs...},
   "sso": {"region": "us-east-1", "groups": ["EKS_Cluster_Admins"], "users": ["eksadmin"],
           "memberships": {"EKS_Cluster_Admins": ["eksadmin"]}},
   "management_account": "123456789012",
   "accounts": {"111122223333": {"org_role": "OrganizationAccountAccessRole",
                                  "clusters": [{"region": "us-east-1", "name": "blog-cluster"}]}}}

Cluster authentication_mode defaults to API. Prints one JSON summary on stdout.
The Identity Center instance, the member accounts' OrganizationAccountAccessRole
and the clusters come from the emulator's control API, because AWS makes them
outside any API Terraform could call (enabling Identity Center, AWS
Organizations creating an account, a cluster becoming ACTIVE); each org role is
then checked with a real STS AssumeRole from the management account.
"""

import argparse
import json
import os
import sys
import urllib.error

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# The control-API client shared with shell scripts; this file sits beside it.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emuctl  # noqa: E402

MANAGEMENT_ACCOUNT = "123456789012"
ORG_ROLE = "OrganizationAccountAccessRole"


class SetupError(Exception):
    """A step of the world setup failed; the message names the step."""


def control(endpoint, method, path, body=None):
    """emuctl's control-API call, with failures named as a setup step."""
    try:
        return emuctl.call(endpoint, method, path, body)
    except urllib.error.HTTPError as e:
        raise SetupError(f"{method} {path}: HTTP {e.code}: {e.read().decode(errors='replace')}") from e
    except urllib.error.URLError as e:
        raise SetupError(f"{method} {path}: {e.reason}") from e


def client(service, endpoint, region="us-east-1", creds=None):
    creds = creds or {
        "aws_access_key_id": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "aws_secret_access_key": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    }
    return boto3.client(service, region_name=region, endpoint_url=endpoint, **creds)


def org_role(endpoint, account, name=ORG_ROLE, management_account=MANAGEMENT_ACCOUNT):
    """Creates the role AWS Organizations puts in every account it creates:
    trusted by the management account's root, with AdministratorAccess. AWS
    makes it together with the account, so no API call of ours could (the
    emulator's STS checks trust, and nothing yet trusts us in a new account):
    the emulator's control API stands in for Organizations. A real AssumeRole
    then proves the management account's credentials get in."""
    made = control(
        endpoint,
        "POST",
        "/_emulator/accounts",
        {"account": account, "org_role": name, "management_account": management_account},
    )
    assumed = client("sts", endpoint).assume_role(
        RoleArn=made["org_role_arn"],
        RoleSessionName="organizations-setup",
    )["Credentials"]
    caller = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=assumed["AccessKeyId"],
        aws_secret_access_key=assumed["SecretAccessKey"],
        aws_session_token=assumed["SessionToken"],
    ).get_caller_identity()
    if caller["Account"] != account:
        raise SetupError(f"AssumeRole into {account} landed in account {caller['Account']}")
    return made["org_role_arn"]


def world(endpoint, spec):
    summary = {"endpoint": endpoint}
    if spec.get("config"):
        summary["config"] = control(endpoint, "POST", "/_emulator/config", spec["config"])
    if spec.get("sso"):
        sso = spec["sso"]
        summary["sso"] = control(
            endpoint,
            "POST",
            "/_emulator/sso/setup",
            {
                "region": sso["region"],
                "groups": sso.get("groups", []),
                "users": sso.get("users", []),
                "memberships": sso.get("memberships", {}),
            },
        )
    management = spec.get("management_account", MANAGEMENT_ACCOUNT)
    summary["accounts"] = {}
    for account, setup in spec.get("accounts", {}).items():
        made = {"clusters": {}}
        if setup.get("org_role"):
            made["org_role_arn"] = org_role(endpoint, account, setup["org_role"], management)
        for cluster in setup.get("clusters", []):
            body = {
                "account": account,
                "region": cluster["region"],
                "name": cluster["name"],
                "authentication_mode": cluster.get("authentication_mode", "API"),
            }
            described = control(endpoint, "POST", "/_emulator/eks/clusters", body)
            made["clusters"][cluster["name"]] = {
                "arn": described.get("arn"),
                "status": described.get("status"),
                "authentication_mode": (described.get("accessConfig") or {}).get("authenticationMode"),
            }
        summary["accounts"][account] = made
    return summary


def load_spec(text):
    if text.startswith("@"):
        with open(text[1:], encoding="utf-8") as f:
            return json.load(f)
    return json.loads(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("world", help="Identity Center, accounts, org roles and clusters from a spec")
    w.add_argument("--endpoint", required=True)
    w.add_argument("--spec", required=True, help="JSON text, or @path to a JSON file")
    r = sub.add_parser("org-role", help="create OrganizationAccountAccessRole in one account")
    r.add_argument("--endpoint", required=True)
    r.add_argument("--account", required=True)
    r.add_argument("--name", default=ORG_ROLE)
    r.add_argument("--management-account", default=MANAGEMENT_ACCOUNT)
    args = parser.parse_args()

    try:
        if args.command == "world":
            result = world(args.endpoint, load_spec(args.spec))
        else:
            result = {"role_arn": org_role(args.endpoint, args.account, args.name, args.management_account)}
    except (SetupError, BotoCoreError, ClientError, ValueError, OSError) as e:
        print(f"demo_setup: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Out-of-band AWS changes for acceptance tests, made through the real APIs.

Acceptance tests use this to change what Terraform manages behind its back
(drift), or to create objects Terraform only references. It calls boto3
against the endpoint it is given (the project's emulator), so every change
goes through the same API surface a person with the AWS CLI would use.
Prints one JSON object on stdout.

  aws_oob.py --endpoint URL --region R call SERVICE METHOD [PARAMS_JSON]
      Any boto3 client method, e.g. `call eks delete_access_entry
      '{"clusterName": "prod", "principalArn": "arn:..."}'`.

  aws_oob.py --endpoint URL --region R assign --instance-arn ARN
      --permission-set-arn ARN --account ID --principal-type GROUP --principal-id ID
      Assigns the permission set as a console user would and waits until the
      assignment has succeeded (and, in the caller's own account, until IAM
      shows the reserved role). Prints the role's ARN and name when known.

  aws_oob.py --endpoint URL --region R unassign --instance-arn ARN
      --permission-set-arn ARN --account ID --principal-type GROUP --principal-id ID
      Removes one account assignment and waits until the deletion has
      succeeded. Prints {"deleted": true}.

  aws_oob.py --endpoint URL --region R reassign --instance-arn ARN
      --permission-set-arn ARN --account ID --principal-type GROUP --principal-id ID
      Removes the account assignment, waits until IAM Identity Center has
      deleted the reserved role, assigns again and waits for the new role
      (which carries a new suffix). Prints the old and new role ARNs.

  Both take --iam-role-arn ARN when the account is not the caller's own: the
  reserved role is then looked up in IAM as that role (for example the member
  account's OrganizationAccountAccessRole), the way an administrator checks a
  member account.
"""

import argparse
import json
import os
import re
import sys
import time

import boto3

RESERVED_PATH = "/aws-reserved/sso.amazonaws.com/"


def client(service, args, region=None, creds=None):
    keys = creds or {
        "aws_access_key_id": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "aws_secret_access_key": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    }
    return boto3.client(service, region_name=region or args.region, endpoint_url=args.endpoint, **keys)


def iam_client(args):
    """IAM of the assignment's account: the caller's own, or the account of
    --iam-role-arn through STS AssumeRole."""
    role_arn = getattr(args, "iam_role_arn", None)
    if not role_arn:
        return client("iam", args, region="us-east-1")
    c = client("sts", args).assume_role(RoleArn=role_arn, RoleSessionName="aws-oob")["Credentials"]
    creds = {
        "aws_access_key_id": c["AccessKeyId"],
        "aws_secret_access_key": c["SecretAccessKey"],
        "aws_session_token": c["SessionToken"],
    }
    return client("iam", args, region="us-east-1", creds=creds)


def call(args):
    params = json.loads(args.params) if args.params else {}
    response = getattr(client(args.service, args), args.method)(**params)
    response.pop("ResponseMetadata", None)
    print(json.dumps(response, default=str))
    return 0


def reserved_roles(iam, permission_set_name):
    pattern = re.compile(r"^AWSReservedSSO_" + re.escape(permission_set_name) + r"_[0-9a-f]{16}$")
    found = []
    for page in iam.get_paginator("list_roles").paginate(PathPrefix=RESERVED_PATH):
        found.extend(r for r in page["Roles"] if pattern.match(r["RoleName"]))
    return found


def wait_status(describe, key, request_id, deadline):
    while True:
        status = describe(request_id)[key]
        if status["Status"] != "IN_PROGRESS":
            if status["Status"] != "SUCCEEDED":
                raise SystemExit(f"{key} {request_id} ended {status}")
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{key} {request_id} still IN_PROGRESS")
        time.sleep(0.1)


def wait_roles(iam, name, want_present, deadline):
    while True:
        roles = reserved_roles(iam, name)
        if bool(roles) == want_present:
            return roles
        if time.monotonic() > deadline:
            raise SystemExit(f"reserved role for {name}: wanted present={want_present}, saw {roles}")
        time.sleep(0.1)


def assignment_of(args):
    return dict(
        InstanceArn=args.instance_arn,
        TargetId=args.account,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=args.permission_set_arn,
        PrincipalType=args.principal_type,
        PrincipalId=args.principal_id,
    )


def create_assignment(sso, args, deadline):
    """CreateAccountAssignment, then wait for its status to succeed."""
    created = sso.create_account_assignment(**assignment_of(args))["AccountAssignmentCreationStatus"]
    wait_status(
        lambda rid: sso.describe_account_assignment_creation_status(
            InstanceArn=args.instance_arn, AccountAssignmentCreationRequestId=rid
        ),
        "AccountAssignmentCreationStatus",
        created["RequestId"],
        deadline,
    )


def delete_assignment(sso, args, deadline):
    """DeleteAccountAssignment, then wait for its status to succeed."""
    deleted = sso.delete_account_assignment(**assignment_of(args))["AccountAssignmentDeletionStatus"]
    wait_status(
        lambda rid: sso.describe_account_assignment_deletion_status(
            InstanceArn=args.instance_arn, AccountAssignmentDeletionRequestId=rid
        ),
        "AccountAssignmentDeletionStatus",
        deleted["RequestId"],
        deadline,
    )


def assign(args):
    sso = client("sso-admin", args)
    deadline = time.monotonic() + args.timeout
    create_assignment(sso, args, deadline)
    out = {"role_arn": None, "role_name": None}
    own_account = client("sts", args).get_caller_identity()["Account"]
    if args.account == own_account or args.iam_role_arn:
        name = sso.describe_permission_set(
            InstanceArn=args.instance_arn, PermissionSetArn=args.permission_set_arn
        )["PermissionSet"]["Name"]
        role = wait_roles(iam_client(args), name, True, deadline)[0]
        out = {"role_arn": role["Arn"], "role_name": role["RoleName"]}
    print(json.dumps(out))
    return 0


def unassign(args):
    sso = client("sso-admin", args)
    delete_assignment(sso, args, time.monotonic() + args.timeout)
    print(json.dumps({"deleted": True}))
    return 0


def reassign(args):
    sso = client("sso-admin", args)
    iam = iam_client(args)
    deadline = time.monotonic() + args.timeout
    name = sso.describe_permission_set(
        InstanceArn=args.instance_arn, PermissionSetArn=args.permission_set_arn
    )["PermissionSet"]["Name"]
    old = reserved_roles(iam, name)
    delete_assignment(sso, args, deadline)
    wait_roles(iam, name, False, deadline)
    create_assignment(sso, args, deadline)
    new = wait_roles(iam, name, True, deadline)
    print(
        json.dumps(
            {
                "old_role_arn": old[0]["Arn"] if old else None,
                "new_role_arn": new[0]["Arn"],
                "new_role_name": new[0]["RoleName"],
            }
        )
    )
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    sub = parser.add_subparsers(dest="command", required=True)

    c = sub.add_parser("call", help="call one boto3 client method")
    c.add_argument("service")
    c.add_argument("method")
    c.add_argument("params", nargs="?")

    for name, what in (
        ("assign", "assign a permission set and wait"),
        ("unassign", "remove one account assignment and wait"),
        ("reassign", "remove and re-add an account assignment"),
    ):
        r = sub.add_parser(name, help=what)
        r.add_argument("--instance-arn", required=True)
        r.add_argument("--permission-set-arn", required=True)
        r.add_argument("--account", required=True)
        r.add_argument("--principal-type", required=True, choices=["GROUP", "USER"])
        r.add_argument("--principal-id", required=True)
        r.add_argument("--timeout", type=float, default=60.0)
        r.add_argument("--iam-role-arn", help="role to read the account's IAM as, when it is not the caller's")

    args = parser.parse_args()
    return {"call": call, "assign": assign, "unassign": unassign, "reassign": reassign}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Drive IAM Identity Center the way an administrator would, through the AWS APIs.

Tests and the demo use this to create what the provider later reads: a
permission set and (optionally) an account assignment for a group. It goes
through boto3 against the endpoint it is given (the project's emulator), so it
exercises the same API surface as the real service. Prints one JSON object.

  sso_fixture.py grant --endpoint URL --region R --instance-arn ARN \
      --name PS --account ACCOUNT [--group-id ID | --no-assign] \
      [--wait nothing|assignment|role] [--timeout SECONDS] [--inline-policy JSON]

--inline-policy puts that document on the permission set before the
assignment, so the reserved role Identity Center creates carries it.
"""

import argparse
import json
import os
import re
import sys
import time

import boto3

RESERVED_PATH = "/aws-reserved/sso.amazonaws.com/"


def client(service, args):
    return boto3.client(
        service,
        region_name=args.region,
        endpoint_url=args.endpoint,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


def find_reserved_roles(iam, permission_set):
    pattern = re.compile(r"^AWSReservedSSO_" + re.escape(permission_set) + r"_[0-9a-f]{16}$")
    found = []
    for page in iam.get_paginator("list_roles").paginate(PathPrefix=RESERVED_PATH):
        found.extend(r for r in page["Roles"] if pattern.match(r["RoleName"]))
    return found


def grant(args):
    sso = client("sso-admin", args)
    ps = sso.create_permission_set(
        InstanceArn=args.instance_arn,
        Name=args.name,
        Description=f"created by sso_fixture for {args.name}",
        SessionDuration="PT1H",
    )["PermissionSet"]
    result = {"permission_set_arn": ps["PermissionSetArn"], "name": args.name}
    if args.inline_policy:
        sso.put_inline_policy_to_permission_set(
            InstanceArn=args.instance_arn,
            PermissionSetArn=ps["PermissionSetArn"],
            InlinePolicy=args.inline_policy,
        )
    if args.no_assign:
        print(json.dumps(result))
        return 0

    status = sso.create_account_assignment(
        InstanceArn=args.instance_arn,
        TargetId=args.account,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=ps["PermissionSetArn"],
        PrincipalType="GROUP",
        PrincipalId=args.group_id,
    )["AccountAssignmentCreationStatus"]
    result["request_id"] = status["RequestId"]
    result["status"] = status["Status"]

    deadline = time.monotonic() + args.timeout
    if args.wait in ("assignment", "role"):
        while result["status"] == "IN_PROGRESS":
            if time.monotonic() > deadline:
                raise SystemExit(f"assignment {status['RequestId']} still IN_PROGRESS")
            time.sleep(0.2)
            current = sso.describe_account_assignment_creation_status(
                InstanceArn=args.instance_arn,
                AccountAssignmentCreationRequestId=status["RequestId"],
            )["AccountAssignmentCreationStatus"]
            result["status"] = current["Status"]
            if current.get("FailureReason"):
                result["failure_reason"] = current["FailureReason"]
        if result["status"] != "SUCCEEDED":
            print(json.dumps(result))
            return 1

    if args.wait == "role":
        iam = client("iam", args)
        while True:
            roles = find_reserved_roles(iam, args.name)
            if roles:
                result["role_name"] = roles[0]["RoleName"]
                result["role_arn"] = roles[0]["Arn"]
                result["role_path"] = roles[0]["Path"]
                result["role_id"] = roles[0]["RoleId"]
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"reserved role for {args.name} never appeared")
            time.sleep(0.2)

    print(json.dumps(result))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grant", help="create a permission set and assign a group")
    g.add_argument("--endpoint", required=True)
    g.add_argument("--region", required=True)
    g.add_argument("--instance-arn", required=True)
    g.add_argument("--name", required=True, help="permission set name")
    g.add_argument("--account", required=True)
    who = g.add_mutually_exclusive_group(required=True)
    who.add_argument("--group-id")
    who.add_argument("--no-assign", action="store_true")
    g.add_argument("--wait", choices=["nothing", "assignment", "role"], default="role")
    g.add_argument("--timeout", type=float, default=60.0)
    g.add_argument("--inline-policy", help="an IAM policy document (JSON) for the permission set")
    args = parser.parse_args()
    return grant(args)


if __name__ == "__main__":
    sys.exit(main())

//! AWS objects made by hand, the way a console user, the AWS blog's CLI
//! steps or another tool would make them: boto3 calls against the emulator,
//! never through the provider. Adoption tests build a brownfield world with
//! these and then find and import it with Terraform.

use std::process::Command;

use serde_json::Value;

use super::ACCOUNT;
use super::emulator::Emulator;
use super::paths;

/// Temporary credentials (for example from AssumeRole into another account).
#[derive(Debug, Clone)]
pub struct Creds {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// Runs Python `code` with `iam` and `sts` bound to boto3 clients for the
/// emulator (as `creds`, or the management account's test keys) and
/// returns what it prints last, as JSON.
pub fn python(emu: &Emulator, creds: Option<&Creds>, code: &str) -> Value {
    let script = format!(
        "import json, os, boto3\n\
         kw = dict(endpoint_url={ep:?}, region_name='us-east-1', aws_access_key_id=os.environ['AWS_ACCESS_KEY_ID'], \
         aws_secret_access_key=os.environ['AWS_SECRET_ACCESS_KEY'], aws_session_token=os.environ.get('AWS_SESSION_TOKEN'))\n\
         iam = boto3.client('iam', **kw)\nsts = boto3.client('sts', **kw)\n{code}\n",
        ep = emu.endpoint()
    );
    let mut cmd = Command::new(paths::venv_python());
    cmd.arg("-c").arg(&script);
    paths::scrub_env(&mut cmd);
    cmd.env("HOME", emu.dir());
    match creds {
        Some(c) => cmd
            .env("AWS_ACCESS_KEY_ID", &c.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &c.secret_access_key)
            .env("AWS_SESSION_TOKEN", &c.session_token),
        None => cmd
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing"),
    };
    let out = cmd.output().expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "python failed:\n{script}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or("null");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("non-JSON from python ({e}): {stdout}"))
}

/// Credentials for `role` in `account`, from STS AssumeRole (the emulator
/// lands their calls in that account).
pub fn assume(emu: &Emulator, account: &str, role: &str) -> Creds {
    let c = python(
        emu,
        None,
        &format!(
            "c = sts.assume_role(RoleArn='arn:aws:iam::{account}:role/{role}', RoleSessionName='by-hand')['Credentials']\n\
             print(json.dumps({{'id': c['AccessKeyId'], 'secret': c['SecretAccessKey'], 'token': c['SessionToken']}}))"
        ),
    );
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    Creds {
        access_key_id: s("id"),
        secret_access_key: s("secret"),
        session_token: s("token"),
    }
}

/// The reserved role the AWS blog's step copies from `aws sts
/// get-caller-identity` (us-east-1 Identity Center: no region segment).
pub fn reserved_role_arn(permission_set: &str, suffix: &str) -> String {
    format!(
        "arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{permission_set}_{suffix}"
    )
}

/// The blog's trust policy: the exact reserved role, and the `"Condition":
/// {}` its `assume-role.json` carries.
pub fn blog_trust(reserved_role: &str) -> Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": reserved_role},
            "Action": "sts:AssumeRole",
            "Condition": {}
        }]
    })
}

/// The blog's `EKSClusterCreatorPolicy`: every action on the services
/// cluster creation touches (as `clustercreator-policy.json` would have it,
/// with no Sid).
pub fn blog_policy() -> Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["autoscaling:*", "cloudformation:*", "ec2:*", "eks:*", "iam:*", "kms:*", "s3:*", "ssm:*"],
            "Resource": "*"
        }]
    })
}

/// The blog's step 3, by hand: `aws iam create-role --role-name <name>
/// --assume-role-policy-document file://assume-role.json`, then create the
/// `<name>Policy` policy and attach it. Returns the role's ARN.
pub fn blog_creator_role(emu: &Emulator, name: &str, reserved_role: &str) -> String {
    let v = python(
        emu,
        None,
        &format!(
            "r = iam.create_role(RoleName={name:?}, AssumeRolePolicyDocument=json.dumps({trust}))['Role']\n\
             p = iam.create_policy(PolicyName={policy:?}, PolicyDocument=json.dumps({doc}))['Policy']\n\
             iam.attach_role_policy(RoleName={name:?}, PolicyArn=p['Arn'])\n\
             print(json.dumps(r['Arn']))",
            trust = blog_trust(reserved_role),
            policy = format!("{name}Policy"),
            doc = blog_policy(),
        ),
    );
    v.as_str().unwrap_or_default().to_string()
}

/// A role whose trust someone wrote by hand: the account root, limited by
/// `operator` (`ArnLike` or `StringLike`) on `aws:PrincipalArn` to
/// `pattern`, with a Sid, a path, a description, a longer session and a
/// tag, and no customer-managed policy.
pub fn pattern_creator_role(emu: &Emulator, name: &str, operator: &str, pattern: &str) -> String {
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ClusterCreatorsFromSso",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": ["sts:AssumeRole"],
            "Condition": {operator: {"aws:PrincipalArn": pattern}}
        }]
    });
    let v = python(
        emu,
        None,
        &format!(
            "r = iam.create_role(RoleName={name:?}, Path='/eks/', AssumeRolePolicyDocument=json.dumps({trust}), \
             Description='Cluster creators, from the console', MaxSessionDuration=7200, Tags=[{{'Key': 'team', 'Value': 'platform'}}])['Role']\n\
             iam.attach_role_policy(RoleName={name:?}, PolicyArn='arn:aws:iam::aws:policy/ReadOnlyAccess')\n\
             print(json.dumps(r['Arn']))"
        ),
    );
    v.as_str().unwrap_or_default().to_string()
}

/// A role that has nothing to do with Identity Center: `trust` is its whole
/// trust policy.
pub fn plain_role(emu: &Emulator, name: &str, trust: &Value) -> String {
    let v = python(
        emu,
        None,
        &format!(
            "print(json.dumps(iam.create_role(RoleName={name:?}, AssumeRolePolicyDocument=json.dumps({trust}))['Role']['Arn']))"
        ),
    );
    v.as_str().unwrap_or_default().to_string()
}

/// IAM's view of a role's trust policy, decoded.
pub fn trust_of(emu: &Emulator, name: &str) -> Value {
    python(
        emu,
        None,
        &format!(
            "from urllib.parse import unquote\n\
             d = iam.get_role(RoleName={name:?})['Role']['AssumeRolePolicyDocument']\n\
             print(json.dumps(d if isinstance(d, (dict, list)) else json.loads(unquote(d))))"
        ),
    )
}

/// A role named `name` for EC2, made with `creds` (in their account).
pub fn plain_role_as(emu: &Emulator, creds: &Creds, name: &str) -> String {
    let v = python(
        emu,
        Some(creds),
        &format!(
            "t = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'Service': 'ec2.amazonaws.com'}}, 'Action': 'sts:AssumeRole'}}]}})\n\
             print(json.dumps(iam.create_role(RoleName={name:?}, AssumeRolePolicyDocument=t)['Role']['Arn']))"
        ),
    );
    v.as_str().unwrap_or_default().to_string()
}

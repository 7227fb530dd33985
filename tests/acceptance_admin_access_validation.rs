//! Bad inputs to `eks_sso_admin_access` (issue 3, acceptance 11): each fails
//! at `terraform validate` and at `terraform plan`, with a diagnostic that
//! points at the offending attribute, and no AWS call is made.
//!
//! "Points at the attribute" is checked through `validate -json`: Terraform
//! turns the attribute path a provider returns into the source range of that
//! attribute, so the diagnostic's range must start on the line that holds it
//! (a diagnostic without a path would point at the resource block instead).

mod support;

use serde_json::Value;
use support::admin_access::*;
use support::terraform::{hcl_string, provider_config};

struct Case {
    what: &'static str,
    grant: Grant,
    /// Text on the line(s) the diagnostic may point at.
    markers: &'static [&'static str],
    /// Caught by plan, not validate: the input can be right or wrong
    /// depending on the state (validate never sees state).
    at_plan: bool,
}

fn base() -> Grant {
    let mut ps = PermissionSet::named("EKSValid");
    ps.session_duration = Some("PT4H".into());
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    ps.inline_policy = Some(jsonencode_policy(&["eks:DescribeCluster"]));
    let mut g = Grant::new("bad", ps, &["prod"]);
    g.access_policies
        .push(AccessPolicy::namespaced("AmazonEKSViewPolicy", &["dev"]));
    g
}

fn case(
    what: &'static str,
    markers: &'static [&'static str],
    change: impl FnOnce(&mut Grant),
) -> Case {
    let mut grant = base();
    change(&mut grant);
    Case {
        what,
        grant,
        markers,
        at_plan: false,
    }
}

/// A case only the plan can judge (see [`Case::at_plan`]).
fn at_plan(mut c: Case) -> Case {
    c.at_plan = true;
    c
}

fn ps(g: &mut Grant) -> &mut PermissionSet {
    g.permission_set.as_mut().unwrap()
}

const PS_ARN: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";

fn cases() -> Vec<Case> {
    vec![
        case(
            "name too long",
            &["EKSNameThatIsFarTooLongForAWSsso1"],
            |g| ps(g).name = "EKSNameThatIsFarTooLongForAWSsso1".into(),
        ),
        case("bad characters in name", &["EKS Admin!"], |g| {
            ps(g).name = "EKS Admin!".into()
        }),
        case("session_duration over 12h", &["PT13H"], |g| {
            ps(g).session_duration = Some("PT13H".into())
        }),
        case("session_duration not ISO-8601", &["4 hours"], |g| {
            ps(g).session_duration = Some("4 hours".into())
        }),
        case("invalid policy JSON", &["{not json"], |g| {
            ps(g).inline_policy = Some("\"{not json\"".into())
        }),
        // IAM's grammar, the same validator as the creator role's
        // additional_policy_json (issue 11).
        case("inline policy Effect = \"Permit\"", &["Permit"], |g| {
            ps(g).inline_policy = Some(
                "jsonencode({ Version = \"2012-10-17\", Statement = [{ Effect = \"Permit\", Action = \"eks:*\", Resource = \"*\" }] })".into(),
            )
        }),
        case("inline policy Version 2020-01-01", &["2020-01-01"], |g| {
            ps(g).inline_policy = Some(
                "jsonencode({ Version = \"2020-01-01\", Statement = [{ Effect = \"Allow\", Action = \"eks:*\", Resource = \"*\" }] })".into(),
            )
        }),
        case("policy without Statement", &["2012-10-17"], |g| {
            ps(g).inline_policy = Some("jsonencode({ Version = \"2012-10-17\" })".into())
        }),
        case("namespaces = []", &["namespaces = []"], |g| {
            g.access_policies[1].namespaces = Some(Vec::new())
        }),
        // With a known ARN this is allowed only when the ARN is the managed
        // set's own, in state (the config Terraform < 1.14 generates for an
        // import), so a create is rejected by the plan.
        at_plan(case(
            "both permission_set and permission_set_arn",
            &["permission_set_arn =", "permission_set {"],
            |g| g.permission_set_arn = Some(PS_ARN.into()),
        )),
        case(
            "neither permission_set nor permission_set_arn",
            &["resource \"eks_sso_admin_access\""],
            |g| g.permission_set = None,
        ),
        case("no groups or users", &["groups = []", "users = []"], |g| {
            g.groups.clear();
            g.extra = "  groups = []\n  users = []\n".into();
        }),
        case("account_id not 12 digits", &["\"12345\""], |g| {
            g.account_id = "12345".into()
        }),
        case(
            "unknown access policy short name",
            &["AmazonEKSSuperUserPolicy"],
            |g| g.access_policies[0].policy = "AmazonEKSSuperUserPolicy".into(),
        ),
        case(
            "malformed access policy ARN",
            &["arn:aws:iam::aws:policy/AmazonEKSClusterAdminPolicy"],
            |g| {
                g.access_policies[0].policy =
                    "arn:aws:iam::aws:policy/AmazonEKSClusterAdminPolicy".into()
            },
        ),
        case(
            "the same access policy twice",
            &["arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"],
            |g| {
                g.access_policies.push(AccessPolicy::cluster(
                    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                ))
            },
        ),
        case("empty cluster name", &["cluster_names = [\"\"]"], |g| {
            g.cluster_names = vec![String::new()]
        }),
        case("invalid cluster name", &["prod_cluster!"], |g| {
            g.cluster_names = vec!["prod_cluster!".into()]
        }),
        case("no clusters", &["cluster_names = []"], |g| {
            g.cluster_names.clear()
        }),
        case(
            "duplicate clusters",
            &["cluster_names = [\"prod\", \"prod\"]"],
            |g| g.cluster_names = vec!["prod".into(), "prod".into()],
        ),
        case(
            "reserved kubernetes_username prefix",
            &["system:admin"],
            |g| g.kubernetes_username = Some("system:admin".into()),
        ),
        case("reserved kubernetes group", &["system:masters"], |g| {
            g.kubernetes_groups = vec!["system:masters".into()]
        }),
        case("bad timeout", &["twenty minutes"], |g| {
            g.extra = "  timeouts {\n    create = \"twenty minutes\"\n  }\n".into()
        }),
        case(
            "managed policy ARN malformed",
            &["arn:aws:iam::aws:ViewOnlyAccess"],
            |g| ps(g).managed_policy_arns = vec!["arn:aws:iam::aws:ViewOnlyAccess".into()],
        ),
        case(
            "customer-managed ARN in managed_policy_arns",
            &["arn:aws:iam::123456789012:policy/TeamPolicy"],
            |g| {
                ps(g).managed_policy_arns =
                    vec!["arn:aws:iam::123456789012:policy/TeamPolicy".into()]
            },
        ),
        case("invalid namespace", &["Dev_Team"], |g| {
            g.access_policies[1].namespaces = Some(vec!["Dev_Team".into()])
        }),
        case(
            "malformed permission_set_arn",
            &["arn:aws:sso:::permissionSet/not-an-arn"],
            |g| {
                g.permission_set = None;
                g.permission_set_arn = Some("arn:aws:sso:::permissionSet/not-an-arn".into());
            },
        ),
        case("tag key with the aws: prefix", &["aws:owner"], |g| {
            g.extra = "  tags = { \"aws:owner\" = \"platform\" }\n".into()
        }),
    ]
}

/// 1-based numbers of the lines of `text` containing any of `markers`.
fn marker_lines(text: &str, markers: &[&str]) -> Vec<u64> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| markers.iter().any(|m| l.contains(m)))
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

/// Checks one case; returns a description of what is wrong, if anything.
fn check(env: &Env, c: &Case) -> Option<String> {
    let config = env.config(&c.grant.render());
    check_config(env, c.what, &config, c.markers, c.at_plan)
}

/// Writes `config`, expects an error diagnostic on a line holding one of
/// `markers` (from validate, or from plan when `at_plan`), and a failed plan.
fn check_config(
    env: &Env,
    what: &str,
    config: &str,
    markers: &[&str],
    at_plan: bool,
) -> Option<String> {
    env.tf.write(config);
    let lines = marker_lines(config, markers);
    if lines.is_empty() {
        return Some(format!(
            "{what}: test bug, markers {markers:?} not in config"
        ));
    }

    let diags = if at_plan {
        let out = env.tf.run(&["plan", "-json", "-no-color", "-input=false"]);
        if out.success() {
            return Some(format!("{what}: plan accepted it\n{out}"));
        }
        out.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["type"] == "diagnostic")
            .map(|m| m["diagnostic"].clone())
            .collect::<Vec<Value>>()
    } else {
        let out = env.tf.run(&["validate", "-json", "-no-color"]);
        let doc: Value = out.json();
        if doc["valid"] != false {
            return Some(format!("{what}: validate accepted it\n{out}"));
        }
        doc["diagnostics"].as_array().cloned().unwrap_or_default()
    };
    let pointed = diags.iter().any(|d| {
        d["severity"] == "error"
            && d["range"]["start"]["line"]
                .as_u64()
                .is_some_and(|l| lines.contains(&l))
    });
    if !pointed {
        return Some(format!(
            "{what}: no error diagnostic on line(s) {lines:?} (the attribute path is missing or wrong): {:#}",
            Value::Array(diags.clone())
        ));
    }

    let plan = env.tf.plan_raw();
    if plan.success() || plan.code.is_none() {
        return Some(format!("{what}: plan did not fail\n{plan}"));
    }
    None
}

#[test]
fn bad_inputs_fail_with_an_attribute_path_and_no_aws_call() {
    let env = Env::start(Setup::default());
    let cases = cases();
    assert!(cases.len() >= 15, "the issue asks for at least 15 cases");
    env.emulator.clear_requests();

    let mut failures: Vec<String> = cases.iter().filter_map(|c| check(&env, c)).collect();
    // The provider's default_tags follow the resource tags' rule (issue 11):
    // Terraform validates the provider block too, so the same holds there.
    let sso = format!(
        "  sso {{\n    region = {}\n  }}\n  default_tags {{\n    tags = {{ \"AWS:team\" = \"platform\" }}\n  }}\n",
        hcl_string(&env.sso_region)
    );
    let config = format!(
        "{}\n{}",
        provider_config(&env.emulator, &env.region, &sso),
        base().render()
    );
    failures.extend(check_config(
        &env,
        "default_tags key with the AWS: prefix",
        &config,
        &["AWS:team"],
        false,
    ));
    let requests = env.emulator.requests();
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs were not rejected properly:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert!(
        requests.is_empty(),
        "AWS was called for invalid input: {requests:#?}"
    );

    // Control: the base configuration is valid, and applying it through the
    // same working directory reaches AWS, so the empty request log above
    // means something. (A valid new grant's plan does call AWS: its
    // read-only plan-time checks.)
    env.write(&[&base()]);
    env.tf.run_ok(&["validate", "-no-color"]);
    env.tf.apply();
    assert!(env.emulator.count("sso-admin", "CreatePermissionSet") >= 1);
}

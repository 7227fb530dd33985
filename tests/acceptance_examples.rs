//! The `examples/` root modules, run as a user would copy them: real
//! Terraform, the unchanged HCL, the emulator reached only through
//! `AWS_ENDPOINT_URL`, inputs as `TF_VAR_*`. Each test builds the world its
//! example assumes (Identity Center in the management account, member
//! accounts with OrganizationAccountAccessRole, API-mode clusters), then:
//! validate, apply, checks of the outputs through the clients that consume
//! them (kubectl, the AWS CLI) and of what landed in which account, an empty
//! re-plan, destroy, and a check that nothing the example created is left.

mod support;

use regex::Regex;
use serde_json::{Value, json};
use support::examples::{
    AwsConfigFile, copy_example, emulator_specific_text, example_files, exec_env, exec_of,
    kubectl_view, leftovers, setup_world,
};
use support::{ACCOUNT, Emulator, Tf};

/// The member account the seeds' clusters live in.
const MEMBER: &str = "111122223333";
const ORG_ROLE: &str = "OrganizationAccountAccessRole";
const CLUSTER_ADMIN: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const VIEW: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
const VIEW_ONLY_ACCESS: &str = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";
const EXEC_API: &str = "client.authentication.k8s.io/v1beta1";

/// Every async step takes real time, so the provider's waits run for real,
/// while a test still finishes in seconds.
fn delays() -> Value {
    json!({
        "assignment_delay": 0.6,
        "provisioning_delay": 0.4,
        "deletion_delay": 0.3,
        "role_visibility_delay": 0.5,
        "eks_principal_delay": 0.3,
    })
}

/// One example's private world and working directory.
struct Run {
    emulator: Emulator,
    world: Value,
    tf: Tf,
}

impl Run {
    /// Starts an emulator, builds `spec` in it, and copies `example` into a
    /// fresh working directory after checking it names no emulator detail.
    fn start(example: &str, region: &str, spec: Value, vars: &[(&str, &str)]) -> Run {
        let found = emulator_specific_text(example);
        assert!(
            found.is_empty(),
            "examples/{example} must work against real AWS as written; it mentions emulator details:\n{}",
            found.join("\n")
        );
        let emulator = Emulator::start();
        let world = setup_world(&emulator, &spec);
        let mut tf = Tf::with_region(&emulator, region);
        // The examples set their region themselves; make sure nothing falls
        // back to the harness's AWS_REGION instead.
        tf.unset_env("AWS_REGION");
        for (name, value) in vars {
            tf.set_env(&format!("TF_VAR_{name}"), value);
        }
        copy_example(&tf, example);
        Run {
            emulator,
            world,
            tf,
        }
    }

    /// Like [`Run::start`] for a root module that calls
    /// `../modules/<module>`: both are copied side by side, as in the
    /// repository, and Terraform runs in the root's directory after `init`
    /// (which installs the module).
    fn start_with_module(
        example: &str,
        module: &str,
        region: &str,
        spec: Value,
        vars: &[(&str, &str)],
    ) -> Run {
        let module_dir = format!("modules/{module}");
        for dir in [example, module_dir.as_str()] {
            let found = emulator_specific_text(dir);
            assert!(
                found.is_empty(),
                "examples/{dir} must work against real AWS as written:\n{}",
                found.join("\n")
            );
        }
        let emulator = Emulator::start();
        let world = setup_world(&emulator, &spec);
        let mut tf = Tf::with_region(&emulator, region);
        tf.unset_env("AWS_REGION");
        for (name, value) in vars {
            tf.set_env(&format!("TF_VAR_{name}"), value);
        }
        for (dir, dest) in [
            (example, example.to_string()),
            (module_dir.as_str(), module_dir.clone()),
        ] {
            for file in example_files(dir) {
                let text = std::fs::read_to_string(&file).expect("read example file");
                let name = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("file name");
                tf.write_file(&format!("{dest}/{name}"), &text);
            }
        }
        tf.set_workdir(example);
        tf.init();
        Run {
            emulator,
            world,
            tf,
        }
    }

    fn identity_store_id(&self) -> &str {
        self.world["sso"]["identity_store_id"]
            .as_str()
            .expect("identity store id in the setup summary")
    }

    fn group_id(&self, name: &str) -> &str {
        self.world["sso"]["groups"][name]
            .as_str()
            .unwrap_or_else(|| panic!("no group {name} in {}", self.world))
    }

    fn output_str(&self, name: &str) -> String {
        match self.tf.output(name) {
            Value::String(s) => s,
            other => panic!("output {name} is not a string: {other}"),
        }
    }

    /// validate, apply and an empty re-plan: the part every example shares.
    fn validate_and_apply(&self) {
        let out = self.tf.validate();
        assert!(out.success(), "terraform validate failed\n{out}");
        let out = self.tf.apply();
        let warnings: Vec<&str> = out
            .stdout
            .lines()
            .chain(out.stderr.lines())
            .filter(|l| l.trim_start().starts_with("Warning: "))
            .filter(|l| !l.contains("Provider development overrides are in effect"))
            .collect();
        assert!(
            warnings.is_empty(),
            "apply printed warnings a user would see: {warnings:?}\n{out}"
        );
    }

    fn assert_replan_empty(&self) {
        assert!(
            self.tf.plan_is_empty(),
            "a second plan must be empty:\n{}",
            self.tf.plan_raw()
        );
    }

    /// Destroys and asserts the emulator holds nothing the example created.
    fn destroy_and_assert_clean(&self) {
        self.tf.destroy();
        let state = self.emulator.state();
        let left = leftovers(&state, &[ORG_ROLE]);
        assert!(
            left.is_empty(),
            "destroy left objects behind:\n{}",
            left.join("\n")
        );
    }
}

/// `AWSReservedSSO_<permission set>_<16 hex>`.
fn assert_reserved_role_name(name: &str, permission_set: &str) {
    let re = Regex::new(&format!(
        "^AWSReservedSSO_{}_[0-9a-f]{{16}}$",
        regex::escape(permission_set)
    ))
    .expect("regex");
    assert!(
        re.is_match(name),
        "{name:?} is not the reserved role of {permission_set}"
    );
}

/// The access entries the emulator holds on one cluster.
fn entries_on<'a>(state: &'a Value, account: &str, region: &str, cluster: &str) -> Vec<&'a Value> {
    state["access_entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["account"] == account && e["region"] == region && e["cluster"] == cluster)
        .collect()
}

/// The one permission set the emulator holds with `name`.
fn permission_set<'a>(state: &'a Value, name: &str) -> &'a Value {
    let found: Vec<&Value> = state["permission_sets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one permission set {name} expected: {state}"
    );
    found[0]
}

/// kubectl's view of a kubeconfig: one exec user running `aws eks get-token`
/// for `cluster` in `region` with `AWS_PROFILE=profile`, never interactive.
fn assert_sso_kubeconfig(kubeconfig: &str, cluster: &str, region: &str, profile: &str) -> Value {
    let view = kubectl_view(kubeconfig);
    let exec = exec_of(&view);
    assert_eq!(exec["apiVersion"], EXEC_API, "{view}");
    assert_eq!(exec["command"], "aws", "{view}");
    assert_eq!(exec["interactiveMode"], "Never", "{view}");
    let args: Vec<&str> = exec["args"]
        .as_array()
        .expect("exec args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        args,
        [
            "--region",
            region,
            "eks",
            "get-token",
            "--cluster-name",
            cluster,
            "--output",
            "json"
        ],
        "{view}"
    );
    assert_eq!(exec_env(exec, "AWS_PROFILE"), Some(profile), "{view}");
    view
}

#[test]
fn blog_sso_admin_example_is_journey_j1_end_to_end() {
    let cluster = "blog-cluster";
    let run = Run::start(
        "blog-sso-admin",
        "us-east-1",
        json!({
            "config": delays(),
            "sso": {"region": "us-east-1", "groups": ["EKS_Cluster_Admins"], "users": ["eksadmin"]},
            "management_account": ACCOUNT,
            "accounts": {MEMBER: {"org_role": ORG_ROLE, "clusters": [{"region": "us-east-1", "name": cluster}]}},
        }),
        &[("account_id", MEMBER), ("cluster_name", cluster)],
    );
    run.validate_and_apply();

    // The reserved role, in both forms, in the member account. Identity
    // Center is in us-east-1, so the path has no region segment.
    let name = run.output_str("reserved_role_name");
    assert_reserved_role_name(&name, "EKSClusterAdminAccess");
    let role_arn = run.output_str("reserved_role_arn");
    assert_eq!(
        role_arn,
        format!("arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/{name}")
    );
    assert_eq!(
        run.output_str("reserved_role_arn_without_path"),
        format!("arn:aws:iam::{MEMBER}:role/{name}")
    );
    // The data source finds the same role by permission set name.
    assert_eq!(run.output_str("reserved_role_lookup_arn"), role_arn);
    let creator_arn = run.output_str("creator_role_arn");
    assert_eq!(
        creator_arn,
        format!("arn:aws:iam::{MEMBER}:role/EKSClusterCreator")
    );

    // What landed where: everything cluster-side in the member account
    // (through assume_role), the permission set as the blog describes it.
    let state = run.emulator.state();
    let entries = entries_on(&state, MEMBER, "us-east-1", cluster);
    assert_eq!(entries.len(), 1, "one access entry on {cluster}: {state}");
    assert_eq!(entries[0]["principal_arn"], role_arn.as_str());
    assert_eq!(
        entries[0]["policies"],
        json!([{"policy_arn": CLUSTER_ADMIN, "access_scope": {"type": "cluster", "namespaces": []}}])
    );
    let ps = permission_set(&state, "EKSClusterAdminAccess");
    assert_eq!(ps["managed_policies"], json!([VIEW_ONLY_ACCESS]));
    let inline: Value = serde_json::from_str(ps["inline_policy"].as_str().expect("inline policy"))
        .expect("inline policy JSON");
    let statements = inline["Statement"].as_array().expect("statements");
    assert!(
        statements
            .iter()
            .any(|s| s["Action"] == json!(["eks:*"]) && s["Resource"] == "*"),
        "eks:* statement missing: {inline}"
    );
    assert!(
        statements
            .iter()
            .any(|s| s["Action"] == json!(["sts:AssumeRole"])
                && s["Resource"] == creator_arn.as_str()),
        "sts:AssumeRole on the creator role missing: {inline}"
    );
    let assignments = state["assignments"].as_array().expect("assignments");
    assert_eq!(assignments.len(), 1, "{state}");
    assert_eq!(assignments[0]["account"], MEMBER);
    assert_eq!(
        assignments[0]["principal_id"],
        run.group_id("EKS_Cluster_Admins")
    );
    let roles: Vec<(&str, &str)> = state["iam_roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r["account"].as_str()?, r["name"].as_str()?)))
        .collect();
    assert!(
        roles.contains(&(MEMBER, "EKSClusterCreator")),
        "creator role not in the member account: {roles:?}"
    );
    assert!(
        !roles.iter().any(|(a, _)| *a == ACCOUNT),
        "nothing belongs in the management account's IAM: {roles:?}"
    );
    assert!(
        state["iam_policies"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["account"] == MEMBER && p["name"] == "EKSClusterCreatorPolicy"),
        "EKSClusterCreatorPolicy missing: {state}"
    );

    // The kubeconfig, as kubectl reads it.
    let view = assert_sso_kubeconfig(
        &run.output_str("kubeconfig"),
        cluster,
        "us-east-1",
        "EKSClusterAdminAccess-EKSAccount1",
    );
    assert_eq!(
        view["current-context"],
        format!("arn:aws:eks:us-east-1:{MEMBER}:cluster/{cluster}")
    );

    // The CLI profiles, as the AWS CLI reads them.
    let text = run.output_str("aws_config");
    assert!(
        text.contains(&format!(
            "[sso-session sso]\nsso_start_url = https://{}.awsapps.com/start\nsso_region = us-east-1\n",
            run.identity_store_id()
        )),
        "sso-session section:\n{text}"
    );
    let config = AwsConfigFile::new(&text);
    let sso_profile = "EKSClusterAdminAccess-EKSAccount1";
    assert_eq!(config.get(sso_profile, "sso_session"), "sso");
    assert_eq!(config.get(sso_profile, "sso_account_id"), MEMBER);
    assert_eq!(
        config.get(sso_profile, "sso_role_name"),
        "EKSClusterAdminAccess"
    );
    let creator_profile = "EKSClusterCreator-EKSAccount1";
    assert_eq!(config.get(creator_profile, "role_arn"), creator_arn);
    assert_eq!(config.get(creator_profile, "source_profile"), sso_profile);

    run.assert_replan_empty();
    run.destroy_and_assert_clean();
}

#[test]
fn k8studio_example_is_journey_j2_end_to_end() {
    // Not the defaults: the variables, not literals, must drive the example.
    let account = "210987654321";
    let cluster = "k8studio-auth-eks";
    let run = Run::start(
        "k8studio-exec",
        "us-east-1",
        json!({
            "config": delays(),
            "sso": {"region": "us-east-1", "groups": ["K8Studio_Users"]},
            "management_account": ACCOUNT,
            "accounts": {account: {"org_role": ORG_ROLE, "clusters": [{"region": "us-east-1", "name": cluster}]}},
        }),
        &[
            ("account_id", account),
            ("namespaces", r#"["apps", "team-*"]"#),
        ],
    );
    run.validate_and_apply();

    let role_arn = run.output_str("reserved_role_arn");
    let name = role_arn
        .rsplit('/')
        .next()
        .expect("role name at the end of the ARN");
    assert_reserved_role_name(name, "K8StudioEKSExec");
    assert_eq!(
        role_arn,
        format!("arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{name}")
    );

    // Least privilege on the AWS side: DescribeCluster on this cluster only,
    // no managed policies; Kubernetes view access in the two namespaces only.
    let state = run.emulator.state();
    let ps = permission_set(&state, "K8StudioEKSExec");
    assert_eq!(ps["managed_policies"], json!([]));
    let inline: Value = serde_json::from_str(ps["inline_policy"].as_str().expect("inline policy"))
        .expect("inline policy JSON");
    assert_eq!(
        inline["Statement"],
        json!([{
            "Sid": "DescribeTheCluster",
            "Effect": "Allow",
            "Action": ["eks:DescribeCluster"],
            "Resource": format!("arn:aws:eks:us-east-1:{account}:cluster/{cluster}"),
        }])
    );
    let entries = entries_on(&state, account, "us-east-1", cluster);
    assert_eq!(entries.len(), 1, "one access entry on {cluster}: {state}");
    assert_eq!(entries[0]["principal_arn"], role_arn.as_str());
    let policies = entries[0]["policies"].as_array().expect("policies");
    assert_eq!(policies.len(), 1, "{state}");
    assert_eq!(policies[0]["policy_arn"], VIEW);
    assert_eq!(policies[0]["access_scope"]["type"], "namespace");
    let mut namespaces: Vec<&str> = policies[0]["access_scope"]["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    namespaces.sort_unstable();
    assert_eq!(namespaces, ["apps", "team-*"]);

    // The kubeconfig K8Studio loads: profile k8studio-sso, the guide's context.
    let context = "k8studio-sso@k8studio-auth-eks.us-east-1.eksctl.io";
    assert_eq!(run.output_str("kube_context"), context);
    let view = assert_sso_kubeconfig(
        &run.output_str("kubeconfig"),
        cluster,
        "us-east-1",
        "k8studio-sso",
    );
    assert_eq!(view["current-context"], context);

    let config = AwsConfigFile::new(&run.output_str("aws_config"));
    assert_eq!(config.get("k8studio-sso", "sso_session"), "sso");
    assert_eq!(config.get("k8studio-sso", "sso_account_id"), account);
    assert_eq!(
        config.get("k8studio-sso", "sso_role_name"),
        "K8StudioEKSExec"
    );
    assert_eq!(config.get("k8studio-sso", "region"), "us-east-1");

    run.assert_replan_empty();
    run.destroy_and_assert_clean();
}

#[test]
fn multi_cluster_example_grants_two_clusters_and_a_second_account() {
    let second = "444455556666";
    let region = "eu-west-1";
    let run = Run::start(
        "multi-cluster",
        region,
        json!({
            "config": delays(),
            "sso": {"region": region, "groups": ["Platform_Admins"]},
            "management_account": ACCOUNT,
            "accounts": {
                MEMBER: {"org_role": ORG_ROLE, "clusters": [
                    {"region": region, "name": "prod"},
                    {"region": region, "name": "staging"},
                ]},
                second: {"org_role": ORG_ROLE, "clusters": [{"region": region, "name": "analytics"}]},
            },
        }),
        &[("account_id", MEMBER), ("second_account_id", second)],
    );
    run.validate_and_apply();

    // One reserved role per account, each with the eu-west-1 path segment
    // and its own suffix.
    let roles = run.tf.output("reserved_role_arns");
    let role_in = |account: &str| -> String {
        let arn = roles[account]
            .as_str()
            .unwrap_or_else(|| panic!("no reserved role for {account}: {roles}"))
            .to_string();
        let prefix =
            format!("arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/{region}/");
        let name = arn
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{arn} does not start with {prefix}"));
        assert_reserved_role_name(name, "EKSPlatformAdmin");
        arn
    };
    let first_role = role_in(MEMBER);
    let second_role = role_in(second);
    assert_ne!(
        first_role.rsplit('_').next(),
        second_role.rsplit('_').next(),
        "each account's reserved role has its own suffix"
    );

    // One permission set, assigned to both accounts; each cluster's entry
    // maps the reserved role of its own account.
    let state = run.emulator.state();
    permission_set(&state, "EKSPlatformAdmin");
    let mut assigned: Vec<&str> = state["assignments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["account"].as_str())
        .collect();
    assigned.sort_unstable();
    assert_eq!(assigned, [MEMBER, second], "{state}");
    for (account, cluster, role) in [
        (MEMBER, "prod", &first_role),
        (MEMBER, "staging", &first_role),
        (second, "analytics", &second_role),
    ] {
        let entries = entries_on(&state, account, region, cluster);
        assert_eq!(entries.len(), 1, "{account}/{cluster}: {state}");
        assert_eq!(entries[0]["principal_arn"], role.as_str());
        assert_eq!(entries[0]["policies"][0]["policy_arn"], CLUSTER_ADMIN);
    }
    assert_eq!(
        state["access_entries"].as_array().map(Vec::len),
        Some(3),
        "no entry anywhere else: {state}"
    );

    // A kubeconfig per cluster, each naming its account's profile, and one
    // config file the AWS CLI accepts with both profiles.
    let kubeconfigs = run.tf.output("kubeconfigs");
    for (account, cluster) in [(MEMBER, "prod"), (MEMBER, "staging"), (second, "analytics")] {
        let text = kubeconfigs[format!("{account}/{cluster}")]
            .as_str()
            .unwrap_or_else(|| panic!("no kubeconfig for {account}/{cluster}: {kubeconfigs}"));
        let view = assert_sso_kubeconfig(
            text,
            cluster,
            region,
            &format!("EKSPlatformAdmin-{account}"),
        );
        assert_eq!(
            view["current-context"],
            format!("arn:aws:eks:{region}:{account}:cluster/{cluster}")
        );
    }
    let text = run.output_str("aws_config");
    assert_eq!(
        text.matches("[sso-session sso]").count(),
        1,
        "one shared sso-session section:\n{text}"
    );
    let config = AwsConfigFile::new(&text);
    for account in [MEMBER, second] {
        let profile = format!("EKSPlatformAdmin-{account}");
        assert_eq!(config.get(&profile, "sso_account_id"), account);
        assert_eq!(config.get(&profile, "sso_role_name"), "EKSPlatformAdmin");
        assert_eq!(config.get(&profile, "sso_session"), "sso");
    }

    run.assert_replan_empty();
    run.destroy_and_assert_clean();
}

#[test]
fn module_consumer_applies_one_module_per_permission_set_with_for_each() {
    let region = "eu-west-1";
    let run = Run::start_with_module(
        "module-consumer",
        "sso-eks-access",
        region,
        json!({
            "config": delays(),
            "sso": {"region": region, "groups": ["Platform_Admins", "Developers", "Auditors"]},
            "management_account": ACCOUNT,
            "accounts": {MEMBER: {"org_role": ORG_ROLE, "clusters": [
                {"region": region, "name": "prod"},
                {"region": region, "name": "staging"},
            ]}},
        }),
        &[("account_id", MEMBER)],
    );
    run.validate_and_apply();

    // One module instance, permission set and reserved role per entry of
    // the for_each map, each with its own suffix.
    let roles = run.tf.output("reserved_role_arns");
    let sets = ["EKSAuditor", "EKSDeveloper", "EKSPlatformAdmin"];
    let prefix = format!("arn:aws:iam::{MEMBER}:role/aws-reserved/sso.amazonaws.com/{region}/");
    let mut role_of = std::collections::BTreeMap::new();
    for set in sets {
        let arn = roles[set]
            .as_str()
            .unwrap_or_else(|| panic!("no reserved role for {set}: {roles}"));
        let name = arn
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{arn} does not start with {prefix}"));
        assert_reserved_role_name(name, set);
        role_of.insert(set, arn.to_string());
    }
    let state = run.emulator.state();
    for set in sets {
        permission_set(&state, set);
    }
    let assigned = state["assignments"].as_array().map(Vec::len);
    assert_eq!(
        assigned,
        Some(3),
        "one assignment per permission set: {state}"
    );

    // The clusters each set reaches, with its policies and scopes.
    let policies_on = |cluster: &str, set: &str| -> Vec<(String, Value)> {
        let entries = entries_on(&state, MEMBER, region, cluster);
        let entry = entries
            .iter()
            .find(|e| e["principal_arn"] == role_of[set].as_str());
        let mut got: Vec<(String, Value)> = entry
            .map(|e| {
                e["policies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        let scope = &p["access_scope"];
                        let mut ns: Vec<&str> = scope["namespaces"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .collect();
                        ns.sort_unstable();
                        (
                            p["policy_arn"].as_str().unwrap_or_default().to_string(),
                            json!({"type": scope["type"], "namespaces": ns}),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        got
    };
    let cluster_scope = json!({"type": "cluster", "namespaces": []});
    for cluster in ["prod", "staging"] {
        assert_eq!(
            policies_on(cluster, "EKSPlatformAdmin"),
            [(CLUSTER_ADMIN.to_string(), cluster_scope.clone())]
        );
        assert_eq!(
            policies_on(cluster, "EKSAuditor"),
            [(VIEW.to_string(), cluster_scope.clone())]
        );
    }
    assert!(
        policies_on("prod", "EKSDeveloper").is_empty(),
        "developers only reach staging: {state}"
    );
    assert_eq!(
        policies_on("staging", "EKSDeveloper"),
        [
            (
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy".to_string(),
                json!({"type": "namespace", "namespaces": ["apps", "team-*"]})
            ),
            (VIEW.to_string(), cluster_scope.clone()),
        ]
    );
    assert_eq!(
        state["access_entries"].as_array().map(Vec::len),
        Some(5),
        "2 + 1 + 2 access entries: {state}"
    );

    run.assert_replan_empty();
    run.destroy_and_assert_clean();
}

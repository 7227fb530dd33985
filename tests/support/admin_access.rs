//! Shared pieces of the `eks_sso_admin_access` acceptance tests: an emulator
//! with Identity Center, clusters and realistic delays; an HCL builder for the
//! resource; out-of-band AWS changes (tests/support/aws_oob.py); and readers
//! of the emulator's state dump.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::ACCOUNT;
use super::emulator::Emulator;
use super::paths;
use super::terraform::{Output, PlanSummary, Tf, hcl_string, provider_config};

/// The resource type under test.
pub const TYPE: &str = "eks_sso_admin_access";

/// Emulator delays (seconds) used unless a test needs others: every async step
/// takes real time, so waits and IAM-propagation retries are exercised.
pub fn default_delays() -> Value {
    json!({
        "assignment_delay": 0.6,
        "provisioning_delay": 0.5,
        "deletion_delay": 0.4,
        "role_visibility_delay": 0.6,
        "eks_principal_delay": 0.3,
    })
}

/// The ARN EKS gives an access policy short name.
pub fn access_policy_arn(short: &str) -> String {
    format!("arn:aws:eks::aws:cluster-access-policy/{short}")
}

pub const VIEW_ONLY: &str = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";

/// What an environment starts with.
pub struct Setup<'a> {
    /// The provider (EKS) region; clusters live here.
    pub region: &'a str,
    /// The Identity Center home region.
    pub sso_region: &'a str,
    pub groups: &'a [&'a str],
    pub users: &'a [&'a str],
    /// `(cluster name, authentication mode)` in `ACCOUNT` and `region`.
    pub clusters: &'a [(&'a str, &'a str)],
    pub delays: Value,
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Setup {
            region: "us-east-1",
            sso_region: "us-east-1",
            groups: &["EKS_Cluster_Admins"],
            users: &[],
            clusters: &[("prod", "API")],
            delays: default_delays(),
        }
    }
}

/// One test's private world: an emulator with an Identity Center instance,
/// clusters, and a Terraform working directory pointed at it.
pub struct Env {
    pub emulator: Emulator,
    pub tf: Tf,
    pub region: String,
    pub sso_region: String,
    pub instance_arn: String,
    pub identity_store_id: String,
    /// Display name or user name -> identity-store ID.
    pub groups: BTreeMap<String, String>,
    pub users: BTreeMap<String, String>,
}

impl Env {
    pub fn start(setup: Setup<'_>) -> Env {
        let emulator = Emulator::start();
        emulator.config(setup.delays.clone());
        let sso = emulator.sso_setup(json!({
            "region": setup.sso_region,
            "groups": setup.groups,
            "users": setup.users,
        }));
        let ids = |key: &str| -> BTreeMap<String, String> {
            sso[key]
                .as_object()
                .unwrap_or_else(|| panic!("no {key} in {sso}"))
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        };
        let groups = ids("groups");
        let users = ids("users");
        for (name, mode) in setup.clusters {
            emulator.create_cluster(json!({
                "account": ACCOUNT,
                "region": setup.region,
                "name": name,
                "authentication_mode": mode,
            }));
        }
        let tf = Tf::with_region(&emulator, setup.region);
        Env {
            instance_arn: str_at(&sso, "instance_arn").to_string(),
            identity_store_id: str_at(&sso, "identity_store_id").to_string(),
            tf,
            emulator,
            region: setup.region.to_string(),
            sso_region: setup.sso_region.to_string(),
            groups,
            users,
        }
    }

    /// A second, empty Terraform working directory against the same emulator.
    pub fn new_tf(&self) -> Tf {
        Tf::with_region(&self.emulator, &self.region)
    }

    /// Provider block (endpoints + `sso { region }`) followed by `body`.
    pub fn config(&self, body: &str) -> String {
        let sso = format!(
            "  sso {{\n    region = {}\n  }}\n",
            hcl_string(&self.sso_region)
        );
        format!(
            "{}\n{body}",
            provider_config(&self.emulator, &self.region, &sso)
        )
    }

    /// Writes the provider block and `grants` (each with an output of the
    /// whole resource) to main.tf of the main working directory.
    pub fn write(&self, grants: &[&Grant]) {
        self.tf.write(&self.config(&render_all(grants)));
    }

    pub fn group_id(&self, name: &str) -> &str {
        self.groups
            .get(name)
            .unwrap_or_else(|| panic!("no group {name}"))
    }

    pub fn user_id(&self, name: &str) -> &str {
        self.users
            .get(name)
            .unwrap_or_else(|| panic!("no user {name}"))
    }

    /// Runs tests/support/aws_oob.py against this emulator (boto3, real API
    /// calls) with `region` for the regional client.
    pub fn oob(&self, region: &str, args: &[&str]) -> Value {
        let script = paths::repo_root().join("tests/support/aws_oob.py");
        let mut cmd = Command::new(paths::venv_python());
        cmd.arg(&script)
            .arg("--endpoint")
            .arg(self.emulator.endpoint())
            .arg("--region")
            .arg(region)
            .args(args)
            .current_dir(paths::repo_root());
        paths::scrub_env(&mut cmd);
        cmd.env("HOME", self.emulator.dir())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
        let out = cmd.output().expect("run tests/support/aws_oob.py");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "aws_oob {args:?} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("aws_oob printed non-JSON ({e}): {stdout}"))
    }

    /// One boto3 call in the cluster region (EKS) or global service (IAM).
    pub fn call(&self, service: &str, method: &str, params: Value) -> Value {
        let region = if service == "sso-admin" || service == "identitystore" {
            self.sso_region.clone()
        } else {
            self.region.clone()
        };
        self.oob(&region, &["call", service, method, &params.to_string()])
    }

    /// Creates a permission set outside Terraform (no assignment).
    pub fn create_permission_set(&self, name: &str) -> String {
        let out = self.call(
            "sso-admin",
            "create_permission_set",
            json!({
                "InstanceArn": self.instance_arn,
                "Name": name,
                "Description": "created outside Terraform",
                "SessionDuration": "PT2H",
            }),
        );
        str_at(&out["PermissionSet"], "PermissionSetArn").to_string()
    }

    pub fn state(&self) -> Value {
        self.emulator.state()
    }

    /// Assigns `ps_arn` to group `group` in `account` outside Terraform, as a
    /// console user would, and waits for it. Returns the reserved role's ARN
    /// when `account` is the test credentials' own (`ACCOUNT`).
    pub fn assign_group(&self, ps_arn: &str, account: &str, group: &str) -> Option<String> {
        let out = self.oob(
            &self.sso_region,
            &[
                "assign",
                "--instance-arn",
                &self.instance_arn,
                "--permission-set-arn",
                ps_arn,
                "--account",
                account,
                "--principal-type",
                "GROUP",
                "--principal-id",
                self.group_id(group),
            ],
        );
        out["role_arn"].as_str().map(str::to_string)
    }

    /// An access entry for `principal` on `cluster`, made outside Terraform,
    /// with one access policy (cluster-wide when `namespaces` is empty).
    pub fn create_entry_by_hand(
        &self,
        cluster: &str,
        principal: &str,
        policy: &str,
        namespaces: &[&str],
    ) {
        self.call(
            "eks",
            "create_access_entry",
            json!({"clusterName": cluster, "principalArn": principal}),
        );
        let scope = if namespaces.is_empty() {
            json!({"type": "cluster"})
        } else {
            json!({"type": "namespace", "namespaces": namespaces})
        };
        self.call(
            "eks",
            "associate_access_policy",
            json!({
                "clusterName": cluster,
                "principalArn": principal,
                "policyArn": access_policy_arn(policy),
                "accessScope": scope,
            }),
        );
    }
}

/// `permission_set { ... }` of a grant.
#[derive(Clone, Debug)]
pub struct PermissionSet {
    pub name: String,
    pub description: Option<String>,
    pub session_duration: Option<String>,
    pub managed_policy_arns: Vec<String>,
    /// A raw HCL expression, e.g. `jsonencode({...})` or a heredoc.
    pub inline_policy: Option<String>,
}

impl PermissionSet {
    pub fn named(name: &str) -> PermissionSet {
        PermissionSet {
            name: name.to_string(),
            description: None,
            session_duration: None,
            managed_policy_arns: Vec::new(),
            inline_policy: None,
        }
    }
}

/// One `access_policy { ... }` block.
#[derive(Clone, Debug)]
pub struct AccessPolicy {
    pub policy: String,
    pub namespaces: Option<Vec<String>>,
}

impl AccessPolicy {
    pub fn cluster(policy: &str) -> AccessPolicy {
        AccessPolicy {
            policy: policy.to_string(),
            namespaces: None,
        }
    }

    pub fn namespaced(policy: &str, namespaces: &[&str]) -> AccessPolicy {
        AccessPolicy {
            policy: policy.to_string(),
            namespaces: Some(namespaces.iter().map(|s| s.to_string()).collect()),
        }
    }
}

/// An `eks_sso_admin_access` resource, rendered to HCL.
#[derive(Clone, Debug)]
pub struct Grant {
    pub label: String,
    pub account_id: String,
    pub cluster_names: Vec<String>,
    pub groups: Vec<String>,
    pub users: Vec<String>,
    pub permission_set: Option<PermissionSet>,
    pub permission_set_arn: Option<String>,
    pub access_policies: Vec<AccessPolicy>,
    pub kubernetes_groups: Vec<String>,
    pub kubernetes_username: Option<String>,
    /// Raw HCL pasted inside the resource block.
    pub extra: String,
}

impl Grant {
    /// A grant of `ps` to group `EKS_Cluster_Admins` on `clusters` with
    /// cluster-scope `AmazonEKSClusterAdminPolicy`.
    pub fn new(label: &str, ps: PermissionSet, clusters: &[&str]) -> Grant {
        Grant {
            label: label.to_string(),
            account_id: ACCOUNT.to_string(),
            cluster_names: clusters.iter().map(|s| s.to_string()).collect(),
            groups: vec!["EKS_Cluster_Admins".to_string()],
            users: Vec::new(),
            permission_set: Some(ps),
            permission_set_arn: None,
            access_policies: vec![AccessPolicy::cluster("AmazonEKSClusterAdminPolicy")],
            kubernetes_groups: Vec::new(),
            kubernetes_username: None,
            extra: String::new(),
        }
    }

    pub fn address(&self) -> String {
        format!("{TYPE}.{}", self.label)
    }

    /// The resource block plus `output "<label>" { value = <resource> }`.
    pub fn render(&self) -> String {
        let mut h = format!("resource \"{TYPE}\" \"{}\" {{\n", self.label);
        h.push_str(&format!(
            "  account_id    = {}\n",
            hcl_string(&self.account_id)
        ));
        h.push_str(&format!(
            "  cluster_names = {}\n",
            hcl_list(&self.cluster_names)
        ));
        if !self.groups.is_empty() {
            h.push_str(&format!("  groups        = {}\n", hcl_list(&self.groups)));
        }
        if !self.users.is_empty() {
            h.push_str(&format!("  users         = {}\n", hcl_list(&self.users)));
        }
        if let Some(arn) = &self.permission_set_arn {
            h.push_str(&format!("  permission_set_arn = {}\n", hcl_string(arn)));
        }
        if let Some(ps) = &self.permission_set {
            h.push_str("\n  permission_set {\n");
            h.push_str(&format!("    name = {}\n", hcl_string(&ps.name)));
            if let Some(d) = &ps.description {
                h.push_str(&format!("    description = {}\n", hcl_string(d)));
            }
            if let Some(d) = &ps.session_duration {
                h.push_str(&format!("    session_duration = {}\n", hcl_string(d)));
            }
            if !ps.managed_policy_arns.is_empty() {
                h.push_str(&format!(
                    "    managed_policy_arns = {}\n",
                    hcl_list(&ps.managed_policy_arns)
                ));
            }
            if let Some(p) = &ps.inline_policy {
                h.push_str(&format!("    inline_policy = {p}\n"));
            }
            h.push_str("  }\n");
        }
        if !self.kubernetes_groups.is_empty() {
            h.push_str(&format!(
                "  kubernetes_groups = {}\n",
                hcl_list(&self.kubernetes_groups)
            ));
        }
        if let Some(u) = &self.kubernetes_username {
            h.push_str(&format!("  kubernetes_username = {}\n", hcl_string(u)));
        }
        for ap in &self.access_policies {
            h.push_str(&format!(
                "\n  access_policy {{\n    policy = {}\n",
                hcl_string(&ap.policy)
            ));
            if let Some(ns) = &ap.namespaces {
                h.push_str(&format!("    namespaces = {}\n", hcl_list(ns)));
            }
            h.push_str("  }\n");
        }
        h.push_str(&self.extra);
        h.push_str("}\n\n");
        h.push_str(&format!(
            "output \"{l}\" {{\n  value = {TYPE}.{l}\n}}\n",
            l = self.label
        ));
        h
    }
}

pub fn render_all(grants: &[&Grant]) -> String {
    grants
        .iter()
        .map(|g| g.render())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn hcl_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| hcl_string(s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// An inline policy as a `jsonencode(...)` expression allowing `actions`.
pub fn jsonencode_policy(actions: &[&str]) -> String {
    let acts: Vec<String> = actions.iter().map(|a| hcl_string(a)).collect();
    format!(
        "jsonencode({{\n      Version = \"2012-10-17\"\n      Statement = [{{\n        Sid      = \"EKS\"\n        Effect   = \"Allow\"\n        Action   = [{}]\n        Resource = \"*\"\n      }}]\n    }})",
        acts.join(", ")
    )
}

/// The JSON document `jsonencode_policy(actions)` produces, for comparisons.
pub fn policy_json(actions: &[&str]) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "EKS", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    })
}

// ---- terraform helpers ---------------------------------------------------------

/// Applies the plan saved by `Tf::plan` (file `tfplan`), so the change applied
/// is exactly the one whose actions were asserted.
pub fn apply_saved_plan(tf: &Tf) -> Duration {
    let start = Instant::now();
    tf.run_ok(&["apply", "-input=false", "-no-color", "tfplan"]);
    start.elapsed()
}

/// The `resource_changes` entry for `address` in a saved plan.
pub fn change<'a>(plan: &'a PlanSummary, address: &str) -> &'a Value {
    plan.json["resource_changes"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["address"] == address))
        .unwrap_or_else(|| panic!("{address} not in plan: {:#}", plan.json["resource_changes"]))
}

/// Asserts the plan updates `address` in place (no replacement) and changes
/// no other resource.
pub fn assert_in_place_update(plan: &PlanSummary, address: &str) {
    assert_eq!(
        plan.actions(address),
        Some(vec!["update".to_string()]),
        "expected an in-place update of {address}; plan: {:#}",
        plan.json["resource_changes"]
    );
    for c in &plan.changes {
        if c.address != address {
            assert!(
                c.actions.iter().all(|a| a == "no-op" || a == "read"),
                "unexpected change to {}: {:?}",
                c.address,
                c.actions
            );
        }
    }
}

/// Asserts a re-plan finds nothing to do, showing the plan if it does.
pub fn assert_plan_empty(tf: &Tf, context: &str) {
    if !tf.plan_is_empty() {
        let out = tf.plan_raw();
        panic!("{context}: expected an empty plan\n{out}");
    }
}

/// The `values` of `address` in `terraform show -json` (the state).
pub fn state_values(tf: &Tf, address: &str) -> Option<Value> {
    let state = tf.show_state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|list| list.iter().find(|r| r["address"] == address))
        .map(|r| r["values"].clone())
}

// ---- emulator state ------------------------------------------------------------

pub fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing or not a string in {v}"))
}

fn list<'a>(state: &'a Value, key: &str) -> &'a [Value] {
    state[key]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("no {key} list in emulator state {state}"))
}

pub fn permission_set_named<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    list(state, "permission_sets")
        .iter()
        .find(|p| p["name"] == name)
}

pub fn permission_set_by_arn<'a>(state: &'a Value, arn: &str) -> Option<&'a Value> {
    list(state, "permission_sets")
        .iter()
        .find(|p| p["arn"] == arn)
}

pub fn assignments_of<'a>(state: &'a Value, ps_arn: &str) -> Vec<&'a Value> {
    list(state, "assignments")
        .iter()
        .filter(|a| a["permission_set_arn"] == ps_arn)
        .collect()
}

pub fn reserved_roles_of<'a>(state: &'a Value, ps_arn: &str) -> Vec<&'a Value> {
    list(state, "reserved_roles")
        .iter()
        .filter(|r| r["permission_set_arn"] == ps_arn)
        .collect()
}

/// The single reserved role of a permission set.
pub fn reserved_role<'a>(state: &'a Value, ps_arn: &str) -> &'a Value {
    let roles = reserved_roles_of(state, ps_arn);
    assert_eq!(
        roles.len(),
        1,
        "expected one reserved role for {ps_arn}: {roles:#?}"
    );
    roles[0]
}

pub fn entries_on<'a>(state: &'a Value, cluster: &str) -> Vec<&'a Value> {
    list(state, "access_entries")
        .iter()
        .filter(|e| e["cluster"] == cluster)
        .collect()
}

/// The access entry of `principal` on `cluster`.
pub fn entry<'a>(state: &'a Value, cluster: &str, principal: &str) -> &'a Value {
    entries_on(state, cluster)
        .into_iter()
        .find(|e| e["principal_arn"] == principal)
        .unwrap_or_else(|| {
            panic!(
                "no access entry for {principal} on {cluster}: {:#}",
                state["access_entries"]
            )
        })
}

/// `policy ARN -> access scope` of an entry.
pub fn associations(entry: &Value) -> BTreeMap<String, Value> {
    entry["policies"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    (
                        str_at(p, "policy_arn").to_string(),
                        p["access_scope"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The namespaces of a namespace scope, sorted; `None` for cluster scope.
pub fn scope_namespaces(scope: &Value) -> Option<Vec<String>> {
    if scope["type"] == "cluster" {
        return None;
    }
    assert_eq!(scope["type"], "namespace", "unexpected scope {scope}");
    let mut ns: Vec<String> = scope["namespaces"]
        .as_array()
        .unwrap_or_else(|| panic!("no namespaces in {scope}"))
        .iter()
        .map(|n| n.as_str().unwrap_or_default().to_string())
        .collect();
    ns.sort();
    Some(ns)
}

/// True when two JSON policy texts mean the same document.
pub fn same_json(a: &str, b: &Value) -> bool {
    serde_json::from_str::<Value>(a).is_ok_and(|v| v == *b)
}

/// Asserts that the emulator holds nothing the grant created: no association,
/// access entry, assignment, reserved role or (unless `keep_ps`) permission set.
pub fn assert_nothing_left(env: &Env, keep_ps: Option<&str>) {
    let state = env.state();
    let entries = list(&state, "access_entries");
    assert!(entries.is_empty(), "access entries left: {entries:#?}");
    let assignments = list(&state, "assignments");
    assert!(assignments.is_empty(), "assignments left: {assignments:#?}");
    let roles = list(&state, "reserved_roles");
    assert!(roles.is_empty(), "reserved roles left: {roles:#?}");
    let iam_reserved: Vec<&Value> = list(&state, "iam_roles")
        .iter()
        .filter(|r| {
            r["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("AWSReservedSSO_"))
        })
        .collect();
    assert!(
        iam_reserved.is_empty(),
        "reserved roles left in IAM: {iam_reserved:#?}"
    );
    let sets: Vec<&Value> = list(&state, "permission_sets")
        .iter()
        .filter(|p| Some(p["arn"].as_str().unwrap_or_default()) != keep_ps)
        .collect();
    assert!(sets.is_empty(), "permission sets left: {sets:#?}");
}

/// The tag key of the provider's in-flight mark (see
/// `src/resources/sso_admin_access/in_flight.rs`).
pub const IN_FLIGHT_MARK: &str =
    terraform_provider_eks::resources::sso_admin_access::in_flight::MARK_KEY;

/// Asserts that no permission set and no access entry still carries the
/// in-flight mark: every apply that finished removed its own.
pub fn assert_no_in_flight_marks(env: &Env) {
    let state = env.state();
    for ps in list(&state, "permission_sets") {
        assert!(
            ps["tags"].get(IN_FLIGHT_MARK).is_none(),
            "permission set still marked in flight: {ps:#}"
        );
    }
    for e in list(&state, "access_entries") {
        assert!(
            e["tags"].get(IN_FLIGHT_MARK).is_none(),
            "access entry still marked in flight: {e:#}"
        );
    }
}

/// The full role ARN for a reserved role name, with the region path segment
/// Identity Center adds outside us-east-1.
pub fn reserved_role_arn(sso_region: &str, role_name: &str) -> String {
    format!(
        "arn:aws:iam::{ACCOUNT}:role{}{role_name}",
        reserved_path(sso_region)
    )
}

pub fn reserved_path(sso_region: &str) -> String {
    if sso_region == "us-east-1" {
        "/aws-reserved/sso.amazonaws.com/".to_string()
    } else {
        format!("/aws-reserved/sso.amazonaws.com/{sso_region}/")
    }
}

/// Terraform wraps diagnostic text to the terminal width, so a long message
/// (such as AWS's FailureReason) can span lines. This checks the diagnostics
/// (source excerpts excluded) with every run of whitespace folded to one space.
pub fn assert_says(out: &Output, needle: &str) {
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        fold(&out.diagnostics()).contains(&fold(needle)),
        "expected a diagnostic saying {needle:?}\n{out}"
    );
}

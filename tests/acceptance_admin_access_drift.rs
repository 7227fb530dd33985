//! Drift on `eks_sso_admin_access` (issue 3, acceptance 5; issue 11,
//! acceptance 7). Each change is made out of band through the real AWS APIs
//! (tests/support/aws_oob.py), must show in the plan, is repaired by one
//! apply, and is followed by an empty plan.
//!
//! The drift matrix: every kind of drift the resource detects, and where it
//! is exercised.
//!
//! | Drift made out of band                          | Plan changes                     | Test |
//! |-------------------------------------------------|----------------------------------|------|
//! | unset `session_duration` PT1H -> PT12H          | `permission_set.session_duration`| [`permission_set_drift_matrix`] |
//! | relay state set on a grant that sets none       | `permission_set.relay_state`     | [`permission_set_drift_matrix`] |
//! | description changed                             | `permission_set.description`     | [`permission_set_drift_matrix`] |
//! | inline policy changed (not provisioned)         | `permission_set.inline_policy`   | [`permission_set_drift_matrix`] |
//! | managed policy attached (not provisioned)       | `permission_set.managed_policy_arns` | [`permission_set_drift_matrix`] |
//! | permission set tag changed                      | `tags`                           | [`permission_set_drift_matrix`] |
//! | managed policy detached                         | `permission_set.managed_policy_arns` | [`sso_side_drift_policy_detached_and_role_recreated_with_new_suffix`] |
//! | reserved role recreated with a new suffix       | `reserved_role_arn`, `access_entries` | [`sso_side_drift_policy_detached_and_role_recreated_with_new_suffix`] |
//! | customer-managed reference added (provisioned or not) | `permission_set.customer_managed_policy` | [`sso_side_additions_to_a_grant_without_them_are_seen`] |
//! | permissions boundary added (not provisioned)    | `permission_set.permissions_boundary` | [`sso_side_additions_to_a_grant_without_them_are_seen`] |
//! | one group's assignment removed                  | `groups`                         | [`principal_and_cluster_drift_matrix`] |
//! | Kubernetes groups changed on the entry          | `kubernetes_groups`              | [`principal_and_cluster_drift_matrix`] |
//! | access policy disassociated                     | `access_policy`                  | [`principal_and_cluster_drift_matrix`] |
//! | extra access policy associated                  | `access_policy`                  | [`principal_and_cluster_drift_matrix`] |
//! | access entry deleted                            | `cluster_names`, `access_entries`| [`eks_side_drift_entry_deleted_and_scope_changed`] |
//! | namespace scope changed                         | `access_policy`                  | [`eks_side_drift_entry_deleted_and_scope_changed`] |
//!
//! Not detected, by design (README, "two blind spots"): tags added to a set
//! whose state has none, and a boundary added *and* provisioned to a set
//! whose state has none.

mod support;

use serde_json::{Value, json};
use support::ACCOUNT;
use support::admin_access::*;

const GROUP: &str = "EKS_Cluster_Admins";

fn grant() -> Grant {
    let mut ps = PermissionSet::named("EKSDrift");
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    let mut g = Grant::new("g", ps, &["prod"]);
    g.access_policies
        .push(AccessPolicy::namespaced("AmazonEKSViewPolicy", &["dev"]));
    g
}

/// Plans, asserts the drift shows as an in-place update of the grant, applies
/// that plan and asserts the next plan is empty. Returns the plan.
fn plan_repair(env: &Env, g: &Grant, what: &str) -> support::PlanSummary {
    let plan = env.tf.plan();
    assert_in_place_update(&plan, &g.address());
    apply_saved_plan(&env.tf);
    assert_plan_empty(&env.tf, &format!("after repairing {what}"));
    plan
}

/// The planned value at `path` in the change of `address`, or `None` when the
/// plan marks it unknown (known after apply).
fn planned(change: &Value, path: &[&str]) -> Option<Value> {
    let mut unknown = &change["change"]["after_unknown"];
    let mut after = &change["change"]["after"];
    for p in path {
        unknown = &unknown[*p];
        after = &after[*p];
        if unknown == &Value::Bool(true) {
            return None;
        }
    }
    Some(after.clone())
}

#[test]
fn eks_side_drift_entry_deleted_and_scope_changed() {
    let env = Env::start(Setup::default());
    let g = grant();
    env.write(&[&g]);
    env.tf.apply();
    let role = str_at(&env.tf.output("g"), "reserved_role_arn").to_string();

    // The access entry is deleted (its associations go with it).
    env.call(
        "eks",
        "delete_access_entry",
        json!({"clusterName": "prod", "principalArn": role}),
    );
    assert!(entries_on(&env.state(), "prod").is_empty());
    plan_repair(&env, &g, "a deleted access entry");
    let state = env.state();
    let assoc = associations(entry(&state, "prod", &role));
    assert_eq!(assoc.len(), 2, "{assoc:#?}");

    // A namespace scope is changed behind Terraform's back.
    let view = access_policy_arn("AmazonEKSViewPolicy");
    env.call(
        "eks",
        "associate_access_policy",
        json!({
            "clusterName": "prod",
            "principalArn": role,
            "policyArn": view,
            "accessScope": {"type": "namespace", "namespaces": ["kube-system"]},
        }),
    );
    assert_eq!(
        scope_namespaces(&associations(entry(&env.state(), "prod", &role))[&view]),
        Some(vec!["kube-system".to_string()])
    );
    plan_repair(&env, &g, "a changed namespace scope");
    let state = env.state();
    let assoc = associations(entry(&state, "prod", &role));
    assert_eq!(
        scope_namespaces(&assoc[&view]),
        Some(vec!["dev".to_string()])
    );
    assert_eq!(
        scope_namespaces(&assoc[&access_policy_arn("AmazonEKSClusterAdminPolicy")]),
        None
    );
}

#[test]
fn sso_side_drift_policy_detached_and_role_recreated_with_new_suffix() {
    let env = Env::start(Setup::default());
    let g = grant();
    env.write(&[&g]);
    env.tf.apply();
    let out = env.tf.output("g");
    let ps_arn = str_at(&out, "permission_set_arn").to_string();
    let old_role = str_at(&out, "reserved_role_arn").to_string();

    // A managed policy is detached from the permission set.
    env.call(
        "sso-admin",
        "detach_managed_policy_from_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn, "ManagedPolicyArn": VIEW_ONLY}),
    );
    assert_eq!(
        permission_set_by_arn(&env.state(), &ps_arn).unwrap()["managed_policies"],
        json!([])
    );
    plan_repair(&env, &g, "a detached managed policy");
    let state = env.state();
    assert_eq!(
        permission_set_by_arn(&state, &ps_arn).unwrap()["managed_policies"],
        json!([VIEW_ONLY])
    );
    let role = reserved_role(&state, &ps_arn);
    assert!(
        role["managed_policies"]
            .as_array()
            .unwrap()
            .contains(&json!(VIEW_ONLY)),
        "{role:#}"
    );

    // The assignment is removed and re-added: AWS deletes the role with the
    // last assignment and creates a new one with another suffix.
    let moved = env.oob(
        &env.sso_region,
        &[
            "reassign",
            "--instance-arn",
            &env.instance_arn,
            "--permission-set-arn",
            &ps_arn,
            "--account",
            ACCOUNT,
            "--principal-type",
            "GROUP",
            "--principal-id",
            env.group_id(GROUP),
        ],
    );
    assert_eq!(moved["old_role_arn"], old_role);
    let new_role = str_at(&moved, "new_role_arn").to_string();
    assert_ne!(new_role, old_role, "the emulator should give a new suffix");

    let plan = plan_repair(&env, &g, "a role recreated with a new suffix");
    let c = change(&plan, &g.address());
    // The update moves the entry to the new role.
    for path in [
        &["reserved_role_arn"][..],
        &["access_entries", "prod", "principal_arn"][..],
    ] {
        if let Some(v) = planned(c, path) {
            assert_eq!(v, json!(new_role), "planned {path:?}: {c:#}");
        }
    }
    let state = env.state();
    let entries = entries_on(&state, "prod");
    assert_eq!(entries.len(), 1, "the old entry must be gone: {entries:#?}");
    assert_eq!(associations(entry(&state, "prod", &new_role)).len(), 2);
    let out = env.tf.output("g");
    assert_eq!(out["reserved_role_arn"], new_role);
    assert_eq!(out["access_entries"]["prod"]["principal_arn"], new_role);
}

/// Refresh blind spots closed (issue 12): a customer-managed policy
/// reference or a permissions boundary added out of band to a grant that has
/// none shows in the plan, whether it was provisioned (as the console does)
/// or not, and one apply removes it again.
#[test]
fn sso_side_additions_to_a_grant_without_them_are_seen() {
    let env = Env::start(Setup::default());
    let g = grant();
    env.write(&[&g]);
    env.tf.apply();
    let ps_arn = str_at(&env.tf.output("g"), "permission_set_arn").to_string();
    env.call(
        "iam",
        "create_policy",
        json!({
            "PolicyName": "TeamExtra",
            "PolicyDocument": policy_json(&["s3:ListAllMyBuckets"]).to_string(),
        }),
    );
    let provision = |env: &Env| {
        let out = env.call(
            "sso-admin",
            "provision_permission_set",
            json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn,
                   "TargetId": ACCOUNT, "TargetType": "AWS_ACCOUNT"}),
        );
        let rid = str_at(&out["PermissionSetProvisioningStatus"], "RequestId").to_string();
        for _ in 0..100 {
            let s = env.call(
                "sso-admin",
                "describe_permission_set_provisioning_status",
                json!({"InstanceArn": env.instance_arn, "ProvisionPermissionSetRequestId": rid}),
            );
            if s["PermissionSetProvisioningStatus"]["Status"] != "IN_PROGRESS" {
                assert_eq!(
                    s["PermissionSetProvisioningStatus"]["Status"], "SUCCEEDED",
                    "{s}"
                );
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("provisioning did not finish");
    };

    // Attached and provisioned, as the console does it.
    env.call(
        "sso-admin",
        "attach_customer_managed_policy_reference_to_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn,
               "CustomerManagedPolicyReference": {"Name": "TeamExtra", "Path": "/"}}),
    );
    provision(&env);
    plan_repair(&env, &g, "a customer-managed policy added and provisioned");
    let state = env.state();
    assert_eq!(
        permission_set_by_arn(&state, &ps_arn).unwrap()["customer_managed_policies"],
        json!([])
    );

    // Attached, not provisioned: only the permission set knows.
    env.call(
        "sso-admin",
        "attach_customer_managed_policy_reference_to_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn,
               "CustomerManagedPolicyReference": {"Name": "TeamExtra", "Path": "/"}}),
    );
    plan_repair(&env, &g, "a customer-managed policy added, not provisioned");

    // A boundary, not provisioned.
    env.call(
        "sso-admin",
        "put_permissions_boundary_to_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ps_arn,
               "PermissionsBoundary": {"ManagedPolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}}),
    );
    plan_repair(&env, &g, "a permissions boundary added, not provisioned");
    assert!(
        permission_set_by_arn(&env.state(), &ps_arn).unwrap()["permissions_boundary"].is_null(),
        "the boundary was removed again"
    );
}

/// What the tests of the matrix need to name AWS objects.
struct Ids {
    ps_arn: String,
    role_arn: String,
}

/// One row of the drift matrix: the change made out of band, the attribute
/// the plan must change, and what AWS must hold again after one apply.
struct Drift {
    what: &'static str,
    attribute: &'static [&'static str],
    make: fn(&Env, &Ids),
    holds: fn(&Env, &Ids) -> Result<(), String>,
}

/// The value at `path`, descending into a single nested block whether the
/// plan JSON renders it as an object or a one-element list.
fn value_at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    let mut cur = v;
    for p in path {
        if let Value::Array(items) = cur
            && items.len() == 1
            && items[0].is_object()
        {
            cur = &items[0];
        }
        cur = &cur[*p];
    }
    cur
}

/// Whether the planned change of `c` changes the attribute at `path`.
fn changes(c: &Value, path: &[&str]) -> bool {
    let change = &c["change"];
    value_at(&change["after_unknown"], path) == &Value::Bool(true)
        || value_at(&change["before"], path) != value_at(&change["after"], path)
}

/// Runs each row in turn on one grant: make the change, plan (an in-place
/// update changing the row's attribute), apply that plan, check AWS, and
/// expect an empty plan. Returns the rows that failed, with why.
fn run_matrix(env: &Env, g: &Grant, ids: &Ids, rows: &[Drift]) -> Vec<String> {
    let mut failures = Vec::new();
    for row in rows {
        (row.make)(env, ids);
        let plan = env.tf.plan();
        assert_in_place_update(&plan, &g.address());
        let c = change(&plan, &g.address());
        if !changes(c, row.attribute) {
            failures.push(format!(
                "{}: the plan does not change {:?}: {:#}",
                row.what, row.attribute, c["change"]
            ));
        }
        apply_saved_plan(&env.tf);
        if let Err(e) = (row.holds)(env, ids) {
            failures.push(format!("{}: after one apply, {e}", row.what));
        }
        if !env.tf.plan_is_empty() {
            failures.push(format!(
                "{}: the plan after the repair is not empty:\n{}",
                row.what,
                env.tf.plan_raw()
            ));
        }
    }
    failures
}

fn ids(env: &Env, g: &Grant) -> Ids {
    let out = env.tf.output(&g.label);
    Ids {
        ps_arn: str_at(&out, "permission_set_arn").to_string(),
        role_arn: str_at(&out, "reserved_role_arn").to_string(),
    }
}

fn describe_ps(env: &Env, ids: &Ids) -> Value {
    env.call(
        "sso-admin",
        "describe_permission_set",
        json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ids.ps_arn}),
    )["PermissionSet"]
        .clone()
}

/// UpdatePermissionSet as a console user would send it: every field given.
fn update_ps(env: &Env, ids: &Ids, fields: Value) {
    let mut params = json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ids.ps_arn});
    if let (Some(p), Some(f)) = (params.as_object_mut(), fields.as_object()) {
        p.extend(f.clone());
    }
    env.call("sso-admin", "update_permission_set", params);
}

/// The set is provisioned with its latest version (the repair reached the
/// reserved role, not only Identity Center).
fn provisioned(env: &Env, ids: &Ids) -> Result<(), String> {
    let stale = env.call(
        "sso-admin",
        "list_permission_sets_provisioned_to_account",
        json!({"InstanceArn": env.instance_arn, "AccountId": ACCOUNT,
               "ProvisioningStatus": "LATEST_PERMISSION_SET_NOT_PROVISIONED"}),
    );
    let listed = stale["PermissionSets"]
        .as_array()
        .is_some_and(|a| a.contains(&json!(ids.ps_arn)));
    if listed {
        Err("the permission set is not provisioned with its latest version".into())
    } else {
        Ok(())
    }
}

fn expect(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

const INITIAL_DESCRIPTION: &str = "EKS admins";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/// Drift of the permission set's own attributes, AWS's default for an unset
/// `session_duration` and an unset relay state included (issue 11), on one
/// grant: description set, session duration and relay state unset, an
/// inline and a managed policy, and a tag.
#[test]
fn permission_set_drift_matrix() {
    let env = Env::start(Setup::default());
    let mut ps = PermissionSet::named("EKSDriftAttrs");
    ps.description = Some(INITIAL_DESCRIPTION.into());
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    ps.inline_policy = Some(jsonencode_policy(&["eks:DescribeCluster"]));
    let mut g = Grant::new("g", ps, &["prod"]);
    g.extra = "  tags = { team = \"platform\" }\n".into();
    env.write(&[&g]);
    env.tf.apply();
    let ids = ids(&env, &g);
    assert_eq!(describe_ps(&env, &ids)["SessionDuration"], "PT1H");

    let rows = [
        Drift {
            what: "unset session_duration changed from AWS's PT1H to PT12H",
            attribute: &["permission_set", "session_duration"],
            make: |env, ids| {
                update_ps(
                    env,
                    ids,
                    json!({"Description": INITIAL_DESCRIPTION, "SessionDuration": "PT12H"}),
                )
            },
            holds: |env, ids| {
                let d = describe_ps(env, ids);
                expect(d["SessionDuration"] == "PT1H", || format!("AWS holds {d}"))?;
                provisioned(env, ids)
            },
        },
        Drift {
            what: "relay state set on a grant that sets none",
            attribute: &["permission_set", "relay_state"],
            make: |env, ids| {
                update_ps(
                    env,
                    ids,
                    json!({"Description": INITIAL_DESCRIPTION, "SessionDuration": "PT1H",
                           "RelayState": "https://console.aws.amazon.com/eks/home"}),
                )
            },
            holds: |env, ids| {
                let d = describe_ps(env, ids);
                expect(d.get("RelayState").is_none(), || format!("AWS holds {d}"))
            },
        },
        Drift {
            what: "description changed",
            attribute: &["permission_set", "description"],
            make: |env, ids| {
                update_ps(
                    env,
                    ids,
                    json!({"Description": "changed by hand", "SessionDuration": "PT1H"}),
                )
            },
            holds: |env, ids| {
                let d = describe_ps(env, ids);
                expect(d["Description"] == INITIAL_DESCRIPTION, || {
                    format!("AWS holds {d}")
                })
            },
        },
        Drift {
            what: "inline policy changed, not provisioned",
            attribute: &["permission_set", "inline_policy"],
            make: |env, ids| {
                env.call(
                    "sso-admin",
                    "put_inline_policy_to_permission_set",
                    json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ids.ps_arn,
                           "InlinePolicy": policy_json(&["s3:*"]).to_string()}),
                );
            },
            holds: |env, ids| {
                let got = env.call(
                    "sso-admin",
                    "get_inline_policy_for_permission_set",
                    json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ids.ps_arn}),
                );
                let text = str_at(&got, "InlinePolicy");
                expect(
                    same_json(text, &policy_json(&["eks:DescribeCluster"])),
                    || format!("AWS holds {text}"),
                )?;
                provisioned(env, ids)
            },
        },
        Drift {
            what: "managed policy attached, not provisioned",
            attribute: &["permission_set", "managed_policy_arns"],
            make: |env, ids| {
                env.call(
                    "sso-admin",
                    "attach_managed_policy_to_permission_set",
                    json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ids.ps_arn,
                           "ManagedPolicyArn": READ_ONLY}),
                );
            },
            holds: |env, ids| {
                let got = env.call(
                    "sso-admin",
                    "list_managed_policies_in_permission_set",
                    json!({"InstanceArn": env.instance_arn, "PermissionSetArn": ids.ps_arn}),
                );
                let arns: Vec<&Value> = got["AttachedManagedPolicies"]
                    .as_array()
                    .map(|a| a.iter().map(|p| &p["Arn"]).collect())
                    .unwrap_or_default();
                expect(arns == [&json!(VIEW_ONLY)], || {
                    format!("AWS holds {arns:?}")
                })?;
                provisioned(env, ids)
            },
        },
        Drift {
            what: "permission set tag changed",
            attribute: &["tags"],
            make: |env, ids| {
                env.call(
                    "sso-admin",
                    "tag_resource",
                    json!({"InstanceArn": env.instance_arn, "ResourceArn": ids.ps_arn,
                           "Tags": [{"Key": "team", "Value": "changed-by-hand"}]}),
                );
            },
            holds: |env, ids| {
                let got = env.call(
                    "sso-admin",
                    "list_tags_for_resource",
                    json!({"InstanceArn": env.instance_arn, "ResourceArn": ids.ps_arn}),
                );
                let tags = &got["Tags"];
                expect(
                    *tags == json!([{"Key": "team", "Value": "platform"}]),
                    || format!("AWS holds {tags}"),
                )
            },
        },
    ];
    let failures = run_matrix(&env, &g, &ids, &rows);
    assert!(
        failures.is_empty(),
        "{} of {} drift kinds not repaired:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

const OPERATORS: &str = "EKS_Cluster_Operators";

/// Drift of the principals and of the EKS side, on a grant to two groups
/// (so removing one assignment keeps the reserved role) with a cluster-wide
/// and a namespaced access policy.
#[test]
fn principal_and_cluster_drift_matrix() {
    let env = Env::start(Setup {
        groups: &[GROUP, OPERATORS],
        ..Setup::default()
    });
    let mut g = grant();
    g.groups.push(OPERATORS.into());
    env.write(&[&g]);
    env.tf.apply();
    let ids = ids(&env, &g);

    fn entry_of(env: &Env, ids: &Ids) -> Value {
        env.call(
            "eks",
            "describe_access_entry",
            json!({"clusterName": "prod", "principalArn": ids.role_arn}),
        )["accessEntry"]
            .clone()
    }
    fn policies_of(env: &Env, ids: &Ids) -> Vec<String> {
        let got = env.call(
            "eks",
            "list_associated_access_policies",
            json!({"clusterName": "prod", "principalArn": ids.role_arn}),
        );
        let mut arns: Vec<String> = got["associatedAccessPolicies"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p["policyArn"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        arns.sort();
        arns
    }
    fn configured_policies() -> Vec<String> {
        let mut want = vec![
            access_policy_arn("AmazonEKSClusterAdminPolicy"),
            access_policy_arn("AmazonEKSViewPolicy"),
        ];
        want.sort();
        want
    }

    let rows = [
        Drift {
            what: "one group's assignment removed",
            attribute: &["groups"],
            make: |env, ids| {
                env.oob(
                    &env.sso_region,
                    &[
                        "unassign",
                        "--instance-arn",
                        &env.instance_arn,
                        "--permission-set-arn",
                        &ids.ps_arn,
                        "--account",
                        ACCOUNT,
                        "--principal-type",
                        "GROUP",
                        "--principal-id",
                        env.group_id(OPERATORS),
                    ],
                );
            },
            holds: |env, ids| {
                let got = env.call(
                    "sso-admin",
                    "list_account_assignments",
                    json!({"InstanceArn": env.instance_arn, "AccountId": ACCOUNT,
                           "PermissionSetArn": ids.ps_arn}),
                );
                let mut principals: Vec<&str> = got["AccountAssignments"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|x| x["PrincipalId"].as_str()).collect())
                    .unwrap_or_default();
                principals.sort();
                let mut want = vec![env.group_id(GROUP), env.group_id(OPERATORS)];
                want.sort();
                expect(principals == want, || format!("AWS assigns {principals:?}"))
            },
        },
        Drift {
            what: "Kubernetes groups changed on the access entry",
            attribute: &["kubernetes_groups"],
            make: |env, ids| {
                env.call(
                    "eks",
                    "update_access_entry",
                    json!({"clusterName": "prod", "principalArn": ids.role_arn,
                           "kubernetesGroups": ["added-by-hand"]}),
                );
            },
            holds: |env, ids| {
                let e = entry_of(env, ids);
                let groups = &e["kubernetesGroups"];
                let none = groups.as_array().is_none_or(Vec::is_empty);
                expect(none, || format!("the entry has groups {groups}"))
            },
        },
        Drift {
            what: "access policy disassociated",
            attribute: &["access_policy"],
            make: |env, ids| {
                env.call(
                    "eks",
                    "disassociate_access_policy",
                    json!({"clusterName": "prod", "principalArn": ids.role_arn,
                           "policyArn": access_policy_arn("AmazonEKSClusterAdminPolicy")}),
                );
            },
            holds: |env, ids| {
                let got = policies_of(env, ids);
                expect(got == configured_policies(), || {
                    format!("associated: {got:?}")
                })
            },
        },
        Drift {
            what: "extra access policy associated",
            attribute: &["access_policy"],
            make: |env, ids| {
                env.call(
                    "eks",
                    "associate_access_policy",
                    json!({"clusterName": "prod", "principalArn": ids.role_arn,
                           "policyArn": access_policy_arn("AmazonEKSEditPolicy"),
                           "accessScope": {"type": "cluster"}}),
                );
            },
            holds: |env, ids| {
                let got = policies_of(env, ids);
                expect(got == configured_policies(), || {
                    format!("associated: {got:?}")
                })
            },
        },
    ];
    let failures = run_matrix(&env, &g, &ids, &rows);
    assert!(
        failures.is_empty(),
        "{} of {} drift kinds not repaired:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

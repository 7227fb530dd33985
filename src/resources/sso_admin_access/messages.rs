//! The errors that need more than AWS's words: what happened, on which
//! object, and the exact way out.

use super::schema as s;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics, Severity};

/// The import ID for a grant: `<permission_set_arn>,<account_id>,<c1>+<c2>`.
pub fn import_id<'a>(
    ps_arn: &str,
    account: &str,
    clusters: impl IntoIterator<Item = &'a String>,
) -> String {
    let clusters: Vec<&str> = clusters.into_iter().map(String::as_str).collect();
    format!("{ps_arn},{account},{}", clusters.join("+"))
}

/// A permission set with the wanted name exists already, and no unfinished
/// create of this grant made it. Not retried: waiting cannot make the name
/// free. `marked_for` is the account named by the in-flight mark of another
/// grant's unfinished create, when the set carries one.
pub fn duplicate_permission_set(
    name: &str,
    instance: &str,
    existing_arn: Option<&str>,
    marked_for: Option<&str>,
    account: &str,
    clusters: &[String],
) -> Diagnostics {
    let arn = existing_arn.unwrap_or("<permission set ARN>");
    let mut found = match existing_arn {
        Some(a) => format!("({a}) "),
        None => String::new(),
    };
    if let Some(other) = marked_for {
        found.push_str(&format!(
            "(left unfinished by a grant for account {other}, not {account}, so it is not adopted here) "
        ));
    }
    let mut d = Diagnostics::new();
    d.attribute_error(
        AttributePath::attr(s::PERMISSION_SET).then_attr(s::NAME),
        "Permission set name already taken",
        format!(
            "A permission set named {name:?} {found}already exists in IAM Identity Center instance {instance}; names are unique per instance.\n\n\
             To manage that permission set with this resource, import it:\n\n  \
             terraform import {}.<name> '{}'\n\n\
             (or an `import {{ to = ..., id = \"...\" }}` block with the same ID). To use it without managing it, \
             replace the permission_set block with permission_set_arn = \"{arn}\". Otherwise choose another name.",
            s::TYPE_NAME,
            import_id(arn, account, clusters)
        ),
    );
    d
}

/// An access entry for the reserved role exists on a cluster, and this
/// resource did not make it. Taking it over would silently change (and
/// usually widen) access someone else granted, and a later destroy would
/// delete it, so the apply stops before touching it and says how to adopt
/// it deliberately instead.
pub fn entry_exists(
    cluster: &str,
    principal_arn: &str,
    ps_name: &str,
    ps_arn: &str,
    account: &str,
) -> Diagnostic {
    let id = import_id(ps_arn, account, [&cluster.to_string()]);
    Diagnostic {
        severity: Severity::Error,
        summary: format!("Cluster {cluster} already has an access entry for this permission set"),
        detail: format!(
            "EKS cluster {cluster} already has an access entry for {principal_arn}, the reserved role of permission \
             set {ps_name} ({ps_arn}) in account {account}. This resource did not create it, so it will not take it \
             over: its Kubernetes groups, username and access policies stay exactly as they are, and nothing was \
             changed on it.\n\n\
             To manage that entry (and the permission set's assignments in this account) with Terraform, import the \
             existing grant instead of creating a new one:\n\n  \
             import {{\n    to = {}.<name>\n    id = \"{id}\"\n  }}\n\n\
             or: terraform import {}.<name> '{id}'\n\n\
             Otherwise remove {cluster:?} from cluster_names, or delete the existing entry first if it is no longer \
             wanted (aws eks delete-access-entry --cluster-name {cluster} --principal-arn {principal_arn}).",
            s::TYPE_NAME,
            s::TYPE_NAME,
        ),
        attribute: Some(AttributePath::attr(s::CLUSTER_NAMES)),
    }
}

/// The cluster authenticates only through the aws-auth ConfigMap, so it
/// cannot hold access entries.
pub fn config_map_cluster(
    cluster: &str,
    mode: &str,
    role_without_path: Option<&str>,
    account: &str,
    ps_name: &str,
) -> Diagnostic {
    let role = role_without_path.map(str::to_string).unwrap_or_else(|| {
        format!("arn:aws:iam::{account}:role/AWSReservedSSO_{ps_name}_<suffix> (the exact value appears in reserved_role_arn_without_path once the role exists)")
    });
    Diagnostic {
        severity: Severity::Error,
        summary: format!("Cluster {cluster} does not accept access entries"),
        detail: format!(
            "EKS cluster {cluster} uses authentication mode {mode}, which only reads the aws-auth ConfigMap, so no access \
             entry can be created for the Identity Center role. Nothing was created for this cluster. Either:\n\n\
             1. Enable access entries on the cluster (aws-auth keeps working; this cannot be undone):\n\n   \
             aws eks update-cluster-config --name {cluster} --access-config authenticationMode=API_AND_CONFIG_MAP\n\n   \
             then apply again; or\n\n\
             2. Keep {mode}: remove {cluster:?} from cluster_names and map the role in kube-system/aws-auth under mapRoles, \
             with the ARN without its path (aws-auth rejects paths):\n\n   \
             - rolearn: {role}\n     username: sso-admin:{{{{SessionName}}}}\n     groups: [\"system:masters\"]"
        ),
        attribute: Some(AttributePath::attr(s::CLUSTER_NAMES)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_message_names_the_set_and_the_import_command() {
        let d = duplicate_permission_set(
            "EKSAdmin",
            "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            Some("arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"),
            None,
            "111122223333",
            &["prod".to_string(), "staging".to_string()],
        );
        let text = &d.0[0].detail;
        assert!(text.contains("terraform import eks_sso_admin_access.<name> 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef,111122223333,prod+staging'"), "{text}");
        assert!(text.contains("\"EKSAdmin\""));
        let other = duplicate_permission_set(
            "EKSAdmin",
            "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            None,
            Some("444455556666"),
            "111122223333",
            &[],
        );
        assert!(
            other.0[0].detail.contains("grant for account 444455556666"),
            "{}",
            other.0[0].detail
        );
    }

    #[test]
    fn existing_entry_message_names_everything_and_the_import() {
        let d = entry_exists(
            "prod",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_LegacyViewers_0123456789abcdef",
            "LegacyViewers",
            "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
            "111122223333",
        );
        assert!(d.summary.contains("prod"));
        assert!(
            d.detail
                .contains("AWSReservedSSO_LegacyViewers_0123456789abcdef")
        );
        assert!(d.detail.contains("permission set LegacyViewers"));
        assert!(d.detail.contains(
            "id = \"arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef,111122223333,prod\""
        ), "{}", d.detail);
        assert!(
            d.detail
                .contains("import {\n    to = eks_sso_admin_access.<name>"),
            "{}",
            d.detail
        );
        assert_eq!(d.attribute, Some(AttributePath::attr(s::CLUSTER_NAMES)));
    }

    #[test]
    fn config_map_message_gives_both_ways_out() {
        let d = config_map_cluster(
            "legacy",
            "CONFIG_MAP",
            Some("arn:aws:iam::111122223333:role/AWSReservedSSO_EKSAdmin_0123456789abcdef"),
            "111122223333",
            "EKSAdmin",
        );
        assert!(d.detail.contains("CONFIG_MAP"));
        assert!(d.detail.contains("authenticationMode=API_AND_CONFIG_MAP"));
        assert!(d.detail.contains("aws-auth"));
        assert!(d.detail.contains(
            "rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_EKSAdmin_0123456789abcdef"
        ));
        let pending = config_map_cluster("legacy", "CONFIG_MAP", None, "111122223333", "EKSAdmin");
        assert!(pending.detail.contains("AWSReservedSSO_EKSAdmin_<suffix>"));
    }
}

//! Policy identifiers and documents: EKS access-policy short names and ARNs,
//! and IAM policy JSON compared the way IAM reads it.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value as Json;

/// EKS access policies published in the EKS user guide's access-policy
/// reference. A full ARN is accepted for any name, so new policies work
/// before this list learns them.
pub const KNOWN_ACCESS_POLICIES: [&str; 19] = [
    "AmazonAIOpsAssistantPolicy",
    "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSClusterInsightsPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
];

static ACCESS_POLICY_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(aws(?:-[a-z]{1,5}){0,3}):eks::aws:cluster-access-policy/([A-Za-z0-9]+)$")
        .expect("literal regex")
});

static MANAGED_POLICY_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:aws(-[a-z]{1,5}){0,3}:iam::aws:policy(/[A-Za-z0-9_+=,.@-]+)*/[A-Za-z0-9_+=,.@-]{1,128}$")
        .expect("literal regex")
});

static CUSTOMER_POLICY_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:aws(-[a-z]{1,5}){0,3}:iam::\d{12}:policy(/[\x21-\x7E]+)*/([A-Za-z0-9_+=,.@-]{1,128})$")
        .expect("literal regex")
});

/// The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`, ...).
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// The partition named in an ARN (`arn:<partition>:...`), if it is one.
pub fn partition_of_arn(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?.split(':').next()
}

/// Why an access policy reference is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessPolicyError {
    Empty,
    UnknownShortName(String),
    MalformedArn(String),
}

impl AccessPolicyError {
    pub fn detail(&self) -> String {
        match self {
            AccessPolicyError::Empty => "The policy must not be empty. Use a short name such as \"AmazonEKSClusterAdminPolicy\" \
                                         or a full arn:aws:eks::aws:cluster-access-policy/<Name> ARN."
                .to_string(),
            AccessPolicyError::UnknownShortName(name) => {
                let suggestion = closest_known(name)
                    .map(|s| format!(" Did you mean \"{s}\"?"))
                    .unwrap_or_default();
                format!(
                    "{name:?} is not a known EKS access policy.{suggestion} Known short names: {}. \
                     For a policy not listed here, give its full ARN (arn:aws:eks::aws:cluster-access-policy/<Name>; \
                     `aws eks list-access-policies` shows them).",
                    KNOWN_ACCESS_POLICIES.join(", ")
                )
            }
            AccessPolicyError::MalformedArn(arn) => format!(
                "{arn:?} is not an EKS access policy ARN. Use the form arn:aws:eks::aws:cluster-access-policy/<Name> \
                 (empty region, account \"aws\"), or just the short name such as \"AmazonEKSViewPolicy\"."
            ),
        }
    }
}

/// Checks a policy reference as written in config, without needing a partition.
pub fn check_access_policy(policy: &str) -> Result<(), AccessPolicyError> {
    if policy.trim().is_empty() {
        return Err(AccessPolicyError::Empty);
    }
    if policy.starts_with("arn:") {
        return if ACCESS_POLICY_ARN.is_match(policy) {
            Ok(())
        } else {
            Err(AccessPolicyError::MalformedArn(policy.to_string()))
        };
    }
    if KNOWN_ACCESS_POLICIES.contains(&policy) {
        Ok(())
    } else {
        Err(AccessPolicyError::UnknownShortName(policy.to_string()))
    }
}

/// The name part of a policy reference: the short name itself, or the last
/// segment of an ARN. Two references to the same policy have the same key, in
/// any partition, so duplicates can be found without knowing the region.
pub fn access_policy_key(policy: &str) -> String {
    match ACCESS_POLICY_ARN.captures(policy) {
        Some(c) => c[2].to_string(),
        None => policy.to_string(),
    }
}

/// The full ARN AWS wants for a policy reference, in `partition`.
pub fn access_policy_arn(policy: &str, partition: &str) -> String {
    if policy.starts_with("arn:") {
        policy.to_string()
    } else {
        format!("arn:{partition}:eks::aws:cluster-access-policy/{policy}")
    }
}

/// How a policy ARN read from AWS is written in state: the short name when it
/// is a known one, otherwise the ARN.
pub fn access_policy_display(arn: &str) -> String {
    let key = access_policy_key(arn);
    if KNOWN_ACCESS_POLICIES.contains(&key.as_str()) {
        key
    } else {
        arn.to_string()
    }
}

fn closest_known(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let stripped = lower
        .trim_start_matches("amazoneks")
        .trim_end_matches("policy");
    KNOWN_ACCESS_POLICIES.iter().copied().find(|k| {
        let kl = k.to_ascii_lowercase();
        kl == lower
            || (!stripped.is_empty()
                && kl
                    .trim_start_matches("amazoneks")
                    .trim_end_matches("policy")
                    == stripped)
    })
}

/// An AWS-managed policy ARN (`arn:aws:iam::aws:policy/...`), the only kind
/// a permission set can attach by ARN. Customer-managed ARNs get a pointer to
/// the `customer_managed_policy` block instead.
pub fn check_managed_policy_arn(arn: &str) -> Result<(), String> {
    if MANAGED_POLICY_ARN.is_match(arn) {
        return Ok(());
    }
    if let Some(c) = CUSTOMER_POLICY_ARN.captures(arn) {
        let name = &c[3];
        return Err(format!(
            "{arn:?} is a customer-managed policy. Permission sets attach customer-managed policies by name, \
             because the policy must exist in each target account: use `customer_managed_policy {{ name = \"{name}\" }}`."
        ));
    }
    Err(format!(
        "{arn:?} is not an AWS-managed policy ARN. Use the form arn:aws:iam::aws:policy/<Name> or \
         arn:aws:iam::aws:policy/<path>/<Name>, for example arn:aws:iam::aws:policy/job-function/ViewOnlyAccess."
    ))
}

/// Checks an inline policy document: a JSON object with a non-empty
/// `Statement`, within the 32,768-character limit.
pub fn check_policy_document(text: &str) -> Result<(), String> {
    if text.chars().count() > 32_768 {
        return Err(
            "The inline policy is longer than 32,768 characters, the IAM Identity Center limit."
                .to_string(),
        );
    }
    let doc: Json = serde_json::from_str(text).map_err(|e| {
        format!("The inline policy is not valid JSON ({e}). Build it with jsonencode({{ Version = \"2012-10-17\", Statement = [...] }}).")
    })?;
    let obj = doc.as_object().ok_or_else(|| {
        "The inline policy must be a JSON object with a \"Statement\".".to_string()
    })?;
    match obj.get("Statement") {
        Some(Json::Array(a)) if !a.is_empty() => {
            if a.iter().all(Json::is_object) {
                Ok(())
            } else {
                Err("Every element of the inline policy's \"Statement\" must be an object.".to_string())
            }
        }
        Some(Json::Object(_)) => Ok(()),
        Some(_) => Err("The inline policy's \"Statement\" must be a non-empty list of statements.".to_string()),
        None => Err(
            "The inline policy has no \"Statement\". An IAM policy looks like {\"Version\": \"2012-10-17\", \"Statement\": [...]}."
                .to_string(),
        ),
    }
}

/// True when two policy documents mean the same thing to IAM: key order and
/// whitespace never matter, a single string equals a one-element list for the
/// list-valued policy elements, the order of those lists and of statements does
/// not matter, and numbers and booleans equal their string forms in conditions.
/// Unparseable text is compared verbatim.
pub fn policies_equivalent(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<Json>(a),
        serde_json::from_str::<Json>(b),
    ) {
        (Ok(x), Ok(y)) => normalize_policy(&x) == normalize_policy(&y),
        _ => false,
    }
}

/// Keys whose values IAM treats as unordered sets of strings.
const SET_KEYS: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];

fn normalize_policy(doc: &Json) -> Json {
    let Json::Object(obj) = doc else {
        return doc.clone();
    };
    let mut out = serde_json::Map::new();
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort();
    for k in keys {
        let v = &obj[k];
        let nv = if k == "Statement" {
            let mut stmts: Vec<Json> = match v {
                Json::Array(a) => a.iter().map(normalize_statement).collect(),
                other => vec![normalize_statement(other)],
            };
            stmts.sort_by_key(|s| s.to_string());
            Json::Array(stmts)
        } else {
            canonical(v)
        };
        out.insert(k.clone(), nv);
    }
    Json::Object(out)
}

fn normalize_statement(stmt: &Json) -> Json {
    let Json::Object(obj) = stmt else {
        return canonical(stmt);
    };
    let mut out = serde_json::Map::new();
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort();
    for k in keys {
        let v = &obj[k];
        let nv = if SET_KEYS.contains(&k.as_str()) {
            string_set(v)
        } else if k == "Principal" || k == "NotPrincipal" {
            match v {
                Json::Object(p) => {
                    let mut m = serde_json::Map::new();
                    let mut pk: Vec<&String> = p.keys().collect();
                    pk.sort();
                    for key in pk {
                        m.insert(key.clone(), string_set(&p[key]));
                    }
                    Json::Object(m)
                }
                other => canonical(other),
            }
        } else if k == "Condition" {
            match v {
                Json::Object(ops) => {
                    let mut m = serde_json::Map::new();
                    let mut ok: Vec<&String> = ops.keys().collect();
                    ok.sort();
                    for op in ok {
                        let inner = match &ops[op] {
                            Json::Object(ks) => {
                                let mut im = serde_json::Map::new();
                                let mut ikeys: Vec<&String> = ks.keys().collect();
                                ikeys.sort();
                                for ck in ikeys {
                                    im.insert(ck.clone(), string_set(&ks[ck]));
                                }
                                Json::Object(im)
                            }
                            other => canonical(other),
                        };
                        m.insert(op.clone(), inner);
                    }
                    Json::Object(m)
                }
                other => canonical(other),
            }
        } else {
            canonical(v)
        };
        out.insert(k.clone(), nv);
    }
    Json::Object(out)
}

/// A string-or-list value as a sorted, de-duplicated list of strings.
fn string_set(v: &Json) -> Json {
    let mut items: Vec<String> = match v {
        Json::Array(a) => a.iter().map(scalar_text).collect(),
        other => vec![scalar_text(other)],
    };
    items.sort();
    items.dedup();
    Json::Array(items.into_iter().map(Json::String).collect())
}

fn scalar_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        other => canonical(other).to_string(),
    }
}

/// Objects with sorted keys, everything else as is.
fn canonical(v: &Json) -> Json {
    match v {
        Json::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let mut m = serde_json::Map::new();
            for k in keys {
                m.insert(k.clone(), canonical(&o[k]));
            }
            Json::Object(m)
        }
        Json::Array(a) => Json::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_expand_per_partition() {
        assert_eq!(
            access_policy_arn("AmazonEKSClusterAdminPolicy", "aws"),
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        );
        assert_eq!(
            access_policy_arn("AmazonEKSViewPolicy", partition_of_region("cn-north-1")),
            "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
        );
        let arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
        assert_eq!(access_policy_arn(arn, "aws-us-gov"), arn);
        assert_eq!(partition_of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of_region("eu-west-1"), "aws");
    }

    #[test]
    fn keys_match_short_names_and_arns() {
        assert_eq!(
            access_policy_key("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
            access_policy_key("AmazonEKSViewPolicy")
        );
        assert_ne!(
            access_policy_key("AmazonEKSViewPolicy"),
            access_policy_key("AmazonEKSEditPolicy")
        );
    }

    #[test]
    fn display_prefers_known_short_names() {
        assert_eq!(
            access_policy_display(
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
            ),
            "AmazonEKSClusterAdminPolicy"
        );
        let future = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSFuturePolicy";
        assert_eq!(access_policy_display(future), future);
    }

    #[test]
    fn checks_policy_references() {
        assert!(check_access_policy("AmazonEKSClusterAdminPolicy").is_ok());
        assert!(check_access_policy("arn:aws:eks::aws:cluster-access-policy/AnythingNew").is_ok());
        assert_eq!(check_access_policy(""), Err(AccessPolicyError::Empty));
        let e = check_access_policy("AmazonEKSClusterAdmin").unwrap_err();
        assert!(matches!(e, AccessPolicyError::UnknownShortName(_)));
        assert!(
            e.detail()
                .contains("Did you mean \"AmazonEKSClusterAdminPolicy\""),
            "{}",
            e.detail()
        );
        for bad in [
            "arn:aws:eks:eu-west-1:aws:cluster-access-policy/AmazonEKSViewPolicy",
            "arn:aws:eks::123456789012:cluster-access-policy/AmazonEKSViewPolicy",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:eks::aws:cluster-access-policy/",
        ] {
            assert!(
                matches!(
                    check_access_policy(bad),
                    Err(AccessPolicyError::MalformedArn(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn managed_policy_arns() {
        assert!(
            check_managed_policy_arn("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess").is_ok()
        );
        assert!(check_managed_policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess").is_ok());
        assert!(check_managed_policy_arn("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess").is_ok());
        let e =
            check_managed_policy_arn("arn:aws:iam::111122223333:policy/team/EKSAdmin").unwrap_err();
        assert!(
            e.contains("customer_managed_policy { name = \"EKSAdmin\" }"),
            "{e}"
        );
        assert!(check_managed_policy_arn("ViewOnlyAccess").is_err());
        assert!(check_managed_policy_arn("arn:aws:iam::aws:policy/").is_err());
    }

    #[test]
    fn policy_documents() {
        assert!(check_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}"#).is_ok());
        assert!(
            check_policy_document(
                r#"{"Statement":{"Effect":"Allow","Action":"eks:*","Resource":"*"}}"#
            )
            .is_ok()
        );
        assert!(
            check_policy_document("{not json")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(
            check_policy_document("[1]")
                .unwrap_err()
                .contains("JSON object")
        );
        assert!(
            check_policy_document(r#"{"Version":"2012-10-17"}"#)
                .unwrap_err()
                .contains("no \"Statement\"")
        );
        assert!(check_policy_document(r#"{"Statement":[]}"#).is_err());
    }

    #[test]
    fn equivalent_policies_ignore_formatting_order_and_singletons() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","eks:*"],"Resource":"*"}]}"#;
        let b = r#"{
            "Statement": [{"Resource": ["*"], "Action": ["eks:*", "sts:AssumeRole"], "Effect": "Allow"}],
            "Version": "2012-10-17"
        }"#;
        assert!(policies_equivalent(a, b));
        let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"eks:*","Resource":"*"}}"#;
        let listed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks:*"],"Resource":["*"]}]}"#;
        assert!(policies_equivalent(single, listed));
    }

    #[test]
    fn different_policies_are_not_equivalent() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}"#;
        let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"eks:*","Resource":"*"}]}"#;
        let c = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:Describe*","Resource":"*"}]}"#;
        assert!(!policies_equivalent(a, b));
        assert!(!policies_equivalent(a, c));
        assert!(!policies_equivalent(a, "not json"));
    }

    #[test]
    fn conditions_compare_values_as_sets() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}]}"#;
        let b = r#"{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":["true"]}}}]}"#;
        assert!(policies_equivalent(a, b));
    }
}

//! From inputs to everything the resource computes: the trust policy, the
//! customer-managed policy document, ARNs and the set of attached policies.
//! Plan and apply both use these functions, so what plan promises is exactly
//! what apply creates.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

use super::model::{Field, Partial};
use super::presets::{self, Preset};
use super::schema::*;
use super::trust_policy::{self, TrustContext, Trusted};
use super::validation;
use crate::aws::policy_json;

/// What the inputs alone cannot tell: the account, partition and SSO region
/// the policies refer to, and the provider's default tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub trust: TrustContext,
    pub default_tags: BTreeMap<String, String>,
}

/// The configuration with defaults applied. `None`/`Field::Unknown` means
/// "not known until apply".
#[derive(Debug, Clone)]
pub struct Inputs {
    pub name: Option<String>,
    pub path: Option<String>,
    pub description: Field<String>,
    pub trusted_permission_sets: Field<BTreeSet<String>>,
    pub trusted_role_arns: Field<BTreeSet<String>>,
    pub trusted_principal_arn_patterns: Field<BTreeSet<String>>,
    pub preset: Option<Preset>,
    pub additional_policy_json: Field<String>,
    pub managed_policy_arns: Field<BTreeSet<String>>,
    pub max_session_duration: Option<i64>,
    pub permissions_boundary: Field<String>,
    pub tags: Field<BTreeMap<String, String>>,
    pub policy_name: Option<String>,
}

impl Inputs {
    /// Reads a configuration, or a planned/prior state (whose defaults are
    /// already filled in, so reading it again gives the same answer).
    pub fn from_partial(v: &Partial) -> Inputs {
        let m = &v.known;
        let name = v.field(NAME, &m.name).or_default(DEFAULT_NAME.to_string());
        let policy_name = match v.field(POLICY_NAME, &m.policy_name) {
            Field::Unknown => None,
            Field::Known(p) => Some(p),
            Field::Null => name.as_ref().map(|n| format!("{n}Policy")),
        };
        let preset = match v.field(PERMISSIONS, &m.permissions) {
            Field::Unknown => None,
            Field::Null => Some(presets::DEFAULT),
            // Validation rejects unknown names before we get here; treat a
            // stray one as unknown rather than guessing.
            Field::Known(p) => Preset::parse(&p),
        };
        Inputs {
            name,
            path: v.field(PATH, &m.path).or_default(DEFAULT_PATH.to_string()),
            description: v.field(DESCRIPTION, &m.description),
            trusted_permission_sets: v.field(TRUSTED_PERMISSION_SETS, &m.trusted_permission_sets),
            trusted_role_arns: v.field(TRUSTED_ROLE_ARNS, &m.trusted_role_arns),
            trusted_principal_arn_patterns: v.field(
                TRUSTED_PRINCIPAL_ARN_PATTERNS,
                &m.trusted_principal_arn_patterns,
            ),
            preset,
            additional_policy_json: v.field(ADDITIONAL_POLICY_JSON, &m.additional_policy_json),
            managed_policy_arns: v.field(MANAGED_POLICY_ARNS, &m.managed_policy_arns),
            max_session_duration: v
                .field(MAX_SESSION_DURATION, &m.max_session_duration)
                .or_default(DEFAULT_MAX_SESSION),
            permissions_boundary: v.field(PERMISSIONS_BOUNDARY, &m.permissions_boundary),
            tags: v.field(TAGS, &m.tags),
            policy_name,
        }
    }
}

fn known_set(f: &Field<BTreeSet<String>>) -> Option<BTreeSet<String>> {
    match f {
        Field::Unknown => None,
        Field::Null => Some(BTreeSet::new()),
        Field::Known(s) => Some(s.clone()),
    }
}

pub fn role_arn(ctx: &Context, path: &str, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:role{path}{name}",
        ctx.trust.partition, ctx.trust.account_id
    )
}

pub fn policy_arn_for(ctx: &Context, path: &str, policy_name: &str) -> String {
    format!(
        "arn:{}:iam::{}:policy{path}{policy_name}",
        ctx.trust.partition, ctx.trust.account_id
    )
}

impl Inputs {
    pub fn role_arn(&self, ctx: &Context) -> Option<String> {
        Some(role_arn(ctx, self.path.as_deref()?, self.name.as_deref()?))
    }

    /// Who the trust admits; `None` until every trust input is known.
    pub fn trusted(&self) -> Option<Trusted> {
        Some(Trusted {
            permission_sets: known_set(&self.trusted_permission_sets)?,
            role_arns: known_set(&self.trusted_role_arns)?,
            patterns: known_set(&self.trusted_principal_arn_patterns)?,
        })
    }

    pub fn trust_policy(&self, ctx: &Context) -> Option<String> {
        Some(trust_policy::render(&ctx.trust, &self.trusted()?))
    }

    /// Whether a customer-managed policy exists: a preset with statements, or
    /// additional statements. IAM rejects a policy with no statements.
    pub fn has_policy(&self) -> Option<bool> {
        match self.preset? {
            Preset::EksctlMinimum | Preset::ServiceWide => Some(true),
            Preset::None => match &self.additional_policy_json {
                Field::Unknown => None,
                Field::Null => Some(false),
                Field::Known(_) => Some(true),
            },
        }
    }

    /// The customer-managed policy document; `Some(None)` when there is none.
    pub fn policy_document(&self, ctx: &Context) -> Option<Option<String>> {
        let preset = self.preset?;
        let mut statements = preset.statements(&ctx.trust.partition, &ctx.trust.account_id);
        match &self.additional_policy_json {
            Field::Unknown => return None,
            Field::Null => {}
            Field::Known(text) => statements.extend(validation::additional_statements(text).ok()?),
        }
        if statements.is_empty() {
            return Some(None);
        }
        Some(Some(
            json!({"Version": "2012-10-17", "Statement": statements}).to_string(),
        ))
    }

    pub fn policy_arn(&self, ctx: &Context) -> Option<Option<String>> {
        if !self.has_policy()? {
            return Some(None);
        }
        Some(Some(policy_arn_for(
            ctx,
            self.path.as_deref()?,
            self.policy_name.as_deref()?,
        )))
    }

    /// Every managed policy that should be attached to the role.
    pub fn attached_policy_arns(&self, ctx: &Context) -> Option<BTreeSet<String>> {
        let mut out = known_set(&self.managed_policy_arns)?;
        out.extend(self.preset?.managed_policy_arns(&ctx.trust.partition));
        if let Some(arn) = self.policy_arn(ctx)? {
            out.insert(arn);
        }
        Some(out)
    }

    /// Resource tags over the provider's default tags, as hashicorp/aws does.
    pub fn tags_all(&self, ctx: &Context) -> Option<BTreeMap<String, String>> {
        let mut all = ctx.default_tags.clone();
        match &self.tags {
            Field::Unknown => return None,
            Field::Null => {}
            Field::Known(t) => all.extend(t.clone()),
        }
        Some(all)
    }
}

/// Parses a rendered document's statements (for preset recognition).
pub fn statements_of(text: &str) -> Vec<Json> {
    serde_json::from_str::<Json>(text)
        .map(|d| policy_json::statements(&d).into_iter().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::cluster_creator_role::model::CreatorRole;

    pub(crate) fn ctx() -> Context {
        Context {
            trust: TrustContext {
                partition: "aws".into(),
                account_id: "111122223333".into(),
                sso_region: "eu-west-1".into(),
            },
            default_tags: [("team".to_string(), "platform".to_string())]
                .into_iter()
                .collect(),
        }
    }

    fn inputs(role: CreatorRole) -> Inputs {
        Inputs::from_partial(&Partial::known(role))
    }

    fn names(items: &[&str]) -> Option<BTreeSet<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn defaults_fill_names_and_arns() {
        let i = inputs(CreatorRole {
            trusted_permission_sets: names(&["A"]),
            ..CreatorRole::default()
        });
        let c = ctx();
        assert_eq!(i.name.as_deref(), Some("EKSClusterCreator"));
        assert_eq!(i.policy_name.as_deref(), Some("EKSClusterCreatorPolicy"));
        assert_eq!(
            i.role_arn(&c).unwrap(),
            "arn:aws:iam::111122223333:role/EKSClusterCreator"
        );
        assert_eq!(
            i.policy_arn(&c).unwrap().unwrap(),
            "arn:aws:iam::111122223333:policy/EKSClusterCreatorPolicy"
        );
        let attached = i.attached_policy_arns(&c).unwrap();
        assert!(attached.contains("arn:aws:iam::aws:policy/AmazonEC2FullAccess"));
        assert_eq!(attached.len(), 3);
        assert_eq!(i.max_session_duration, Some(3600));
    }

    #[test]
    fn none_preset_without_extras_has_no_policy() {
        let i = inputs(CreatorRole {
            permissions: Some("none".into()),
            ..CreatorRole::default()
        });
        assert_eq!(i.policy_document(&ctx()), Some(None));
        assert_eq!(i.policy_arn(&ctx()), Some(None));
        assert_eq!(i.attached_policy_arns(&ctx()).unwrap().len(), 0);
    }

    #[test]
    fn unknown_inputs_make_only_dependants_unknown() {
        let mut p = Partial::known(CreatorRole {
            permissions: Some("service_wide".into()),
            trusted_permission_sets: names(&["A"]),
            ..CreatorRole::default()
        });
        p.set_unknown(ADDITIONAL_POLICY_JSON);
        let i = Inputs::from_partial(&p);
        assert!(i.policy_document(&ctx()).is_none());
        // The policy exists whatever the extra JSON turns out to be.
        assert!(i.policy_arn(&ctx()).unwrap().is_some());
        assert!(i.trust_policy(&ctx()).is_some());
    }

    #[test]
    fn additional_statements_follow_the_preset() {
        let i = inputs(CreatorRole {
            permissions: Some("service_wide".into()),
            additional_policy_json: Some(
                r#"{"Statement":[{"Sid":"Extra","Effect":"Allow","Action":"logs:*","Resource":"*"}]}"#
                    .into(),
            ),
            ..CreatorRole::default()
        });
        let doc = i.policy_document(&ctx()).unwrap().unwrap();
        let sts = statements_of(&doc);
        assert_eq!(sts.len(), 2);
        assert_eq!(sts[1]["Sid"], "Extra");
    }

    #[test]
    fn tags_merge_over_defaults() {
        let mut t = BTreeMap::new();
        t.insert("team".to_string(), "eks".to_string());
        t.insert("x".to_string(), "y".to_string());
        let i = inputs(CreatorRole {
            tags: Some(t),
            ..CreatorRole::default()
        });
        let all = i.tags_all(&ctx()).unwrap();
        assert_eq!(all.get("team").map(String::as_str), Some("eks"));
        assert_eq!(all.len(), 2);
    }
}

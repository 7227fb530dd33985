//! The identity of a creator role: `{account_id, name}`, version 0.
//!
//! A role name is unique within an account, and IAM is global, so the two
//! name exactly one role. Both come from the state (the account from the
//! role's ARN), which is what lets the server check they never change.

use super::model::Partial;
use super::read::partition_and_account;
use super::schema::{ARN, NAME};
use crate::tfplugin::identity::{IdentityAttribute, IdentitySchema};
use crate::tfplugin::types::CtyType;
use crate::tfplugin::value::Value;

pub const ACCOUNT_ID: &str = "account_id";

pub fn schema() -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute::optional_for_import(
                ACCOUNT_ID,
                CtyType::String,
                "The AWS account of the role. Defaults to the account of the provider's credentials, \
                 and must be that account.",
            ),
            IdentityAttribute::required_for_import(NAME, CtyType::String, "The IAM role name."),
        ],
    }
}

/// The identity of the role `state` describes (see
/// [`ResourceIdentity::identity_of`](crate::tfplugin::framework::ResourceIdentity::identity_of)).
pub fn of(state: &Value) -> Value {
    let Ok(p) = Partial::from_value(state) else {
        return schema().value(Vec::<(String, Value)>::new());
    };
    let known = |name: &str, v: Option<String>| {
        if p.is_unknown(name) {
            Value::Unknown(None)
        } else {
            v.map_or(Value::Null, Value::String)
        }
    };
    let account = p
        .known
        .arn
        .as_deref()
        .and_then(partition_and_account)
        .map(|(_, a)| a);
    let name = p.known.role_name().map(str::to_string);
    schema().value([(ACCOUNT_ID, known(ARN, account)), (NAME, known(NAME, name))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::cluster_creator_role::model::CreatorRole;

    #[test]
    fn identity_comes_from_the_name_and_the_arn() {
        let state = CreatorRole {
            name: Some("EKSClusterCreator".into()),
            arn: Some("arn:aws:iam::111122223333:role/eks/EKSClusterCreator".into()),
            ..CreatorRole::default()
        };
        assert_eq!(
            of(&state.to_value().unwrap()),
            schema().value([
                (ACCOUNT_ID, Value::string("111122223333")),
                (NAME, Value::string("EKSClusterCreator")),
            ])
        );
        // An import stub knows the name only.
        let stub = CreatorRole {
            id: Some("Ops".into()),
            ..CreatorRole::default()
        };
        assert_eq!(
            of(&stub.to_value().unwrap()),
            schema().value([(NAME, Value::string("Ops"))])
        );
        // A planned create whose ARN waits on an unknown name.
        let mut planned = state.to_value().unwrap();
        crate::tfplugin::plan::set_attr(&mut planned, ARN, Value::Unknown(None));
        assert!(of(&planned).attr(ACCOUNT_ID).is_unknown());
        assert!(schema().problems().is_empty());
    }
}

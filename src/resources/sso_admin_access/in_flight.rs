//! The in-flight mark: how the next apply recognises what an interrupted
//! apply (a killed provider, a response lost on the way back) created but
//! never recorded in state, so it can finish the job instead of asking for an
//! import — without ever taking over what someone else made.
//!
//! The mark is one tag, [`MARK_KEY`], written in the call that creates the
//! object, so no window exists in which the object is there unmarked:
//! - on the permission set, in CreatePermissionSet, with the grant's account
//!   as its value;
//! - on every access entry, in CreateAccessEntry, with the permission set's
//!   ARN as its value.
//!
//! It is removed ("sealed") as the last step of the apply that created it,
//! entries first and the permission set last, once the state Terraform is
//! about to record holds them. An object with a matching mark is therefore
//! one this provider made for this grant and has not recorded yet:
//! - a same-named permission set is adopted only while it carries the mark
//!   *and* the mark names the grant's account (a set created for a grant in
//!   another account, or by anyone else, still fails with the import hint);
//! - an access entry for the reserved role is adopted when its mark names the
//!   grant's permission set, or when the set itself was just adopted in
//!   flight (its reserved role exists only because of the interrupted create).
//!
//! Remaining window: a kill while the permission set's UntagResource (a
//! create's last call) is on its way, or after it and before Terraform
//! received the answer, leaves a finished grant with no mark and no state;
//! the next apply reports it with the import hint. (A kill while the
//! entries' marks go is covered: the set is still marked, and adopting it
//! vouches for its role's entries.)

use std::collections::BTreeMap;

/// The tag key of the mark. Not `aws:`-prefixed (reserved by AWS); its
/// characters are valid in both sso-admin and EKS tag keys.
pub const MARK_KEY: &str = "terraform-provider-eks:in-flight";

/// The tags a create sends with CreatePermissionSet: the grant's own plus
/// the mark naming `account`.
pub fn permission_set_tags(
    tags_all: &BTreeMap<String, String>,
    account: &str,
) -> BTreeMap<String, String> {
    let mut tags = tags_all.clone();
    tags.insert(MARK_KEY.to_string(), account.to_string());
    tags
}

/// True when a permission set's tags carry the mark of an unfinished create
/// for a grant in `account`: the only same-named set a create may adopt.
pub fn permission_set_is_ours(tags: &BTreeMap<String, String>, account: &str) -> bool {
    tags.get(MARK_KEY).is_some_and(|v| v == account)
}

/// The account an unfinished create marked a permission set for, if any
/// (for the message when it is another grant's).
pub fn permission_set_mark(tags: &BTreeMap<String, String>) -> Option<&str> {
    tags.get(MARK_KEY).map(String::as_str)
}

/// The tags CreateAccessEntry sends: the grant's own plus the mark naming
/// the permission set.
pub fn entry_tags(tags_all: &BTreeMap<String, String>, ps_arn: &str) -> BTreeMap<String, String> {
    let mut tags = tags_all.clone();
    tags.insert(MARK_KEY.to_string(), ps_arn.to_string());
    tags
}

/// True when an access entry carries the mark of an unfinished apply of a
/// grant of `ps_arn`.
pub fn entry_is_ours(tags: &BTreeMap<String, String>, ps_arn: &str) -> bool {
    tags.get(MARK_KEY).is_some_and(|v| v == ps_arn)
}

/// True when an access entry still carries a mark of any value, so the
/// apply that ends with it recorded must remove it.
pub fn is_marked(tags: &BTreeMap<String, String>) -> bool {
    tags.contains_key(MARK_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS: &str = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef";

    #[test]
    fn a_permission_set_is_ours_only_with_the_mark_of_this_account() {
        let own = BTreeMap::from([("team".to_string(), "a".to_string())]);
        let tags = permission_set_tags(&own, "111122223333");
        assert_eq!(tags["team"], "a");
        assert!(permission_set_is_ours(&tags, "111122223333"));
        assert!(!permission_set_is_ours(&tags, "444455556666"));
        assert!(!permission_set_is_ours(&own, "111122223333"));
        assert_eq!(permission_set_mark(&tags), Some("111122223333"));
        assert_eq!(permission_set_mark(&own), None);
    }

    #[test]
    fn an_entry_is_ours_only_with_the_mark_of_this_permission_set() {
        let tags = entry_tags(&BTreeMap::new(), PS);
        assert!(entry_is_ours(&tags, PS));
        assert!(is_marked(&tags));
        assert!(!entry_is_ours(&tags, &PS.replace("ps-1", "ps-2")));
        assert!(!entry_is_ours(&BTreeMap::new(), PS));
        assert!(!is_marked(&BTreeMap::new()));
    }
}

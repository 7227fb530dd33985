//! ARNs as text: the six colon-separated fields of an ARN that AWS returned
//! or that state recorded.
//!
//! Partitions are read from ARNs, never guessed from region names: an ARN
//! names its partition, while region prefixes only hint at it.

/// `arn:<partition>:<service>:<region>:<account>:<resource>`, borrowed from
/// the text. The resource keeps any further colons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// `None` unless `text` starts with `arn:` and has all six fields.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }
}

/// The partition an ARN names (`aws`, `aws-cn`, `aws-us-gov`, ...).
pub fn partition_of_arn(arn: &str) -> Option<&str> {
    Arn::parse(arn)
        .map(|a| a.partition)
        .filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_six_fields() {
        let a = Arn::parse("arn:aws-cn:iam::111122223333:role/x").unwrap();
        assert_eq!(
            (a.partition, a.service, a.region, a.account, a.resource),
            ("aws-cn", "iam", "", "111122223333", "role/x")
        );
        let e = Arn::parse("arn:aws:eks:eu-west-1:111122223333:cluster/demo:extra").unwrap();
        assert_eq!(e.region, "eu-west-1");
        assert_eq!(e.resource, "cluster/demo:extra");
    }

    #[test]
    fn rejects_what_is_not_an_arn() {
        assert_eq!(Arn::parse("nope"), None);
        assert_eq!(Arn::parse("arn:aws:iam::111122223333"), None);
        assert_eq!(Arn::parse("urn:aws:iam::111122223333:role/x"), None);
    }

    #[test]
    fn partitions_come_from_the_arn() {
        assert_eq!(
            partition_of_arn("arn:aws:sts::123456789012:assumed-role/r/s"),
            Some("aws")
        );
        assert_eq!(
            partition_of_arn("arn:aws-us-gov:iam::111122223333:role/x"),
            Some("aws-us-gov")
        );
        assert_eq!(
            partition_of_arn("arn:aws-iso-b:sso:::permissionSet/ssoins-1/ps-1"),
            Some("aws-iso-b")
        );
        assert_eq!(partition_of_arn("arn::iam::1:role/x"), None);
        assert_eq!(partition_of_arn("not an arn"), None);
    }
}

//! The AWS services this provider talks to, by the names IAM actions and the
//! CLI use.

use std::fmt;

/// The AWS services this provider talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Eks,
    Iam,
    Sts,
    SsoAdmin,
    IdentityStore,
}

impl Service {
    /// The name used in IAM actions and the CLI (`sso-admin`, `eks`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Service::Eks => "eks",
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::SsoAdmin => "sso-admin",
            Service::IdentityStore => "identitystore",
        }
    }

    /// The prefix of this service's IAM actions (sso-admin's is `sso`).
    pub fn action_prefix(self) -> &'static str {
        match self {
            Service::SsoAdmin => "sso",
            other => other.name(),
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

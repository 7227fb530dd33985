//! One error type for every AWS call, carrying what a user needs to act:
//! which service and operation failed, on which object, the AWS error code and
//! message verbatim, and (via [`AwsError::to_diagnostic`]) what to do next.
//!
//! Classification of codes and messages lives in [`super::classify`] so
//! there is exactly one place that knows what "conflicting operation" or
//! "invalid principal" mean.

use std::error::Error as StdError;
use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;

use super::classify::{Class, classify_service};
use super::http::Unreachable;
pub use super::service::Service;
use crate::tfplugin::diagnostics::{AttributePath, Diagnostic, Diagnostics, Severity};
use aws_credential_types::provider::error::CredentialsError;

/// How the call failed, independent of the service's error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// AWS answered with an error response.
    Service { status: u16 },
    /// The request could not be built or sent: network, DNS, TLS, an
    /// unreachable endpoint, or credentials that failed to load.
    Transport,
    /// No credential source had any credentials (the SDK's
    /// `CredentialsNotLoaded`): the only case reported as "no credentials".
    NoCredentials,
    /// No answer in time.
    Timeout,
    /// AWS answered with something we could not read.
    Response,
    /// Terraform asked the provider to stop (Ctrl-C / StopProvider).
    Cancelled,
    /// A wait ran out of time before AWS reached the expected state.
    DeadlineExceeded,
    /// AWS answered successfully but with something we cannot use (for
    /// example zero or several matches where one was required).
    Unexpected,
}

/// A failed AWS call (or wait), with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub service: Service,
    /// The API operation, e.g. `CreateAccountAssignment`.
    pub operation: &'static str,
    pub kind: ErrorKind,
    /// The AWS error code, e.g. `ConflictException`, when AWS sent one.
    pub code: Option<String>,
    /// AWS's message verbatim, or our description of a non-service failure.
    pub message: String,
    /// The object the call was about, e.g. `permission set EKSAdmin (arn:...)`.
    pub object: Option<String>,
    pub request_id: Option<String>,
}

impl StdError for AwsError {}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.service, self.operation)?;
        if let Some(obj) = &self.object {
            write!(f, " on {obj}")?;
        }
        match &self.kind {
            ErrorKind::Cancelled => return write!(f, " was cancelled"),
            ErrorKind::DeadlineExceeded => return write!(f, " timed out: {}", self.message),
            _ => {}
        }
        f.write_str(" failed: ")?;
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)?;
        if let ErrorKind::Service { status } = self.kind {
            write!(f, " (HTTP {status}")?;
            if let Some(id) = &self.request_id {
                write!(f, ", request ID {id}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl AwsError {
    /// Converts an SDK error. Service errors keep AWS's code and message
    /// verbatim; other failures keep the whole source chain as the message.
    pub fn from_sdk<E>(
        service: Service,
        operation: &'static str,
        err: SdkError<E, HttpResponse>,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let request_id = err.request_id().map(str::to_string);
        let (kind, code, message) = match &err {
            SdkError::ServiceError(ctx) => {
                let status = ctx.raw().status().as_u16();
                let code = ctx.err().code().map(str::to_string);
                let message = ctx
                    .err()
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| error_chain(ctx.err()));
                (ErrorKind::Service { status }, code, message)
            }
            SdkError::TimeoutError(_) => (ErrorKind::Timeout, None, error_chain(&err)),
            SdkError::ResponseError(_) => (ErrorKind::Response, None, error_chain(&err)),
            _ => transport(&err),
        };
        AwsError {
            service,
            operation,
            kind,
            code,
            message,
            object: None,
            request_id,
        }
    }

    /// An error that did not come from the SDK (for example "no match").
    pub fn new(
        service: Service,
        operation: &'static str,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> AwsError {
        AwsError {
            service,
            operation,
            kind,
            code: None,
            message: message.into(),
            object: None,
            request_id: None,
        }
    }

    pub fn cancelled(service: Service, operation: &'static str) -> AwsError {
        AwsError::new(
            service,
            operation,
            ErrorKind::Cancelled,
            "cancelled by Terraform",
        )
    }

    pub fn deadline(
        service: Service,
        operation: &'static str,
        message: impl Into<String>,
    ) -> AwsError {
        AwsError::new(service, operation, ErrorKind::DeadlineExceeded, message)
    }

    /// Names the object the call was about; keeps an earlier, more specific one.
    pub fn about(mut self, object: impl Into<String>) -> AwsError {
        if self.object.is_none() {
            self.object = Some(object.into());
        }
        self
    }

    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    pub fn status(&self) -> Option<u16> {
        match self.kind {
            ErrorKind::Service { status } => Some(status),
            _ => None,
        }
    }

    /// What the error means, by kind, service, code and message.
    pub fn class(&self) -> Class {
        match self.kind {
            ErrorKind::Cancelled => Class::Cancelled,
            ErrorKind::DeadlineExceeded => Class::DeadlineExceeded,
            ErrorKind::Transport => Class::Transport,
            ErrorKind::NoCredentials => Class::NoCredentials,
            ErrorKind::Timeout => Class::Timeout,
            ErrorKind::Response | ErrorKind::Unexpected => Class::Other,
            ErrorKind::Service { status } => {
                classify_service(self.service, self.code(), &self.message, status)
            }
        }
    }

    /// The object does not exist (IAM NoSuchEntity, ResourceNotFoundException, HTTP 404).
    pub fn is_not_found(&self) -> bool {
        self.class() == Class::NotFound
    }

    /// A create hit an existing object (EntityAlreadyExists, "already exists",
    /// EKS ResourceInUseException on create).
    pub fn is_already_exists(&self) -> bool {
        self.class() == Class::AlreadyExists
    }

    pub fn is_cancelled(&self) -> bool {
        self.kind == ErrorKind::Cancelled
    }

    /// A wait or retry that ran out of time (the operation's `timeouts`).
    pub fn is_deadline(&self) -> bool {
        self.kind == ErrorKind::DeadlineExceeded
    }

    /// [`Self::about`] when there is an object to name.
    pub fn about_opt(self, object: Option<String>) -> AwsError {
        match object {
            Some(o) => self.about(o),
            None => self,
        }
    }

    /// What to do next, from the error's class; `None` when nothing useful
    /// can be said beyond AWS's own message.
    pub fn hint(&self) -> Option<String> {
        let action = format!("{}:{}", self.service.action_prefix(), self.operation);
        Some(match self.class() {
            Class::AccessDenied => format!(
                "The provider's credentials are not allowed to call {action}. Grant that permission to the identity the provider uses (check `profile`, `assume_role`, or the `sso` block for Identity Center calls), or use credentials that have it."
            ),
            Class::Credentials => "AWS rejected the credentials. Check that they are valid and not expired (for SSO profiles run `aws sso login`), and that `profile`/`assume_role` point at the intended identity.".to_string(),
            Class::Throttled => "AWS kept throttling the request after all retries. Raise `max_retries` in the provider block, or apply with lower `-parallelism`.".to_string(),
            Class::ServerError => "AWS reported an internal error; this is usually transient. Retry the apply.".to_string(),
            Class::ConcurrentOperation => format!(
                "Another operation on the same {} object was still running after all retries. Retry the apply; if it persists, check for other tools changing the same object at the same time.",
                self.service
            ),
            Class::NoCredentials => "No AWS credentials were found. Configure credentials with environment variables, a `profile`, web identity or an instance role, or check `assume_role`.".to_string(),
            Class::Transport => {
                if self.message.starts_with("could not connect to ") {
                    format!(
                        "The {} endpoint named above could not be reached. Check that the URL is right (the `endpoints` block, AWS_ENDPOINT_URL* environment variables, a profile's `endpoint_url`, the `region`) and that the network allows the connection.",
                        self.service
                    )
                } else if self.message.contains("credentials") {
                    "The provider's AWS credentials could not be loaded; the message above says why. Check the `profile`, `assume_role` or `sso` settings they come from (for SSO profiles run `aws sso login`).".to_string()
                } else {
                    format!(
                        "The {} endpoint could not be reached. Check network access, the `region`, and any `endpoints` override or AWS_ENDPOINT_URL* environment variable.",
                        self.service
                    )
                }
            }
            Class::Timeout => format!(
                "The {} endpoint did not answer in time. Check network access and retry.",
                self.service
            ),
            _ => return None,
        })
    }

    /// A Terraform diagnostic: `summary` says what the provider was doing,
    /// the detail says what failed, on which object, what AWS said, and a fix.
    pub fn to_diagnostic(&self, summary: impl Into<String>) -> Diagnostic {
        let mut detail = self.to_string();
        if !detail.ends_with('.') && !detail.ends_with(')') {
            detail.push('.');
        }
        if let Some(hint) = self.hint() {
            detail.push_str("\n\n");
            detail.push_str(&hint);
        }
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail,
            attribute: None,
        }
    }

    /// [`Self::to_diagnostic`] as a one-error collection, for early returns.
    pub fn to_diagnostics(&self, summary: impl Into<String>) -> Diagnostics {
        Diagnostics(vec![self.to_diagnostic(summary)])
    }

    /// Like [`Self::to_diagnostics`], pointing at the attribute it is about.
    pub fn to_diagnostics_at(
        &self,
        summary: impl Into<String>,
        path: AttributePath,
    ) -> Diagnostics {
        let mut d = self.to_diagnostic(summary);
        d.attribute = Some(path);
        Diagnostics(vec![d])
    }
}

/// A failure before AWS answered, told apart by its sources: an endpoint no
/// connection could be made to (named with its URL, even when that happened
/// while credentials were being loaded, e.g. `assume_role`'s STS call), no
/// credentials at all, or anything else with its whole chain.
fn transport(err: &(dyn StdError + 'static)) -> (ErrorKind, Option<String>, String) {
    let mut loading_credentials = false;
    let mut no_credentials = false;
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(u) = e.downcast_ref::<Unreachable>() {
            let during = if loading_credentials {
                " (while loading the provider's credentials)"
            } else {
                ""
            };
            return (ErrorKind::Transport, None, format!("{u}{during}"));
        }
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            loading_credentials = true;
            no_credentials |= matches!(c, CredentialsError::CredentialsNotLoaded(_));
        }
        next = e.source();
    }
    let kind = if no_credentials {
        ErrorKind::NoCredentials
    } else {
        ErrorKind::Transport
    };
    (kind, None, error_chain(err))
}

/// An error and its sources as one line of their `Display` texts, skipping
/// repeats. (`DisplayErrorContext` appends a `Debug` dump, far too noisy for
/// a Terraform diagnostic.)
pub fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        let text = text.trim();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(text)) {
            parts.push(text.to_string());
        }
        next = e.source();
    }
    parts.join(": ")
}

/// `.aws(Service::Iam, "ListRoles")` on an SDK result.
pub trait SdkResultExt<T> {
    fn aws(self, service: Service, operation: &'static str) -> Result<T, AwsError>;
}

impl<T, E> SdkResultExt<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    fn aws(self, service: Service, operation: &'static str) -> Result<T, AwsError> {
        self.map_err(|e| AwsError::from_sdk(service, operation, e))
    }
}

/// `.about("permission set X")` on a result.
pub trait AwsResultExt<T> {
    fn about(self, object: impl Into<String>) -> Result<T, AwsError>;
}

impl<T> AwsResultExt<T> for Result<T, AwsError> {
    fn about(self, object: impl Into<String>) -> Result<T, AwsError> {
        self.map_err(|e| e.about(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service_err(service: Service, code: &str, message: &str, status: u16) -> AwsError {
        AwsError {
            service,
            operation: "CreateAccountAssignment",
            kind: ErrorKind::Service { status },
            code: Some(code.to_string()),
            message: message.to_string(),
            object: None,
            request_id: Some("req-1".to_string()),
        }
    }

    #[test]
    fn display_names_service_operation_object_code_and_message() {
        let e = service_err(
            Service::SsoAdmin,
            "AccessDeniedException",
            "User is not authorized",
            403,
        )
        .about("permission set EKSAdmin");
        assert_eq!(
            e.to_string(),
            "sso-admin CreateAccountAssignment on permission set EKSAdmin failed: AccessDeniedException: User is not authorized (HTTP 403, request ID req-1)"
        );
    }

    #[test]
    fn about_keeps_the_first_object() {
        let e = service_err(Service::Iam, "NoSuchEntity", "x", 404)
            .about("role A")
            .about("role B");
        assert_eq!(e.object.as_deref(), Some("role A"));
    }

    #[test]
    fn diagnostic_has_summary_detail_and_hint() {
        let e = service_err(Service::SsoAdmin, "AccessDeniedException", "denied", 403);
        let d = e.to_diagnostic("Could not assign the permission set");
        assert_eq!(d.summary, "Could not assign the permission set");
        assert!(d.detail.contains("AccessDeniedException: denied"));
        assert!(
            d.detail.contains("sso:CreateAccountAssignment"),
            "{}",
            d.detail
        );
        assert_eq!(d.severity, Severity::Error);
    }

    #[test]
    fn cancelled_and_deadline_render_plainly() {
        let c = AwsError::cancelled(Service::Eks, "DescribeCluster");
        assert!(c.is_cancelled());
        assert_eq!(c.to_string(), "eks DescribeCluster was cancelled");
        let t = AwsError::deadline(Service::Iam, "ListRoles", "role did not appear within 2m");
        assert_eq!(
            t.to_string(),
            "iam ListRoles timed out: role did not appear within 2m"
        );
    }

    #[test]
    fn converts_sdk_service_errors_verbatim() {
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;

        #[derive(Debug)]
        struct Svc(ErrorMetadata);
        impl fmt::Display for Svc {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("svc")
            }
        }
        impl StdError for Svc {}
        impl ProvideErrorMetadata for Svc {
            fn meta(&self) -> &ErrorMetadata {
                &self.0
            }
        }
        let meta = ErrorMetadata::builder()
            .code("ConflictException")
            .message("There is a conflicting operation in process.")
            .build();
        let raw = HttpResponse::new(StatusCode::try_from(409).unwrap(), SdkBody::empty());
        let sdk: SdkError<Svc, HttpResponse> = SdkError::service_error(Svc(meta), raw);
        let e = AwsError::from_sdk(Service::SsoAdmin, "DeletePermissionSet", sdk);
        assert_eq!(e.code(), Some("ConflictException"));
        assert_eq!(e.message, "There is a conflicting operation in process.");
        assert_eq!(e.status(), Some(409));
        assert_eq!(e.class(), Class::ConcurrentOperation);
    }

    /// Credentials that the provider chain produced (or failed to), for the
    /// two "credentials" diagnoses below.
    #[derive(Debug)]
    struct FixedCredentials(fn() -> CredentialsError);

    impl aws_credential_types::provider::ProvideCredentials for FixedCredentials {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            aws_credential_types::provider::future::ProvideCredentials::ready(Err((self.0)()))
        }
    }

    async fn call_with(creds: FixedCredentials) -> AwsError {
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(creds)
            .http_client(super::super::http::default_client())
            .build();
        let err = aws_sdk_sts::Client::from_conf(conf)
            .get_caller_identity()
            .send()
            .await
            .expect_err("the credentials fail");
        AwsError::from_sdk(Service::Sts, "GetCallerIdentity", err)
    }

    #[tokio::test]
    async fn no_credentials_only_when_there_are_none() {
        let none = call_with(FixedCredentials(|| {
            CredentialsError::not_loaded("no providers in chain provided credentials")
        }))
        .await;
        assert_eq!(none.class(), Class::NoCredentials, "{none}");
        assert!(
            none.hint()
                .unwrap_or_default()
                .starts_with("No AWS credentials were found"),
            "{none:?}"
        );

        // assume_role's STS endpoint unreachable: an endpoint problem.
        let unreachable = call_with(FixedCredentials(|| {
            CredentialsError::provider_error(Unreachable {
                endpoint: "http://127.0.0.1:9".into(),
                attempts: 3,
                cause: "tcp connect error: Connection refused".into(),
            })
        }))
        .await;
        assert_eq!(unreachable.class(), Class::Transport, "{unreachable}");
        assert!(
            unreachable
                .message
                .starts_with("could not connect to http://127.0.0.1:9 (3 attempts)")
                && unreachable
                    .message
                    .ends_with("(while loading the provider's credentials)"),
            "{unreachable}"
        );
        let hint = unreachable.hint().unwrap_or_default();
        assert!(hint.contains("endpoint named above"), "{hint}");
        assert!(!hint.contains("credentials"), "{hint}");

        // A credential source that failed for its own reason says so.
        let failed = call_with(FixedCredentials(|| {
            CredentialsError::provider_error("the SSO session token has expired")
        }))
        .await;
        assert_eq!(failed.class(), Class::Transport, "{failed}");
        assert!(
            failed.message.contains("SSO session token has expired"),
            "{failed}"
        );
        assert!(
            failed
                .hint()
                .unwrap_or_default()
                .contains("could not be loaded"),
            "{failed:?}"
        );
    }
}

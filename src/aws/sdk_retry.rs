//! A retry classifier added to the SDK's standard retry of the IAM and EKS
//! clients, so every call of theirs (the creator role's writes, access
//! entries, policy associations) waits out another operation on the same
//! object: IAM `ConcurrentModification` and EKS `ResourceInUseException`
//! other than a duplicate, both HTTP 409 (see [`super::classify`] for the
//! AWS documentation of each). Their backoff and attempts are the SDK's
//! (`max_retries`); callers bound the whole call by the operation's
//! deadline and Ctrl-C (`Ctx::bounded`).
//!
//! The classifier reads the raw error response, because an operation's
//! modeled error type is not reachable from a classifier shared by all
//! operations. sso-admin conflicts are retried by [`super::retry`] instead,
//! where "already exists" must be told from "conflicting operation".

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_types::retry::ErrorKind;

use super::classify::{Class, classify_service};
use super::service::Service;

/// Marks 409 responses that mean "another operation is running" retryable.
#[derive(Debug, Clone, Copy)]
pub struct ConcurrentOperationClassifier {
    service: Service,
}

impl ConcurrentOperationClassifier {
    pub fn new(service: Service) -> ConcurrentOperationClassifier {
        ConcurrentOperationClassifier { service }
    }
}

impl ClassifyRetry for ConcurrentOperationClassifier {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(resp) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        let status = resp.status().as_u16();
        if status != 409 {
            return RetryAction::NoActionIndicated;
        }
        let header = resp.headers().get("x-amzn-ErrorType");
        let body = resp
            .body()
            .bytes()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let (code, message) = code_and_message(header, &body);
        match classify_service(self.service, code.as_deref(), &message, status) {
            Class::ConcurrentOperation => RetryAction::retryable_error(ErrorKind::TransientError),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "Concurrent operation on the same object"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(
            RetryClassifierPriority::modeled_as_retryable_classifier(),
        )
    }
}

/// The error code and message of a query-protocol (IAM: `<Code>`,
/// `<Message>`) or restJson1 (EKS: the `x-amzn-ErrorType` header, a
/// `"message"` field) error response. A header value may carry a suffix
/// after `:`, which is not part of the code.
fn code_and_message(header: Option<&str>, body: &str) -> (Option<String>, String) {
    let xml = |tag: &str| {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let start = body.find(&open)? + open.len();
        let len = body[start..].find(&close)?;
        Some(body[start..start + len].to_string())
    };
    if let Some(code) = xml("Code") {
        return (Some(code), xml("Message").unwrap_or_default());
    }
    let code = header.map(|h| h.split(':').next().unwrap_or(h).trim().to_string());
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("Message"))
                .and_then(|m| m.as_str().map(str::to_string))
        })
        .unwrap_or_default();
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iam_xml_errors() {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>ConcurrentModification</Code><Message>The request was rejected because multiple requests to change this object were submitted simultaneously.</Message></Error></ErrorResponse>";
        let (code, message) = code_and_message(None, body);
        assert_eq!(code.as_deref(), Some("ConcurrentModification"));
        assert!(message.starts_with("The request was rejected"));
    }

    #[test]
    fn reads_rest_json_errors() {
        let (code, message) = code_and_message(
            Some("ResourceInUseException:http://internal.amazon.com/coral/"),
            r#"{"message":"The specified resource is in use."}"#,
        );
        assert_eq!(code.as_deref(), Some("ResourceInUseException"));
        assert_eq!(message, "The specified resource is in use.");
        assert_eq!(
            classify_service(Service::Eks, code.as_deref(), &message, 409),
            Class::ConcurrentOperation
        );
        // A duplicate access entry is not retried.
        let (code, message) = code_and_message(
            Some("ResourceInUseException"),
            r#"{"message":"The specified access entry resource is already in use on this cluster."}"#,
        );
        assert_eq!(
            classify_service(Service::Eks, code.as_deref(), &message, 409),
            Class::AlreadyExists
        );
    }
}

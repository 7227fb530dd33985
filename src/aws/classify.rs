//! The one place that reads AWS error codes and messages to decide what they
//! mean: [`Class`]. Errors ([`super::errors::AwsError::class`]), retries
//! ([`super::retry`]) and hints all go through it, so "conflicting operation"
//! or "invalid principal" is recognised in exactly one place. It knows only
//! codes, messages and statuses, so it depends on nothing but [`Service`].

use super::service::Service;

/// What an error means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Another operation on the same object is running (sso-admin
    /// "conflicting operation", IAM ConcurrentModification, EKS
    /// ResourceInUseException other than a duplicate). Retry.
    ConcurrentOperation,
    /// The object to create exists already. Adopt it or report it; don't retry.
    AlreadyExists,
    /// EKS cannot see an IAM principal (yet). Retry until a deadline.
    PrincipalNotVisible,
    NotFound,
    Throttled,
    ServerError,
    AccessDenied,
    /// Credentials were rejected (invalid, expired, unsigned).
    Credentials,
    /// No credential source had credentials at all.
    NoCredentials,
    InvalidInput,
    /// A conflict that waiting does not resolve (e.g. deleting a permission
    /// set that is still assigned).
    Conflict,
    Transport,
    Timeout,
    Cancelled,
    DeadlineExceeded,
    Other,
}

/// Classification of a service error response; pure, so it is unit-tested
/// against the messages AWS actually sends.
pub fn classify_service(service: Service, code: Option<&str>, message: &str, status: u16) -> Class {
    let msg = message.to_ascii_lowercase();
    let code = code.unwrap_or("");
    match code {
        "ConflictException" => {
            if msg.contains("conflicting operation") {
                Class::ConcurrentOperation
            } else if msg.contains("already exists")
                // A second attach of the same policy (what the SDK's retry
                // meets after a lost response): "Permission set with id ps-…
                // already has a typed link attachment to a manged policy with
                // <arn>" (AWS's spelling), and for a customer-managed
                // reference "… already attached".
                || msg.contains("already has a typed link attachment")
                || msg.contains("already attached")
            {
                Class::AlreadyExists
            } else {
                Class::Conflict
            }
        }
        "EntityAlreadyExists"
        | "EntityAlreadyExistsException"
        | "ResourceAlreadyExistsException" => Class::AlreadyExists,
        // EKS answers a duplicate create with ResourceInUseException "...already in use...".
        "ResourceInUseException" if service == Service::Eks && msg.contains("already in use") => {
            Class::AlreadyExists
        }
        // Any other ResourceInUseException (HTTP 409, "The specified resource
        // is in use.", EKS API Reference, Common Errors of e.g.
        // CreateAccessEntry) means another operation holds the cluster object:
        // waiting helps.
        "ResourceInUseException" if service == Service::Eks => Class::ConcurrentOperation,
        // IAM API Reference, error ConcurrentModification (HTTP 409): "The
        // request was rejected because multiple requests to change this object
        // were submitted simultaneously. Wait a few minutes and submit your
        // request again."
        "ConcurrentModification" | "ConcurrentModificationException" if service == Service::Iam => {
            Class::ConcurrentOperation
        }
        "InvalidParameterException"
            if service == Service::Eks && msg.contains("invalid principal") =>
        {
            Class::PrincipalNotVisible
        }
        "ResourceNotFoundException"
        | "NoSuchEntity"
        | "NoSuchEntityException"
        | "NotFoundException" => Class::NotFound,
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "ThrottledException"
        | "SlowDown" => Class::Throttled,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "UnauthorizedException" => Class::AccessDenied,
        "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidSignatureException"
        | "MissingAuthenticationToken" => Class::Credentials,
        "ValidationException"
        | "ValidationError"
        | "InvalidParameterException"
        | "InvalidParameterValue"
        | "InvalidInput"
        | "MalformedPolicyDocument"
        | "InvalidRequestException"
        | "InvalidParameterCombination" => Class::InvalidInput,
        "InternalServerException"
        | "InternalFailure"
        | "ServerException"
        | "ServiceUnavailable"
        | "ServiceFailure"
        | "ServiceFailureException" => Class::ServerError,
        _ if status == 404 => Class::NotFound,
        _ if status == 429 => Class::Throttled,
        _ if status >= 500 => Class::ServerError,
        _ => Class::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_are_told_apart_by_message() {
        use Service::SsoAdmin;
        assert_eq!(
            classify_service(
                SsoAdmin,
                Some("ConflictException"),
                "There is a conflicting operation in process.",
                409
            ),
            Class::ConcurrentOperation
        );
        assert_eq!(
            classify_service(
                SsoAdmin,
                Some("ConflictException"),
                "PermissionSet with name AdministratorAccess already exists.",
                409
            ),
            Class::AlreadyExists
        );
        assert_eq!(
            classify_service(
                SsoAdmin,
                Some("ConflictException"),
                "Permission set with id ps-1234567890abcdef already has a typed link attachment to a manged policy with arn:aws:iam::aws:policy/ReadOnlyAccess",
                409
            ),
            Class::AlreadyExists
        );
        assert_eq!(
            classify_service(
                SsoAdmin,
                Some("ConflictException"),
                "Given customer managed policy with name: EKSRead  and path / already attached",
                409
            ),
            Class::AlreadyExists
        );
        assert_eq!(
            classify_service(
                SsoAdmin,
                Some("ConflictException"),
                "Could not delete because PermissionSet has ApplicationProfile associated with it",
                409
            ),
            Class::Conflict
        );
    }

    #[test]
    fn eks_messages() {
        use Service::Eks;
        assert_eq!(
            classify_service(
                Eks,
                Some("InvalidParameterException"),
                "The specified principalArn is invalid: invalid principal.",
                400
            ),
            Class::PrincipalNotVisible
        );
        assert_eq!(
            classify_service(
                Eks,
                Some("InvalidParameterException"),
                "kubernetesGroups may not start with system:",
                400
            ),
            Class::InvalidInput
        );
        assert_eq!(
            classify_service(
                Eks,
                Some("ResourceInUseException"),
                "The specified access entry resource is already in use on this cluster.",
                409
            ),
            Class::AlreadyExists
        );
        assert_eq!(
            classify_service(
                Eks,
                Some("ResourceInUseException"),
                "The specified resource is in use.",
                409
            ),
            Class::ConcurrentOperation
        );
        assert_eq!(
            classify_service(
                Service::Iam,
                Some("ConcurrentModification"),
                "The request was rejected because multiple requests to change this object were submitted simultaneously.",
                409
            ),
            Class::ConcurrentOperation
        );
        // The same words from another service are not EKS's principal check.
        assert_eq!(
            classify_service(
                Service::Iam,
                Some("InvalidParameterException"),
                "invalid principal",
                400
            ),
            Class::InvalidInput
        );
    }

    #[test]
    fn other_codes() {
        use Service::*;
        assert_eq!(
            classify_service(
                Iam,
                Some("NoSuchEntity"),
                "The role x cannot be found.",
                404
            ),
            Class::NotFound
        );
        assert_eq!(
            classify_service(
                Iam,
                Some("EntityAlreadyExists"),
                "Role with name x already exists.",
                409
            ),
            Class::AlreadyExists
        );
        assert_eq!(
            classify_service(SsoAdmin, Some("ThrottlingException"), "Rate exceeded", 429),
            Class::Throttled
        );
        assert_eq!(
            classify_service(
                Sts,
                Some("ExpiredToken"),
                "The security token included in the request is expired",
                400
            ),
            Class::Credentials
        );
        assert_eq!(
            classify_service(SsoAdmin, Some("AccessDeniedException"), "no", 403),
            Class::AccessDenied
        );
        assert_eq!(
            classify_service(Eks, Some("ServerException"), "oops", 500),
            Class::ServerError
        );
        assert_eq!(classify_service(Eks, None, "", 503), Class::ServerError);
        assert_eq!(
            classify_service(
                Iam,
                Some("LimitExceeded"),
                "Cannot exceed quota for RolesPerAccount",
                409
            ),
            Class::Other
        );
    }
}

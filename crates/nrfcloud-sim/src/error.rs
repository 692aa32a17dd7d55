//! The nRF error body `{code, message}` and the codes the simulator answers with.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// An API error: HTTP status plus the nRF body. Messages never contain credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    /// `Retry-After` seconds, for 429.
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: u32,
    message: &'a str,
}

impl ApiError {
    fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 / 40000: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 40000, message)
    }

    /// 401 / 40100: missing, wrong or expired credential, or one the operation does not accept.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 40100, message)
    }

    /// 409 / 40101: the device belongs to another team. The spec table gives the code; 409 says
    /// "conflict" to clients that only look at the status (a 401 would read as a bad API key).
    pub fn owned_by_other_team() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            40101,
            "device is owned by another account",
        )
    }

    /// 400 / 40102: a well-formed claim token that this cloud did not issue. The provisioning
    /// document's `4XX` of the claim operations names 400 for a rejected claim.
    pub fn invalid_ownership_code() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            40102,
            "invalid ownership code: the claim token signature does not verify",
        )
    }

    /// 404 / 40410: entity not found.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, 40410, what)
    }

    /// 404 / 40420: no such route.
    pub fn no_route(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            40420,
            format!("resource not found: {method} {path}"),
        )
    }

    /// 405 / 40500: the route exists but not with this method.
    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            40500,
            format!("method {method} is not allowed on {path}"),
        )
    }

    /// 409 / 40900: the request conflicts with the resource's current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, 40900, message)
    }

    /// 412 / 41200: `If-Match` names a version that is no longer current.
    pub fn precondition_failed(expected: &str, current: u64) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            41200,
            format!("If-Match {expected} does not match the current version {current}"),
        )
    }

    /// 413 / 41300: the body is larger than the simulator accepts.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            41300,
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 416 / 41600: the `Range` starts beyond the end of the data.
    pub fn range_not_satisfiable(total: usize) -> Self {
        Self::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            41600,
            format!("range not satisfiable: the data has {total} bytes"),
        )
    }

    /// 422 / 42200: validation failed.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, 42200, message)
    }

    /// 429 / 42900 with `Retry-After`.
    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, 42900, "too many requests")
        }
    }

    /// 500 / 50010: internal server error (an injected fault).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, 50010, message)
    }

    /// 503 / 50300: service unavailable (an injected fault).
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            50300,
            "service unavailable (simulated)",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(Body {
                code: self.code,
                message: &self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Result of a handler.
pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;

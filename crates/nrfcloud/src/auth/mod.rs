//! Credentials and token signing.
//!
//! A [`crate::Client`] holds up to three credentials: the team API key, one JWT signer
//! ([`DeviceJwt`] or [`ServiceJwt`]) and a service evaluation token. For each operation it picks
//! one the operation accepts (the schemes come from `nrfcloud_api::OPERATIONS`), in this order:
//! API key, JWT, service evaluation token. Operations that declare no scheme get no
//! `Authorization` header. When none fits, the call fails before anything is sent, with
//! [`AuthError::MissingCredential`] naming the operation, what it accepts and what the client
//! has.

#[cfg(feature = "jwt")]
mod device_tokens;
#[cfg(feature = "jwt")]
mod jwt;
#[cfg(feature = "jwt")]
mod keys;
pub(crate) mod serving;
#[cfg(feature = "jwt")]
mod signer;

use std::fmt;

use nrfcloud_api::{Authorize, Operation, Scheme};
use reqwest::header::HeaderValue;

pub use crate::error::AuthError;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub use device_tokens::TokenCacheStats;
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub use jwt::{
    ApplicationJwt, CLOCK_SKEW, Clock, DeviceJwt, MAX_TOKEN_TTL, ServiceJwt, SystemClock,
};
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub use keys::{KeyType, PrivateKey};
/// Tokens are [`SecretString`]s: call [`ExposeSecret::expose_secret`] to read one.
pub use secrecy::{ExposeSecret, SecretString};

/// The JWT signer a client sends to operations that accept a JSON Web Token.
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
#[derive(Debug)]
#[non_exhaustive]
pub enum JwtCredential {
    /// A device's own token.
    Device(DeviceJwt),
    /// A service-key (proxy) token.
    Service(ServiceJwt),
}

#[cfg(feature = "jwt")]
impl From<DeviceJwt> for JwtCredential {
    fn from(jwt: DeviceJwt) -> Self {
        Self::Device(jwt)
    }
}

#[cfg(feature = "jwt")]
impl From<ServiceJwt> for JwtCredential {
    fn from(jwt: ServiceJwt) -> Self {
        Self::Service(jwt)
    }
}

#[cfg(feature = "jwt")]
impl JwtCredential {
    /// The token for a request serving `device`: a service key signs one with that `sub`; a
    /// device's own token serves that device only.
    fn token_serving(&self, device: Option<&str>) -> Result<SecretString, AuthError> {
        match (self, device) {
            (Self::Service(j), Some(device)) => j.token_for(device),
            (Self::Service(j), None) => j.token(),
            (Self::Device(j), Some(device)) if device != j.device_id() => {
                Err(AuthError::InvalidClaim {
                    reason: format!(
                        "the client's device JWT is for {:?}; a request for {device:?} needs \
                         that device's token or a service key",
                        j.device_id()
                    ),
                })
            }
            (Self::Device(j), _) => j.token(),
        }
    }
}

/// The credentials of a client. `Debug` shows which are configured, never their values.
#[derive(Default)]
pub(crate) struct Credentials {
    pub(crate) api_key: Option<SecretString>,
    #[cfg(feature = "jwt")]
    pub(crate) jwt: Option<JwtCredential>,
    pub(crate) evaluation_token: Option<SecretString>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("Credentials");
        f.field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"));
        #[cfg(feature = "jwt")]
        f.field("jwt", &self.jwt);
        f.field(
            "evaluation_token",
            &self.evaluation_token.as_ref().map(|_| "[REDACTED]"),
        )
        .finish()
    }
}

/// Preference order when an operation accepts several schemes.
const PREFERENCE: [Scheme; 3] = [Scheme::ApiKey, Scheme::Jwt, Scheme::ServiceEvaluationToken];

/// The scheme to use: `Ok(None)` when the operation needs none, `Err(())` when no configured
/// scheme is accepted.
fn choose(accepted: &[Scheme], configured: &[Scheme]) -> Result<Option<Scheme>, ()> {
    if accepted.is_empty() {
        return Ok(None);
    }
    PREFERENCE
        .into_iter()
        .find(|s| accepted.contains(s) && configured.contains(s))
        .map(Some)
        .ok_or(())
}

impl Credentials {
    pub(crate) fn configured(&self) -> Vec<Scheme> {
        let mut out = Vec::new();
        if self.api_key.is_some() {
            out.push(Scheme::ApiKey);
        }
        #[cfg(feature = "jwt")]
        if self.jwt.is_some() {
            out.push(Scheme::Jwt);
        }
        if self.evaluation_token.is_some() {
            out.push(Scheme::ServiceEvaluationToken);
        }
        out
    }

    /// Whether every credential can be used: a JWT signer's settings are checked here, at
    /// `ClientBuilder::build()`, not when the first request needs a token.
    pub(crate) fn check(&self) -> Result<(), AuthError> {
        #[cfg(feature = "jwt")]
        match &self.jwt {
            Some(JwtCredential::Device(j)) => j.check()?,
            Some(JwtCredential::Service(j)) => j.check()?,
            None => {}
        }
        Ok(())
    }

    /// Whether the credential `op` gets names the device `serving` names (a JWT with that
    /// `sub`), so the request needs no `x-custom-device-id`.
    pub(crate) fn names_device(&self, op: &Operation, serving: &serving::Serving) -> bool {
        if serving.token.is_some() && op.schemes.contains(&Scheme::Jwt) {
            return true;
        }
        serving.device.is_some() && choose(op.schemes, &self.configured()) == Ok(Some(Scheme::Jwt))
    }

    /// The `Authorization` value for `op`, minting a JWT when needed: the device token the
    /// request passes through when it has one and `op` takes a JWT, else a configured
    /// credential (a service-key JWT with the request's device as `sub`).
    pub(crate) fn header_for(&self, op: &Operation) -> Result<Option<HeaderValue>, AuthError> {
        let serving = serving::current();
        if let Some(token) = serving.token.as_ref()
            && op.schemes.contains(&Scheme::Jwt)
        {
            return bearer(token).map(Some);
        }
        let configured = self.configured();
        let scheme =
            choose(op.schemes, &configured).map_err(|()| AuthError::MissingCredential {
                operation: op.operation_id,
                accepted: op.schemes.to_vec(),
                configured,
            })?;
        let token = match scheme {
            None => return Ok(None),
            Some(Scheme::ApiKey) => self.api_key.clone(),
            #[cfg(feature = "jwt")]
            Some(Scheme::Jwt) => self
                .jwt
                .as_ref()
                .map(|j| j.token_serving(serving.device.as_deref()))
                .transpose()?,
            // `configured()` never offers a JWT without the feature.
            #[cfg(not(feature = "jwt"))]
            Some(Scheme::Jwt) => None,
            Some(Scheme::ServiceEvaluationToken) => self.evaluation_token.clone(),
        };
        token.as_ref().map(bearer).transpose()
    }
}

/// `Bearer <token>`, marked sensitive.
fn bearer(token: &SecretString) -> Result<HeaderValue, AuthError> {
    let mut value =
        HeaderValue::try_from(format!("Bearer {}", token.expose_secret())).map_err(|_| {
            AuthError::InvalidClaim {
                reason: "the credential has characters that cannot go in an HTTP header".into(),
            }
        })?;
    value.set_sensitive(true);
    Ok(value)
}

/// An Organization Auth Token: the only credential of the organization-scoped client, which
/// serves the location calls at `/v1/organizations/{org}/projects/{project}/location/…`.
pub(crate) struct OrganizationToken(pub(crate) SecretString);

impl fmt::Debug for OrganizationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OrganizationToken([REDACTED])")
    }
}

impl Authorize for OrganizationToken {
    fn authorize(&self, _: &Operation) -> Result<Option<HeaderValue>, String> {
        bearer(&self.0)
            .map(Some)
            .map_err(crate::observe::record_refusal)
    }
}

impl Authorize for Credentials {
    fn authorize(&self, operation: &Operation) -> Result<Option<HeaderValue>, String> {
        self.header_for(operation)
            .map_err(crate::observe::record_refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Scheme::*;

    /// accepted, configured, expected choice
    type Case = (
        &'static [Scheme],
        &'static [Scheme],
        Result<Option<Scheme>, ()>,
    );

    #[test]
    fn choice_table() {
        let cases: &[Case] = &[
            (&[], &[], Ok(None)),
            (&[], &[ApiKey], Ok(None)),
            (&[ApiKey], &[ApiKey, Jwt], Ok(Some(ApiKey))),
            (&[ApiKey, Jwt], &[Jwt], Ok(Some(Jwt))),
            (&[ApiKey, Jwt], &[ApiKey, Jwt], Ok(Some(ApiKey))),
            (
                &[ServiceEvaluationToken, Jwt],
                &[ApiKey, ServiceEvaluationToken],
                Ok(Some(ServiceEvaluationToken)),
            ),
            (
                &[ServiceEvaluationToken, Jwt],
                &[ApiKey, Jwt, ServiceEvaluationToken],
                Ok(Some(Jwt)),
            ),
            (&[ApiKey], &[Jwt], Err(())),
            (&[ApiKey], &[], Err(())),
            (&[ServiceEvaluationToken, Jwt], &[ApiKey], Err(())),
        ];
        for (accepted, configured, want) in cases {
            assert_eq!(
                &choose(accepted, configured),
                want,
                "{accepted:?} / {configured:?}"
            );
        }
    }

    #[cfg(feature = "jwt")]
    #[test]
    fn api_key_only_operation_with_a_jwt_names_what_is_missing() {
        let creds = Credentials {
            jwt: Some(
                DeviceJwt::new(jwt::tests::ec_key(), "dev-1")
                    .unwrap()
                    .into(),
            ),
            ..Default::default()
        };
        let op = Operation::find(nrfcloud_api::Api::Rest, "list_devices").unwrap();
        let e = creds.header_for(op).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ListDevices accepts an API key, but the client has a JWT"
        );
        let fetch = Operation::find(nrfcloud_api::Api::Rest, "fetch_device").unwrap();
        let v = creds.header_for(fetch).unwrap().unwrap();
        assert!(v.is_sensitive());
        assert!(v.to_str().unwrap().starts_with("Bearer ey"));
    }

    #[test]
    fn debug_is_redacted() {
        let creds = Credentials {
            api_key: Some("0123456789abcdef0123456789abcdef01234567".into()),
            #[cfg(feature = "jwt")]
            jwt: None,
            evaluation_token: Some("eval-token-value".into()),
        };
        let debug = format!("{creds:?}");
        assert!(!debug.contains("0123456789abcdef"), "{debug}");
        assert!(!debug.contains("eval-token-value"), "{debug}");
        assert!(debug.contains("[REDACTED]"));
    }
}

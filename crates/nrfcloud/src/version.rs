//! Optimistic concurrency: the version a read returns, sent back as `If-Match` on updates.
//!
//! A single-resource read takes the version from the `ETag` header, else from `$meta.version`,
//! else from `state.version` of the body, in that order.
//!
//! ```no_run
//! # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
//! let devices = client.devices();
//! let device = devices.get("nrf-352656100123456").send().await?;
//! if let Some(version) = device.version() {
//!     devices.set_tags("nrf-352656100123456", ["field-test"]).if_match(version).send().await?;
//! }
//! # Ok(())
//! # }
//! ```

// [CONFLICT] provisioning-api.md §6.4: where the version comes from. The REST overview says
// single-resource GETs expose it as the `ETag` header and that it equals `$meta.version`; the
// REST document's `$meta` has no `version`, and observed devices carry a numeric
// `state.version`. All three are read, in that order.

use std::{fmt, ops::Deref};

use http::HeaderMap;
use serde::Deserialize;

/// A resource version, sent as `If-Match` to update only what was read. A stale one makes the
/// update fail with HTTP 412 ([`crate::Error::is_precondition_failed`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Etag(String);

impl Etag {
    /// A version as the server gave it (an `ETag` value, or `$meta.version`).
    ///
    /// ```
    /// use nrfcloud::version::Etag;
    /// let version = Etag::new("\"7\"");
    /// ```
    pub fn new(version: impl Into<String>) -> Self {
        Self(version.into())
    }

    /// The value sent in `If-Match`.
    ///
    /// ```
    /// # use nrfcloud::version::Etag;
    /// assert_eq!(Etag::new("7").as_str(), "7");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Etag {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for Etag {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<&Etag> for Etag {
    fn from(e: &Etag) -> Self {
        e.clone()
    }
}

/// A value read together with its version.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Versioned<T> {
    value: T,
    version: Option<Etag>,
}

impl<T> Versioned<T> {
    pub(crate) fn new(value: T, version: Option<Etag>) -> Self {
        Self { value, version }
    }

    /// The value.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::devices::DeviceExt;
    /// let device = client.devices().get("nrf-352656100123456").send().await?;
    /// println!("{}", device.value().id());
    /// # Ok(())
    /// # }
    /// ```
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Its version, when the server exposed one.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let device = client.devices().get("nrf-352656100123456").send().await?;
    /// println!("version {:?}", device.version().map(|v| v.as_str()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn version(&self) -> Option<&Etag> {
        self.version.as_ref()
    }

    /// The value, without its version.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let device = client.devices().get("nrf-352656100123456").send().await?.into_inner();
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }

    /// Value and version.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let device = client.devices().get("nrf-352656100123456").send().await?;
    /// let (device, version) = device.into_parts();
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_parts(self) -> (T, Option<Etag>) {
        (self.value, self.version)
    }
}

impl<T> Deref for Versioned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "$meta")]
    meta: Option<VersionField>,
    state: Option<VersionField>,
}

#[derive(Deserialize)]
struct VersionField {
    version: Option<serde_json::Value>,
}

fn as_version(v: &serde_json::Value) -> Option<Etag> {
    match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(Etag::new(s.clone())),
        // 3.0 and 3 are the same version: send the integer form.
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(i), _) => Some(Etag::new(i.to_string())),
            (None, Some(f)) if f.fract() == 0.0 && f >= 0.0 => Some(Etag::new(format!("{f:.0}"))),
            (None, Some(f)) => Some(Etag::new(f.to_string())),
            _ => None,
        },
        _ => None,
    }
}

/// The version of a single-resource response: the `ETag` header, else `$meta.version`, else
/// `state.version` of the JSON body.
pub(crate) fn version_of(headers: &HeaderMap, body: &[u8]) -> Option<Etag> {
    if let Some(tag) = headers
        .get(http::header::ETAG)
        .and_then(|v| v.to_str().ok())
    {
        return Some(Etag::new(tag));
    }
    let probe: Probe = serde_json::from_slice(body).ok()?;
    let version = |f: Option<VersionField>| f.and_then(|f| f.version).as_ref().and_then(as_version);
    version(probe.meta).or_else(|| version(probe.state))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(etag: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(t) = etag {
            h.insert(http::header::ETAG, t.parse().unwrap());
        }
        h
    }

    #[test]
    fn sources_in_order() {
        let both = br#"{"$meta":{"version":7},"state":{"version":3}}"#;
        assert_eq!(
            version_of(&headers(Some("\"9\"")), both),
            Some(Etag::new("\"9\""))
        );
        assert_eq!(version_of(&headers(None), both), Some(Etag::new("7")));
        let state = br#"{"$meta":{"createdAt":"2024-01-01T00:00:00Z"},"state":{"version":3.0}}"#;
        assert_eq!(version_of(&headers(None), state), Some(Etag::new("3")));
        let string = br#"{"$meta":{"version":"v-12"}}"#;
        assert_eq!(version_of(&headers(None), string), Some(Etag::new("v-12")));
        assert_eq!(version_of(&headers(None), br#"{"id":"x"}"#), None);
        assert_eq!(version_of(&headers(None), b"not json"), None);
    }
}

//! The [`Client`]: one cheap-to-clone handle on both nRF Cloud APIs, and its builder.

use std::{fmt, sync::Arc, time::Duration};

use nrfcloud_api::{Inner, provisioning, rest};
use secrecy::SecretString;

use crate::{
    auth::{Credentials, OrganizationToken},
    error::{ConfigError, Error, Result},
    paths::{ClaimPath, Paths, TagPaths},
    retry::{RetryPolicy, TokioTracing},
};

const DEFAULT_REST_HOST: &str = "https://api.nrfcloud.com";
const DEFAULT_PROVISIONING_HOST: &str = "https://api.provisioning.nrfcloud.com";

/// A client for the nRF Cloud REST API and the Provisioning Service.
///
/// Cheap to clone (an `Arc` inside): clone it into tasks rather than wrapping it in an `Arc`.
/// Resources are reached through handles ([`Client::devices`], [`Client::provisioning`], …)
/// whose builders end in `.send()`.
///
/// ```no_run
/// # async fn run() -> nrfcloud::Result<()> {
/// let client = nrfcloud::Client::from_env()?;
/// let team = client.account().team_id().await?;
/// println!("team {team}");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    raw: Clients,
    paths: Paths,
    credentials: Arc<Credentials>,
    insecure_http: bool,
}

/// The raw generated clients, configured with this client's hosts, credentials, timeouts and
/// retry policy: the escape hatch for operations the facade does not wrap.
///
/// ```no_run
/// # async fn run(client: nrfcloud::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let usage = client.raw().rest().fetch_api_usage_summary().send().await?;
/// # let _ = usage;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Clients {
    rest: rest::Client,
    provisioning: provisioning::Client,
    organization: Option<rest::Client>,
}

impl Clients {
    /// The REST API client (`<rest host>/v1`).
    pub fn rest(&self) -> &rest::Client {
        &self.rest
    }

    /// The Provisioning Service client (`<provisioning host>/v1`).
    pub fn provisioning(&self) -> &provisioning::Client {
        &self.provisioning
    }

    /// The organization-scoped REST client
    /// (`<organization host>/v1/organizations/{org}/projects/{project}`, authenticated with the
    /// Organization Auth Token), when [`ClientBuilder::organization`] is set. Only its
    /// `/location/…` operations are meant for it.
    pub fn organization(&self) -> Option<&rest::Client> {
        self.organization.as_ref()
    }
}

impl Client {
    /// The production REST API origin.
    pub const DEFAULT_REST_HOST: &str = DEFAULT_REST_HOST;
    /// The production Provisioning Service origin.
    pub const DEFAULT_PROVISIONING_HOST: &str = DEFAULT_PROVISIONING_HOST;

    /// A builder with the production hosts and no credentials.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment (see [`ClientBuilder::from_env`]).
    ///
    /// ```no_run
    /// let client = nrfcloud::Client::from_env()?;
    /// # Ok::<(), nrfcloud::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env().build()
    }

    /// The configured raw clients.
    pub fn raw(&self) -> &Clients {
        &self.shared.raw
    }

    pub(crate) fn paths(&self) -> Paths {
        self.shared.paths
    }

    pub(crate) fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// Whether plain HTTP may go to hosts other than loopback ones.
    pub(crate) fn allows_insecure_http(&self) -> bool {
        self.shared.insecure_http
    }

    /// What the service-key signer's per-device token cache has done, when the client signs
    /// with a service key.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// if let Some(stats) = client.token_cache_stats() {
    ///     println!("{} tokens minted, hit rate {:.3}", stats.minted, stats.hit_rate());
    /// }
    /// # }
    /// ```
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    pub fn token_cache_stats(&self) -> Option<crate::auth::TokenCacheStats> {
        match &self.shared.credentials.jwt {
            Some(crate::auth::JwtCredential::Service(j)) => Some(j.cache_stats()),
            _ => None,
        }
    }
}

/// Configures a [`Client`].
///
/// ```no_run
/// use std::time::Duration;
/// let client = nrfcloud::Client::builder()
///     .api_key(std::env::var("NRFCLOUD_API_KEY").unwrap_or_default())
///     .rest_host("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(60))
///     .retry(nrfcloud::retry::RetryPolicy::default().max_attempts(6))
///     .build()?;
/// # Ok::<(), nrfcloud::Error>(())
/// ```
pub struct ClientBuilder {
    /// Why the environment gave no usable configuration: reported by `build()`.
    env_error: Option<String>,
    credentials: Credentials,
    rest_host: String,
    provisioning_host: String,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    insecure_http: bool,
    paths: Paths,
    organization: Organization,
}

/// Where the organization-scoped location calls go, and their token.
#[derive(Default)]
struct Organization {
    token: Option<SecretString>,
    slugs: Option<(String, String)>,
    host: Option<String>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            env_error: None,
            credentials: Credentials::default(),
            rest_host: DEFAULT_REST_HOST.into(),
            provisioning_host: DEFAULT_PROVISIONING_HOST.into(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            insecure_http: false,
            paths: Paths::default(),
            organization: Organization::default(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            .field("rest_host", &self.rest_host)
            .field("provisioning_host", &self.provisioning_host)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("insecure_http", &self.insecure_http)
            .field("paths", &self.paths)
            .field("organization", &self.organization.slugs)
            .field("organization_host", &self.organization.host)
            .field(
                "organization_token",
                &self.organization.token.as_ref().map(|_| "[REDACTED]"),
            )
            .finish()
    }
}

impl ClientBuilder {
    /// A builder configured from the environment, to add settings to: `NRFCLOUD_API_KEY`
    /// (required; `build()` fails without it), `NRFCLOUD_API_HOST` and
    /// `NRFCLOUD_PROVISIONING_HOST` (origins such as `http://127.0.0.1:8080`; the production
    /// hosts when unset).
    ///
    /// ```no_run
    /// let client = nrfcloud::ClientBuilder::from_env()
    ///     .bulk_claim_endpoint(true)
    ///     .build()?;
    /// # Ok::<(), nrfcloud::Error>(())
    /// ```
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut builder = Self::default();
        match var("NRFCLOUD_API_KEY") {
            Some(key) => builder = builder.api_key(key.trim()),
            None => {
                builder.env_error = Some(
                    "NRFCLOUD_API_KEY is not set; create an API key in the nRF Cloud portal".into(),
                )
            }
        }
        if let Some(host) = var("NRFCLOUD_API_HOST") {
            builder = builder.rest_host(host);
        }
        if let Some(host) = var("NRFCLOUD_PROVISIONING_HOST") {
            builder = builder.provisioning_host(host);
        }
        builder
    }

    /// The team API key, sent as `Authorization: Bearer <key>` to the operations that accept it.
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.env_error = None;
        self.credentials.api_key = Some(key.into());
        self
    }

    /// A device or service-key JWT signer, for the operations that accept a JWT (and, when no
    /// API key is configured, the only credential).
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    pub fn jwt(mut self, jwt: impl Into<crate::auth::JwtCredential>) -> Self {
        self.credentials.jwt = Some(jwt.into());
        self
    }

    /// The location services' evaluation token.
    pub fn service_evaluation_token(mut self, token: impl Into<SecretString>) -> Self {
        self.credentials.evaluation_token = Some(token.into());
        self
    }

    /// An Organization Auth Token (OAT, created in the nRF Cloud / Memfault dashboard), for
    /// Location Services: with it and [`organization`](Self::organization), the location calls
    /// go to `/v1/organizations/{org}/projects/{project}/location/…` with this token, the
    /// cloud-to-cloud form nRF Cloud now recommends over service-key JWTs. Other calls keep the
    /// client's other credentials.
    ///
    /// ```
    /// let client = nrfcloud::Client::builder()
    ///     .organization_token("oat_…")
    ///     .organization("my-org", "my-project")
    ///     .build()?;
    /// # Ok::<(), nrfcloud::Error>(())
    /// ```
    pub fn organization_token(mut self, token: impl Into<SecretString>) -> Self {
        self.organization.token = Some(token.into());
        self
    }

    /// The organization and project slugs of the organization-scoped location URLs (see
    /// [`organization_token`](Self::organization_token)).
    pub fn organization(mut self, org: impl Into<String>, project: impl Into<String>) -> Self {
        self.organization.slugs = Some((org.into(), project.into()));
        self
    }

    /// The origin of the organization-scoped URLs. Which host serves them is \[UNCERTAIN\]:
    /// Nordic's documentation shows only the path, so the default is the REST host
    /// ([`rest_host`](Self::rest_host)), and this setting is for when it turns out to differ.
    pub fn organization_host(mut self, origin: impl Into<String>) -> Self {
        self.organization.host = Some(origin.into());
        self
    }

    /// The REST API origin (default `https://api.nrfcloud.com`); `/v1` is appended.
    pub fn rest_host(mut self, origin: impl Into<String>) -> Self {
        self.rest_host = origin.into();
        self
    }

    /// The Provisioning Service origin (default `https://api.provisioning.nrfcloud.com`).
    pub fn provisioning_host(mut self, origin: impl Into<String>) -> Self {
        self.provisioning_host = origin.into();
        self
    }

    /// Time allowed to connect (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole request, per attempt (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// When to retry (default: [`RetryPolicy::default`]; [`RetryPolicy::never`] turns it off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Allows `http://` hosts other than loopback ones. Off by default: credentials go over
    /// plain HTTP only to 127.0.0.0/8, `::1` and `localhost` (a simulator, a local proxy), so
    /// an origin typed without its `s` fails at `build()` instead of sending the API key
    /// unencrypted.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.insecure_http = allow;
        self
    }

    /// Where claims go (default [`ClaimPath::ClaimedDevices`], `POST /claimed-devices`): one
    /// device, and CSV claims unless [`bulk_claim_endpoint`](Self::bulk_claim_endpoint) is on.
    ///
    /// ```
    /// use nrfcloud::provisioning::ClaimPath;
    /// let client = nrfcloud::Client::builder()
    ///     .api_key("…")
    ///     .claim_path(ClaimPath::Identities)
    ///     .build()?;
    /// # Ok::<(), nrfcloud::Error>(())
    /// ```
    pub fn claim_path(mut self, path: ClaimPath) -> Self {
        self.paths.claim = path;
        self
    }

    /// Sends CSV claims to `POST /claimed-devices/bulk`, answered with a bulk operation that
    /// is then followed, instead of the claim path, answered synchronously (default off).
    pub fn bulk_claim_endpoint(mut self, on: bool) -> Self {
        self.paths.bulk_claim_endpoint = on;
        self
    }

    /// Where provisioning tags are listed and created (default
    /// [`TagPaths::ClaimedDevices`], `/claimed-devices/tags`). Fetching, updating and deleting a
    /// tag always use `/claimed-devices/tags/{id}`.
    pub fn tag_paths(mut self, paths: TagPaths) -> Self {
        self.paths.tags = paths;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client> {
        if let Some(message) = self.env_error {
            return Err(Error::config(message));
        }
        self.credentials.check()?;
        let rest_base = base_url("REST host", &self.rest_host, self.insecure_http)?;
        let provisioning_base = base_url(
            "provisioning host",
            &self.provisioning_host,
            self.insecure_http,
        )?;
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(concat!("nrfcloud-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::with_source("cannot build the HTTP client", e))?;
        let retry = (self.retry, Arc::new(TokioTracing));
        let organization = match self.organization {
            Organization {
                token: Some(token),
                slugs: Some((org, project)),
                host,
            } => {
                let origin = host.as_deref().unwrap_or(&self.rest_host);
                let base = base_url("organization host", origin, self.insecure_http)?;
                let base = format!(
                    "{base}/organizations/{}/projects/{}",
                    slug("organization", &org)?,
                    slug("project", &project)?
                );
                let inner = Inner::new()
                    .with_authorizer(Arc::new(OrganizationToken(token)))
                    .with_retry(retry.0, retry.1.clone());
                Some(rest::Client::new_with_client(&base, http.clone(), inner))
            }
            Organization {
                token: None,
                slugs: None,
                ..
            } => None,
            Organization { token: None, .. } => {
                return Err(Error::config(
                    "organization(…) is set without organization_token(…): the organization \
                     URLs take an Organization Auth Token",
                ));
            }
            Organization { slugs: None, .. } => {
                return Err(Error::config(
                    "organization_token(…) is set without organization(org, project): the \
                     organization URLs need both slugs",
                ));
            }
        };
        let credentials = Arc::new(self.credentials);
        let inner = Inner::new()
            .with_authorizer(credentials.clone())
            .with_retry(retry.0, retry.1);
        let raw = Clients {
            rest: rest::Client::new_with_client(&rest_base, http.clone(), inner.clone()),
            provisioning: provisioning::Client::new_with_client(&provisioning_base, http, inner),
            organization,
        };
        Ok(Client {
            shared: Arc::new(Shared {
                raw,
                paths: self.paths,
                credentials,
                insecure_http: self.insecure_http,
            }),
        })
    }
}

/// `origin` + `/v1`, after checking it is an http(s) origin (a path prefix for a proxy is fine)
/// and, unless `insecure_http`, that plain HTTP goes only to a loopback host.
fn base_url(what: &str, origin: &str, insecure_http: bool) -> Result<String> {
    let trimmed = origin.trim().trim_end_matches('/');
    let shown = without_userinfo(origin);
    let url = reqwest::Url::parse(trimmed).map_err(|e| {
        Error::config(format!("the {what} {shown:?} is not a URL ({e}); expected an origin such as https://api.nrfcloud.com"))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::config(format!(
            "the {what} {shown:?} must be an http:// or https:// origin"
        )));
    }
    if url.scheme() == "http" && !insecure_http && !is_loopback(&url) {
        return Err(Error::config(format!(
            "the {what} {shown:?} would send credentials unencrypted; use https://, a loopback \
             host (127.0.0.1, ::1, localhost), or ClientBuilder::allow_insecure_http(true)"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config(format!(
            "the {what} {shown:?} must not have a query or fragment"
        )));
    }
    if url.path().ends_with("/v1") {
        return Err(Error::config(format!(
            "the {what} {shown:?} ends in /v1; give the origin, the client appends /v1"
        )));
    }
    Ok(format!("{trimmed}/v1"))
}

/// An organization or project slug, checked so it stays one path segment.
fn slug<'a>(what: &str, value: &'a str) -> Result<&'a str> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && value != "."
        && value != "..";
    if ok {
        Ok(value)
    } else {
        Err(Error::config(format!(
            "the {what} slug {value:?} must be letters, digits, `-`, `_` or `.`"
        )))
    }
}

pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `origin` with any `user:password@` masked, for error messages.
fn without_userinfo(origin: &str) -> String {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return match origin.rfind('@') {
            Some(at) => format!("***@{}", &origin[at + 1..]),
            None => origin.to_owned(),
        };
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => origin.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use progenitor_client::ClientInfo;

    #[test]
    fn hosts_become_v1_base_urls() {
        assert_eq!(
            base_url("h", "https://api.nrfcloud.com", false).unwrap(),
            "https://api.nrfcloud.com/v1"
        );
        assert_eq!(
            base_url("h", "http://127.0.0.1:8080//", false).unwrap(),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(
            base_url("h", "https://proxy.example/nrf/", false).unwrap(),
            "https://proxy.example/nrf/v1"
        );
        for bad in [
            "api.nrfcloud.com",
            "ftp://x",
            "https://api.nrfcloud.com/v1",
            "http://h?x=1",
            "",
        ] {
            let e = base_url("REST host", bad, false).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Config(_)), "{bad}: {e}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        for local in [
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://[::1]:3000",
            "http://localhost:8080",
            "http://LOCALHOST",
        ] {
            assert!(base_url("h", local, false).is_ok(), "{local}");
        }
        for remote in [
            "http://api.nrfcloud.com",
            "http://10.0.0.5:8080",
            "http://[2001:db8::1]",
            "http://localhost.example.com",
        ] {
            let e = base_url("REST host", remote, false).unwrap_err();
            assert!(
                e.to_string().contains("would send credentials unencrypted"),
                "{remote}: {e}"
            );
            assert_eq!(base_url("h", remote, true).unwrap(), format!("{remote}/v1"));
        }
        let e = Client::builder()
            .api_key("k")
            .rest_host("http://proxy.example")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("allow_insecure_http"), "{e}");
        assert!(
            Client::builder()
                .rest_host("http://proxy.example")
                .allow_insecure_http(true)
                .build()
                .is_ok()
        );
    }

    #[test]
    fn host_errors_never_echo_credentials_in_the_origin() {
        for origin in [
            "https://user:s3cret@api.nrfcloud.com/v1",
            "http://user:s3cret@proxy.example",
            "not a url user:s3cret@x",
        ] {
            let e = base_url("REST host", origin, false).unwrap_err();
            assert!(!e.to_string().contains("s3cret"), "{e}");
        }
        assert_eq!(
            without_userinfo("https://u:p@h.example:8443/x?y=1"),
            "https://***@h.example:8443/x?y=1"
        );
    }

    #[test]
    fn from_env_reads_the_three_variables() {
        let vars = |name: &str| match name {
            "NRFCLOUD_API_KEY" => Some("key-123".to_owned()),
            "NRFCLOUD_API_HOST" => Some("http://127.0.0.1:1/".to_owned()),
            "NRFCLOUD_PROVISIONING_HOST" => Some("http://127.0.0.1:2".to_owned()),
            _ => None,
        };
        let client = ClientBuilder::from_lookup(vars).build().unwrap();
        assert_eq!(client.raw().rest().baseurl(), "http://127.0.0.1:1/v1");
        assert_eq!(
            client.raw().provisioning().baseurl(),
            "http://127.0.0.1:2/v1"
        );
        let defaults =
            ClientBuilder::from_lookup(|n| (n == "NRFCLOUD_API_KEY").then(|| "k".to_owned()))
                .build()
                .unwrap();
        assert_eq!(
            defaults.raw().rest().baseurl(),
            "https://api.nrfcloud.com/v1"
        );
        assert_eq!(
            defaults.raw().provisioning().baseurl(),
            "https://api.provisioning.nrfcloud.com/v1"
        );
        let e = ClientBuilder::from_lookup(|_| None).build().unwrap_err();
        assert!(e.to_string().contains("NRFCLOUD_API_KEY is not set"), "{e}");
    }

    #[test]
    fn debug_never_shows_the_api_key() {
        let key = "d8be845e816e45d4a9529a6cfcd459c88e3c22b5";
        let builder = Client::builder().api_key(key);
        assert!(!format!("{builder:?}").contains(key));
        let client = builder.build().unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains(key), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
    }
}

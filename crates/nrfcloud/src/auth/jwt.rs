//! Token signers: ES256 device and service-key JWTs for nRF Cloud (cached, re-minted before they
//! expire) and RS256 application JWTs in the Vonage/Nexmo form.

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use secrecy::SecretString;
use serde::Serialize;

use super::{
    device_tokens::{DeviceTokens, TokenCacheStats},
    keys::PrivateKey,
    signer,
};
use crate::error::AuthError;
use crate::ids::is_device_id;

/// Tokens are issued this much in the past, for clocks that run ahead of the server's.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The time source of the signers; tests inject a fixed one.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

fn check_id(what: &str, id: &str) -> Result<(), AuthError> {
    if is_device_id(id) {
        Ok(())
    } else {
        Err(AuthError::InvalidClaim {
            reason: format!(
                "{what} {id:?} must be 1 to 128 characters of letters, digits, `:`, `_` or `-`"
            ),
        })
    }
}

/// The longest lifetime a device or service token takes (nRF Cloud states no maximum; device
/// firmware uses at most 7 days). Beyond it `exp` stops being a useful bound, and near
/// `Duration::MAX` the time arithmetic would overflow.
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(366 * 24 * 3600);

fn positive(ttl: Duration) -> Result<Duration, String> {
    if ttl < Duration::from_secs(1) {
        return Err(format!(
            "a token lifetime of {ttl:?} is too short (at least 1 s)"
        ));
    }
    if ttl > MAX_TOKEN_TTL {
        return Err(format!(
            "a token lifetime of {} s is too long (at most 366 days)",
            ttl.as_secs()
        ));
    }
    Ok(ttl)
}

/// A minted token and when to mint the next one.
pub(super) struct Cached {
    pub(super) token: SecretString,
    pub(super) refresh_at: u64,
}

/// An ES256 signer with a token cache.
struct Es256 {
    key: PrivateKey,
    ttl: Duration,
    clock: Arc<dyn Clock>,
    cache: Mutex<Option<Cached>>,
    /// Why a setting cannot make a token (setters never fail; `token()` reports it).
    invalid: Option<String>,
}

impl Es256 {
    fn new(key: PrivateKey, ttl: Duration) -> Result<Self, AuthError> {
        key.es256()?;
        Ok(Self {
            key,
            ttl,
            clock: Arc::new(SystemClock),
            cache: Mutex::new(None),
            invalid: None,
        })
    }

    fn set_ttl(&mut self, ttl: Duration) {
        match positive(ttl) {
            Ok(ttl) => self.ttl = ttl,
            Err(e) => self.invalid = Some(e.to_string()),
        }
    }

    fn check(&self) -> Result<(), AuthError> {
        match &self.invalid {
            Some(reason) => Err(AuthError::InvalidClaim {
                reason: reason.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The cached token, or a new one when the cached one is within the refresh margin of its
    /// `exp` (a fifth of the lifetime, at most 60 s), so a request never leaves with a token
    /// about to expire.
    fn token<C: Serialize>(
        &self,
        claims: impl FnOnce(u64, u64) -> C,
    ) -> Result<SecretString, AuthError> {
        self.check()?;
        let now = unix(self.clock.now());
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.as_ref().filter(|c| now < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let minted = self.mint(now, claims)?;
        let token = minted.token.clone();
        *cache = Some(minted);
        Ok(token)
    }

    /// A new token issued at `now`, and when to replace it.
    fn mint<C: Serialize>(
        &self,
        now: u64,
        claims: impl FnOnce(u64, u64) -> C,
    ) -> Result<Cached, AuthError> {
        let ttl = self.ttl.as_secs();
        let exp = now + ttl;
        let iat = now.saturating_sub(CLOCK_SKEW.as_secs());
        let token = SecretString::from(signer::encode(self.key.es256()?, &claims(iat, exp))?);
        let margin = (ttl / 5).min(60);
        Ok(Cached {
            token,
            refresh_at: exp - margin,
        })
    }
}

/// An ES256 device JWT: `sub` = the device id, `iat`, `exp`, no `aud`. Accepted by the device-facing REST operations (FetchDevice, UpdateDeviceState, the
/// location services, …).
///
/// `iat` is set 60 s in the past for clock skew; tokens are cached and re-minted shortly before
/// `exp`. Default lifetime: 10 minutes.
///
/// ```no_run
/// use nrfcloud::auth::{DeviceJwt, ExposeSecret, PrivateKey};
/// let jwt = DeviceJwt::new(PrivateKey::from_file("device.pem")?, "nrf-352656100123456")?;
/// println!("{}", jwt.token()?.expose_secret());
/// # Ok::<(), nrfcloud::auth::AuthError>(())
/// ```
pub struct DeviceJwt {
    device_id: String,
    signer: Es256,
}

#[derive(Serialize)]
struct DeviceClaims<'a> {
    sub: &'a str,
    iat: u64,
    exp: u64,
}

impl DeviceJwt {
    /// A signer for `device_id` (a UUID or `nrf-<IMEI>`; any id matching
    /// `^[a-zA-Z0-9:_-]{1,128}$` is accepted) with its P-256 key.
    pub fn new(key: PrivateKey, device_id: impl Into<String>) -> Result<Self, AuthError> {
        let device_id = device_id.into();
        check_id("device id", &device_id)?;
        Ok(Self {
            device_id,
            signer: Es256::new(key, Duration::from_secs(600))?,
        })
    }

    /// Token lifetime (`exp` − now), from 1 s to [`MAX_TOKEN_TTL`]; [`token`](Self::token)
    /// (and a client given this signer, at `build()`) refuses any other.
    ///
    /// ```
    /// # use nrfcloud::auth::{DeviceJwt, PrivateKey};
    /// # fn f(key: PrivateKey) -> Result<(), nrfcloud::auth::AuthError> {
    /// let jwt = DeviceJwt::new(key, "nrf-352656100123456")?
    ///     .ttl(std::time::Duration::from_secs(300));
    /// # Ok(())
    /// # }
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.signer.set_ttl(ttl);
        self
    }

    /// Replaces the system clock (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.signer.clock = clock;
        self
    }

    /// The device id (`sub`).
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub(crate) fn check(&self) -> Result<(), AuthError> {
        self.signer.check()
    }

    /// A valid token, from the cache when it is not close to expiry.
    ///
    /// ```no_run
    /// use nrfcloud::auth::{DeviceJwt, ExposeSecret, PrivateKey};
    /// let jwt = DeviceJwt::new(PrivateKey::from_file("device.pem")?, "nrf-352656100123456")?;
    /// let bearer = format!("Bearer {}", jwt.token()?.expose_secret());
    /// # Ok::<(), nrfcloud::auth::AuthError>(())
    /// ```
    pub fn token(&self) -> Result<SecretString, AuthError> {
        self.signer.token(|iat, exp| DeviceClaims {
            sub: &self.device_id,
            iat,
            exp,
        })
    }
}

impl fmt::Debug for DeviceJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceJwt")
            .field("device_id", &self.device_id)
            .field("ttl", &self.signer.ttl)
            .finish_non_exhaustive()
    }
}

/// An ES256 service-key ("proxy") JWT: `aud` = the team id, optional `sub` = a device id,
/// `iat`, `exp`, signed with the key from
/// GenerateServiceKeyAndToken. Cached like [`DeviceJwt`]; default lifetime: 1 hour.
///
/// One signer serves a whole fleet: a request that names the device it serves (the location
/// builders' `for_device`) gets a token with that `sub`, from a per-device cache bounded by
/// [`device_cache`](Self::device_cache) (least recently used tokens are dropped first), so
/// memory does not grow with the number of devices ever seen.
pub struct ServiceJwt {
    team_id: String,
    device_id: Option<String>,
    signer: Es256,
    devices: DeviceTokens,
}

#[derive(Serialize)]
struct ServiceClaims<'a> {
    aud: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    iat: u64,
    exp: u64,
}

impl ServiceJwt {
    /// A signer for team `team_id` (the account's `team.tenantId`) with the service key.
    ///
    /// ```no_run
    /// # async fn f(client: nrfcloud::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use nrfcloud::auth::{PrivateKey, ServiceJwt};
    /// let team = client.account().team_id().await?;
    /// let jwt = ServiceJwt::new(PrivateKey::from_file("service-key.pem")?, team)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(key: PrivateKey, team_id: impl Into<String>) -> Result<Self, AuthError> {
        let team_id = team_id.into();
        check_id("team id", &team_id)?;
        Ok(Self {
            team_id,
            device_id: None,
            signer: Es256::new(key, Duration::from_secs(3600))?,
            devices: DeviceTokens::new(DeviceTokens::DEFAULT_CAPACITY),
        })
    }

    /// Restricts the token to one device (`sub`); an id outside
    /// `^[a-zA-Z0-9:_-]{1,128}$` is refused by [`token`](Self::token).
    ///
    /// ```
    /// # use nrfcloud::auth::{PrivateKey, ServiceJwt};
    /// # fn f(key: PrivateKey) -> Result<(), nrfcloud::auth::AuthError> {
    /// let jwt = ServiceJwt::new(key, "a1b2c3d4-0000-4000-8000-000000000001")?
    ///     .device_id("nrf-352656100123456");
    /// # Ok(())
    /// # }
    /// ```
    pub fn device_id(mut self, device_id: impl Into<String>) -> Self {
        let device_id = device_id.into();
        if let Err(e) = check_id("device id", &device_id) {
            self.signer.invalid = Some(e.to_string());
        }
        self.device_id = Some(device_id);
        *self
            .signer
            .cache
            .get_mut()
            .unwrap_or_else(|e| e.into_inner()) = None;
        self
    }

    /// Token lifetime (`exp` − now), from 1 s to [`MAX_TOKEN_TTL`]; [`token`](Self::token)
    /// (and a client given this signer, at `build()`) refuses any other.
    ///
    /// ```
    /// # use nrfcloud::auth::{DeviceJwt, PrivateKey};
    /// # fn f(key: PrivateKey) -> Result<(), nrfcloud::auth::AuthError> {
    /// let jwt = DeviceJwt::new(key, "nrf-352656100123456")?
    ///     .ttl(std::time::Duration::from_secs(300));
    /// # Ok(())
    /// # }
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.signer.set_ttl(ttl);
        self
    }

    /// Replaces the system clock (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.signer.clock = clock;
        self
    }

    pub(crate) fn check(&self) -> Result<(), AuthError> {
        self.signer.check()
    }

    /// A valid token, from the cache when it is not close to expiry.
    ///
    /// ```no_run
    /// use nrfcloud::auth::{ExposeSecret, PrivateKey, ServiceJwt};
    /// let key = PrivateKey::from_file("service-key.pem")?;
    /// let jwt = ServiceJwt::new(key, "a1b2c3d4-0000-4000-8000-000000000001")?;
    /// println!("{}", jwt.token()?.expose_secret());
    /// # Ok::<(), nrfcloud::auth::AuthError>(())
    /// ```
    pub fn token(&self) -> Result<SecretString, AuthError> {
        self.signer.token(|iat, exp| ServiceClaims {
            aud: &self.team_id,
            sub: self.device_id.as_deref(),
            iat,
            exp,
        })
    }

    /// How many per-device tokens are kept (default 10,000, about 1 KiB each, as
    /// `benches/proxy.rs` measures); the least recently used one is dropped for a new device.
    /// 0 mints a token for every request.
    ///
    /// ```
    /// # use nrfcloud::auth::{PrivateKey, ServiceJwt};
    /// # fn f(key: PrivateKey) -> Result<(), nrfcloud::auth::AuthError> {
    /// let jwt = ServiceJwt::new(key, "a1b2c3d4-0000-4000-8000-000000000001")?
    ///     .device_cache(50_000);
    /// # Ok(())
    /// # }
    /// ```
    pub fn device_cache(mut self, capacity: usize) -> Self {
        self.devices = DeviceTokens::new(capacity);
        self
    }

    /// A valid token with `sub` = `device_id`, from the per-device cache when it is not close
    /// to expiry.
    ///
    /// ```no_run
    /// use nrfcloud::auth::{ExposeSecret, PrivateKey, ServiceJwt};
    /// let key = PrivateKey::from_file("service-key.pem")?;
    /// let jwt = ServiceJwt::new(key, "a1b2c3d4-0000-4000-8000-000000000001")?;
    /// let token = jwt.token_for("nrf-352656100123456")?;
    /// # Ok::<(), nrfcloud::auth::AuthError>(())
    /// ```
    pub fn token_for(&self, device_id: &str) -> Result<SecretString, AuthError> {
        self.signer.check()?;
        check_id("device id", device_id)?;
        let now = unix(self.signer.clock.now());
        self.devices.get_or_mint(device_id, now, || {
            self.signer.mint(now, |iat, exp| ServiceClaims {
                aud: &self.team_id,
                sub: Some(device_id),
                iat,
                exp,
            })
        })
    }

    /// What the per-device cache has done so far.
    pub fn cache_stats(&self) -> TokenCacheStats {
        self.devices.stats()
    }
}

impl fmt::Debug for ServiceJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceJwt")
            .field("team_id", &self.team_id)
            .field("device_id", &self.device_id)
            .field("ttl", &self.signer.ttl)
            .field("device_cache", &self.devices.stats())
            .finish_non_exhaustive()
    }
}

/// An RS256 application JWT in the Vonage/Nexmo form: header
/// `{"alg":"RS256","typ":"JWT"}`, claims `application_id`, `iat`, `jti` (a new UUID v4 per
/// token), `nbf`, `exp`, and optionally `sub` and `acl`.
///
/// `exp − iat` must lie within 30 s and 24 h (default 15 minutes); so unlike the ES256 tokens,
/// `iat` is not backdated (`nbf` = `iat`). Every call to [`ApplicationJwt::token`] mints a new
/// token.
pub struct ApplicationJwt {
    key: PrivateKey,
    application_id: String,
    ttl: Duration,
    sub: Option<String>,
    acl: Option<serde_json::Value>,
    clock: Arc<dyn Clock>,
    invalid: Option<String>,
}

#[derive(Serialize)]
struct ApplicationClaims<'a> {
    application_id: &'a str,
    iat: u64,
    jti: String,
    nbf: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acl: Option<&'a serde_json::Value>,
}

impl ApplicationJwt {
    /// Shortest allowed lifetime.
    pub const MIN_TTL: Duration = Duration::from_secs(30);
    /// Longest allowed lifetime.
    pub const MAX_TTL: Duration = Duration::from_secs(24 * 3600);

    /// A signer for `application_id` with the application's RSA key.
    ///
    /// ```no_run
    /// use nrfcloud::auth::{ApplicationJwt, PrivateKey};
    /// let key = PrivateKey::from_file("application.pem")?;
    /// let jwt = ApplicationJwt::new(key, "aaaaaaaa-bbbb-cccc-dddd-0123456789ab")?;
    /// # Ok::<(), nrfcloud::auth::AuthError>(())
    /// ```
    pub fn new(key: PrivateKey, application_id: impl Into<String>) -> Result<Self, AuthError> {
        key.rs256()?;
        let application_id = application_id.into();
        if application_id.trim().is_empty() {
            return Err(AuthError::InvalidClaim {
                reason: "the application id is empty".into(),
            });
        }
        Ok(Self {
            key,
            application_id,
            ttl: Duration::from_secs(15 * 60),
            sub: None,
            acl: None,
            clock: Arc::new(SystemClock),
            invalid: None,
        })
    }

    /// Token lifetime, between [`Self::MIN_TTL`] and [`Self::MAX_TTL`];
    /// [`token`](Self::token) refuses any other.
    ///
    /// ```
    /// # use nrfcloud::auth::{ApplicationJwt, PrivateKey};
    /// # fn f(key: PrivateKey) -> Result<(), nrfcloud::auth::AuthError> {
    /// let jwt = ApplicationJwt::new(key, "aaaaaaaa-bbbb-cccc-dddd-0123456789ab")?
    ///     .ttl(std::time::Duration::from_secs(3600));
    /// # Ok(())
    /// # }
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.invalid = (!(Self::MIN_TTL..=Self::MAX_TTL).contains(&ttl)).then(|| {
            format!(
                "an application token must expire between 30 s and 24 h after it is issued, not after {} s",
                ttl.as_secs()
            )
        });
        self.ttl = ttl;
        self
    }

    /// The `sub` claim (a Client SDK user name).
    pub fn subject(mut self, sub: impl Into<String>) -> Self {
        self.sub = Some(sub.into());
        self
    }

    /// The `acl` claim, e.g. `{"paths": {"/*/users/**": {}}}`.
    pub fn acl(mut self, acl: serde_json::Value) -> Self {
        self.acl = Some(acl);
        self
    }

    /// Replaces the system clock (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A new token.
    ///
    /// ```no_run
    /// use nrfcloud::auth::{ApplicationJwt, ExposeSecret, PrivateKey};
    /// let key = PrivateKey::from_file("application.pem")?;
    /// let jwt = ApplicationJwt::new(key, "aaaaaaaa-bbbb-cccc-dddd-0123456789ab")?.subject("alice");
    /// println!("{}", jwt.token()?.expose_secret());
    /// # Ok::<(), nrfcloud::auth::AuthError>(())
    /// ```
    pub fn token(&self) -> Result<SecretString, AuthError> {
        if let Some(reason) = &self.invalid {
            return Err(AuthError::InvalidClaim {
                reason: reason.clone(),
            });
        }
        let iat = unix(self.clock.now());
        let claims = ApplicationClaims {
            application_id: &self.application_id,
            iat,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: iat,
            exp: iat + self.ttl.as_secs(),
            sub: self.sub.as_deref(),
            acl: self.acl.as_ref(),
        };
        Ok(SecretString::from(signer::encode(
            self.key.rs256()?,
            &claims,
        )?))
    }
}

impl fmt::Debug for ApplicationJwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplicationJwt")
            .field("application_id", &self.application_id)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::Value;

    /// A clock the test moves by hand.
    #[derive(Debug)]
    pub(crate) struct ManualClock(pub Mutex<SystemTime>);

    impl ManualClock {
        pub(crate) fn at(unix: u64) -> Arc<Self> {
            Arc::new(Self(Mutex::new(
                SystemTime::UNIX_EPOCH + Duration::from_secs(unix),
            )))
        }
        pub(crate) fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap()
        }
    }

    pub(crate) fn ec_key() -> PrivateKey {
        PrivateKey::from_pem(include_str!("../../tests/fixtures/keys/ec-p256-sec1.pem")).unwrap()
    }

    fn rsa_key() -> PrivateKey {
        PrivateKey::from_pem(include_str!("../../tests/fixtures/keys/rsa-2048-pkcs1.pem")).unwrap()
    }

    /// Header and claims of a token, unverified (the interop tests verify signatures).
    fn parts(token: &SecretString) -> (Value, Value) {
        use base64::Engine;
        let t = token.expose_secret();
        let mut it = t.split('.');
        let mut part = || {
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(it.next().unwrap())
                .unwrap();
            serde_json::from_slice(&raw).unwrap()
        };
        (part(), part())
    }

    #[test]
    fn device_claims_with_injected_clock() {
        let clock = ManualClock::at(1_700_000_000);
        let jwt = DeviceJwt::new(ec_key(), "nrf-352656100123456")
            .unwrap()
            .ttl(Duration::from_secs(300))
            .clock(clock.clone());
        let (header, claims) = parts(&jwt.token().unwrap());
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["typ"], "JWT");
        assert_eq!(
            claims,
            serde_json::json!({"sub": "nrf-352656100123456", "iat": 1_699_999_940u64, "exp": 1_700_000_300u64})
        );
    }

    #[test]
    fn lifetimes_beyond_the_maximum_are_refused_not_wrapped() {
        for ttl in [Duration::MAX, MAX_TOKEN_TTL + Duration::from_secs(1)] {
            let e = DeviceJwt::new(ec_key(), "dev-1")
                .unwrap()
                .ttl(ttl)
                .token()
                .unwrap_err();
            assert!(e.to_string().contains("too long (at most 366 days)"), "{e}");
            let e = ServiceJwt::new(ec_key(), "team")
                .unwrap()
                .ttl(ttl)
                .token()
                .unwrap_err();
            assert!(e.to_string().contains("too long (at most 366 days)"), "{e}");
        }
        let clock = ManualClock::at(1_700_000_000);
        let jwt = DeviceJwt::new(ec_key(), "dev-1")
            .unwrap()
            .ttl(MAX_TOKEN_TTL)
            .clock(clock);
        let exp = parts(&jwt.token().unwrap()).1["exp"].as_u64().unwrap();
        assert_eq!(exp, 1_700_000_000 + MAX_TOKEN_TTL.as_secs());
    }

    #[test]
    fn cached_until_the_refresh_margin_then_reminted() {
        let clock = ManualClock::at(1_700_000_000);
        let jwt = DeviceJwt::new(ec_key(), "dev-1")
            .unwrap()
            .ttl(Duration::from_secs(600))
            .clock(clock.clone());
        let first = jwt.token().unwrap();
        clock.advance(Duration::from_secs(539));
        assert_eq!(jwt.token().unwrap().expose_secret(), first.expose_secret());
        // 60 s before exp: a new token with a later exp
        clock.advance(Duration::from_secs(1));
        let second = jwt.token().unwrap();
        assert_ne!(second.expose_secret(), first.expose_secret());
        assert_eq!(parts(&second).1["exp"], 1_700_001_140u64);
    }

    #[test]
    fn short_lifetimes_refresh_at_a_fifth() {
        let clock = ManualClock::at(1_000);
        let jwt = DeviceJwt::new(ec_key(), "dev-1")
            .unwrap()
            .ttl(Duration::from_secs(50))
            .clock(clock.clone());
        let first = jwt.token().unwrap();
        clock.advance(Duration::from_secs(39));
        assert_eq!(jwt.token().unwrap().expose_secret(), first.expose_secret());
        clock.advance(Duration::from_secs(1));
        assert_ne!(jwt.token().unwrap().expose_secret(), first.expose_secret());
    }

    #[test]
    fn service_claims() {
        let clock = ManualClock::at(2_000_000);
        let team = "a1b2c3d4-0000-4000-8000-000000000001";
        let jwt = ServiceJwt::new(ec_key(), team)
            .unwrap()
            .clock(clock.clone());
        let (_, claims) = parts(&jwt.token().unwrap());
        assert_eq!(
            claims,
            serde_json::json!({"aud": team, "iat": 1_999_940u64, "exp": 2_003_600u64})
        );
        let jwt = jwt.device_id("nrf-1");
        assert_eq!(parts(&jwt.token().unwrap()).1["sub"], "nrf-1");
    }

    #[test]
    fn application_claims_and_unique_jti() {
        let clock = ManualClock::at(1_600_000_000);
        let jwt = ApplicationJwt::new(rsa_key(), "aaaaaaaa-bbbb-cccc-dddd-0123456789ab")
            .unwrap()
            .clock(clock.clone());
        let (header, claims) = parts(&jwt.token().unwrap());
        assert_eq!(header, serde_json::json!({"alg": "RS256", "typ": "JWT"}));
        assert_eq!(
            claims["application_id"],
            "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
        );
        assert_eq!(claims["iat"], 1_600_000_000u64);
        assert_eq!(claims["nbf"], 1_600_000_000u64);
        assert_eq!(claims["exp"], 1_600_000_900u64);
        assert!(claims.get("sub").is_none() && claims.get("acl").is_none());
        let jti = claims["jti"].as_str().unwrap().to_owned();
        assert!(uuid::Uuid::parse_str(&jti).is_ok(), "{jti}");
        let (_, again) = parts(&jwt.token().unwrap());
        assert_ne!(again["jti"], jti);
        let jwt = jwt
            .subject("alice")
            .acl(serde_json::json!({"paths": {"/*/users/**": {}}}));
        let (_, claims) = parts(&jwt.token().unwrap());
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["acl"]["paths"]["/*/users/**"], serde_json::json!({}));
    }

    #[test]
    fn application_lifetime_bounds() {
        let jwt = || ApplicationJwt::new(rsa_key(), "app").unwrap();
        assert!(jwt().ttl(Duration::from_secs(29)).token().is_err());
        assert!(jwt().ttl(Duration::from_secs(30)).token().is_ok());
        assert!(jwt().ttl(Duration::from_secs(86_400)).token().is_ok());
        let e = jwt()
            .ttl(Duration::from_secs(86_401))
            .token()
            .unwrap_err()
            .to_string();
        assert!(e.contains("between 30 s and 24 h"), "{e}");
    }

    #[test]
    fn bad_ids_and_key_types_fail_at_construction() {
        assert!(DeviceJwt::new(ec_key(), "has space").is_err());
        assert!(DeviceJwt::new(ec_key(), "").is_err());
        assert!(DeviceJwt::new(ec_key(), "x".repeat(129)).is_err());
        assert!(DeviceJwt::new(ec_key(), "x".repeat(128)).is_ok());
        let e = DeviceJwt::new(rsa_key(), "dev").unwrap_err();
        assert!(
            matches!(
                e,
                AuthError::WrongKeyType {
                    algorithm: "ES256",
                    ..
                }
            ),
            "{e}"
        );
        let e = ApplicationJwt::new(ec_key(), "app").unwrap_err();
        assert!(
            matches!(
                e,
                AuthError::WrongKeyType {
                    algorithm: "RS256",
                    ..
                }
            ),
            "{e}"
        );
        assert!(ApplicationJwt::new(rsa_key(), " ").is_err());
        assert!(
            DeviceJwt::new(ec_key(), "d")
                .unwrap()
                .ttl(Duration::ZERO)
                .token()
                .is_err()
        );
    }

    #[test]
    fn debug_never_shows_tokens_or_keys() {
        let jwt = DeviceJwt::new(ec_key(), "dev-1").unwrap();
        let token = jwt.token().unwrap();
        let debug = format!("{jwt:?} {token:?}");
        assert!(!debug.contains(token.expose_secret()), "{debug}");
        assert!(!debug.contains("BEGIN"), "{debug}");
        assert!(debug.contains("dev-1"));
    }

    #[test]
    fn one_service_key_mints_one_token_per_device_and_reuses_it_until_the_margin() {
        let clock = ManualClock::at(3_000_000);
        let team = "a1b2c3d4-0000-4000-8000-000000000001";
        let jwt = ServiceJwt::new(ec_key(), team)
            .unwrap()
            .ttl(Duration::from_secs(600))
            .clock(clock.clone());
        let a = jwt.token_for("nrf-1").unwrap();
        let b = jwt.token_for("nrf-2").unwrap();
        assert_eq!(
            parts(&a).1,
            serde_json::json!({"aud": team, "sub": "nrf-1", "iat": 2_999_940u64, "exp": 3_000_600u64})
        );
        assert_eq!(parts(&b).1["sub"], "nrf-2");
        clock.advance(Duration::from_secs(539));
        assert_eq!(
            jwt.token_for("nrf-1").unwrap().expose_secret(),
            a.expose_secret()
        );
        let stats = jwt.cache_stats();
        assert_eq!(
            (stats.minted, stats.hits, stats.cached, stats.capacity),
            (2, 1, 2, 10_000)
        );
        clock.advance(Duration::from_secs(1));
        let renewed = jwt.token_for("nrf-1").unwrap();
        assert_eq!(parts(&renewed).1["exp"], 3_001_140u64);
        assert_eq!(jwt.cache_stats().minted, 3);
    }

    #[test]
    fn the_device_cache_is_bounded_and_drops_the_least_recently_used() {
        let jwt = ServiceJwt::new(ec_key(), "team")
            .unwrap()
            .clock(ManualClock::at(3_000_000))
            .device_cache(2);
        jwt.token_for("nrf-1").unwrap();
        jwt.token_for("nrf-2").unwrap();
        jwt.token_for("nrf-1").unwrap(); // nrf-2 is now the least recently used
        jwt.token_for("nrf-3").unwrap();
        jwt.token_for("nrf-1").unwrap();
        let stats = jwt.cache_stats();
        assert_eq!((stats.minted, stats.hits, stats.cached), (3, 2, 2));
        jwt.token_for("nrf-2").unwrap();
        assert_eq!(jwt.cache_stats().minted, 4);
        assert_eq!(jwt.cache_stats().hit_rate(), 2.0 / 6.0);

        let uncached = ServiceJwt::new(ec_key(), "team").unwrap().device_cache(0);
        uncached.token_for("nrf-1").unwrap();
        uncached.token_for("nrf-1").unwrap();
        let stats = uncached.cache_stats();
        assert_eq!(
            (stats.minted, stats.hits, stats.cached, stats.capacity),
            (2, 0, 0, 0)
        );
    }

    #[test]
    fn a_device_token_is_refused_for_another_device_and_ids_are_checked() {
        let device = crate::auth::JwtCredential::from(DeviceJwt::new(ec_key(), "nrf-1").unwrap());
        assert!(device.token_serving(Some("nrf-1")).is_ok());
        assert_eq!(
            device.token_serving(Some("nrf-2")).unwrap_err().to_string(),
            "invalid token claim: the client's device JWT is for \"nrf-1\"; a request for \"nrf-2\" \
             needs that device's token or a service key"
        );
        let service = ServiceJwt::new(ec_key(), "team").unwrap();
        assert!(service.token_for("bad id/with slash").is_err());
    }
}

//! [`Simulator`] and its builder.

use std::{fmt, net::Ipv4Addr, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{
    admin,
    faults::{Faults, RequestCounts},
    keys, provisioning, rest,
    seed::Seed,
    server,
    state::{Config, Shared, default_api_key},
    tokens::DeviceFacts,
};

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A listener could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}")]
    Bind {
        /// The port asked for (0 = any).
        port: u16,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The API key given to [`SimulatorBuilder::api_key`] cannot be used.
    #[error("invalid API key: {0}")]
    InvalidApiKey(&'static str),
}

/// Configures and starts a [`Simulator`].
///
/// ```no_run
/// # async fn run() -> Result<(), nrfcloud_sim::Error> {
/// use nrfcloud_sim::{Faults, Simulator};
/// let sim = Simulator::builder()
///     .seed(7)
///     .faults(Faults { rate_limit_every: Some(5), ..Faults::default() })
///     .start()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SimulatorBuilder {
    seed: u64,
    api_key: Option<String>,
    faults: Faults,
    rest_port: u16,
    provisioning_port: u16,
    step: Duration,
}

impl fmt::Debug for SimulatorBuilder {
    // The API key stays out of Debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatorBuilder")
            .field("seed", &self.seed)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("faults", &self.faults)
            .field("rest_port", &self.rest_port)
            .field("provisioning_port", &self.provisioning_port)
            .field("step", &self.step)
            .finish()
    }
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            seed: 0,
            api_key: None,
            faults: Faults::default(),
            rest_port: 0,
            provisioning_port: 0,
            step: Duration::from_millis(40),
        }
    }
}

impl SimulatorBuilder {
    /// Seed of everything deterministic: team ids, API keys, claim tokens, seeded faults.
    /// Default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The main team's API key, instead of the one derived from the seed.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Faults in force from the start.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Port of the REST API on 127.0.0.1 (default 0: any free port).
    pub fn rest_port(mut self, port: u16) -> Self {
        self.rest_port = port;
        self
    }

    /// Port of the provisioning API on 127.0.0.1 (default 0: any free port).
    pub fn provisioning_port(mut self, port: u16) -> Self {
        self.provisioning_port = port;
        self
    }

    /// Time each step of a bulk operation or provisioning command takes (PENDING →
    /// IN_PROGRESS → done: two steps), and each status of a FOTA job execution lasts (QUEUED →
    /// IN_PROGRESS → DOWNLOADING → SUCCEEDED: three steps). Default 40 ms.
    pub fn step(mut self, step: Duration) -> Self {
        self.step = step;
        self
    }

    /// Binds both listeners and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<Simulator, Error> {
        let seed = Seed::new(self.seed);
        if let Some(key) = &self.api_key {
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(Error::InvalidApiKey(
                    "it must be non-empty printable ASCII without spaces",
                ));
            }
            if *key == default_api_key(&seed, 1) {
                return Err(Error::InvalidApiKey("it is the other team's key"));
            }
        }
        // jsonwebtoken needs one process-wide crypto provider; another crate may have
        // installed one already, which is fine.
        let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
        );
        let rest_listener = bind(self.rest_port).await?;
        let provisioning_listener = bind(self.provisioning_port).await?;
        let origin = |l: &TcpListener| {
            let port = l.local_addr().map(|a| a.port()).unwrap_or_default();
            format!("http://127.0.0.1:{port}")
        };
        let config = Config {
            rest_origin: origin(&rest_listener),
            provisioning_origin: origin(&provisioning_listener),
            step: self.step,
        };
        let shared = Arc::new(Shared::new(self.seed, self.api_key, self.faults, config));
        let rest = admin::wrap(rest::router()).with_state(shared.clone());
        let provisioning = admin::wrap(provisioning::router()).with_state(shared.clone());
        let servers = vec![
            tokio::spawn(server::serve(rest_listener, rest, shared.clone())),
            tokio::spawn(server::serve(
                provisioning_listener,
                provisioning,
                shared.clone(),
            )),
        ];
        let (teams, team_keys) = {
            let data = shared.read();
            (
                [data.teams[0].id.clone(), data.teams[1].id.clone()],
                [data.teams[0].api_key.clone(), data.teams[1].api_key.clone()],
            )
        };
        tracing::info!(
            rest = %shared.config.rest_origin,
            provisioning = %shared.config.provisioning_origin,
            "nRF Cloud simulator listening"
        );
        Ok(Simulator {
            shared,
            teams,
            team_keys,
            servers,
        })
    }
}

async fn bind(port: u16) -> Result<TcpListener, Error> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|source| Error::Bind { port, source })
}

/// A running simulator: the REST API and the provisioning API, each on its own 127.0.0.1
/// port, sharing one in-memory state. Stops on [`shutdown`](Self::shutdown) or when dropped.
///
/// Two teams exist: the main team ([`api_key`](Self::api_key), [`team_id`](Self::team_id))
/// and another one ([`other_team_api_key`](Self::other_team_api_key)), for cross-team
/// behaviour such as claim conflicts.
pub struct Simulator {
    shared: Arc<Shared>,
    teams: [String; 2],
    team_keys: [String; 2],
    servers: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Simulator {
    // No API keys here: Debug output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("rest_host", &self.rest_host())
            .field("provisioning_host", &self.provisioning_host())
            .field("team_id", &self.team_id())
            .field("seed", &self.seed())
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Starts a simulator with the defaults (seed 0, no faults, any free ports).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), nrfcloud_sim::Error> {
    /// let sim = nrfcloud_sim::Simulator::start().await?;
    /// println!("REST API at {}/v1", sim.rest_host());
    /// # Ok(()) }
    /// ```
    pub async fn start() -> Result<Simulator, Error> {
        SimulatorBuilder::default().start().await
    }

    /// A builder for a configured simulator.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// Origin of the REST API, e.g. `http://127.0.0.1:41234` (clients append `/v1`).
    pub fn rest_host(&self) -> &str {
        &self.shared.config.rest_origin
    }

    /// Origin of the provisioning API (clients append `/v1`).
    pub fn provisioning_host(&self) -> &str {
        &self.shared.config.provisioning_origin
    }

    /// The main team's API key.
    pub fn api_key(&self) -> &str {
        &self.team_keys[0]
    }

    /// The main team's id (tenant id, a UUID).
    pub fn team_id(&self) -> &str {
        &self.teams[0]
    }

    /// The other team's API key.
    pub fn other_team_api_key(&self) -> &str {
        &self.team_keys[1]
    }

    /// The other team's id.
    pub fn other_team_id(&self) -> &str {
        &self.teams[1]
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.shared.seed.value()
    }

    /// The first `n` valid claim tokens of this seed (the same as
    /// `nrfcloud-sim tokens --count n --seed <seed>` writes).
    pub fn claim_tokens(&self, n: usize) -> Vec<String> {
        self.shared.minter.tokens(n as u64)
    }

    /// Claim token number `index`.
    pub fn claim_token(&self, index: u64) -> String {
        self.shared.minter.token(index)
    }

    /// What claim token number `index` says about its device (its id is the claimed device's
    /// id).
    pub fn device_facts(&self, index: u64) -> DeviceFacts {
        self.shared.minter.facts(index)
    }

    /// The private key (PKCS#8 PEM) that simulated device `device_id` generates when a
    /// `cloudAccessKeyGeneration` command runs on it; sign device JWTs with it.
    pub fn device_private_key_pem(&self, device_id: &str) -> String {
        keys::pkcs8_pem(&keys::device_secret(&self.shared.seed, device_id))
    }

    /// Replaces the faults; their counters and random sequence restart.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.faults().set(faults);
    }

    /// What became of the API requests received since the faults were last set.
    ///
    /// ```
    /// # async fn f() -> Result<(), nrfcloud_sim::Error> {
    /// let sim = nrfcloud_sim::Simulator::start().await?;
    /// assert_eq!(sim.request_counts().received, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn request_counts(&self) -> RequestCounts {
        self.shared.faults().counts()
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.shared.faults().faults().clone()
    }

    /// Stores a message in the main team as if device `device_id` had published it on
    /// `topic` and the cloud had received it at `received_at`, for tests of ListMessages' time
    /// ranges. The device need not exist. Like every message, it is listed only within the
    /// service's 30 days of retention: an older `received_at` is dropped at once.
    ///
    /// ```
    /// # async fn f() -> Result<(), nrfcloud_sim::Error> {
    /// use chrono::{TimeDelta, Utc};
    /// let sim = nrfcloud_sim::Simulator::start().await?;
    /// sim.add_message(
    ///     "nrf-352656100000001",
    ///     "d/nrf-352656100000001/d2c",
    ///     serde_json::json!({"appId": "TEMP", "messageType": "DATA", "data": "21.5"}),
    ///     Utc::now() - TimeDelta::hours(2),
    /// );
    /// # Ok(())
    /// # }
    /// ```
    pub fn add_message(
        &self,
        device_id: &str,
        topic: &str,
        message: serde_json::Value,
        received_at: DateTime<Utc>,
    ) {
        self.shared.write().teams[0].messages.add(
            device_id,
            topic,
            message,
            received_at,
            Utc::now(),
        );
    }

    /// The Organization Auth Token of [`organization`](Self::organization) and
    /// [`project`](Self::project): `Authorization: Bearer <oat>` on
    /// `/v1/organizations/{org}/projects/{project}/location/…`, the only credential those URLs
    /// accept (and accepted nowhere else). Derived from the seed: `oat_` and 48 hex characters.
    pub fn organization_token(&self) -> &str {
        &self.shared.oat
    }

    /// The simulated organization's slug, `sim-org`.
    pub fn organization(&self) -> &str {
        rest::location::ORGANIZATION
    }

    /// The simulated project's slug, `sim-project`.
    pub fn project(&self) -> &str {
        rest::location::PROJECT
    }

    /// How many P-GPS prediction files were downloaded from `/__sim/pgps/…` (200 or 206).
    pub fn pgps_downloads(&self) -> u64 {
        self.shared
            .pgps_downloads
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records a fix in the main team's location history, as if Location Services had made it
    /// for `device_id` at `inserted_at` (`service_type` as listed: `WIFI`, `MCELL`, `GNSS`, …).
    /// The device need not exist. Returns the record's id.
    ///
    /// ```
    /// # async fn f() -> Result<(), nrfcloud_sim::Error> {
    /// let sim = nrfcloud_sim::Simulator::start().await?;
    /// let id = sim.add_location("nrf-1", "WIFI", 63.421, 10.4372, 14.772, chrono::Utc::now());
    /// assert_eq!(sim.location_device_ids(), ["nrf-1"]);
    /// # let _ = id;
    /// # Ok(())
    /// # }
    /// ```
    pub fn add_location(
        &self,
        device_id: &str,
        service_type: &str,
        lat: f64,
        lon: f64,
        uncertainty: f64,
        inserted_at: DateTime<Utc>,
    ) -> String {
        let id = self.shared.seeded_uuid("location-history");
        self.shared.write().teams[0]
            .locations
            .add(rest::location::history::LocationRecord {
                id: id.clone(),
                device_id: device_id.to_owned(),
                service_type: service_type.to_owned(),
                inserted_at,
                fix: rest::location::Fix {
                    lat,
                    lon,
                    uncertainty,
                },
            });
        id
    }

    /// The device ids with fixes in the main team's location history, sorted.
    pub fn location_device_ids(&self) -> Vec<String> {
        self.shared.read().teams[0].locations.device_ids()
    }

    /// The main team's location history, oldest first, as `(device id, service type)`.
    pub fn location_service_types(&self) -> Vec<(String, String)> {
        self.shared.read().teams[0]
            .locations
            .records()
            .into_iter()
            .map(|r| (r.device_id, r.service_type))
            .collect()
    }

    /// Stops both listeners, open connections and background work.
    pub async fn shutdown(mut self) {
        self.shared.cancel.cancel();
        for server in self.servers.drain(..) {
            let _ = server.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}

//! The simulator's in-memory state: two teams, each with its devices, claimed devices,
//! provisioning tags and rules, bulk operations, firmware bundles, FOTA jobs and device
//! messages; plus the seeded generators.

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, SecondsFormat, Utc};
use rand::{Rng, SeedableRng, rngs::StdRng};
use tokio_util::sync::CancellationToken;

use crate::{
    bulk::BulkOp,
    error::ApiError,
    faults::{FaultState, Faults},
    provisioning::{claims::ClaimedDevice, rules::Rule, tags::ProvisioningTag},
    rest::{
        devices::Device,
        firmware::{self, Bundle},
        fota_jobs::FotaJob,
        location::{EvalToken, history::LocationHistory},
        messages::MessageStore,
    },
    seed::Seed,
    tokens::Minter,
};

/// Index of a team in [`Data::teams`]: 0 is the main team, 1 the other team.
pub(crate) type TeamIdx = usize;

/// One nRF Cloud team (tenant).
pub(crate) struct Team {
    pub id: String,
    pub name: String,
    pub api_key: String,
    pub devices: BTreeMap<String, Device>,
    pub claimed: BTreeMap<String, ClaimedDevice>,
    pub tags: BTreeMap<String, ProvisioningTag>,
    pub rules: BTreeMap<String, Rule>,
    pub bulk_ops: BTreeMap<String, BulkOp>,
    /// Firmware bundles by bundle id: the team's uploads and Nordic's modem bundles.
    pub firmware: BTreeMap<String, Bundle>,
    /// FOTA jobs by job id, each with its executions.
    pub fota_jobs: BTreeMap<String, FotaJob>,
    /// Device messages.
    pub messages: MessageStore,
    /// Public key of the service key (GenerateServiceKeyAndToken), for service JWTs.
    pub service_key: Option<jsonwebtoken::DecodingKey>,
    /// The service evaluation token (GenerateServiceEvaluationToken), once generated.
    pub eval_token: Option<EvalToken>,
    /// Location history: the fixes Location Services made for the team's devices.
    pub locations: LocationHistory,
}

impl Team {
    fn new(seed: &Seed, index: u64, api_key: String) -> Self {
        Self {
            id: seed.uuid("team", index),
            name: if index == 0 {
                "Simulated team".into()
            } else {
                "Other simulated team".into()
            },
            api_key,
            devices: BTreeMap::new(),
            claimed: BTreeMap::new(),
            tags: BTreeMap::new(),
            rules: BTreeMap::new(),
            bulk_ops: BTreeMap::new(),
            firmware: firmware::nordic_bundles(seed, index),
            fota_jobs: BTreeMap::new(),
            messages: MessageStore::default(),
            service_key: None,
            eval_token: None,
            locations: LocationHistory::default(),
        }
    }
}

/// All teams.
pub(crate) struct Data {
    pub teams: Vec<Team>,
}

impl Data {
    /// The team that has claimed `device_id`, if any.
    pub fn claim_owner(&self, device_id: &str) -> Option<TeamIdx> {
        self.teams
            .iter()
            .position(|t| t.claimed.contains_key(device_id))
    }

    /// The team that has device `device_id` (REST), if any.
    pub fn device_owner(&self, device_id: &str) -> Option<TeamIdx> {
        self.teams
            .iter()
            .position(|t| t.devices.contains_key(device_id))
    }
}

/// The API key of team `index` derived from the seed: 40 lowercase hex characters.
pub(crate) fn default_api_key(seed: &Seed, index: u64) -> String {
    seed.hex("api-key", index, 20)
}

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Origin of the REST API, e.g. `http://127.0.0.1:8080`.
    pub rest_origin: String,
    /// Origin of the provisioning API.
    pub provisioning_origin: String,
    /// Duration of each step of a bulk operation, provisioning command or FOTA job execution.
    pub step: Duration,
}

impl Config {
    /// The REST origin without its scheme, `127.0.0.1:8080`: the `host` of FOTA job documents,
    /// which devices download from as `http://<host>/<path>`.
    pub fn rest_host(&self) -> &str {
        self.rest_origin
            .split_once("://")
            .map_or(self.rest_origin.as_str(), |(_, host)| host)
    }
}

/// Generator of ids.
struct IdGen {
    rng: StdRng,
    last: ulid::Ulid,
}

/// State shared by both listeners and every background task.
pub(crate) struct Shared {
    pub seed: Seed,
    pub minter: Minter,
    pub config: Config,
    data: RwLock<Data>,
    faults: Mutex<FaultState>,
    ids: Mutex<IdGen>,
    /// Counter of [`Shared::seeded_uuid`] and [`Shared::seeded_hex`].
    serial: AtomicU64,
    /// The Organization Auth Token of the simulated organization and project (location URLs
    /// under `/v1/organizations/…`).
    pub oat: String,
    /// Number of P-GPS prediction files served from `/__sim/pgps/…`.
    pub pgps_downloads: AtomicU64,
    pub cancel: CancellationToken,
}

/// The axum state.
pub(crate) type AppState = Arc<Shared>;

impl Shared {
    pub fn new(seed: u64, api_key: Option<String>, faults: Faults, config: Config) -> Self {
        let s = Seed::new(seed);
        let main_key = api_key.unwrap_or_else(|| default_api_key(&s, 0));
        let teams = vec![
            Team::new(&s, 0, main_key),
            Team::new(&s, 1, default_api_key(&s, 1)),
        ];
        Self {
            minter: Minter::from_seed(&s),
            ids: Mutex::new(IdGen {
                rng: StdRng::seed_from_u64(seed ^ 0x0069_6473), // "ids"
                last: ulid::Ulid::nil(),
            }),
            faults: Mutex::new(FaultState::new(seed, faults)),
            oat: format!("oat_{}", s.hex("organization-auth-token", 0, 24)),
            pgps_downloads: AtomicU64::new(0),
            seed: s,
            serial: AtomicU64::new(0),
            config,
            data: RwLock::new(Data { teams }),
            cancel: CancellationToken::new(),
        }
    }

    // A panic while holding a lock is a simulator bug; the state is still usable for the
    // remaining requests, so poisoning is ignored.
    pub fn read(&self) -> RwLockReadGuard<'_, Data> {
        self.data.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Data> {
        self.data.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a page request against `fail_page_after`.
    pub fn on_page(&self) -> Result<(), ApiError> {
        self.faults().on_page()
    }

    /// A fresh ULID: bulk operations, provisioning commands, tags and rules. Ids only grow, so
    /// listing in id order is listing in creation order. The random part is seeded.
    pub fn new_ulid(&self) -> String {
        let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        let random = (u128::from(ids.rng.next_u64()) << 64) | u128::from(ids.rng.next_u64());
        let millis = u64::try_from(Utc::now().timestamp_millis()).unwrap_or_default();
        let mut id = ulid::Ulid::from_parts(millis, random);
        if id <= ids.last {
            id = ids.last.increment().unwrap_or(id);
        }
        ids.last = id;
        id.to_string()
    }

    /// A UUID derived from the seed, `label` and a counter: a new one on every call, and the
    /// same sequence for the same seed and calls (FOTA job and execution ids).
    pub fn seeded_uuid(&self, label: &str) -> String {
        self.seed
            .uuid(label, self.serial.fetch_add(1, Ordering::Relaxed))
    }

    /// `2 * n` lowercase hex characters, like [`seeded_uuid`](Self::seeded_uuid).
    pub fn seeded_hex(&self, label: &str, n: usize) -> String {
        self.seed
            .hex(label, self.serial.fetch_add(1, Ordering::Relaxed), n)
    }

    /// 32 seeded random bytes (key material).
    pub fn random_bytes(&self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        self.ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rng
            .fill_bytes(&mut bytes);
        bytes
    }

    /// Runs `task` in the background until it ends or the simulator shuts down.
    pub fn spawn(self: &Arc<Self>, task: impl Future<Output = ()> + Send + 'static) {
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = task => {}
            }
        });
    }
}

/// ISO-8601 UTC with milliseconds, as nRF Cloud writes timestamps.
pub(crate) fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

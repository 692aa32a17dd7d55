//! Location Services: ground fix (`POST /location/ground-fix`), single cell
//! (`GET /location/single-cell`), A-GNSS (`POST`/`HEAD /location/agnss`), P-GPS
//! (`GET /location/pgnss` and the deprecated `/location/pgps`, plus the simulator's own
//! unauthenticated file host `/__sim/pgps/…`) and location history (`GET /location/history`,
//! `DELETE /location/history/{deviceId}/{id}`).
//!
//! Every operation is served twice: under `/v1/location/…` (service-key or device JWTs, or the
//! service evaluation token; history also takes the API key) and under
//! `/v1/organizations/{org}/projects/{project}/location/…` (an Organization Auth Token only).
//! See [`caller`] for the rules.

pub(crate) mod agnss;
pub(crate) mod caller;
mod fix;
pub(crate) mod ground_fix;
pub(crate) mod history;
pub(crate) mod pgps;
mod range;

use chrono::{DateTime, Utc};

pub(crate) use fix::Fix;

/// The simulated organization's slug (OAT URLs).
pub(crate) const ORGANIZATION: &str = "sim-org";

/// The simulated project's slug (OAT URLs).
pub(crate) const PROJECT: &str = "sim-project";

/// A team's service evaluation token.
#[derive(Debug, Clone)]
pub(crate) struct EvalToken {
    pub token: String,
    pub expires: DateTime<Utc>,
}

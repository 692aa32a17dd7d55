//! Token signing and key loading throughput, compared with the Python peers' figures in
//! `shared/docs/peers.md` §3.1 (PyJWT 2.15.1 / vonage-jwt 1.1.5, one core). Prints figures;
//! asserts nothing. Run: `cargo bench -p nrfcloud --bench jwt` (pin with `taskset -c 0`).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use nrfcloud::auth::{ApplicationJwt, Clock, DeviceJwt, ExposeSecret, PrivateKey};

const EC_PEM: &str = include_str!("../tests/fixtures/keys/ec-p256-sec1.pem");
const RSA_PEM: &str = include_str!("../tests/fixtures/keys/rsa-2048-pkcs1.pem");

/// A clock that jumps a day per reading, so every `token()` call mints a fresh token instead of
/// returning the cached one: this measures signing, not the cache.
#[derive(Debug, Default)]
struct Leaping(AtomicU64);

impl Clock for Leaping {
    fn now(&self) -> SystemTime {
        let day = self.0.fetch_add(1, Ordering::Relaxed);
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + day * 86_400)
    }
}

/// Calls `f` for about `budget`, 9 times; returns (min, median, max) calls per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> (f64, f64, f64) {
    let mut rates: Vec<f64> = (0..9)
        .map(|_| {
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < budget {
                f();
                n += 1;
            }
            n as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    (rates[0], rates[4], rates[8])
}

fn report(case: &str, (min, median, max): (f64, f64, f64), peer: &str, peer_rate: f64) {
    println!(
        "{case}: {min:.0} / {median:.0} / {max:.0} per s (min/median/max); {peer} {peer_rate:.0}/s: {:.1}x",
        median / peer_rate
    );
}

fn main() {
    let budget = Duration::from_millis(300);
    let ec = PrivateKey::from_pem(EC_PEM).expect("fixture key");
    let device = DeviceJwt::new(ec, "nrf-352656100123456")
        .expect("device JWT")
        .clock(Arc::new(Leaping::default()));
    let mut size = 0;
    report(
        "ES256 device JWT, minted",
        rate(budget, || {
            size = device.token().unwrap().expose_secret().len()
        }),
        "PyJWT with a pre-loaded key",
        23_870.0,
    );
    println!("  token size: {size} bytes");
    let cached =
        DeviceJwt::new(PrivateKey::from_pem(EC_PEM).unwrap(), "nrf-352656100123456").unwrap();
    report(
        "ES256 device JWT, cached (what a long-running client pays per request)",
        rate(budget, || drop(cached.token().unwrap())),
        "nrfcloud-utils create_nrf_cloud_jwt",
        10_833.0,
    );

    let app = ApplicationJwt::new(
        PrivateKey::from_pem(RSA_PEM).unwrap(),
        "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    )
    .expect("application JWT");
    report(
        "RS256 application JWT (new jti each)",
        rate(budget, || size = app.token().unwrap().expose_secret().len()),
        "vonage-jwt generate_application_jwt",
        24.0,
    );
    println!("  token size: {size} bytes; PyJWT with a pre-loaded RSA key: 3265/s");

    report(
        "P-256 PEM key load (SEC1)",
        rate(budget, || drop(PrivateKey::from_pem(EC_PEM).unwrap())),
        "Python cryptography",
        39_102.0,
    );
    report(
        "RSA-2048 PEM key load",
        rate(budget, || drop(PrivateKey::from_pem(RSA_PEM).unwrap())),
        "Python cryptography (validated)",
        17.0,
    );
}

//! Token signing and key loading throughput. Signing is compared, in the same run, with the
//! primitive (`openssl speed ecdsap256` / `rsa2048`, when `openssl` is on the PATH) and with
//! PyJWT signing the same claims with a pre-loaded key (when `$NRFCLOUD_PYTHON` has
//! `pyjwt[crypto]`); the other figures with the Python peers' in `shared/docs/peers.md` §3.1.
//! Prints figures and ratios; asserts nothing (under `cargo test`, without `--bench`, a short
//! smoke run without the peers). Run pinned to one core:
//! `taskset -c 0 cargo bench -p nrfcloud --bench jwt` (the peers inherit the pinning).

use std::{
    process::Command,
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

/// `openssl speed -seconds 3 <algorithm>`'s sign/s, found by the `sign/s` column of its table.
fn openssl_sign_rate(algorithm: &str) -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "3", algorithm])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines().rev();
    let data: Vec<&str> = lines.next()?.split_whitespace().collect();
    let header: Vec<&str> = lines.next()?.split_whitespace().collect();
    // Data rows start with a label of several words; count both from the right.
    let from_right = header.len() - header.iter().position(|c| *c == "sign/s")?;
    data.get(data.len().checked_sub(from_right)?)?.parse().ok()
}

/// PyJWT's tokens per second over 3 s, signing the claims of our token (`iat`, `exp`, `sub`, as
/// PyJWT would get them from a caller) with a key loaded once.
fn pyjwt_rate(pem: &str, algorithm: &str) -> Option<f64> {
    let python = std::env::var("NRFCLOUD_PYTHON").ok()?;
    let script = r#"
import sys, time, jwt
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(sys.stdin.buffer.read(), None)
claims = {"sub": "nrf-352656100123456", "iat": 1800000000, "exp": 1800003600}
n, start = 0, time.perf_counter()
while time.perf_counter() - start < 3:
    claims["exp"] += 1
    jwt.encode(claims, key, algorithm=sys.argv[1])
    n += 1
print(n / (time.perf_counter() - start))
"#;
    let mut child = Command::new(python)
        .args(["-c", script, algorithm])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    use std::io::Write;
    child.stdin.take()?.write_all(pem.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Our median against the primitive and PyJWT, measured now; the goal is 0.9x the primitive.
fn against_peers(case: &str, median: f64, openssl: &str, pem: &str, algorithm: &str) {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    match openssl_sign_rate(openssl) {
        Some(rate) => println!(
            "  {case}: openssl speed {openssl} sign {rate:.0}/s, same run: {:.2}x the primitive (goal 0.90x)",
            median / rate
        ),
        None => println!("  {case}: openssl not on the PATH; no primitive figure"),
    }
    match pyjwt_rate(pem, algorithm) {
        Some(rate) => println!(
            "  {case}: PyJWT with a pre-loaded key {rate:.0}/s, same run: {:.2}x PyJWT",
            median / rate
        ),
        None => {
            println!("  {case}: NRFCLOUD_PYTHON unset or without pyjwt[crypto]; no PyJWT figure")
        }
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let budget = Duration::from_millis(if full { 300 } else { 10 });
    let ec = PrivateKey::from_pem(EC_PEM).expect("fixture key");
    let device = DeviceJwt::new(ec, "nrf-352656100123456")
        .expect("device JWT")
        .clock(Arc::new(Leaping::default()));
    let mut size = 0;
    let es256 = rate(budget, || {
        size = device.token().unwrap().expose_secret().len()
    });
    report(
        "ES256 device JWT, minted",
        es256,
        "PyJWT with a pre-loaded key (peers.md)",
        23_870.0,
    );
    println!("  token size: {size} bytes");
    against_peers("ES256", es256.1, "ecdsap256", EC_PEM, "ES256");
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
    let rs256 = rate(budget, || size = app.token().unwrap().expose_secret().len());
    report(
        "RS256 application JWT (new jti each)",
        rs256,
        "vonage-jwt generate_application_jwt (peers.md)",
        24.0,
    );
    println!("  token size: {size} bytes");
    against_peers("RS256", rs256.1, "rsa2048", RSA_PEM, "RS256");

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

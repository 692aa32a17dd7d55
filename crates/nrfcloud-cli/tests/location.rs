//! `nrfcloud location …` through the real binary against the simulator: each credential of a
//! ground fix (evaluation token, service key, Organization Auth Token), A-GNSS to a file, and
//! the history listed and deleted.

mod common;

use common::{file, nrfcloud, run};
use nrfcloud::{Client, auth::ExposeSecret};
use nrfcloud_sim::Simulator;
use serde_json::Value;

const AP_1: &str = "40:01:7a:c9:10:22";
const AP_2: &str = "40:01:7a:c9:10:23";
const CELL: &str = "242,1,2305,33703712";

fn admin(sim: &Simulator) -> Client {
    Client::builder()
        .rest_host(sim.rest_host())
        .api_key(sim.api_key())
        .build()
        .unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ground_fix_uses_the_evaluation_token_unless_given_another_credential() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = || nrfcloud(Some(&sim), dir.path());
    let wifi = ["location", "ground-fix", "--wifi", AP_1, "--wifi", AP_2];

    let ran = run(cli(), &wifi).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "error: the team has no service evaluation token: pass --service-key FILE, or \
         --organization ORG PROJECT with NRFCLOUD_OAT\n"
    );

    admin(&sim).account().start_evaluation().await.unwrap();
    let ran = run(
        cli(),
        &[&wifi[..], &["--device", "nrf-eval", "--json"]].concat(),
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let fix = json(&ran.stdout);
    assert_eq!(fix["fulfilledWith"], "WIFI_EVAL", "{fix}");
    assert_eq!(
        sim.location_service_types(),
        [("nrf-eval".to_owned(), "WIFI_EVAL".to_owned())]
    );

    // With a service key, the JWT names the device; `--quiet` prints lat,lon.
    let key = admin(&sim).account().generate_service_key().await.unwrap();
    let pem = file(dir.path(), "service-key.pem", key.key_pem.expose_secret());
    let ran = run(
        cli(),
        &[
            "location",
            "ground-fix",
            "--cell",
            CELL,
            "--device",
            "nrf-sk",
            "--service-key",
            pem.to_str().unwrap(),
            "--quiet",
        ],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let (lat, lon) = ran.stdout.trim_end().split_once(',').unwrap();
    assert!(
        lat.parse::<f64>().is_ok() && lon.parse::<f64>().is_ok(),
        "{ran:?}"
    );
    assert_eq!(
        sim.location_service_types().last().unwrap(),
        &("nrf-sk".to_owned(), "SCELL".to_owned())
    );

    // One access point is refused before sending, in the user's terms.
    let ran = run(
        cli(),
        &[
            "location",
            "ground-fix",
            "--wifi",
            AP_1,
            "--service-key",
            pem.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "error: invalid request to GetLocationFromCellsOrWifiNetworks: a Wi-Fi fix needs at least \
         2 access points with universally administered MACs; 1 given\n"
    );
    let ran = run(cli(), &["location", "ground-fix", "--cell", "242,1"]).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.starts_with(
            "error: invalid value '242,1' for '--cell <MCC,MNC,TAC,ECI>': \"242,1\" is not \
             MCC,MNC,TAC,ECI (e.g. 242,1,2305,33703712)\n"
        ),
        "{ran:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_token_comes_from_the_environment() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "location",
        "ground-fix",
        "--wifi",
        AP_1,
        "--wifi",
        AP_2,
        "--device",
        "nrf-oat",
        "--organization",
        sim.organization(),
        sim.project(),
        "--json",
    ];
    let ran = run(nrfcloud(Some(&sim), dir.path()), &args).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "error: --organization needs the Organization Auth Token in NRFCLOUD_OAT\n"
    );
    let mut cli = nrfcloud(Some(&sim), dir.path());
    cli.env("NRFCLOUD_OAT", sim.organization_token());
    let ran = run(cli, &args).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(json(&ran.stdout)["fulfilledWith"], "WIFI");
    assert_eq!(sim.location_device_ids(), ["nrf-oat"]);
    assert!(!ran.stderr.contains(sim.organization_token()));
}

#[tokio::test(flavor = "multi_thread")]
async fn agnss_goes_to_a_file_and_history_is_listed_and_deleted() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = || nrfcloud(Some(&sim), dir.path());
    let key = admin(&sim).account().generate_service_key().await.unwrap();
    let pem = file(dir.path(), "service-key.pem", key.key_pem.expose_secret());
    let pem = pem.to_str().unwrap();

    let out = dir.path().join("agnss.bin");
    let ran = run(
        cli(),
        &[
            "location",
            "agnss",
            "--device",
            "nrf-1",
            "--cell",
            CELL,
            "--service-key",
            pem,
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let size = 1 + 17 + 1987 + 964 + 11 + 195 + 19 + 7;
    assert_eq!(std::fs::read(&out).unwrap().len(), size);
    assert_eq!(
        ran.stderr,
        format!("a-gnss: {size} bytes written to {}\n", out.display())
    );

    let now = chrono::Utc::now();
    let old = sim.add_location(
        "nrf-1",
        "GNSS",
        63.4,
        10.4,
        5.0,
        now - chrono::TimeDelta::hours(2),
    );
    let new = sim.add_location("nrf-1", "WIFI", 63.421, 10.4372, 14.772, now);
    let ran = run(
        cli(),
        &["location", "history", "--device", "nrf-1", "--json"],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let listed: Vec<Value> = ran.stdout.lines().map(json).collect();
    assert_eq!(
        listed
            .iter()
            .map(|e| e["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [new.as_str(), old.as_str()]
    );
    assert_eq!(
        (
            &listed[0]["lat"],
            &listed[0]["uncertainty"],
            &listed[0]["serviceType"]
        ),
        (
            &Value::from(63.421),
            &Value::from(14.772),
            &Value::from("WIFI")
        )
    );

    let ran = run(cli(), &["location", "delete-history", "nrf-1", &old]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stderr, format!("nrf-1: fix {old} deleted\n"));
    let ran = run(
        cli(),
        &["location", "history", "--device", "nrf-1", "--quiet"],
    )
    .await;
    assert_eq!(ran.stdout, format!("{new}\n"), "{ran:?}");
    let ran = run(cli(), &["location", "delete-history", "nrf-1", &old]).await;
    assert_eq!(ran.code, 1, "{ran:?}");
}

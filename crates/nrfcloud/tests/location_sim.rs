//! Location Services through the facade against the simulator: one client serving many
//! devices with per-device service-key JWTs, token passthrough, the Organization Auth Token on
//! organization URLs, the evaluation token, ground fix in both Wi-Fi forms, A-GNSS by size and
//! ranges, P-GPS downloads without credentials, and location history.

#[allow(dead_code)]
#[path = "../examples/location.rs"]
mod location_example;

use std::{io::Cursor, time::Duration};

use chrono::{TimeDelta, Utc};
use futures::TryStreamExt;
use nrfcloud::{
    Client,
    auth::{DeviceJwt, ExposeSecret, PrivateKey, ServiceJwt},
    error::ErrorKind,
    location::{
        AccessPoint, AssistanceType, Fix, FixSource, GroundFix, LteCell, SizeQuery, WifiForm,
    },
};
use nrfcloud_sim::Simulator;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys");

async fn start() -> Simulator {
    Simulator::builder()
        .seed(13)
        .step(Duration::from_millis(20))
        .start()
        .await
        .unwrap()
}

fn api_client(sim: &Simulator) -> Client {
    Client::builder()
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .api_key(sim.api_key())
        .build()
        .unwrap()
}

/// A service key generated through the facade, loaded for signing.
async fn service_jwt(sim: &Simulator) -> ServiceJwt {
    let generated = api_client(sim)
        .account()
        .generate_service_key()
        .await
        .unwrap();
    let key = PrivateKey::from_pem(generated.key_pem.expose_secret()).unwrap();
    ServiceJwt::new(key, sim.team_id()).unwrap()
}

fn jwt_client(sim: &Simulator, jwt: ServiceJwt) -> Client {
    Client::builder()
        .rest_host(sim.rest_host())
        .jwt(jwt)
        .build()
        .unwrap()
}

fn aps() -> [AccessPoint; 2] {
    [
        AccessPoint::new("40:01:7a:c9:10:22").signal_strength(-58),
        AccessPoint::new("40:01:7a:c9:10:23").signal_strength(-72),
    ]
}

/// A Wi-Fi ground fix of the two access points of [`aps`].
fn wifi_fix(client: &Client) -> GroundFix {
    let [a, b] = aps();
    client.location().ground_fix().wifi(a).wifi(b)
}

fn cell() -> LteCell {
    LteCell::new(242, 1, 2305, 33_703_712).rsrp(-97.0)
}

fn invalid(e: nrfcloud::Error) -> String {
    assert!(matches!(e.kind(), ErrorKind::InvalidRequest(_)), "{e:?}");
    e.to_string()
}

fn same_place(a: &Fix, b: &Fix) {
    assert_eq!((a.lat, a.lon, a.uncertainty), (b.lat, b.lon, b.uncertainty));
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_mints_one_token_per_device_and_keeps_at_most_its_capacity() {
    let sim = start().await;
    let client = jwt_client(&sim, service_jwt(&sim).await.device_cache(2));
    for device in ["nrf-a", "nrf-b", "nrf-a", "nrf-c", "nrf-a", "nrf-b"] {
        let fix = wifi_fix(&client).for_device(device).send().await.unwrap();
        assert_eq!(fix.fulfilled_with, FixSource::Wifi);
    }
    // a, b minted; a hit; c minted (b, least recently used, dropped); a hit; b minted again.
    let stats = client.token_cache_stats().unwrap();
    assert_eq!(
        (stats.minted, stats.hits, stats.cached, stats.capacity),
        (4, 2, 2, 2)
    );
    assert_eq!(stats.hit_rate(), 2.0 / 6.0);
    // Each fix went into the history of the device the token named (`sub`).
    assert_eq!(sim.location_device_ids(), ["nrf-a", "nrf-b", "nrf-c"]);
    assert_eq!(
        sim.location_service_types()
            .iter()
            .map(|(d, _)| d.as_str())
            .collect::<Vec<_>>(),
        ["nrf-a", "nrf-b", "nrf-a", "nrf-c", "nrf-a", "nrf-b"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ground_fixes_are_deterministic_in_both_wifi_forms_and_checked_before_sending() {
    let sim = start().await;
    let client = jwt_client(&sim, service_jwt(&sim).await);
    let location = client.location();
    let fix = |form| {
        let [a, b] = aps();
        location
            .ground_fix()
            .for_device("nrf-1")
            .wifi(a)
            .wifi(b)
            .wifi_form(form)
            .send()
    };
    let array = fix(WifiForm::Array).await.unwrap();
    let object = fix(WifiForm::AccessPointsObject).await.unwrap();
    same_place(&array, &object);
    assert_eq!(object.fulfilled_with, FixSource::Wifi);
    assert!((-90.0..=90.0).contains(&array.lat) && array.uncertainty > 0.0);

    let cells = location.ground_fix().lte(cell()).send().await.unwrap();
    assert_eq!(cells.fulfilled_with, FixSource::SingleCell);
    let again = location
        .single_cell(242, 1, 2305, 33_703_712)
        .send()
        .await
        .unwrap();
    same_place(&cells, &again);
    assert_eq!(again.fulfilled_with, FixSource::SingleCell);

    let before = sim.request_counts().received;
    let one = location
        .ground_fix()
        .wifi(AccessPoint::new("40:01:7a:c9:10:22"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        invalid(one),
        "invalid request to GetLocationFromCellsOrWifiNetworks: a Wi-Fi fix needs at least 2 \
         access points with universally administered MACs; 1 given"
    );
    let [a, _] = aps();
    let bad_mac = location
        .ground_fix()
        .wifi(a)
        .wifi(AccessPoint::new("40:01:7a:c9:10"))
        .send()
        .await
        .unwrap_err();
    assert!(invalid(bad_mac).contains("\"40:01:7a:c9:10\""));
    let nothing = location.ground_fix().send().await.unwrap_err();
    assert!(matches!(nothing.kind(), ErrorKind::InvalidRequest(_)));
    assert_eq!(sim.request_counts().received, before, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_jwt_is_passed_through_as_the_bearer() {
    let sim = start().await;
    let api = api_client(&sim);
    let public = std::fs::read_to_string(format!("{KEYS}/ec-p256-public.pem")).unwrap();
    let csv = format!("nrf-pass,nrf9151,,APP,\"{}\"\n", public.trim_end());
    let report = api
        .onboarding()
        .bulk_csv(Cursor::new(csv))
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    let device_key = PrivateKey::from_file(format!("{KEYS}/ec-p256-sec1.pem")).unwrap();
    let token = DeviceJwt::new(device_key, "nrf-pass")
        .unwrap()
        .token()
        .unwrap();

    // The API-key client alone cannot call Location Services (refused before sending); with
    // the device's token it is answered, and the fix is the device's.
    let before = sim.request_counts().received;
    assert_eq!(
        wifi_fix(&api).send().await.unwrap_err().to_string(),
        "GetLocationFromCellsOrWifiNetworks accepts a service evaluation token or a JWT, but the \
         client has an API key"
    );
    assert_eq!(sim.request_counts().received, before);
    let fix = wifi_fix(&api)
        .device_token(token.expose_secret().to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(fix.fulfilled_with, FixSource::Wifi);
    assert_eq!(sim.location_device_ids(), ["nrf-pass"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_token_uses_organization_urls_and_names_the_device_in_a_header() {
    let sim = start().await;
    let client = Client::builder()
        .rest_host(sim.rest_host())
        .organization_token(sim.organization_token())
        .organization(sim.organization(), sim.project())
        .build()
        .unwrap();
    let fix = wifi_fix(&client)
        .for_device("nrf-oat")
        .send()
        .await
        .unwrap();
    assert_eq!(fix.fulfilled_with, FixSource::Wifi);
    assert_eq!(sim.location_device_ids(), ["nrf-oat"]);

    let entries: Vec<_> = client
        .location()
        .history()
        .device_id("nrf-oat")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].lat, entries[0].lon, entries[0].uncertainty),
        (fix.lat, fix.lon, fix.uncertainty)
    );
    client
        .location()
        .delete_history("nrf-oat", &entries[0].id)
        .await
        .unwrap();
    assert!(sim.location_device_ids().is_empty());

    // The organization URL of another project is not this token's.
    let elsewhere = Client::builder()
        .rest_host(sim.rest_host())
        .organization_token(sim.organization_token())
        .organization(sim.organization(), "other-project")
        .build()
        .unwrap();
    let e = wifi_fix(&elsewhere).send().await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_evaluation_token_works_on_its_own() {
    let sim = start().await;
    let account = api_client(&sim).account();
    let started = account.start_evaluation().await.unwrap();
    let fetched = account.evaluation_token().await.unwrap();
    assert_eq!(started.token.expose_secret(), fetched.token.expose_secret());
    assert!(started.expires.unwrap() > Utc::now() + TimeDelta::days(29));
    assert!(!format!("{fetched:?}").contains(fetched.token.expose_secret()));

    let client = Client::builder()
        .rest_host(sim.rest_host())
        .service_evaluation_token(fetched.token.expose_secret().to_owned())
        .build()
        .unwrap();
    let fix = wifi_fix(&client)
        .for_device("nrf-eval")
        .send()
        .await
        .unwrap();
    assert_eq!(fix.fulfilled_with, FixSource::WifiEval);
    assert_eq!(
        sim.location_service_types(),
        [("nrf-eval".to_owned(), "WIFI_EVAL".to_owned())]
    );
    let data = client.location().agnss().send().await.unwrap();
    assert_eq!(data[0], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn history_is_sent_with_credentials_filtered_by_time_and_deleted() {
    let sim = start().await;
    let now = Utc::now();
    let old = sim.add_location("nrf-h", "GNSS", 63.4, 10.4, 5.0, now - TimeDelta::days(3));
    let recent = sim.add_location("nrf-h", "WIFI", 63.421, 10.4372, 14.772, now);
    sim.add_location("nrf-other", "MCELL", 59.9, 10.7, 900.0, now);
    let client = api_client(&sim);
    let location = client.location();

    let all: Vec<_> = location
        .history()
        .device_id("nrf-h")
        .page_limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        [recent.as_str(), old.as_str()],
        "newest first, across pages of one"
    );
    assert_eq!(
        (all[0].lat, all[0].lon, all[0].uncertainty),
        (63.421, 10.4372, 14.772)
    );
    assert_eq!(all[0].service_type, FixSource::Wifi);
    assert_eq!(all[1].service_type, FixSource::Gnss);

    let last_day: Vec<_> = location
        .history()
        .device_id("nrf-h")
        .between(now - TimeDelta::days(1), now + TimeDelta::minutes(1))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        last_day.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        [recent.as_str()]
    );

    location.delete_history("nrf-h", &old).await.unwrap();
    let gone = location.delete_history("nrf-h", &old).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    assert_eq!(sim.location_device_ids(), ["nrf-h", "nrf-other"]);

    // A service-key JWT reads history too.
    let jwt = jwt_client(&sim, service_jwt(&sim).await);
    let page = jwt
        .location()
        .history()
        .device_id("nrf-other")
        .send()
        .await
        .unwrap();
    assert_eq!(page.items().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn agnss_is_sized_by_head_fetched_in_ranges_and_streamed() {
    let sim = start().await;
    let client = jwt_client(&sim, service_jwt(&sim).await);
    let agnss = || client.location().agnss().for_device("nrf-gnss");

    // The default types: schema byte, then per type 3 header bytes and its records.
    let size = agnss().size().await.unwrap();
    assert_eq!(size, 1 + 17 + 1987 + 964 + 11 + 195 + 19 + 7);

    let before = sim.request_counts().received;
    let whole = agnss().fragment_size(1000).send().await.unwrap();
    assert_eq!(whole.len() as u64, size);
    assert_eq!(whole[0], 1);
    assert_eq!(
        sim.request_counts().received - before,
        1 + 4,
        "one HEAD, four ranges"
    );
    let one_piece = agnss().fragment_size(8192).send().await.unwrap();
    assert_eq!(whole, one_piece);

    let fragments: Vec<_> = agnss()
        .fragment_size(1000)
        .chunks()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        fragments.iter().map(|f| f.len()).collect::<Vec<_>>(),
        [1000, 1000, 1000, 201]
    );
    assert_eq!(fragments.concat(), whole.to_vec());

    // Both spellings of `types` in the HEAD query give the size of what is sent.
    let types = [AssistanceType::GpsUtc, AssistanceType::GpsEphemerides];
    for form in [SizeQuery::Repeated, SizeQuery::CommaJoined] {
        let some = agnss().types(types).size_query(form);
        assert_eq!(some.size().await.unwrap(), 1 + 17 + 1987);
        assert_eq!(some.send().await.unwrap().len(), 1 + 17 + 1987);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pgps_predictions_are_downloaded_without_credentials() {
    let sim = start().await;
    let client = jwt_client(&sim, service_jwt(&sim).await);
    let link = client
        .location()
        .pgps()
        .for_device("nrf-gps")
        .prediction_count(42)
        .interval_minutes(240)
        .send()
        .await
        .unwrap();
    assert!(
        link.url()
            .starts_with(&format!("{}/__sim/pgps/", sim.rest_host())),
        "{}",
        link.url()
    );
    // The file host answers 400 to a request with Authorization: this one had none.
    let predictions = link.download().await.unwrap();
    assert!(!predictions.is_empty());
    assert_eq!(sim.pgps_downloads(), 1);
    assert_eq!(link.download().await.unwrap(), predictions);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_service_key_replaces_the_previous_one() {
    let sim = start().await;
    let first = jwt_client(&sim, service_jwt(&sim).await);
    let fix = || wifi_fix(&first).for_device("nrf-k");
    fix().send().await.unwrap();
    let generated = api_client(&sim)
        .account()
        .generate_service_key()
        .await
        .unwrap();
    assert_eq!(
        format!("{generated:?}"),
        "ServiceKey { key_pem: [REDACTED], token: [REDACTED] }"
    );
    let e = fix().send().await.unwrap_err();
    assert!(e.is_unauthorized(), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_location_example_prints_the_fix_last() {
    let mut out = Vec::new();
    let fix = location_example::simulated("nrf-example", &mut out)
        .await
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0]
            .starts_with("No credential given: using the embedded simulator (http://127.0.0.1:")
    );
    assert_eq!(
        lines[1],
        format!(
            "a-gnss: {0} bytes for nrf-example (HEAD said {0})",
            1 + 17 + 1987 + 964 + 11 + 195 + 19 + 7
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "location: {},{} ±{} m (WIFI)",
            fix.lat, fix.lon, fix.uncertainty
        )
    );
    assert_eq!(fix.fulfilled_with, FixSource::Wifi);
}

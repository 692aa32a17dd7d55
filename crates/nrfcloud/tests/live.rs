//! Checks against real nRF Cloud, opt-in and never run in CI (which only compiles them):
//!
//! ```sh
//! NRFCLOUD_API_KEY=… cargo test -p nrfcloud --test live -- --ignored --test-threads 1
//! ```
//!
//! They read only, unless `NRFCLOUD_LIVE_WRITE=1` is set too. Optional settings:
//! `NRFCLOUD_API_HOST`, `NRFCLOUD_PROVISIONING_HOST` (other hosts), `NRFCLOUD_LIVE_CLAIM_TOKEN`
//! (an attestation token for the dry-run claim; with `NRFCLOUD_LIVE_WRITE=1` it is claimed for
//! real) and `NRFCLOUD_LIVE_DEVICE_ID` (a device whose tags the write check changes and
//! restores).

use futures::{StreamExt, TryStreamExt};
use nrfcloud::{Client, devices::DeviceExt, provisioning::ClaimVerdict};

/// The client of `NRFCLOUD_API_KEY`; without one the check fails at once and says what to set.
fn client() -> Client {
    let key = std::env::var("NRFCLOUD_API_KEY").unwrap_or_default();
    assert!(
        !key.trim().is_empty(),
        "the live checks talk to real nRF Cloud: set NRFCLOUD_API_KEY to a team API key \
         (nRF Cloud portal → User account → API key), and NRFCLOUD_LIVE_WRITE=1 to allow changes"
    );
    Client::from_env().expect("a client from NRFCLOUD_API_KEY")
}

fn writes_allowed() -> bool {
    std::env::var("NRFCLOUD_LIVE_WRITE").as_deref() == Ok("1")
}

fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::test]
#[ignore = "talks to real nRF Cloud; needs NRFCLOUD_API_KEY"]
async fn account_and_team_id() {
    let client = client();
    let team = client.account().team_id().await.unwrap();
    assert!(!team.is_empty());
    let account = client.account().get().send().await.unwrap();
    let tenant = account
        .team
        .and_then(|t| t.tenant_id)
        .map(|t| t.to_string());
    assert_eq!(tenant, Some(team));
}

#[tokio::test]
#[ignore = "talks to real nRF Cloud; needs NRFCLOUD_API_KEY"]
async fn first_page_of_devices() {
    let page = client()
        .devices()
        .list()
        .page_limit(5)
        .send()
        .await
        .unwrap();
    assert!(page.items().len() <= 5, "{} devices", page.items().len());
}

#[tokio::test]
#[ignore = "talks to real nRF Cloud; needs NRFCLOUD_API_KEY"]
async fn claimed_devices_first_pages() {
    let client = client();
    let first: Vec<_> = client
        .provisioning()
        .claimed_devices()
        .list()
        .page_limit(10)
        .stream()
        .take(25)
        .try_collect()
        .await
        .unwrap();
    assert!(first.len() <= 25);
}

#[tokio::test]
#[ignore = "talks to real nRF Cloud; needs NRFCLOUD_API_KEY"]
async fn bulk_operations_first_page() {
    let page = client()
        .bulk_ops()
        .list()
        .page_limit(5)
        .send()
        .await
        .unwrap();
    assert!(page.items().len() <= 5);
}

#[tokio::test]
#[ignore = "talks to real nRF Cloud; needs NRFCLOUD_API_KEY"]
async fn firmware_bundles_first_page() {
    // No facade handle yet: the raw client, with the facade's credentials and retries.
    let page = client()
        .raw()
        .rest()
        .list_firmware()
        .page_limit(5)
        .send()
        .await
        .map_err(|e| e.to_string())
        .unwrap();
    assert!(page.items.len() <= 5);
}

#[tokio::test]
#[ignore = "talks to real nRF Cloud; needs NRFCLOUD_API_KEY and NRFCLOUD_LIVE_CLAIM_TOKEN"]
async fn dry_run_claim() {
    let client = client();
    let Some(token) = optional("NRFCLOUD_LIVE_CLAIM_TOKEN") else {
        eprintln!("NRFCLOUD_LIVE_CLAIM_TOKEN is not set: no dry-run claim");
        return;
    };
    let verdict = client.provisioning().claim(&token).dry_run().await.unwrap();
    eprintln!("dry run: {verdict:?}");
    if writes_allowed() && verdict == ClaimVerdict::Claimable {
        let claimed = client.provisioning().claim(token).send().await.unwrap();
        assert!(!claimed.id.is_empty());
    }
}

#[tokio::test]
#[ignore = "changes real nRF Cloud; needs NRFCLOUD_API_KEY, NRFCLOUD_LIVE_WRITE=1 and NRFCLOUD_LIVE_DEVICE_ID"]
async fn tag_a_device_and_restore_it() {
    let client = client();
    let (true, Some(id)) = (writes_allowed(), optional("NRFCLOUD_LIVE_DEVICE_ID")) else {
        eprintln!("set NRFCLOUD_LIVE_WRITE=1 and NRFCLOUD_LIVE_DEVICE_ID to run the write check");
        return;
    };
    let devices = client.devices();
    let before = devices.get(&id).send().await.unwrap();
    let original: Vec<String> = before.tags().to_vec();
    let mut tagged = original.clone();
    tagged.push("nrfcloud-rs-live".into());
    devices.set_tags(&id, tagged).send().await.unwrap();
    let during = devices.get(&id).send().await.unwrap();
    assert!(
        during.tags().iter().any(|t| t == "nrfcloud-rs-live"),
        "{:?}",
        during.tags()
    );
    devices
        .set_tags(&id, original.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(devices.get(&id).send().await.unwrap().tags(), original);
}

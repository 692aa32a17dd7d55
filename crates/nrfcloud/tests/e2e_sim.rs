//! End to end against the local simulator (`nrfcloud-sim`): the claiming workflow through the
//! facade, with the simulator's hosts and API key, as `Client::from_env()` users would.

use futures::TryStreamExt;
use nrfcloud::{Client, provisioning::ClaimVerdict};
use nrfcloud_sim::Simulator;

#[tokio::test(flavor = "multi_thread")]
async fn claim_list_block_unblock_unclaim() {
    let sim = Simulator::start().await.expect("simulator starts");
    let client = Client::builder()
        .api_key(sim.api_key())
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .build()
        .unwrap();

    assert_eq!(client.account().team_id().await.unwrap(), sim.team_id());

    let tokens = sim.claim_tokens(2);
    let p = client.provisioning();
    assert_eq!(
        p.claim(&tokens[1]).dry_run().await.unwrap(),
        ClaimVerdict::Claimable
    );
    let claimed = p.claim(&tokens[0]).tags(["e2e"]).send().await.unwrap();
    assert_eq!(claimed.tags, ["e2e"]);

    let listed: Vec<_> = p
        .claimed_devices()
        .list()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(listed.iter().any(|d| d.id == claimed.id), "{listed:?}");
    assert_eq!(
        p.claimed_devices()
            .get(&claimed.id)
            .send()
            .await
            .unwrap()
            .id,
        claimed.id
    );

    p.claimed_devices().block(&claimed.id).send().await.unwrap();
    p.claimed_devices()
        .unblock(&claimed.id)
        .send()
        .await
        .unwrap();
    p.claimed_devices()
        .unclaim(&claimed.id)
        .send()
        .await
        .unwrap();
    let e = p
        .claimed_devices()
        .unclaim(&claimed.id)
        .send()
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

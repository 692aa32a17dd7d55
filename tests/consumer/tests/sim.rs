//! An integration test written against `nrfcloud-sim`, as a user's project would write one.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use nrfcloud::auth::ExposeSecret;
use nrfcloud_sim::Simulator;

#[tokio::test]
async fn claims_lists_and_signs_against_the_simulator() {
    let sim = Simulator::start().await.unwrap();
    let client = nrfcloud::Client::builder()
        .api_key(sim.api_key())
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .build()
        .unwrap();
    let tokens = sim.claim_tokens(3);
    // Two devices are claimed before, so the list holds three.
    for token in &tokens[1..] {
        client.provisioning().claim(token).send().await.unwrap();
    }
    let id = sim.device_facts(0).id;
    let key = sim.device_private_key_pem(&id);

    let tour = nrfcloud_consumer::tour(&client, &tokens[0], &key)
        .await
        .unwrap();

    assert_eq!(tour.claimed_id, id);
    assert_eq!(tour.claimed_devices, 3);
    let jwt = tour.device_jwt.expose_secret();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT is header.claims.signature");
    // {"typ":"JWT","alg":"ES256"} in base64url
    assert_eq!(parts[0], "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["sub"], id.as_str());
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert!(exp > iat, "{claims}");
    sim.shutdown().await;
}

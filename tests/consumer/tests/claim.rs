use nrfcloud_sim::Simulator;

#[tokio::test]
async fn claims_a_device() {
    let sim = Simulator::start().await.unwrap();
    let client = nrfcloud::Client::builder()
        .api_key(sim.api_key())
        .rest_host(sim.rest_host())
        .provisioning_host(sim.provisioning_host())
        .build()
        .unwrap();
    let token = &sim.claim_tokens(1)[0];
    let claimed = client.provisioning().claim(token).send().await.unwrap();
    assert_eq!(claimed.id, sim.device_facts(0).id);
    sim.shutdown().await;
}

//! Starting and stopping: both listeners close on `shutdown()` and on drop.

mod common;

use std::time::Duration;

use nrfcloud_sim::Simulator;

async fn reachable(url: &str) -> bool {
    common::http().get(url).send().await.is_ok()
}

#[tokio::test]
async fn shutdown_closes_both_listeners() {
    let sim = Simulator::start().await.unwrap();
    let urls = [
        format!("{}/v1/account", sim.rest_host()),
        format!("{}/v1/claimed-devices", sim.provisioning_host()),
    ];
    for url in &urls {
        assert!(reachable(url).await, "{url} serves");
    }
    sim.shutdown().await;
    for url in &urls {
        assert!(!reachable(url).await, "{url} is closed");
    }
}

#[tokio::test]
async fn dropping_the_simulator_stops_it() {
    let sim = Simulator::start().await.unwrap();
    let url = format!("{}/v1/account", sim.rest_host());
    assert!(reachable(&url).await);
    drop(sim);
    // The accept loop notices on its next poll.
    let mut closed = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if !reachable(&url).await {
            closed = true;
            break;
        }
    }
    assert!(closed, "{url} still serves after drop");
}

#[tokio::test]
async fn a_busy_port_is_reported_with_the_os_error() {
    let first = Simulator::start().await.unwrap();
    let busy: u16 = first
        .rest_host()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let err = Simulator::builder()
        .rest_port(busy)
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{busy}")),
        "{err}"
    );
    assert!(
        std::error::Error::source(&err).is_some(),
        "the OS error is the source"
    );
}

//! Faults on demand: 429 cadence with Retry-After, seeded 5xx rates, dropped connections,
//! delays, a failing page mid-pagination, and the admin route that sets them.

mod common;

use std::time::{Duration, Instant};

use common::{Api, assert_error, send};
use nrfcloud_sim::{Faults, Simulator};
use reqwest::{Method, StatusCode};

async fn statuses(api: &Api, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        let response = api
            .req(Method::GET, format!("{}/account", api.rest))
            .send()
            .await
            .unwrap();
        out.push(response.status().as_u16());
    }
    out
}

/// A bucket of 2 tokens refilled at 0.5/s: two requests pass, the third finds it empty and is
/// told to come back in the 2 s the next token takes; the counts show it.
#[tokio::test]
async fn a_token_bucket_refuses_what_exceeds_its_rate_with_retry_after() {
    let sim = Simulator::builder()
        .faults(Faults {
            rate_limit_per_sec: Some(0.5),
            rate_limit_burst: 2,
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    assert_eq!(statuses(&api, 2).await, [200, 200]);
    let response = api
        .req(Method::GET, format!("{}/claimed-devices", api.prov))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "2");
    let counts = sim.request_counts();
    assert_eq!((counts.received, counts.rate_limited), (3, 1));
    assert_eq!(counts.peak_in_flight, 1, "one request at a time");
}

#[tokio::test]
async fn every_nth_request_is_rate_limited_with_retry_after() {
    let sim = Simulator::builder()
        .faults(Faults {
            rate_limit_every: Some(3),
            retry_after_secs: 7,
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    let mut seen = Vec::new();
    for i in 1..=9 {
        let response = api
            .req(Method::GET, format!("{}/claimed-devices", api.prov))
            .send()
            .await
            .unwrap();
        let status = response.status();
        if i % 3 == 0 {
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "request {i}");
            assert_eq!(response.headers()["retry-after"], "7");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["code"], 42900);
        } else {
            assert_eq!(status, StatusCode::OK, "request {i}");
        }
        seen.push(status.as_u16());
    }
    // Both APIs share the count.
    assert_eq!(statuses(&api, 3).await, [200, 200, 429]);
}

#[tokio::test]
async fn seeded_error_rates_are_reproducible() {
    let faults = Faults {
        error_rate: 0.3,
        ..Faults::default()
    };
    let run = |seed: u64| {
        let faults = faults.clone();
        async move {
            let sim = Simulator::builder()
                .seed(seed)
                .faults(faults)
                .start()
                .await
                .unwrap();
            statuses(&Api::new(&sim), 60).await
        }
    };
    let a = run(11).await;
    let b = run(11).await;
    let c = run(12).await;
    assert_eq!(a, b, "same seed, same faults");
    assert_ne!(a, c, "another seed, other faults");
    assert!(
        a.contains(&500) && a.contains(&503) && a.contains(&200),
        "{a:?}"
    );
    let errors = a.iter().filter(|s| **s >= 500).count();
    assert!((5..=35).contains(&errors), "{errors} of 60 at rate 0.3");
    // Setting the faults again restarts the sequence.
    let sim = Simulator::builder().seed(11).start().await.unwrap();
    sim.set_faults(faults.clone());
    assert_eq!(statuses(&Api::new(&sim), 60).await, a);
}

#[tokio::test]
async fn dropped_connections_are_transport_errors() {
    let sim = Simulator::builder()
        .faults(Faults {
            drop_rate: 1.0,
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    let error = api
        .req(Method::GET, format!("{}/account", api.rest))
        .send()
        .await
        .expect_err("no response at all");
    assert!(error.status().is_none(), "{error:?}");
    assert!(!error.is_timeout(), "closed, not stalled: {error:?}");
    sim.set_faults(Faults::default());
    assert_eq!(statuses(&api, 1).await, [200]);
}

#[tokio::test]
async fn delays_hold_each_request() {
    let delay = Duration::from_millis(150);
    let sim = Simulator::builder()
        .faults(Faults {
            delay: Some(delay),
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();
    let api = Api::new(&sim);
    let started = Instant::now();
    assert_eq!(statuses(&api, 2).await, [200, 200]);
    assert!(started.elapsed() >= delay * 2, "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_page_fails_mid_pagination_and_a_retry_resumes() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let csv: String = (0..10)
        .map(|i| format!("{}\n", sim.claim_token(i)))
        .collect();
    api.claim_csv(csv).await;
    sim.set_faults(Faults {
        fail_page_after: Some(2),
        ..Faults::default()
    });
    let mut ids = Vec::new();
    let mut token = String::new();
    let mut failures = Vec::new();
    for request in 1..=10 {
        let url = format!(
            "{}/claimed-devices?pageLimit=3&pageNextToken={token}",
            api.prov
        );
        let (status, page) = api.get(url).await;
        if status != StatusCode::OK {
            assert_error(status, &page, 500, 50010);
            failures.push(request);
            continue; // retry the same page
        }
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].clone()),
        );
        match page["pageNextToken"].as_str() {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    assert_eq!(failures, [3], "only the third page request failed");
    assert_eq!(ids.len(), 10);
    let unique: std::collections::BTreeSet<_> = ids.iter().map(|v| v.to_string()).collect();
    assert_eq!(unique.len(), 10);
}

#[tokio::test]
async fn faults_can_be_set_over_http_and_spare_the_admin_routes() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let admin = format!("{}/__sim/faults", sim.provisioning_host());
    let (status, _) = send(
        common::http()
            .put(&admin)
            .body(r#"{"rate_limit_every": 1, "retry_after_secs": 3}"#),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(sim.faults().rate_limit_every, Some(1));
    assert_eq!(statuses(&api, 2).await, [429, 429]);
    // Admin routes are never faulted; the REST listener serves them too.
    let (status, current) =
        send(common::http().get(format!("{}/__sim/faults", sim.rest_host()))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["retry_after_secs"], 3);
    assert_eq!(current["delay_ms"], serde_json::Value::Null);
    let (status, body) = send(common::http().put(&admin).body(r#"{"error_rate": "high"}"#)).await;
    assert_error(status, &body, 400, 40000);
    let (status, body) = send(common::http().put(&admin).body(r#"{"typo": 1}"#)).await;
    assert_error(status, &body, 400, 40000);
    send(common::http().put(&admin).body("{}")).await;
    assert_eq!(statuses(&api, 2).await, [200, 200]);
}

//! 100,000 claimed devices: claimed through 100 CSV requests of 1000 rows, then listed with
//! pageLimit 100 until the last page, every device exactly once. (Throughput figures come from
//! `cargo bench -p nrfcloud-sim`, not from here.)

mod common;

use std::collections::HashSet;

use common::Api;
use nrfcloud_sim::{Simulator, tokens::Minter};
use reqwest::StatusCode;

const DEVICES: u64 = 100_000;
const ROWS: u64 = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_thousand_claimed_devices_page_through() {
    let sim = Simulator::builder().seed(100).start().await.unwrap();
    let api = std::sync::Arc::new(Api::new(&sim));
    let minter = Minter::new(100);
    let mut requests = tokio::task::JoinSet::new();
    for chunk in 0..DEVICES / ROWS {
        let csv: String = (chunk * ROWS..(chunk + 1) * ROWS)
            .map(|i| format!("{}\n", minter.token(i)))
            .collect();
        let api = api.clone();
        requests.spawn(async move { api.claim_csv(csv).await });
        while requests.len() >= 4 {
            let (status, result) = requests.join_next().await.unwrap().unwrap();
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                result["claimedIds"].as_array().unwrap().len(),
                ROWS as usize
            );
        }
    }
    while let Some(done) = requests.join_next().await {
        let (status, result) = done.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(result["failed"].as_array().unwrap().len(), 0);
    }

    let mut seen = HashSet::with_capacity(DEVICES as usize);
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &token {
            Some(t) => format!(
                "{}/claimed-devices?pageLimit=100&pageNextToken={t}",
                api.prov
            ),
            None => format!("{}/claimed-devices?pageLimit=100", api.prov),
        };
        let (status, page) = api.get(url).await;
        assert_eq!(status, StatusCode::OK);
        let items = page["items"].as_array().unwrap();
        for item in items {
            assert!(
                seen.insert(item["id"].as_str().unwrap().to_string()),
                "listed twice"
            );
        }
        pages += 1;
        match page["pageNextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, DEVICES / 100);
    assert_eq!(seen.len(), DEVICES as usize);
    assert!(seen.contains(&minter.facts(DEVICES - 1).id));
}

//! The `nrfcloud-sim` binary: `serve` prints its environment and serves; `tokens` writes a
//! claim CSV valid for a simulator with the same seed.

mod common;

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use common::Api;
use nrfcloud_sim::Simulator;
use reqwest::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_nrfcloud-sim");

/// Kills the child when the test ends, pass or fail.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_prints_its_environment_and_serves() {
    let mut child = Child(
        Command::new(BIN)
            .args([
                "serve",
                "--port",
                "0",
                "--seed",
                "3",
                "--rate-limit-every",
                "2",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = BufReader::new(child.0.stdout.take().unwrap());
    let lines: Vec<String> = stdout.lines().take(4).map(Result::unwrap).collect();
    let names: Vec<&str> = lines.iter().map(|l| l.split_once('=').unwrap().0).collect();
    assert_eq!(
        names,
        [
            "NRFCLOUD_API_HOST",
            "NRFCLOUD_PROVISIONING_HOST",
            "NRFCLOUD_API_KEY",
            "NRFCLOUD_TEAM_ID"
        ]
    );
    let value = |i: usize| lines[i].split_once('=').unwrap().1.to_string();
    let (rest, prov, key, team) = (value(0), value(1), value(2), value(3));
    assert!(
        rest.starts_with("http://127.0.0.1:") && !rest.ends_with("/v1"),
        "{rest}"
    );
    assert!(
        prov.starts_with("http://127.0.0.1:") && prov != rest,
        "{prov}"
    );
    // Same seed in process: same key and team.
    let twin = Simulator::builder().seed(3).start().await.unwrap();
    assert_eq!(key, twin.api_key());
    assert_eq!(team, twin.team_id());

    let http = common::http();
    let account = |url: String| http.get(url).bearer_auth(&key).send();
    let first = account(format!("{rest}/v1/account")).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let body: serde_json::Value = first.json().await.unwrap();
    assert_eq!(body["team"]["tenantId"], team);
    // The fault flag is in force: every second request is rate limited.
    let second = account(format!("{prov}/v1/claimed-devices")).await.unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn tokens_writes_a_claim_csv_for_the_seed() {
    let out = std::env::temp_dir().join(format!("nrfcloud-sim-tokens-{}.csv", std::process::id()));
    let status = Command::new(BIN)
        .args([
            "tokens",
            "--count",
            "5",
            "--seed",
            "9",
            "--tags",
            "lab,batch-7",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let csv = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    assert_eq!(csv.lines().count(), 5);
    assert!(csv.ends_with('\n') && !csv.contains('\r'));
    assert!(
        csv.lines().all(|l| l.ends_with(",\"lab,batch-7\"")),
        "{csv}"
    );

    let sim = Simulator::builder().seed(9).start().await.unwrap();
    let api = Api::new(&sim);
    let (status, result) = api.claim_csv(csv.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        result["claimedIds"].as_array().unwrap().len(),
        5,
        "{result}"
    );
    let (_, device) = api
        .get(format!(
            "{}/claimed-devices/{}",
            api.prov,
            sim.device_facts(4).id
        ))
        .await;
    assert_eq!(device["tags"], serde_json::json!(["lab", "batch-7"]));

    // Another seed's simulator rejects every row.
    let other = Simulator::builder().seed(10).start().await.unwrap();
    let (_, result) = Api::new(&other).claim_csv(csv).await;
    assert_eq!(result["failed"].as_array().unwrap().len(), 5);
}

#[test]
fn tokens_to_stdout_and_clear_errors() {
    let output = Command::new(BIN)
        .args(["tokens", "--count", "2"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(
        text.lines()
            .all(|l| l.split('.').count() == 2 && !l.contains(','))
    );

    let output = Command::new(BIN)
        .args(["tokens", "--count", "1", "--out", "/nonexistent-dir/x.csv"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cannot create /nonexistent-dir/x.csv"),
        "{stderr}"
    );

    let output = Command::new(BIN)
        .args(["serve", "--port", "65535"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("--provisioning-port")
    );
}

//! ClaimDeviceOwnership in all its forms.

mod common;

use common::{Api, assert_error, send};
use nrfcloud_sim::Simulator;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn json_claim_returns_the_device_from_the_token() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let facts = sim.device_facts(3);
    let (status, device) = api
        .claim_json(&sim.claim_token(3), &["lab", "batch-7"])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{device}");
    assert_eq!(device["id"], facts.id);
    assert_eq!(device["imei"], facts.imei);
    assert_eq!(device["deviceType"], facts.device_type);
    assert_eq!(device["firmwareId"], facts.firmware_id);
    assert_eq!(device["ownerId"], sim.team_id());
    assert_eq!(device["ownershipStatus"], "IDENTIFIED");
    assert_eq!(device["status"], "READY");
    assert_eq!(device["tags"], json!(["lab", "batch-7"]));
    assert!(device["claimedAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn claiming_is_idempotent_within_a_team() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let token = sim.claim_token(0);
    let (s1, first) = api.claim_json(&token, &["a"]).await;
    let (s2, second) = api.claim_json(&token, &["b"]).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first, second, "a re-claim returns the device unchanged");
    let (_, list) = api.get(format!("{}/claimed-devices", api.prov)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn claiming_conflicts_across_teams() {
    let sim = Simulator::start().await.unwrap();
    let ours = Api::new(&sim);
    let theirs = Api::with_key(&sim, sim.other_team_api_key());
    let token = sim.claim_token(1);
    let (status, device) = theirs.claim_json(&token, &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(device["ownerId"], sim.other_team_id());
    let (status, body) = ours.claim_json(&token, &[]).await;
    assert_error(status, &body, 409, 40101);
    // The dry run gives the same verdict without claiming.
    let (status, body) = send(
        ours.req(
            Method::POST,
            format!("{}/claimed-devices?dryrun=true", ours.prov),
        )
        .json(&json!({"claimToken": token})),
    )
    .await;
    assert_error(status, &body, 409, 40101);
    // The other team unclaims; now it is ours to take.
    let (status, _) = send(theirs.req(
        Method::DELETE,
        format!("{}/claimed-devices/{}", theirs.prov, sim.device_facts(1).id),
    ))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(ours.claim_json(&token, &[]).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn malformed_tokens_are_400_naming_the_problem() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    for (token, needle) in [
        ("", "empty"),
        ("not-a-token", "found 1 part(s)"),
        ("a.b.c", "found 3 part(s)"),
        ("%%%.abc", "not base64url"),
    ] {
        let (status, body) = api.claim_json(token, &[]).await;
        assert_error(status, &body, 400, 40000);
        assert!(
            body["message"].as_str().unwrap().contains(needle),
            "{token:?}: {body}"
        );
    }
}

#[tokio::test]
async fn forged_and_foreign_tokens_are_invalid_ownership_codes() {
    let sim = Simulator::builder().seed(5).start().await.unwrap();
    let api = Api::new(&sim);
    // A token of another seed is well-formed but was not issued here.
    let foreign = nrfcloud_sim::tokens::Minter::new(6).token(0);
    let (status, body) = api.claim_json(&foreign, &[]).await;
    assert_error(status, &body, 400, 40102);
    // Swapping the facts part of a valid token breaks its signature.
    let (_, sig) = sim
        .claim_token(0)
        .split_once('.')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    let (facts, _) = sim
        .claim_token(1)
        .split_once('.')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    let (status, body) = api.claim_json(&format!("{facts}.{sig}"), &[]).await;
    assert_error(status, &body, 400, 40102);
    let (_, list) = api.get(format!("{}/claimed-devices", api.prov)).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn invalid_tags_are_rejected() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let long = "x".repeat(101);
    for tags in [vec!["a,b"], vec![long.as_str()], vec![""]] {
        let (status, body) = api.claim_json(&sim.claim_token(0), &tags).await;
        assert_error(status, &body, 400, 40000);
    }
}

#[tokio::test]
async fn dry_run_claims_nothing() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let dry = |token: String| {
        send(
            api.req(
                Method::POST,
                format!("{}/claimed-devices?dryrun=true", api.prov),
            )
            .json(&json!({"claimToken": token})),
        )
    };
    let (status, body) = dry(sim.claim_token(0)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(body.is_null(), "202 has no body: {body}");
    let (_, list) = api.get(format!("{}/claimed-devices", api.prov)).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (status, body) = dry("junk".into()).await;
    assert_error(status, &body, 400, 40000);
}

fn claim_csv(sim: &Simulator, range: std::ops::Range<u64>, tags: &str) -> String {
    range
        .map(|i| {
            if tags.is_empty() {
                format!("{}\n", sim.claim_token(i))
            } else {
                format!("{},\"{tags}\"\n", sim.claim_token(i))
            }
        })
        .collect()
}

#[tokio::test]
async fn csv_claims_report_claimed_ids_and_failed_rows() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let theirs = Api::with_key(&sim, sim.other_team_api_key());
    theirs.claim_json(&sim.claim_token(2), &[]).await;
    let csv = format!(
        "{}\n{},\"x,y\"\nnot-a-token\n{}\n{},a,b\n",
        sim.claim_token(0),
        sim.claim_token(1),
        sim.claim_token(2),
        sim.claim_token(3),
    );
    let (status, result) = api.claim_csv(csv).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(
        result["claimedIds"],
        json!([sim.device_facts(0).id, sim.device_facts(1).id])
    );
    let failed: Vec<&str> = result["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 3, "{failed:?}");
    assert!(
        failed[0].starts_with("[2]: malformed claim token"),
        "{failed:?}"
    );
    assert!(
        failed[1].starts_with("[3]: ") && failed[1].contains("another account"),
        "{failed:?}"
    );
    assert!(
        failed[2].starts_with("[4]: expected 1 or 2 columns"),
        "{failed:?}"
    );
    let (_, device) = api
        .get(format!(
            "{}/claimed-devices/{}",
            api.prov,
            sim.device_facts(1).id
        ))
        .await;
    assert_eq!(device["tags"], json!(["x", "y"]));
}

#[tokio::test]
async fn csv_is_accepted_however_it_is_labelled() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    // (path, content type header name, value): nrfcloud-utils sends `contentType`, curl -d sends
    // form encoding, others send nothing, text/plain or octet-stream.
    let cases: [(&str, Option<(&str, &str)>); 6] = [
        ("claimed-devices", Some(("contentType", "text/csv"))),
        ("claimed-devices", None),
        ("claimed-devices", Some(("content-type", "text/plain"))),
        (
            "identities/claimed-devices",
            Some(("content-type", "application/octet-stream")),
        ),
        (
            "identities/claimed-devices",
            Some(("content-type", "application/x-www-form-urlencoded")),
        ),
        (
            "identities/claimed-devices",
            Some(("content-type", "text/csv; charset=utf-8")),
        ),
    ];
    for (i, (path, header)) in cases.into_iter().enumerate() {
        let i = i as u64;
        let mut request = api
            .req(Method::POST, format!("{}/{path}", api.prov))
            .body(claim_csv(&sim, i * 2..i * 2 + 2, "t"));
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        let (status, result) = send(request).await;
        assert_eq!(status, StatusCode::OK, "{path} {header:?}: {result}");
        assert_eq!(
            result["claimedIds"].as_array().unwrap().len(),
            2,
            "{result}"
        );
        assert_eq!(result["failed"], json!([]));
    }
    // A BOM and CRLF line ends are fine too.
    let csv = format!(
        "\u{feff}{}\r\n{}\r\n",
        sim.claim_token(20),
        sim.claim_token(21)
    );
    let (status, result) = api.claim_csv(csv).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        result["claimedIds"].as_array().unwrap().len(),
        2,
        "{result}"
    );
    // The JSON form is sniffed as JSON without a Content-Type.
    let body = json!({"claimToken": sim.claim_token(30)}).to_string();
    let (status, device) = send(
        api.req(Method::POST, format!("{}/claimed-devices", api.prov))
            .body(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{device}");
    assert_eq!(device["id"], sim.device_facts(30).id);
}

#[tokio::test]
async fn csv_requests_hold_at_most_1000_rows() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let (status, body) = api.claim_csv(claim_csv(&sim, 0..1001, "")).await;
    assert_error(status, &body, 422, 42200);
    assert!(body["message"].as_str().unwrap().contains("1000"));
    let (status, body) = send(
        api.req(Method::POST, format!("{}/claimed-devices/bulk", api.prov))
            .body(claim_csv(&sim, 0..1001, "")),
    )
    .await;
    assert_error(status, &body, 422, 42200);
    let (status, result) = api.claim_csv(claim_csv(&sim, 0..1000, "")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["claimedIds"].as_array().unwrap().len(), 1000);
}

#[tokio::test]
async fn bulk_claims_are_tracked_as_bulk_operations() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let csv = format!(
        "{}junk\n{}",
        claim_csv(&sim, 0..2, "lab"),
        claim_csv(&sim, 2..3, "")
    );
    let (status, accepted) = send(
        api.req(Method::POST, format!("{}/claimed-devices/bulk", api.prov))
            .header("content-type", "text/csv")
            .body(csv.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let id = accepted["bulkOpsRequestId"].as_str().unwrap();
    assert_eq!(id.len(), 26);
    let op = api.wait_bulk(id).await;
    assert_eq!(op["endpoint"], "CLAIM_DEVICE_OWNERSHIP");
    assert_eq!(op["status"], "FAILED");
    // Downloads need no credentials.
    let plain = common::http();
    let uploaded = plain
        .get(op["uploadedDataUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::OK);
    assert_eq!(uploaded.text().await.unwrap(), csv);
    let summary: serde_json::Value = plain
        .get(op["errorSummaryUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let errors = summary["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{summary}");
    assert!(
        errors[0]
            .as_str()
            .unwrap()
            .starts_with("[2]: malformed claim token")
    );
    // The good rows were claimed.
    let (_, list) = api
        .get(format!("{}/claimed-devices?tags=lab", api.prov))
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (_, third) = api
        .get(format!(
            "{}/claimed-devices/{}",
            api.prov,
            sim.device_facts(2).id
        ))
        .await;
    assert_eq!(third["status"], "READY");
}

#[tokio::test]
async fn json_bodies_must_parse() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let (status, body) = send(
        api.req(Method::POST, format!("{}/claimed-devices", api.prov))
            .header("content-type", "application/json")
            .body("{\"tags\": []}"),
    )
    .await;
    assert_error(status, &body, 400, 40000);
    assert!(
        body["message"].as_str().unwrap().contains("claimToken"),
        "{body}"
    );
}

#[tokio::test]
async fn oversized_bodies_get_an_nrf_error() {
    let sim = Simulator::start().await.unwrap();
    let api = Api::new(&sim);
    let (status, body) = api.claim_csv("x".repeat(17 * 1024 * 1024)).await;
    assert_error(status, &body, 413, 41300);
}

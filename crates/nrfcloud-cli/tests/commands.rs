//! Every command through the real binary against the simulator: stdout, stderr, exit code.

mod common;

use common::{file, key_fixture, nrfcloud, run, tokens_csv};
use nrfcloud_sim::Simulator;
use serde_json::Value;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn account_shows_the_team_hosts_and_credential_source_never_the_key() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ran = run(nrfcloud(Some(&sim), dir.path()), &["account"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        format!(
            "team:              Simulated team ({})\nREST host:         {}\nprovisioning host: {}\ncredential:        API key from NRFCLOUD_API_KEY\n",
            sim.team_id(),
            sim.rest_host(),
            sim.provisioning_host()
        )
    );
    assert!(!ran.stdout.contains(sim.api_key()) && !ran.stderr.contains(sim.api_key()));

    let ran = run(nrfcloud(Some(&sim), dir.path()), &["account", "--json"]).await;
    assert_eq!(json(&ran.stdout)["teamId"], sim.team_id());
    let ran = run(nrfcloud(Some(&sim), dir.path()), &["account", "--quiet"]).await;
    assert_eq!(ran.stdout, format!("{}\n", sim.team_id()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_exits_3_and_a_missing_one_exits_2() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = nrfcloud(Some(&sim), dir.path());
    cmd.env(
        "NRFCLOUD_API_KEY",
        "0000000000000000000000000000000000000000",
    );
    let ran = run(cmd, &["account"]).await;
    assert_eq!(ran.code, 3, "{ran:?}");
    assert_eq!(ran.stdout, "");
    assert_eq!(
        ran.stderr,
        "error: FetchAccountInfo failed with HTTP 401 Unauthorized (nRF code 40100): invalid API key; check the API key (NRFCLOUD_API_KEY, --api-key-file or the profile)\n"
    );

    let ran = run(nrfcloud(None, dir.path()), &["claimed", "list"]).await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr
            .starts_with("error: no API key: set NRFCLOUD_API_KEY"),
        "{}",
        ran.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_comes_from_a_file_or_a_profile_and_a_shared_file_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = file(dir.path(), "team.key", &format!("{}\n", sim.api_key()));
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = file(
        dir.path(),
        "config.toml",
        &format!(
            "[profiles.sim]\napi_key_file = {:?}\nrest_host = {:?}\nprovisioning_host = {:?}\n",
            key.display().to_string(),
            sim.rest_host(),
            sim.provisioning_host()
        ),
    );
    let profile = |name: &str| {
        let mut cmd = nrfcloud(None, dir.path());
        cmd.env("NRFCLOUD_CONFIG", &config)
            .env("NRFCLOUD_PROFILE", name);
        cmd
    };
    let ran = run(profile("sim"), &["account"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.ends_with(&format!(
            "credential:        API key of profile sim ({})\n",
            key.display()
        )),
        "{}",
        ran.stdout
    );
    assert_eq!(ran.stderr, "");

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut cmd = nrfcloud(Some(&sim), dir.path());
    cmd.env_remove("NRFCLOUD_API_KEY");
    let ran = run(cmd, &["account", "--quiet", "--api-key-file", "team.key"]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "warning: the API key file team.key can be read by other users; run `chmod 600 team.key`\n"
    );

    let ran = run(profile("staging"), &["account"]).await;
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr,
        format!("error: no profile \"staging\" in {}\n", config.display())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn claim_one_device_dry_run_and_a_refused_token() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tokens = sim.claim_tokens(2);
    let ran = run(
        nrfcloud(Some(&sim), dir.path()),
        &["claim", &tokens[1], "--dry-run"],
    )
    .await;
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (0, "claimable\n"),
        "{ran:?}"
    );

    let ran = run(
        nrfcloud(Some(&sim), dir.path()),
        &["claim", &tokens[0], "--tag", "line-3", "--json"],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let device = json(&ran.stdout);
    assert_eq!(device["id"], sim.device_facts(0).id);
    assert_eq!(device["tags"], serde_json::json!(["line-3"]));
    assert!(!ran.stdout.contains(&tokens[0]) && !ran.stderr.contains(&tokens[0]));

    let ran = run(nrfcloud(Some(&sim), dir.path()), &["claim", "AAAA.BBBB"]).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "error: ClaimDeviceOwnership failed with HTTP 400 Bad Request (nRF code 40000): malformed claim token: part 1 does not describe a device\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn claim_csv_reports_rows_by_line_and_exits_by_outcome() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tokens = sim.claim_tokens(2500);
    let mut text: String = tokens[..2].iter().map(|t| format!("{t}\n")).collect();
    text.push_str("not-a-token\n");
    text.extend(tokens[2..].iter().map(|t| format!("{t}\n")));
    let csv = file(dir.path(), "tokens.csv", &text);
    let csv = csv.to_str().unwrap();

    // One invalid row: nothing is uploaded.
    let ran = run(nrfcloud(Some(&sim), dir.path()), &["claim", "--csv", csv]).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "bulk claim: 2501 rows, 0 claimed, 0 already claimed, 0 failed, 1 invalid, 0 unconfirmed, 2500 not submitted\n"
    );
    assert_eq!(
        ran.stderr.lines().next(),
        Some(
            "line 3: invalid: malformed claim token: expected two base64url parts joined by '.', found 1 part(s)"
        )
    );

    let ran = run(
        nrfcloud(Some(&sim), dir.path()),
        &[
            "claim",
            "--csv",
            csv,
            "--skip-invalid",
            "--report",
            "report.json",
            "--journal",
            "claim.journal",
        ],
    )
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "bulk claim: 2501 rows, 2500 claimed, 0 already claimed, 0 failed, 1 invalid, 0 unconfirmed, 0 not submitted\n"
    );
    let report = json(&std::fs::read_to_string(dir.path().join("report.json")).unwrap());
    assert_eq!(report["rows"][0]["line"], 3);
    assert_eq!(report["rows"][0]["outcome"], "invalid");
    assert_eq!(report["counts"]["succeeded"], 2500);

    // The journal knows every valid row: a re-run of the valid rows sends nothing.
    let valid = tokens_csv(&sim, dir.path(), "valid.csv", 2500);
    let ran = run(
        nrfcloud(Some(&sim), dir.path()),
        &[
            "claim",
            "--csv",
            valid.to_str().unwrap(),
            "--journal",
            "claim.journal",
            "--json",
        ],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let report = json(&ran.stdout);
    assert_eq!(report["counts"]["already_done"], 2500);
    assert_eq!(report["requests"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn claimed_devices_list_get_tag_block_unblock_unclaim() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = tokens_csv(&sim, dir.path(), "t.csv", 250);
    let ran = run(
        nrfcloud(Some(&sim), dir.path()),
        &["claim", "--csv", csv.to_str().unwrap(), "--quiet"],
    )
    .await;
    assert_eq!((ran.code, ran.stdout.as_str()), (0, ""), "{ran:?}");

    // JSON Lines, one claimed device a line, across pages.
    let ran = run(
        nrfcloud(Some(&sim), dir.path()),
        &["claimed", "list", "--json"],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let ids: Vec<String> = ran
        .stdout
        .lines()
        .map(|l| json(l)["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 250);
    let mut expected: Vec<String> = (0..250).map(|i| sim.device_facts(i).id).collect();
    let mut got = ids.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);

    let id = sim.device_facts(7).id;
    let cli = || nrfcloud(Some(&sim), dir.path());
    let ran = run(cli(), &["claimed", "tags", &id, "--tag", "a", "--tag", "b"]).await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (0, format!("{id}: tags set to [a,b]\n").as_str())
    );
    let ran = run(cli(), &["claimed", "list", "--tag", "a", "--quiet"]).await;
    assert_eq!(ran.stdout, format!("{id}\n"));
    let ran = run(cli(), &["claimed", "block", &id]).await;
    assert_eq!((ran.code, ran.stderr), (0, format!("{id}: blocked\n")));
    let ran = run(cli(), &["claimed", "get", &id, "--json"]).await;
    assert_eq!(json(&ran.stdout)["status"], "BLOCKED");
    let ran = run(cli(), &["claimed", "unblock", &id]).await;
    assert_eq!(ran.code, 0);
    let ran = run(cli(), &["claimed", "get", &id, "--json"]).await;
    assert_eq!(json(&ran.stdout)["status"], "READY");
    let ran = run(cli(), &["claimed", "unclaim", &id]).await;
    assert_eq!((ran.code, ran.stderr), (0, format!("{id}: unclaimed\n")));
    let ran = run(cli(), &["claimed", "get", &id]).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("HTTP 404 Not Found"), "{}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn onboard_keys_devices_and_bulk_ops() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = || nrfcloud(Some(&sim), dir.path());
    let key = std::fs::read_to_string(key_fixture("ec-p256-public.pem")).unwrap();
    let pem = key.trim_end();
    let row = |id: &str, tags: &str| format!("{id},nrf9151,{tags},APP|MODEM,\"{pem}\"\n");
    let csv = file(
        dir.path(),
        "onboard.csv",
        &format!("{}{}", row("dev-1", "a|b"), row("dev-2", "")),
    );
    let ran = run(cli(), &["onboard", "--csv", csv.to_str().unwrap()]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "bulk onboarding: 2 rows, 2 onboarded, 0 already onboarded, 0 failed, 0 invalid, 0 unconfirmed, 0 not submitted\n"
    );

    let keys = file(
        dir.path(),
        "keys.csv",
        &format!("dev-1,\"{key}\"\nnobody,\"{key}\"\n"),
    );
    let ran = run(
        cli(),
        &["keys", "register", "--csv", keys.to_str().unwrap()],
    )
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "public-key registration: 2 rows, 1 registered, 0 already registered, 1 failed, 0 invalid, 0 unconfirmed, 0 not submitted\n"
    );
    let failed_line = 1 + key.lines().count() + 1;
    assert!(
        ran.stderr
            .starts_with(&format!("line {failed_line}: failed: ")),
        "{}",
        ran.stderr
    );

    let ran = run(cli(), &["devices", "list", "--quiet"]).await;
    assert_eq!(ran.stdout, "dev-1\ndev-2\n");
    let ran = run(cli(), &["devices", "list", "--tag", "a", "--quiet"]).await;
    assert_eq!(ran.stdout, "dev-1\n");
    let ran = run(cli(), &["devices", "get", "dev-1", "--json"]).await;
    let got = json(&ran.stdout);
    let version = got["version"].as_str().unwrap().to_owned();
    assert_eq!(got["device"]["tags"], serde_json::json!(["a", "b"]));

    let ran = run(
        cli(),
        &[
            "devices",
            "rename",
            "dev-1",
            "Unit 1",
            "--retry-on-conflict",
            "3",
        ],
    )
    .await;
    assert_eq!(
        (ran.code, ran.stderr.as_str()),
        (0, "dev-1: renamed to \"Unit 1\"\n"),
        "{ran:?}"
    );
    // The rename changed the version: a write at the old one is refused.
    let ran = run(
        cli(),
        &[
            "devices",
            "tag",
            "dev-1",
            "--tag",
            "x",
            "--if-match",
            &version,
        ],
    )
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stderr.contains("HTTP 412"), "{}", ran.stderr);
    let ran = run(cli(), &["devices", "get", "dev-1"]).await;
    assert!(ran.stdout.contains("dev-1  Unit 1  a,b"), "{}", ran.stdout);
    let ran = run(cli(), &["devices", "delete", "dev-2"]).await;
    assert_eq!((ran.code, ran.stderr.as_str()), (0, "dev-2: deleted\n"));
    let ran = run(cli(), &["devices", "list", "--quiet"]).await;
    assert_eq!(ran.stdout, "dev-1\n");

    let ran = run(cli(), &["bulk-ops", "list", "--quiet"]).await;
    let ops: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(ops.len(), 2, "{ran:?}");
    let ran = run(cli(), &["bulk-ops", "list", "--status", "failed", "--json"]).await;
    let failed = json(ran.stdout.lines().next().unwrap());
    assert_eq!(failed["endpoint"], "REGISTER_PUBLIC_KEYS");
    let failed_id = failed["bulkOpsRequestId"].as_str().unwrap().to_owned();
    let ran = run(cli(), &["bulk-ops", "wait", &failed_id, "--json"]).await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(json(&ran.stdout)["status"], "FAILED");
    assert_eq!(
        ran.stderr,
        format!("error: bulk operation {failed_id} ended as FAILED\n")
    );
    let other = ops.iter().find(|id| **id != failed_id).unwrap();
    let ran = run(cli(), &["bulk-ops", "wait", other]).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let ran = run(cli(), &["bulk-ops", "get", other, "--json"]).await;
    let op = json(&ran.stdout);
    assert_eq!(op["status"], "SUCCEEDED");
    // The pre-signed URL keeps no signature.
    let url = op["uploadedDataUrl"].as_str().unwrap_or_default();
    assert!(!url.contains("Signature"), "{url}");
}

#[tokio::test(flavor = "multi_thread")]
async fn provisioning_commands_and_the_onboarding_rule() {
    let sim = Simulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = || nrfcloud(Some(&sim), dir.path());
    let token = sim.claim_token(0);
    let id = sim.device_facts(0).id;
    assert_eq!(
        run(cli(), &["claim", &token, "--quiet"]).await.stdout,
        format!("{id}\n")
    );

    let ran = run(
        cli(),
        &[
            "provisioning",
            "commands",
            "create",
            &id,
            "--kind",
            "finished",
        ],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let command = ran.stdout.trim().to_owned();
    assert!(!command.is_empty());
    let ran = run(cli(), &["provisioning", "commands", "list", &id, "--quiet"]).await;
    assert_eq!(ran.stdout, format!("{command}\n"));
    let ran = run(
        cli(),
        &["provisioning", "commands", "wait", &id, &command, "--json"],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(json(&ran.stdout)["status"], "SUCCEEDED");
    let ran = run(
        cli(),
        &[
            "provisioning",
            "commands",
            "create",
            &id,
            "--kind",
            "server-certificate",
        ],
    )
    .await;
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr,
        "error: this kind of command needs --certificate FILE\n"
    );

    let ca = file(
        dir.path(),
        "ca.pem",
        &std::fs::read_to_string(key_fixture("ec-p256-public.pem")).unwrap(),
    );
    let ensure = [
        "provisioning",
        "rules",
        "ensure-onboarding",
        "--server-ca",
        ca.to_str().unwrap(),
        "--json",
    ];
    let ran = run(cli(), &ensure).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let rule = json(&ran.stdout);
    assert_eq!(rule["tags"], serde_json::json!(["nrf-cloud-onboarding"]));
    assert_eq!(rule["commands"].as_array().map(Vec::len), Some(3));
    // A second run finds it and creates nothing.
    let ran = run(cli(), &ensure).await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stderr, "a rule for tag nrf-cloud-onboarding exists\n");
    let ran = run(cli(), &["provisioning", "rules", "list", "--json"]).await;
    assert_eq!(ran.stdout.lines().count(), 1);
}

fn claims(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_prints_only_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let cli = || nrfcloud(None, dir.path());
    let ec = key_fixture("ec-p256-sec1.pem");
    let ec = ec.to_str().unwrap();
    let ran = run(
        cli(),
        &[
            "jwt",
            "device",
            "--key",
            ec,
            "--device-id",
            "nrf-352656100123456",
            "--ttl",
            "120",
        ],
    )
    .await;
    assert_eq!((ran.code, ran.stderr.as_str()), (0, ""), "{ran:?}");
    assert_eq!(ran.stdout.lines().count(), 1);
    let token = ran.stdout.trim_end();
    assert_eq!(token.split('.').count(), 3);
    let c = claims(token);
    assert_eq!(c["sub"], "nrf-352656100123456");
    // `iat` is set 60 s in the past for clock skew.
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        60 + 120
    );

    let ran = run(
        cli(),
        &["jwt", "service", "--key", ec, "--team-id", "team-1"],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(claims(ran.stdout.trim_end())["aud"], "team-1");

    let rsa = key_fixture("rsa-2048-pkcs1.pem");
    let ran = run(
        cli(),
        &[
            "jwt",
            "app",
            "--key",
            rsa.to_str().unwrap(),
            "--application-id",
            "app-1",
        ],
    )
    .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(claims(ran.stdout.trim_end())["application_id"], "app-1");

    // The wrong key type is a usage error that names the file.
    let ran = run(
        cli(),
        &["jwt", "app", "--key", ec, "--application-id", "app-1"],
    )
    .await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(ran.stdout, "");
    assert!(
        ran.stderr.starts_with("error: wrong key type: RS256 needs"),
        "{}",
        ran.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_and_the_man_page() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(nrfcloud(None, dir.path()), &["completions", "bash"]).await;
    assert_eq!(ran.code, 0);
    assert!(
        ran.stdout.starts_with("_nrfcloud() {"),
        "{}",
        &ran.stdout[..80]
    );
    assert!(ran.stdout.contains("bulk-ops"));
    let ran = run(nrfcloud(None, dir.path()), &["man"]).await;
    assert_eq!(ran.code, 0);
    assert!(
        ran.stdout.contains(".TH nrfcloud 1"),
        "{}",
        &ran.stdout[..200]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(nrfcloud(None, dir.path()), &["claim"]).await;
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .starts_with("error: the following required arguments were not provided:"),
        "{}",
        ran.stderr
    );
    let ran = run(nrfcloud(None, dir.path()), &["--version"]).await;
    assert_eq!(
        (ran.code, ran.stdout),
        (0, format!("nrfcloud {}\n", env!("CARGO_PKG_VERSION")))
    );
}

//! The command line, as clap parses it. Each subcommand's handler is in `cmd/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, as `--help` shows them.
const EXIT_CODES: &str = "\
Exit codes:
  0    all done
  1    the run finished, but some rows or devices failed, were invalid or are unconfirmed
       (the service refused a device or request: 4xx other than 401, 403 and 429)
  2    usage or configuration error
  3    credentials refused (HTTP 401/403)
  4    the service or the network failed after retries
  130  interrupted (Ctrl-C); run the same command again to resume

Credentials: NRFCLOUD_API_KEY, --api-key-file FILE, or a profile of
~/.config/nrfcloud/config.toml (--profile or NRFCLOUD_PROFILE). The key is never a flag.";

/// The nRF Cloud command line.
#[derive(Parser, Debug)]
#[command(
    name = "nrfcloud",
    version,
    about = "The nRF Cloud command line: claim, onboard, devices and their state, bulk operations, provisioning, FOTA, messages, location, JWTs",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every command.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Read the API key from this file (first line).
    #[arg(long, global = true, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// The profile of the config file to use.
    #[arg(
        long,
        global = true,
        env = "NRFCLOUD_PROFILE",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub profile: Option<String>,
    /// The config file [default: the user's config directory, nrfcloud/config.toml].
    #[arg(
        long,
        global = true,
        env = "NRFCLOUD_CONFIG",
        hide_env_values = true,
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Print JSON (lists as JSON Lines, one object per line, as pages arrive).
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only what a script needs (ids, tokens); no progress.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Seconds each request may take.
    #[arg(long, global = true, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// The team, the hosts and the credential in use (never the key itself).
    Account,
    /// Claim one device by its attestation token, or every device of a CSV file.
    Claim(Claim),
    /// The team's claimed devices.
    #[command(subcommand)]
    Claimed(Claimed),
    /// Onboard the devices of a CSV file (`deviceId,subType,"tags",fwTypes,"certificate PEM"`).
    Onboard(Bulk),
    /// Register device public keys or certificates.
    #[command(subcommand)]
    Keys(Keys),
    /// The team's devices.
    #[command(subcommand)]
    Devices(Devices),
    /// Bulk-operation requests: the jobs behind bulk onboarding, keys and claims.
    #[command(subcommand)]
    BulkOps(BulkOps),
    /// Provisioning commands and rules.
    #[command(subcommand)]
    Provisioning(Provisioning),
    /// Firmware over the air: bundles, jobs, and following a rollout to its end.
    #[command(subcommand)]
    Fota(Fota),
    /// Device messages: list them (newest first) or send one to a device.
    #[command(subcommand)]
    Messages(Messages),
    /// Location Services: a device's ground fix and A-GNSS data, and the location history.
    #[command(subcommand)]
    Location(Location),
    /// Mint a device, service-key (proxy) or Vonage application JWT; only the token goes to stdout.
    #[command(subcommand)]
    Jwt(Jwt),
    /// Run the embedded simulator on 127.0.0.1, so every command can be tried without an account.
    Sim(Sim),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// `nrfcloud claim`.
#[derive(Args, Debug)]
pub struct Claim {
    /// The attestation token of one device.
    #[arg(required_unless_present = "csv", conflicts_with = "csv")]
    pub token: Option<String>,
    /// A claim CSV (`token[,"tag1,tag2"]`) or nrfcloud-utils' attestation_tokens.csv.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// A provisioning tag for the device(s); repeat for more.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Ask whether the device could be claimed, without claiming it.
    #[arg(long, conflicts_with = "csv")]
    pub dry_run: bool,
    /// Send CSV claims to /claimed-devices/bulk, which answers with a bulk operation to follow.
    #[arg(long, requires = "csv")]
    pub bulk_endpoint: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of a bulk CSV run.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Records confirmed rows here; running again with it sends only the rest.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Writes the report (every row that needs attention, by line) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Upload the valid rows and report the invalid ones [default: upload nothing if any row is
    /// invalid].
    #[arg(long)]
    pub skip_invalid: bool,
    /// At most this many requests in flight; the run starts with 2, grows while answers come
    /// back fast and unthrottled, halves on 429 or 5xx.
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub concurrency: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub deadline: u64,
}

/// A bulk CSV upload.
#[derive(Args, Debug)]
pub struct Bulk {
    /// The CSV file.
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

/// `nrfcloud claimed …`.
#[derive(Subcommand, Debug)]
pub enum Claimed {
    /// List claimed devices.
    List(ListFilter),
    /// Show one claimed device.
    Get {
        /// The device id.
        device_id: String,
    },
    /// Block a device from connecting.
    Block {
        /// The device id.
        device_id: String,
    },
    /// Unblock a device.
    Unblock {
        /// The device id.
        device_id: String,
    },
    /// Give up ownership of a device.
    Unclaim {
        /// The device id.
        device_id: String,
    },
    /// Replace a claimed device's provisioning tags.
    Tags {
        /// The device id.
        device_id: String,
        /// A tag; repeat for more (none clears them).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
}

/// Filters of a device list.
#[derive(Args, Debug)]
pub struct ListFilter {
    /// Only devices with this tag; repeat for more.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only this device; repeat for more.
    #[arg(long = "id", value_name = "DEVICE_ID")]
    pub ids: Vec<String>,
}

/// `nrfcloud keys …`.
#[derive(Subcommand, Debug)]
pub enum Keys {
    /// Register the public keys (or, with --certificates, the certificates) of a CSV file.
    Register {
        /// The CSV file: `deviceId,"PEM"` rows.
        #[arg(long, value_name = "FILE")]
        csv: PathBuf,
        /// The PEMs are device certificates, not public keys.
        #[arg(long)]
        certificates: bool,
        #[command(flatten)]
        run: RunArgs,
    },
}

/// `nrfcloud devices …`.
#[derive(Subcommand, Debug)]
pub enum Devices {
    /// List devices, streaming pages as they arrive.
    List(ListFilter),
    /// Show one device and its version.
    Get {
        /// The device id.
        device_id: String,
    },
    /// Rename a device.
    Rename {
        /// The device id.
        device_id: String,
        /// The new name.
        name: String,
        #[command(flatten)]
        write: Conditional,
    },
    /// Replace a device's tags.
    Tag {
        /// The device id.
        device_id: String,
        /// A tag; repeat for more (none clears them).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        #[command(flatten)]
        write: Conditional,
    },
    /// Delete a device.
    Delete {
        /// The device id.
        device_id: String,
        /// Only if the device is still at this version (from `devices get`).
        #[arg(long, value_name = "VERSION")]
        if_match: Option<String>,
    },
    /// Show a device's state (shadow): desired, reported, delta, $meta and its version.
    State {
        /// The device id.
        device_id: String,
    },
    /// Merge JSON into a device's desired or reported state (a null deletes a key).
    UpdateState {
        /// The device id.
        device_id: String,
        /// A JSON object to merge into `desired`, e.g. '{"config":{"activeMode":true}}'.
        #[arg(long, value_name = "JSON", required_unless_present = "reported")]
        desired: Option<String>,
        /// A JSON object to merge into `reported`.
        #[arg(long, value_name = "JSON")]
        reported: Option<String>,
        #[command(flatten)]
        write: Conditional,
    },
}

/// How a device write meets a concurrent change.
#[derive(Args, Debug)]
pub struct Conditional {
    /// Only if the device is still at this version (from `devices get`).
    #[arg(long, value_name = "VERSION", conflicts_with = "retry_on_conflict")]
    pub if_match: Option<String>,
    /// Read the current version and write with it, reading again up to N times when another
    /// change wins.
    #[arg(long, value_name = "N")]
    pub retry_on_conflict: Option<u32>,
}

/// `nrfcloud bulk-ops …`.
#[derive(Subcommand, Debug)]
pub enum BulkOps {
    /// List bulk-operation requests.
    List {
        /// Only those with this status (PENDING, IN_PROGRESS, FAILED, SUCCEEDED).
        #[arg(long)]
        status: Option<String>,
    },
    /// Show one bulk-operation request.
    Get {
        /// Its id.
        id: String,
    },
    /// Follow one to its end; exit 1 if it FAILED.
    Wait {
        /// Its id.
        id: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3600, value_name = "SECS")]
        deadline: u64,
    },
}

/// `nrfcloud fota …`.
#[derive(Subcommand, Debug)]
pub enum Fota {
    /// Firmware bundles.
    #[command(subcommand)]
    Bundles(Bundles),
    /// FOTA jobs: a bundle rolled out to devices or tags.
    #[command(subcommand)]
    Jobs(Jobs),
    /// One device's FOTA job executions.
    Device {
        /// The device id.
        device_id: String,
    },
}

/// `nrfcloud fota bundles …`.
#[derive(Subcommand, Debug)]
pub enum Bundles {
    /// List the bundles.
    List {
        /// Only Nordic's modem bundles.
        #[arg(long)]
        modem: bool,
    },
    /// Upload an application or bootloader zip (Zephyr's dfu_application.zip); prints the
    /// bundle id.
    Upload {
        /// The zip, with a manifest.json.
        file: PathBuf,
        /// The firmware version, when the manifest has no `fwversion` (Zephyr's has none).
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
    },
    /// Delete a bundle.
    Delete {
        /// The bundle id.
        bundle_id: String,
    },
}

/// `nrfcloud fota jobs …`.
#[derive(Subcommand, Debug)]
pub enum Jobs {
    /// Create a job for devices and/or tags; prints its id.
    Create {
        /// The bundle to roll out.
        #[arg(long, value_name = "BUNDLE_ID")]
        bundle: String,
        /// A device to update; repeat for more (at most 100).
        #[arg(
            long = "device",
            value_name = "DEVICE_ID",
            required_unless_present = "tags"
        )]
        devices: Vec<String>,
        /// A device tag to update; repeat for more (at most 100).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// A name (at most 64 characters).
        #[arg(long)]
        name: Option<String>,
        /// A description (at most 1024 characters).
        #[arg(long)]
        description: Option<String>,
        /// Create it without sending it to the devices (`jobs apply` sends it).
        #[arg(long)]
        no_auto_apply: bool,
        /// Then follow it to its end, as `jobs wait` does.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        follow: Follow,
    },
    /// List the jobs.
    List,
    /// Show one job.
    Get {
        /// The job id.
        job_id: String,
    },
    /// Send a job created with --no-auto-apply to its devices.
    Apply {
        /// The job id.
        job_id: String,
    },
    /// Cancel a job.
    Cancel {
        /// The job id.
        job_id: String,
        /// Why (kept with the job).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Delete a job.
    Delete {
        /// The job id.
        job_id: String,
    },
    /// A job's executions, one per device.
    Executions {
        /// The job id.
        job_id: String,
        /// Only those in this status (QUEUED, IN_PROGRESS, DOWNLOADING, SUCCEEDED, FAILED,
        /// TIMED_OUT, REJECTED, CANCELLED).
        #[arg(long)]
        status: Option<String>,
    },
    /// Follow a job until every device has ended; prints each device that did not succeed and
    /// a `fota:` summary line; exit 1 unless every device succeeded.
    Wait {
        /// The job id.
        job_id: String,
        #[command(flatten)]
        follow: Follow,
    },
}

/// How a FOTA job is followed.
#[derive(Args, Debug, Clone, Copy)]
pub struct Follow {
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub deadline: u64,
    /// Seconds between polls.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub interval: u64,
}

/// `nrfcloud messages …`.
#[derive(Subcommand, Debug)]
pub enum Messages {
    /// List messages, newest first [default: the last 30 days].
    List {
        /// Only this device's.
        #[arg(long = "device", value_name = "DEVICE_ID")]
        device: Option<String>,
        /// Only this appId's (e.g. GNSS, TEMP).
        #[arg(long, value_name = "APP_ID", conflicts_with = "topic")]
        app_id: Option<String>,
        /// Only this MQTT topic's.
        #[arg(long)]
        topic: Option<String>,
        /// From this time on (RFC 3339, inclusive).
        #[arg(long, value_name = "TIME", requires = "until")]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Up to this time (RFC 3339, exclusive).
        #[arg(long, value_name = "TIME", requires = "since")]
        until: Option<chrono::DateTime<chrono::Utc>>,
        /// Oldest first.
        #[arg(long)]
        oldest_first: bool,
    },
    /// Send a JSON message to a device.
    Send {
        /// The device id.
        device_id: String,
        /// The message, a JSON value.
        message: String,
        /// The MQTT topic, e.g. `d/<device id>/c2d` [default: the service's].
        #[arg(long)]
        topic: Option<String>,
    },
}

/// `nrfcloud location …`.
#[derive(Subcommand, Debug)]
pub enum Location {
    /// Resolve a device's position from its LTE cell and/or Wi-Fi access points.
    ///
    /// Location Services take no API key: the request is signed with --service-key, with
    /// --organization, or else with the team's service evaluation token (read with the key).
    GroundFix {
        #[command(flatten)]
        credential: LocationCredential,
        /// The serving LTE cell (a single-cell fix without --wifi).
        #[arg(long, value_name = "MCC,MNC,TAC,ECI", value_parser = parse_cell)]
        cell: Option<Cell>,
        /// A Wi-Fi access point's MAC address; repeat (at least 2).
        #[arg(long = "wifi", value_name = "MAC")]
        wifi: Vec<String>,
    },
    /// Write a device's A-GNSS assistance data to a file.
    ///
    /// Location Services take no API key: the request is signed with --service-key, with
    /// --organization, or else with the team's service evaluation token (read with the key).
    Agnss {
        #[command(flatten)]
        credential: LocationCredential,
        /// The serving LTE cell, for assistance data of its region.
        #[arg(long, value_name = "MCC,MNC,TAC,ECI", value_parser = parse_cell)]
        cell: Option<Cell>,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// List the fixes Location Services recorded, newest first.
    History {
        /// Only this device's.
        #[arg(long = "device", value_name = "DEVICE_ID")]
        device: Option<String>,
        /// From this time on (RFC 3339).
        #[arg(long, value_name = "TIME", requires = "until")]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Up to this time (RFC 3339).
        #[arg(long, value_name = "TIME", requires = "since")]
        until: Option<chrono::DateTime<chrono::Utc>>,
        /// Oldest first.
        #[arg(long)]
        oldest_first: bool,
    },
    /// Delete one recorded fix.
    DeleteHistory {
        /// The device id.
        device_id: String,
        /// The record's id (`nrfcloud location history` shows it).
        id: String,
    },
}

/// An LTE cell: mobile country and network codes, tracking area code, E-UTRAN cell id.
pub type Cell = (u16, u16, u32, u32);

fn parse_cell(text: &str) -> Result<Cell, String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let bad = |what: &str| format!("{what} in {text:?} is not a whole number in range");
    match parts[..] {
        [mcc, mnc, tac, eci] => Ok((
            mcc.parse().map_err(|_| bad("the MCC"))?,
            mnc.parse().map_err(|_| bad("the MNC"))?,
            tac.parse().map_err(|_| bad("the TAC"))?,
            eci.parse().map_err(|_| bad("the ECI"))?,
        )),
        _ => Err(format!(
            "{text:?} is not MCC,MNC,TAC,ECI (e.g. 242,1,2305,33703712)"
        )),
    }
}

/// How a ground fix or A-GNSS request is signed. Location Services take no API key: without
/// --service-key or --organization, the team's service evaluation token is used.
#[derive(Args, Debug)]
pub struct LocationCredential {
    /// The device the request serves.
    #[arg(long = "device", value_name = "DEVICE_ID")]
    pub device: Option<String>,
    /// Sign a JWT for the device with this service key (PEM or DER); the team id is the API
    /// key's.
    #[arg(long, value_name = "FILE", conflicts_with = "organization")]
    pub service_key: Option<PathBuf>,
    /// Use the Organization Auth Token in NRFCLOUD_OAT, on this organization's project.
    #[arg(long, num_args = 2, value_names = ["ORG", "PROJECT"])]
    pub organization: Option<Vec<String>>,
}

/// `nrfcloud provisioning …`.
#[derive(Subcommand, Debug)]
pub enum Provisioning {
    /// A device's provisioning commands.
    #[command(subcommand)]
    Commands(Commands),
    /// Provisioning rules.
    #[command(subcommand)]
    Rules(Rules),
}

/// `nrfcloud provisioning commands …`.
#[derive(Subcommand, Debug)]
pub enum Commands {
    /// List a device's commands.
    List {
        /// The device id.
        device_id: String,
    },
    /// Queue a command for a device; prints its id.
    Create {
        /// The device id.
        device_id: String,
        /// What the device is to do.
        #[arg(long, value_enum)]
        kind: CommandKind,
        /// The modem security tag.
        #[arg(long, default_value_t = 16842753, value_name = "TAG")]
        sec_tag: i64,
        /// The certificate PEM (server-certificate, client-certificate).
        #[arg(long, value_name = "FILE")]
        certificate: Option<PathBuf>,
        /// The CSR subject (csr), e.g. `O=Nordic,C=no,CN=<device id>`.
        #[arg(long)]
        attributes: Option<String>,
        /// A description.
        #[arg(long)]
        description: Option<String>,
        /// Then follow it until the device has answered.
        #[arg(long)]
        wait: bool,
    },
    /// Follow a command until the device has answered.
    Wait {
        /// The device id.
        device_id: String,
        /// The command id.
        command_id: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 600, value_name = "SECS")]
        deadline: u64,
    },
}

/// The kinds of provisioning command.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// Generate a cloud access key.
    CloudAccessKey,
    /// Generate a client private key.
    ClientKey,
    /// Make a certificate signing request.
    Csr,
    /// Install a server (CA) certificate (--certificate).
    ServerCertificate,
    /// Install a client certificate (--certificate).
    ClientCertificate,
    /// End the provisioning run.
    Finished,
}

/// `nrfcloud provisioning rules …`.
#[derive(Subcommand, Debug)]
pub enum Rules {
    /// List every provisioning rule (all pages).
    List,
    /// Make sure a rule provisions devices claimed with the onboarding tag, as nrfcloud-utils'
    /// ensure_nrfcloud_provisioning_rule does: client key, cloud access key and the server CA
    /// certificates, all on one security tag. Creates it only if no rule has the tag.
    EnsureOnboarding {
        /// The server CA certificate(s) to install, PEM (nrfcloud-utils installs the AWS root
        /// CA and nRF Cloud's CoAP CA).
        #[arg(long, value_name = "FILE")]
        server_ca: PathBuf,
        /// The tag the rule targets.
        #[arg(long, default_value = "nrf-cloud-onboarding")]
        tag: String,
        /// The modem security tag.
        #[arg(long, default_value_t = 16842753, value_name = "TAG")]
        sec_tag: i64,
    },
}

/// `nrfcloud jwt …`.
#[derive(Subcommand, Debug)]
pub enum Jwt {
    /// ES256 device JWT (`sub` = the device id).
    Device {
        /// P-256 private key, PEM or DER (SEC1 or PKCS#8).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The device id: a UUID, or nrf- and the IMEI.
        #[arg(long)]
        device_id: String,
        /// Lifetime in seconds [default: 600].
        #[arg(long, value_name = "SECS")]
        ttl: Option<u64>,
    },
    /// ES256 service-key (proxy) JWT (`aud` = the team id), as create_proxy_jwt makes.
    Service {
        /// The service key, PEM or DER.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The team id (`nrfcloud account` shows it).
        #[arg(long)]
        team_id: String,
        /// Restrict the token to one device (`sub`).
        #[arg(long)]
        device_id: Option<String>,
        /// Lifetime in seconds [default: 3600].
        #[arg(long, value_name = "SECS")]
        ttl: Option<u64>,
    },
    /// RS256 Vonage application JWT.
    App {
        /// RSA private key, PEM or DER (PKCS#1 or PKCS#8).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The application id.
        #[arg(long)]
        application_id: String,
        /// Lifetime in seconds, 30 to 86400 [default: 900].
        #[arg(long, value_name = "SECS")]
        ttl: Option<u64>,
    },
}

/// `nrfcloud sim`.
#[derive(Args, Debug)]
pub struct Sim {
    /// Port of the REST API (0: any free port); the provisioning API takes the next one.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Seed of ids, keys, claim tokens and faults.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also write a claim CSV of N tokens valid for this simulator to --tokens-out.
    #[arg(long, value_name = "N", requires = "tokens_out")]
    pub tokens: Option<u64>,
    /// Where --tokens goes.
    #[arg(long, value_name = "FILE")]
    pub tokens_out: Option<PathBuf>,
    /// Fraction of requests answered 500 or 503.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Answer every Nth request 429.
    #[arg(long, value_name = "N")]
    pub rate_limit_every: Option<u32>,
    /// A token bucket of R requests per second (a second's worth of burst): requests that find
    /// it empty get 429 with Retry-After.
    #[arg(long, value_name = "R")]
    pub rate_limit_per_sec: Option<f64>,
    /// Delay every request by this many milliseconds.
    #[arg(long, value_name = "MS")]
    pub delay_ms: Option<u64>,
    /// Fraction of requests whose connection is dropped without an answer.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
}

//! The one bulk builder, [`BulkUpload`], and the handles that make one:
//! `client.provisioning().bulk_claim(…)`, `client.onboarding().bulk_csv(…)`,
//! `.register_public_keys(…)` and `.register_certificates(…)`.

use std::{fmt, io::Read, path::PathBuf, time::Duration};

use super::{
    BulkReport, InvalidRows, MAX_CONCURRENCY, MAX_DEADLINE, POLL_INTERVAL_BOUNDS, Progress,
    claims::Claims,
    csv::KeyKind,
    keys::Keys,
    kind::{Input, Kind},
    onboard::Onboard,
    run::{self, Settings},
};
use crate::{Client, provisioning::Provisioning};

/// A bulk upload from a CSV: validated, chunked, sent concurrently, followed and reported row
/// by row. `K` is the kind of upload: [`Claims`], [`Onboard`] or [`Keys`].
///
/// ```no_run
/// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
/// use std::time::Duration;
/// let report = client
///     .onboarding()
///     .bulk_csv(std::fs::File::open("devices.csv").expect("the file"))
///     .concurrency(8)
///     .deadline(Duration::from_secs(600))
///     .wait()
///     .await?;
/// println!("{report}");
/// # Ok(())
/// # }
/// ```
pub struct BulkUpload<K> {
    client: Client,
    kind: K,
    input: Input,
    settings: Settings,
}

impl<K: Kind + Clone> BulkUpload<K> {
    fn new(client: Client, kind: K, input: impl Read + Send + 'static) -> Self {
        Self {
            client,
            kind,
            input: Box::new(input),
            settings: Settings::default(),
        }
    }

    /// At most this many requests in flight (default
    /// [`DEFAULT_CONCURRENCY`](crate::bulk::DEFAULT_CONCURRENCY)), clamped to
    /// 1..=[`MAX_CONCURRENCY`]. Within it the run adapts: it starts 2 requests, doubles while
    /// answers come back unthrottled and as fast as the fastest (up to twice its latency), then
    /// grows by one per round; a 429 or 5xx halves it and paces new requests just under the
    /// rate the service granted. Against a service that never throttles it reaches `requests`
    /// after a few rounds.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client, csv: std::fs::File) {
    /// let claim = client.provisioning().bulk_claim(csv).concurrency(16);
    /// # }
    /// ```
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.settings.concurrency = requests.clamp(1, MAX_CONCURRENCY);
        self
    }

    /// What to do with invalid rows (default [`InvalidRows::Abort`]).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client, csv: std::fs::File) {
    /// use nrfcloud::bulk::InvalidRows;
    /// let claim = client.provisioning().bulk_claim(csv).invalid_rows(InvalidRows::Skip);
    /// # }
    /// ```
    pub fn invalid_rows(mut self, invalid: InvalidRows) -> Self {
        self.settings.invalid_rows = invalid;
        self
    }

    /// Records confirmed rows in this file, and skips the rows it already confirms (see the
    /// [module docs](crate::bulk)). Created when missing.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client, csv: std::fs::File) {
    /// let claim = client.provisioning().bulk_claim(csv).journal("claim.journal");
    /// # }
    /// ```
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.settings.journal = Some(path.into());
        self
    }

    /// The longest the whole run may take (default 1 hour). When it passes, rows in flight
    /// are reported unconfirmed (with their bulk-operation ids), the rest not submitted, and
    /// `wait()` returns [`BulkErrorKind::Deadline`](super::BulkErrorKind::Deadline) with the
    /// report. Clamped to [`MAX_DEADLINE`] (30 days).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client, csv: std::fs::File) {
    /// let claim = client
    ///     .provisioning()
    ///     .bulk_claim(csv)
    ///     .deadline(std::time::Duration::from_secs(15 * 60));
    /// # }
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.settings.deadline = deadline.min(MAX_DEADLINE);
        self
    }

    /// The first wait before polling a bulk operation (default 500 ms); it doubles up to 5 s.
    /// Clamped to [`POLL_INTERVAL_BOUNDS`] (50 ms to 60 s), so it never polls back to back.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client, csv: std::fs::File) {
    /// let upload = client
    ///     .onboarding()
    ///     .bulk_csv(csv)
    ///     .poll_interval(std::time::Duration::from_secs(2));
    /// # }
    /// ```
    pub fn poll_interval(mut self, first: Duration) -> Self {
        let (min, max) = POLL_INTERVAL_BOUNDS;
        self.settings.poll_interval = first.clamp(min, max);
        self
    }

    /// Called after each request's outcome (and for rows that are not sent), with the rows
    /// sent so far and the counts.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client, csv: std::fs::File) {
    /// let claim = client
    ///     .provisioning()
    ///     .bulk_claim(csv)
    ///     .on_progress(|p| eprintln!("{} sent, {} done", p.submitted, p.counts.succeeded));
    /// # }
    /// ```
    pub fn on_progress(mut self, callback: impl FnMut(&Progress) + Send + 'static) -> Self {
        self.settings.progress = Some(Box::new(callback));
        self
    }

    /// Stops sending when `signal` completes (Ctrl-C, a shutdown): the requests in flight are
    /// followed to their answers (each bounded by the deadline), the rows not yet sent are
    /// reported as not submitted, the journal keeps what was confirmed, and `wait` ends with
    /// [`BulkErrorKind::Stopped`](super::BulkErrorKind::Stopped) and the report.
    ///
    /// ```no_run
    /// # async fn f(client: nrfcloud::Client, csv: std::fs::File) {
    /// let claim = client
    ///     .provisioning()
    ///     .bulk_claim(csv)
    ///     .journal("claim.journal")
    ///     .stop_when(async {
    ///         let _ = tokio::signal::ctrl_c().await;
    ///     });
    /// # }
    /// ```
    pub fn stop_when(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.settings.stop = Some(Box::pin(signal));
        self
    }

    /// Validates, sends and follows every row; the report when every request was answered.
    ///
    /// ```no_run
    /// # async fn f(client: nrfcloud::Client, csv: std::fs::File) -> nrfcloud::Result<()> {
    /// let report = client.provisioning().bulk_claim(csv).wait().await?;
    /// assert!(report.is_success());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn wait(self) -> crate::Result<BulkReport> {
        run::run(self.client, self.kind, self.input, self.settings).await
    }
}

impl BulkUpload<Claims> {
    /// Provisioning tags added to every row (to the row's own tags), checked when the run
    /// starts.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client, csv: std::fs::File) {
    /// let claim = client.provisioning().bulk_claim(csv).tags(["nrf-cloud-onboarding"]);
    /// # }
    /// ```
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.kind.extra_tags = tags.into_iter().map(Into::into).collect();
        self
    }
}

impl<K: Kind + fmt::Debug> fmt::Debug for BulkUpload<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkUpload")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Provisioning {
    /// Claims the devices of a CSV file of any size: the plain claim CSV
    /// (`token[,"tag1,tag2"]`) or nrfcloud-utils' `attestation_tokens.csv`
    /// (`imei,uuid,token,timestamp`), validated, chunked, sent concurrently, followed and
    /// reported row by row (see [`crate::bulk`]).
    ///
    /// ```no_run
    /// # async fn f(client: nrfcloud::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let csv = std::fs::File::open("attestation_tokens.csv")?;
    /// let report = client.provisioning().bulk_claim(csv).wait().await?;
    /// println!("{report}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn bulk_claim(&self, input: impl Read + Send + 'static) -> BulkUpload<Claims> {
        BulkUpload::new(self.client().clone(), Claims::default(), input)
    }
}

/// The device-onboarding handle: `client.onboarding()`.
#[derive(Clone, Debug)]
pub struct Onboarding {
    client: Client,
}

impl Client {
    /// Bulk device onboarding and key and certificate registration (REST API).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let onboarding = client.onboarding();
    /// # }
    /// ```
    pub fn onboarding(&self) -> Onboarding {
        Onboarding {
            client: self.clone(),
        }
    }
}

impl Onboarding {
    /// OnboardDevices from a CSV of `deviceId,subType,tags|…,fwTypes|…,"certPem"` rows
    /// (see [`super::csv::OnboardReader`]).
    ///
    /// ```no_run
    /// # async fn f(client: nrfcloud::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let csv = std::fs::File::open("onboard.csv")?;
    /// let report = client.onboarding().bulk_csv(csv).wait().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn bulk_csv(&self, input: impl Read + Send + 'static) -> BulkUpload<Onboard> {
        BulkUpload::new(self.client.clone(), Onboard, input)
    }

    /// RegisterPublicKeys from a CSV of `deviceId,"keyPem"` rows.
    ///
    /// ```no_run
    /// # async fn f(client: nrfcloud::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let csv = std::fs::File::open("keys.csv")?;
    /// let report = client.onboarding().register_public_keys(csv).wait().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn register_public_keys(&self, input: impl Read + Send + 'static) -> BulkUpload<Keys> {
        BulkUpload::new(self.client.clone(), Keys(KeyKind::PublicKey), input)
    }

    /// RegisterCertificates from a CSV of `deviceId,"certPem"` rows.
    ///
    /// ```no_run
    /// # async fn f(client: nrfcloud::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let csv = std::fs::File::open("certificates.csv")?;
    /// let report = client.onboarding().register_certificates(csv).wait().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn register_certificates(&self, input: impl Read + Send + 'static) -> BulkUpload<Keys> {
        BulkUpload::new(self.client.clone(), Keys(KeyKind::Certificate), input)
    }
}

//! P-GPS: the service answers where a set of predictions is (`{host, path}`); the file itself
//! is a plain download from that host, which gets no nRF Cloud credential.

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use nrfcloud_api::ops;
use progenitor_client::ClientInfo;

use super::{Prepared, serving_setters};
use crate::{
    Client,
    auth::serving::Serving,
    error::{ApiError, Error, ErrorKind, Result, transport},
};

/// The largest prediction file downloaded: 168 predictions (two weeks at 120 minutes, the most
/// any client asks for) of about 2 KiB each are 0.35 MiB.
pub const MAX_PREDICTIONS_BYTES: usize = 4 << 20;

const OPERATION: &str = "GetPredictedAssistanceData";

/// Builder of [`Location::pgps`](super::Location::pgps) (`GET /location/pgnss`).
#[derive(Clone, Debug)]
pub struct Pgps {
    client: Client,
    serving: Serving,
    count: Option<u32>,
    interval: Option<u32>,
    start_day: Option<u32>,
    start_time: Option<u32>,
}

serving_setters!(Pgps, "client.location().pgps()");

impl Pgps {
    pub(super) fn new(client: Client) -> Self {
        Self {
            client,
            serving: Serving::default(),
            count: None,
            interval: None,
            start_day: None,
            start_time: None,
        }
    }

    /// How many predictions (1–168; sdk-nrf's default is 42, a week at 240 minutes). The
    /// service's own limits are not documented: these are the widest any Nordic client uses.
    pub fn prediction_count(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }

    /// Minutes between predictions: 120, 240 (the default), 360 or 480.
    pub fn interval_minutes(mut self, minutes: u32) -> Self {
        self.interval = Some(minutes);
        self
    }

    /// The GPS day (days since 1980-01-06) and second of that day (0–86399) of the first
    /// prediction.
    pub fn start(mut self, gps_day: u32, time_of_day_seconds: u32) -> Self {
        self.start_day = Some(gps_day);
        self.start_time = Some(time_of_day_seconds);
        self
    }

    fn check(&self) -> Result<()> {
        let invalid = |m: String| Error::invalid_request(OPERATION, m);
        if let Some(c) = self.count
            && !(1..=168).contains(&c)
        {
            return Err(invalid(format!(
                "a prediction count of {c} is outside 1–168"
            )));
        }
        if let Some(i) = self.interval
            && ![120, 240, 360, 480].contains(&i)
        {
            return Err(invalid(format!(
                "an interval of {i} minutes is not one of 120, 240, 360 or 480"
            )));
        }
        if let Some(t) = self.start_time
            && t > 86_399
        {
            return Err(invalid(format!("second {t} of the day is outside 0–86399")));
        }
        Ok(())
    }

    /// Asks where the predictions are.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let link = client.location().pgps().interval_minutes(240).send().await?;
    /// println!("{}", link.url());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<PredictionLink> {
        self.check()?;
        let op = ops::rest::GET_PREDICTED_ASSISTANCE_DATA;
        let prepared = Prepared::new(&self.client, op, &self.serving)?;
        let mut request = prepared.call.raw.get_predicted_assistance_data();
        if let Some(c) = self.count {
            request = request.prediction_count(f64::from(c));
        }
        if let Some(i) = self.interval {
            request = request.prediction_interval_minutes(f64::from(i));
        }
        if let Some(d) = self.start_day {
            request = request.start_gps_day(f64::from(d));
        }
        if let Some(t) = self.start_time {
            request = request.start_gps_time_of_day_seconds(f64::from(t));
        }
        if let Some(device) = &prepared.header_device {
            request = request.x_custom_device_id(device.clone());
        }
        let answer = prepared.serve(prepared.call.run(request.send())).await?;
        let missing = |field: &str| {
            Error::incomplete(OPERATION, field, format!("the answer has no `{field}`"))
        };
        Ok(PredictionLink {
            client: self.client,
            host: answer.host.ok_or_else(|| missing("host"))?,
            path: answer.path.ok_or_else(|| missing("path"))?,
        })
    }
}

/// Where a set of P-GPS predictions is.
#[derive(Clone, Debug)]
pub struct PredictionLink {
    client: Client,
    /// The host, as the service sent it (a bare host such as `pgps.nrfcloud.com`, or with a
    /// scheme: \[CONFLICT\] cloud-api-facts.md §7.4, both are read).
    pub host: String,
    /// The file's path on that host.
    pub path: String,
}

impl PredictionLink {
    /// The file's URL: `https://<host>/<path>` for a bare host; a host that names its scheme
    /// keeps it.
    ///
    /// ```no_run
    /// # fn f(link: nrfcloud::location::PredictionLink) {
    /// println!("predictions at {}", link.url());
    /// # }
    /// ```
    pub fn url(&self) -> String {
        let host = self.host.trim().trim_end_matches('/');
        let path = self.path.trim().trim_start_matches('/');
        if host.starts_with("https://") || host.starts_with("http://") {
            format!("{host}/{path}")
        } else {
            format!("https://{host}/{path}")
        }
    }

    /// Downloads the predictions with the client's connection pool and timeouts, and no
    /// `Authorization` header: the file host is not nRF Cloud's API and gets no credential.
    /// Plain HTTP is refused unless to a loopback host (or allowed with
    /// [`ClientBuilder::allow_insecure_http`](crate::ClientBuilder::allow_insecure_http)).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let predictions = client.location().pgps().send().await?.download().await?;
    /// println!("{} bytes of predictions", predictions.len());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn download(&self) -> Result<Bytes> {
        let url = self.url();
        let parsed = reqwest::Url::parse(&url).map_err(|e| {
            Error::incomplete(OPERATION, "host", format!("{url:?} is not a URL: {e}"))
        })?;
        if parsed.scheme() == "http"
            && !self.client.allows_insecure_http()
            && !crate::client::is_loopback(&parsed)
        {
            return Err(Error::incomplete(
                OPERATION,
                "host",
                format!("the predictions are at {url}, which is plain HTTP to a remote host"),
            ));
        }
        let response = self
            .client
            .raw()
            .rest()
            .client()
            .get(parsed)
            .header(http::header::ACCEPT, "application/octet-stream")
            .send()
            .await
            .map_err(|e| transport(OPERATION, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = BytesMut::new();
        let mut stream = response.bytes_stream();
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(|e| transport(OPERATION, e))?;
            if body.len() + piece.len() > MAX_PREDICTIONS_BYTES {
                return Err(Error::incomplete(
                    OPERATION,
                    "body",
                    format!("the predictions are larger than {MAX_PREDICTIONS_BYTES} bytes"),
                ));
            }
            body.extend_from_slice(&piece);
        }
        if !status.is_success() {
            return Err(
                ErrorKind::Api(ApiError::from_parts(OPERATION, status, &headers, &body)).into(),
            );
        }
        Ok(body.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(host: &str, path: &str) -> PredictionLink {
        PredictionLink {
            client: Client::builder().build().unwrap(),
            host: host.into(),
            path: path.into(),
        }
    }

    #[test]
    fn a_bare_host_gets_https_and_a_host_with_a_scheme_keeps_it() {
        assert_eq!(
            link("pgps.nrfcloud.com", "public/15131-0_15135-72000.bin").url(),
            "https://pgps.nrfcloud.com/public/15131-0_15135-72000.bin"
        );
        assert_eq!(
            link("https://pgps.nrfcloud.com/", "/public/a.bin").url(),
            "https://pgps.nrfcloud.com/public/a.bin"
        );
        assert_eq!(
            link("http://127.0.0.1:8080", "__sim/pgps/a.bin").url(),
            "http://127.0.0.1:8080/__sim/pgps/a.bin"
        );
    }

    #[tokio::test]
    async fn plain_http_to_a_remote_host_is_refused_before_connecting() {
        let e = link("http://pgps.example.com", "a.bin")
            .download()
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the response of GetPredictedAssistanceData does not match its schema at `host`"
        );
        let source = std::error::Error::source(&e).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some(
                "the predictions are at http://pgps.example.com/a.bin, which is plain HTTP to a remote host"
            )
        );
    }
}

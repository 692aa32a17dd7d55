//! Getting the bytes of a document: from a URL (blocking ureq, with timeouts and progress) or
//! from a file. Errors say what to do next, never just "io error".

use std::{
    borrow::Cow,
    io::{ErrorKind, IsTerminal, Read, Write},
    sync::Arc,
    time::{Duration, Instant},
};

use ureq::{
    Agent,
    tls::{RootCerts, TlsConfig, TlsProvider},
};

/// Connecting gets at most this much of the overall timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Far above any OpenAPI document (the live REST one is a few MiB); stops a runaway download.
const MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Slow downloads report progress after this long, then at most this often.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// A downloaded or read document.
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// The response's `Content-Type`, for URLs.
    pub content_type: Option<String>,
}

/// Why a document could not be fetched.
pub struct FetchError {
    pub message: String,
    /// The HTTP status, when the server answered with an error.
    pub status: Option<u16>,
}

impl FetchError {
    fn new(message: String) -> Self {
        Self {
            message,
            status: None,
        }
    }
}

/// `source` with the credentials of a URL (`user:password@`) replaced by `***`, for messages
/// and for `sources.json`.
pub fn redact(source: &str) -> Cow<'_, str> {
    let Some((scheme, rest)) = source.split_once("://") else {
        return source.into();
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]).into(),
        None => source.into(),
    }
}

/// `true` when `source` is fetched over HTTP rather than read from disk.
pub fn is_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Fetches `source`: a URL (GET, no credentials) or a file path.
pub fn fetch(source: &str, timeout: Duration) -> Result<Fetched, FetchError> {
    if is_url(source) {
        download(source, timeout)
    } else {
        std::fs::read(source)
            .map(|bytes| Fetched {
                bytes,
                content_type: None,
            })
            .map_err(|e| FetchError::new(format!("cannot read {source}: {e}")))
    }
}

fn agent(timeout: Duration) -> Agent {
    // The platform's trust store, as reqwest uses in this workspace: a TLS-inspecting proxy
    // works once its CA is installed system-wide.
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::PlatformVerifier)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .build();
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(CONNECT_TIMEOUT.min(timeout)))
        .timeout_global(Some(timeout))
        .tls_config(tls)
        .build()
        .into()
}

fn download(source: &str, timeout: Duration) -> Result<Fetched, FetchError> {
    // Messages name the URL without any `user:password@`.
    let url = &*redact(source);
    eprintln!("fetching {url}");
    let started = Instant::now();
    let response = agent(timeout)
        .get(source)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| FetchError::new(explain(url, e, timeout)))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let length = response.body().content_length();
    let mut reader = response
        .into_body()
        .into_with_config()
        .limit(MAX_BYTES)
        .reader();

    if !status.is_success() {
        // The first line of the body usually says why (a JSON error, an HTML title, a proxy's
        // reason); more than a few KiB of it never helps.
        let mut head = Vec::new();
        let _ = reader.by_ref().take(4096).read_to_end(&mut head);
        let text = String::from_utf8_lossy(&head);
        // An HTML error page's first line is `<!DOCTYPE html>`; its title says more.
        let first = crate::document::title(&head).or_else(|| {
            text.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_owned)
        });
        let reason = status.canonical_reason().unwrap_or("");
        let mut message = format!("GET {url} answered HTTP {} {reason}", status.as_u16());
        match first {
            Some(line) => message.push_str(&format!(": {}", shorten(&line, 200))),
            None => message.push_str(" (empty body)"),
        }
        return Err(FetchError {
            message,
            status: Some(status.as_u16()),
        });
    }

    let mut bytes = Vec::with_capacity(length.unwrap_or(0).min(MAX_BYTES) as usize);
    let mut progress = Progress::new(started, length);
    let mut buf = vec![0; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                progress.update(bytes.len() as u64);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                progress.finish();
                let got = bytes.len();
                let of = length.map(|l| format!(" of {l}")).unwrap_or_default();
                let why = explain(url, ureq::Error::from(e), timeout);
                return Err(FetchError::new(format!(
                    "the download was cut off after {got}{of} bytes (truncated): {why}"
                )));
            }
        }
    }
    progress.finish();
    if let Some(expected) = length.filter(|&l| l != bytes.len() as u64) {
        return Err(FetchError::new(format!(
            "GET {url}: the download was cut off after {} of {expected} bytes (truncated); retry",
            bytes.len()
        )));
    }
    Ok(Fetched {
        bytes,
        content_type,
    })
}

/// Turns a ureq error into a sentence a person can act on.
fn explain(url: &str, error: ureq::Error, timeout: Duration) -> String {
    let host = host_of(url);
    let proxy = proxy_for(url);
    let via = proxy
        .as_ref()
        .map(|p| format!(", through the proxy {p} from the environment"))
        .unwrap_or_default();
    match error {
        ureq::Error::HostNotFound => format!(
            "cannot resolve `{host}` (DNS lookup failed{via}): check the URL and the network; \
             offline, use --from <file>"
        ),
        ureq::Error::Timeout(which) => {
            let limit = match which {
                ureq::Timeout::Connect => CONNECT_TIMEOUT.min(timeout),
                _ => timeout,
            };
            format!(
                "GET {url} timed out ({which} timeout, {} s{via}): the server is slow or \
                 unreachable; raise --timeout <secs>, or download the document yourself and \
                 pass --from <file>",
                limit.as_secs()
            )
        }
        ureq::Error::Rustls(e) => format!(
            "TLS with `{host}` failed{via}: {e}. If a proxy inspects TLS, install its CA \
             certificate in the system trust store"
        ),
        ureq::Error::Tls(e) => format!("TLS with `{host}` failed{via}: {e}"),
        ureq::Error::InvalidProxyUrl => "the proxy URL in HTTPS_PROXY / HTTP_PROXY / ALL_PROXY \
                                         is invalid: fix or unset it"
            .to_string(),
        ureq::Error::ConnectProxyFailed(why) => format!(
            "the proxy refused to connect to `{host}`{via}: {why}. Check HTTPS_PROXY and \
             NO_PROXY"
        ),
        // std reports a failed lookup as an uncategorised io::Error with this text.
        ureq::Error::Io(e) if e.to_string().contains("failed to lookup address") => format!(
            "cannot resolve `{host}` (DNS lookup failed{via}: {e}): check the URL and the \
             network; offline, use --from <file>"
        ),
        ureq::Error::Io(e) if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) => {
            format!(
                "TLS with `{host}` failed{via}: {e}. Is the URL's scheme right (https:// on a \
                 plain-HTTP server)?"
            )
        }
        ureq::Error::Io(e) => match e.kind() {
            ErrorKind::ConnectionRefused => match proxy {
                Some(p) => format!(
                    "the proxy {p} (from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY) refused the \
                     connection: check or unset those variables"
                ),
                None => {
                    format!("connection to `{host}` refused: nothing listens there; check the URL")
                }
            },
            ErrorKind::UnexpectedEof
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted => {
                format!("the connection to `{host}` closed early{via}: {e}; retry")
            }
            _ => format!("GET {url} failed{via}: {e}"),
        },
        ureq::Error::BodyExceedsLimit(_) => {
            format!("GET {url}: the document is larger than {MAX_BYTES} bytes")
        }
        ureq::Error::BadUri(why) => format!("`{url}` is not a valid URL: {why}"),
        ureq::Error::TooManyRedirects => format!("GET {url}: too many redirects"),
        other => format!("GET {url} failed{via}: {other}"),
    }
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// `host:port` of the proxy from the environment, if the request goes through one. Never the
/// whole proxy URL: it may carry a password.
fn proxy_for(url: &str) -> Option<String> {
    let proxy = ureq::Proxy::try_from_env()?;
    let bypassed = url
        .parse::<ureq::http::Uri>()
        .is_ok_and(|uri| proxy.is_no_proxy(&uri));
    (!bypassed).then(|| format!("{}:{}", proxy.host(), proxy.port()))
}

fn shorten(line: &str, max: usize) -> String {
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// Bytes so far on stderr, for downloads that take more than a second. Overwrites one line on a
/// terminal, prints a line per second elsewhere (CI logs).
struct Progress {
    started: Instant,
    last: Option<Instant>,
    total: Option<u64>,
    terminal: bool,
}

impl Progress {
    fn new(started: Instant, total: Option<u64>) -> Self {
        Self {
            started,
            last: None,
            total,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn update(&mut self, bytes: u64) {
        let now = Instant::now();
        let due = match self.last {
            None => now - self.started >= PROGRESS_AFTER,
            Some(last) => now - last >= PROGRESS_AFTER,
        };
        if !due {
            return;
        }
        self.last = Some(now);
        let of = self
            .total
            .map(|t| format!(" of {}", kib(t)))
            .unwrap_or_default();
        let line = format!("  downloaded {}{of}", kib(bytes));
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r{line}")
        } else {
            writeln!(err, "{line}")
        };
    }

    fn finish(&mut self) {
        if self.terminal && self.last.is_some() {
            eprintln!();
        }
    }
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_strips_scheme_path_and_query() {
        assert_eq!(
            host_of("https://api.nrfcloud.com/v1/openapi.json"),
            "api.nrfcloud.com"
        );
        assert_eq!(host_of("http://127.0.0.1:8080?x=1"), "127.0.0.1:8080");
    }

    #[test]
    fn failed_lookups_are_reported_as_dns_errors() {
        let url = "https://api.nrfcloud.com/v1/openapi.json";
        let lookup = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        for error in [ureq::Error::HostNotFound, ureq::Error::Io(lookup)] {
            let text = explain(url, error, Duration::from_secs(60));
            assert!(
                text.starts_with("cannot resolve `api.nrfcloud.com` (DNS"),
                "{text}"
            );
            assert!(text.contains("--from <file>"), "{text}");
        }
    }

    #[test]
    fn redact_hides_url_credentials_only() {
        assert_eq!(
            redact("https://bob:pw@h.example/v1?a=b@c"),
            "https://***@h.example/v1?a=b@c"
        );
        assert_eq!(redact("https://h.example/x@y"), "https://h.example/x@y");
        assert_eq!(redact("specs/a@b.json"), "specs/a@b.json");
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("äöü", 2), "äö…");
        assert_eq!(shorten("ok", 2), "ok");
    }
}

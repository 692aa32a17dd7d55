#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
//!
//! # JWT signing
//!
//! Tokens are built with [jsonwebtoken](https://docs.rs/jsonwebtoken) 11's `Header` and signed
//! through its `crypto::JwtSigner` trait by an aws-lc-rs key pair that is parsed once, when the
//! key is loaded. jsonwebtoken's own `encode` parses the key again for every signature, which
//! made RS256 slower than PyJWT (1,250 against 3,265 tokens/s on one core); parsed once, ES256
//! mints 46,000 tokens/s against `openssl speed`'s 37,800 signatures/s (1.22x) and RS256 2,725
//! against 2,678 (1.02x), in one run (`taskset -c 0 cargo bench -p nrfcloud --bench jwt`
//! prints them). The facade turns on no jsonwebtoken backend feature and
//! installs no process-wide provider, so whatever backend another crate of the build selects
//! (or none, or both: since jsonwebtoken 10 that panics on its first signature) cannot change
//! or break our tokens. aws-lc costs no extra compilation: rustls under reqwest builds it.
//!
//! # Layout
//!
//! * [`Client`], [`ClientBuilder`]: configuration, hosts, credentials, timeouts, retries;
//! * [`auth`]: credentials, key loading, device, service and application JWTs;
//! * [`devices`] (with [`device_state`]), [`fota`], [`messages`], [`bulk_ops`], [`account`],
//!   [`provisioning`]: resource handles;
//! * [`bulk`]: bulk CSV claiming, onboarding and key registration (validate, chunk, send,
//!   follow, report, resume);
//! * [`Error`] ([`error`]), [`pagination`], [`version`], [`retry`], [`wait`]: what every call
//!   shares;
//! * [`raw`]: the generated clients, reachable with the same configuration via [`Client::raw`],
//!   and [`raw::Clients::send`] / [`raw::Clients::stream`], which run any generated operation
//!   with the facade's errors and paging.

pub mod account;
pub mod auth;
#[cfg(feature = "bulk")]
#[cfg_attr(docsrs, doc(cfg(feature = "bulk")))]
pub mod bulk;
pub mod bulk_ops;
mod call;
mod client;
pub mod device_state;
pub mod devices;
pub mod error;
pub mod fota;
#[cfg(all(fuzzing, feature = "bulk"))]
#[doc(hidden)]
pub mod fuzzing;
mod ids;
pub mod location;
pub mod messages;
mod observe;
mod open_enum;
pub mod pagination;
mod paths;
pub mod provisioning;
mod raw_calls;
pub mod retry;
pub mod version;
pub mod wait;

pub use client::{Client, ClientBuilder};
pub use error::{Error, Result};

/// The generated clients (the `nrfcloud-api` crate), and [`Clients`](raw::Clients), the pair
/// [`Client::raw`] returns: configured with the client's hosts, credentials, timeouts and
/// retries, for operations the facade does not wrap. [`Clients::send`](raw::Clients::send) and
/// [`Clients::stream`](raw::Clients::stream) run any of them with the facade's [`Error`] and
/// paging.
pub mod raw {
    pub use crate::call::Generated;
    pub use crate::client::Clients;
    pub use crate::error::ErrorBody;
    pub use crate::pagination::Envelope;
    pub use nrfcloud_api::*;
}

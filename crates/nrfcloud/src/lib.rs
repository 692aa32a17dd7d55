#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
//!
//! # JWT backend
//!
//! Tokens are signed with [jsonwebtoken](https://docs.rs/jsonwebtoken) 11 and **exactly one**
//! crypto backend, `aws_lc_rs`, on purpose. Since jsonwebtoken 10 the backend is a
//! process-wide provider: with no backend feature, or with both `rust_crypto` and `aws_lc_rs`
//! (which Cargo's feature unification produces as soon as another crate in the build enables
//! the other one), the first signature panics. So the client, and every token signer, installs
//! the `aws_lc_rs` provider explicitly with `CryptoProvider::install_default` and ignores the
//! "already installed" answer: signing works whatever features the rest of the build turns on.
//! `aws_lc_rs` was chosen because rustls (under reqwest) already builds aws-lc, so it costs no
//! extra compilation, and because it signs ES256 about 17 times faster than `rust_crypto` here
//! (37,600 against 2,200 tokens/s on one core; `cargo bench -p nrfcloud --bench jwt`).
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

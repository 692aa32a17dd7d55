//! The nRF Cloud SDK for Rust.

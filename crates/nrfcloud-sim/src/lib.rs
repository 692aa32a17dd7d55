#![doc = include_str!("../README.md")]

mod admin;
mod auth;
mod bulk;
mod csv_body;
mod error;
mod extract;
mod faults;
mod keys;
mod pagination;
mod provisioning;
mod rest;
mod seed;
mod server;
mod sim;
mod state;
pub mod tokens;

pub use faults::{Faults, FotaOutcome, RequestCounts};
pub use sim::{Error, Simulator, SimulatorBuilder};

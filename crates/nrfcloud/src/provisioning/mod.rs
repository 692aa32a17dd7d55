//! The Provisioning Service (`https://api.provisioning.nrfcloud.com/v1`): claiming devices,
//! provisioning tags, commands and rules.
//!
//! No upstream OpenAPI document exists for this service; the raw client is generated from a
//! hand-written one (`openapi/nrfcloud-provisioning.json`), and its guesses are listed in
//! `openapi/PROVISIONING-GUESSES.md`.

mod claims;
mod commands;
mod rules;
mod tags;

pub use crate::paths::{ClaimPath, TagPaths};
pub use claims::{
    Claim, ClaimCsv, ClaimVerdict, ClaimedDevice, ClaimedDeviceStatus, ClaimedDevices,
    CsvClaimOutcome, DeviceAction, GetClaimedDevice, ListClaimedDevices, OwnershipStatus,
    SetClaimedDeviceTags,
};
pub use commands::{
    Command, CommandStatus, CreateCommand, DeleteCommand, GetCommand, ListCommands,
    ProvisioningCommand, ProvisioningCommands,
};
pub use nrfcloud_api::provisioning::types;
pub use rules::{DeleteRule, GetRule, ListRules, ProvisioningRules, RuleSpec, SaveRule};
pub use tags::{CreateTag, DeleteTag, GetTag, ListTags, ProvisioningTags, UpdateTag};

use crate::{Client, error::Error};

/// The Provisioning Service handle: `client.provisioning()`.
#[derive(Clone, Debug)]
pub struct Provisioning {
    client: Client,
}

impl Client {
    /// The Provisioning Service.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let provisioning = client.provisioning();
    /// # }
    /// ```
    pub fn provisioning(&self) -> Provisioning {
        Provisioning {
            client: self.clone(),
        }
    }
}

impl Provisioning {
    #[cfg_attr(not(feature = "bulk"), allow(dead_code))]
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Claims a device with its attestation token (`AT%ATTESTTOKEN`), or checks that it could
    /// be claimed ([`Claim::dry_run`]).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client, token: String) -> nrfcloud::Result<()> {
    /// let device = client.provisioning().claim(token).tags(["field-test"]).send().await?;
    /// println!("claimed {}", device.id);
    /// # Ok(())
    /// # }
    /// ```
    pub fn claim(&self, claim_token: impl Into<String>) -> Claim {
        Claim::new(self.client.clone(), claim_token.into())
    }

    /// Sends a bulk-claim CSV as it is (one token per row, optional tags): the low-level form
    /// of bulk claiming, with no validation or chunking.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client, csv: Vec<u8>) -> nrfcloud::Result<()> {
    /// // One attestation token per row, optionally followed by its tags: `<token>,"field-test"`.
    /// let outcome = client.provisioning().claim_csv(csv).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn claim_csv(&self, csv: impl Into<bytes::Bytes>) -> ClaimCsv {
        ClaimCsv::new(self.client.clone(), csv.into())
    }

    /// Claimed devices: list, fetch, tag, block, unblock, unclaim.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let devices = client.provisioning().claimed_devices();
    /// let device = devices.get("50363954-3731-4d32-80a2-1d1c3b2f0a41").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn claimed_devices(&self) -> ClaimedDevices {
        ClaimedDevices::new(self.client.clone())
    }

    /// Provisioning tags (groups that rules target).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.provisioning().tags().list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn tags(&self) -> ProvisioningTags {
        ProvisioningTags::new(self.client.clone())
    }

    /// The provisioning commands of one claimed device.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// let page = commands.list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn commands(&self, device_id: impl Into<String>) -> ProvisioningCommands {
        ProvisioningCommands::new(self.client.clone(), device_id.into())
    }

    /// Provisioning rules.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.provisioning().rules().list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn rules(&self) -> ProvisioningRules {
        ProvisioningRules::new(self.client.clone())
    }
}

/// Converts a builder value with the generated type's checks (patterns, lengths).
pub(crate) fn typed<T, V>(operation: &'static str, what: &str, value: V) -> Result<T, Error>
where
    V: TryInto<T> + std::fmt::Debug + Clone,
    V::Error: std::fmt::Display,
{
    value
        .clone()
        .try_into()
        .map_err(|e| Error::invalid_request(operation, format!("{what} {value:?}: {e}")))
}

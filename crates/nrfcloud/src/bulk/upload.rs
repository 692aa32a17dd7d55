//! The bulk builders: [`BulkClaim`] (`client.provisioning().bulk_claim(…)`) and [`BulkUpload`]
//! (`client.onboarding().bulk_csv(…)`, `.register_public_keys(…)`, `.register_certificates(…)`).

use std::{fmt, io::Read, path::PathBuf, time::Duration};

use super::{
    BulkReport, InvalidRows, Operation, Progress, boxed, settings_setters,
    submit::{self, Input, Settings, Spec},
    validate::check_claim_tag,
};
use crate::{Client, error::Error, provisioning::CsvClaimEndpoint};

/// A bulk claim from a CSV: `client.provisioning().bulk_claim(reader)`.
///
/// The input is the plain claim CSV (`token[,"tag1,tag2"]`) or nrfcloud-utils'
/// `attestation_tokens.csv` (`imei,uuid,token,timestamp`); see [`super::csv::ClaimReader`].
pub struct BulkClaim {
    client: Client,
    input: Input,
    tags: Vec<String>,
    endpoint: CsvClaimEndpoint,
    settings: Settings,
}

impl BulkClaim {
    pub(crate) fn new(client: Client, input: impl Read + Send + 'static) -> Self {
        Self {
            client,
            input: boxed(input),
            tags: Vec::new(),
            endpoint: CsvClaimEndpoint::default(),
            settings: Settings::default(),
        }
    }

    /// Provisioning tags added to every row (to the row's own tags).
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Where to send the rows (default [`CsvClaimEndpoint::ClaimedDevices`], answered
    /// synchronously; [`CsvClaimEndpoint::Bulk`] is answered with a bulk operation). Both
    /// answers are handled whichever endpoint is chosen.
    pub fn endpoint(mut self, endpoint: CsvClaimEndpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    settings_setters!();

    /// Validates, sends and follows every row; the report when every request was answered.
    pub async fn wait(self) -> crate::Result<BulkReport> {
        if let Some(reason) = self.tags.iter().find_map(|t| check_claim_tag(t).err()) {
            return Err(Error::invalid_request("ClaimDeviceOwnership", reason));
        }
        let spec = Spec {
            operation: Operation::Claim,
            extra_tags: self.tags,
            endpoint: self.endpoint,
        };
        submit::run(self.client, spec, self.input, self.settings).await
    }
}

impl fmt::Debug for BulkClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkClaim")
            .field("tags", &self.tags)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// The device-onboarding handle: `client.onboarding()`.
#[derive(Clone, Debug)]
pub struct Onboarding {
    client: Client,
}

impl Client {
    /// Bulk device onboarding and key and certificate registration (REST API).
    pub fn onboarding(&self) -> Onboarding {
        Onboarding {
            client: self.clone(),
        }
    }
}

impl Onboarding {
    /// OnboardDevices from a CSV of `deviceId,subType,tags|…,fwTypes|…,"certPem"` rows
    /// (see [`super::csv::OnboardReader`]).
    pub fn bulk_csv(&self, input: impl Read + Send + 'static) -> BulkUpload {
        BulkUpload::new(self.client.clone(), Operation::Onboard, input)
    }

    /// RegisterPublicKeys from a CSV of `deviceId,"keyPem"` rows.
    pub fn register_public_keys(&self, input: impl Read + Send + 'static) -> BulkUpload {
        BulkUpload::new(self.client.clone(), Operation::RegisterPublicKeys, input)
    }

    /// RegisterCertificates from a CSV of `deviceId,"certPem"` rows.
    pub fn register_certificates(&self, input: impl Read + Send + 'static) -> BulkUpload {
        BulkUpload::new(self.client.clone(), Operation::RegisterCertificates, input)
    }
}

/// A bulk upload to the REST API (onboarding, keys, certificates); each request becomes a
/// bulk operation that is followed to its end.
pub struct BulkUpload {
    client: Client,
    operation: Operation,
    input: Input,
    settings: Settings,
}

impl BulkUpload {
    fn new(client: Client, operation: Operation, input: impl Read + Send + 'static) -> Self {
        Self {
            client,
            operation,
            input: boxed(input),
            settings: Settings::default(),
        }
    }

    settings_setters!();

    /// Validates, sends and follows every row; the report when every request was answered.
    pub async fn wait(self) -> crate::Result<BulkReport> {
        let spec = Spec {
            operation: self.operation,
            extra_tags: Vec::new(),
            endpoint: CsvClaimEndpoint::default(),
        };
        submit::run(self.client, spec, self.input, self.settings).await
    }
}

impl fmt::Debug for BulkUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkUpload")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

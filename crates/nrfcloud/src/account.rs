//! The account of the API key: team, plan, MQTT endpoint.

use nrfcloud_api::rest::types::AccountInfoArgs;

use crate::{Client, error::Result};

/// The account handle: `client.account()`.
#[derive(Clone, Debug)]
pub struct Account {
    client: Client,
}

impl Client {
    /// The account of the API key.
    pub fn account(&self) -> Account {
        Account {
            client: self.clone(),
        }
    }
}

impl Account {
    /// Fetches the account (FetchAccountInfo).
    pub fn get(&self) -> GetAccount {
        GetAccount {
            client: self.client.clone(),
        }
    }

    /// The team id (`team.tenantId`), the `aud` of service-key JWTs.
    pub async fn team_id(&self) -> Result<String> {
        Ok(self.get().send().await?.team.tenant_id.to_string())
    }
}

/// Builder of [`Account::get`].
#[derive(Clone, Debug)]
pub struct GetAccount {
    client: Client,
}

impl GetAccount {
    /// Fetches the account.
    pub async fn send(self) -> Result<AccountInfoArgs> {
        let call = self.client.rest_call("fetch_account_info")?;
        call.run(call.raw.fetch_account_info().send()).await
    }
}

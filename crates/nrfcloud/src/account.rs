//! The account of the API key: team, plan, MQTT endpoint.

use nrfcloud_api::ops;
use nrfcloud_api::rest::types::AccountInfoArgs;
use serde::Deserialize;

use crate::{
    Client,
    error::{Result, decode},
};

/// The account handle: `client.account()`.
#[derive(Clone, Debug)]
pub struct Account {
    client: Client,
}

impl Client {
    /// The account of the API key.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let account = client.account();
    /// # }
    /// ```
    pub fn account(&self) -> Account {
        Account {
            client: self.clone(),
        }
    }
}

impl Account {
    /// Fetches the account (FetchAccountInfo).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let account = client.account().get().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self) -> GetAccount {
        GetAccount {
            client: self.client.clone(),
        }
    }

    /// The team id (`team.tenantId`), the `aud` of service-key JWTs.
    ///
    /// Reads that one field of the raw answer, so no other part of the account (the plan's
    /// shape changes with the plan) can make it fail.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let team_id = client.account().team_id().await?;
    /// println!("team {team_id}");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn team_id(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct Account {
            team: Team,
        }
        #[derive(Deserialize)]
        struct Team {
            #[serde(rename = "tenantId")]
            tenant_id: String,
        }
        let call = self.client.call(ops::rest::FETCH_ACCOUNT_INFO);
        let (head, body) = call.get_bytes("/account").await?;
        let account: Account = decode(call.operation(), Some(&head), &body)?;
        Ok(account.team.tenant_id)
    }
}

/// Builder of [`Account::get`].
#[derive(Clone, Debug)]
pub struct GetAccount {
    client: Client,
}

impl GetAccount {
    /// Fetches the account.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let account = client.account().get().send().await?;
    /// println!("MQTT endpoint: {:?}", account.mqtt_endpoint);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<AccountInfoArgs> {
        let call = self.client.call(ops::rest::FETCH_ACCOUNT_INFO);
        call.run(call.raw.fetch_account_info().send()).await
    }
}

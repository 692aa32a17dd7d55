//! The account of the API key: team, plan, MQTT endpoint, and the credentials it issues for
//! Location Services proxies (the service key and the evaluation token).

use std::fmt;

use chrono::{DateTime, Utc};
use nrfcloud_api::ops;
use nrfcloud_api::rest::types::{AccountInfoArgs, ServiceKeyTokenResponse};
use secrecy::SecretString;
use serde::Deserialize;

use crate::{
    Client,
    error::{Error, Result, decode},
};

/// A new service key and a token signed with it, from
/// [`Account::generate_service_key`]. Both are secrets: `Debug` shows neither.
#[non_exhaustive]
pub struct ServiceKey {
    /// The private key, PEM (load it with `nrfcloud::auth::PrivateKey::from_pem`, feature
    /// `jwt`, to sign per-device tokens).
    pub key_pem: SecretString,
    /// A JWT the service signed with it (valid a year, no `sub`).
    pub token: SecretString,
}

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceKey { key_pem: [REDACTED], token: [REDACTED] }")
    }
}

/// The service evaluation token and when it expires. `Debug` does not show the token.
#[non_exhaustive]
pub struct EvaluationToken {
    /// The token, for
    /// [`ClientBuilder::service_evaluation_token`](crate::ClientBuilder::service_evaluation_token).
    pub token: SecretString,
    /// When the evaluation ends.
    pub expires: Option<DateTime<Utc>>,
}

impl fmt::Debug for EvaluationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvaluationToken")
            .field("token", &"[REDACTED]")
            .field("expires", &self.expires)
            .finish()
    }
}

fn evaluation_token(
    operation: &'static str,
    r: ServiceKeyTokenResponse,
) -> Result<EvaluationToken> {
    let token = r
        .token
        .ok_or_else(|| Error::incomplete(operation, "token", "the answer has no `token`"))?;
    Ok(EvaluationToken {
        token: token.into(),
        expires: r.expires,
    })
}

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

    /// Generates the team's service key (GenerateServiceKeyAndToken): the private key a
    /// Location Services proxy signs its per-device JWTs with, and a token signed with it.
    ///
    /// **It replaces the previous key**: tokens signed with that one stop working. Nordic
    /// deprecates service keys in favour of Organization Auth Tokens.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use nrfcloud::auth::ExposeSecret;
    /// let generated = client.account().generate_service_key().await?;
    /// std::fs::write("service-key.pem", generated.key_pem.expose_secret())?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn generate_service_key(&self) -> Result<ServiceKey> {
        let call = self.client.call(ops::rest::GENERATE_SERVICE_KEY_AND_TOKEN);
        let answer = call
            .run(call.raw.generate_service_key_and_token().send())
            .await?;
        let operation = call.operation();
        let missing = |field: &str| {
            Error::incomplete(operation, field, format!("the answer has no `{field}`"))
        };
        Ok(ServiceKey {
            key_pem: answer.key.ok_or_else(|| missing("key"))?.into(),
            token: answer.token.ok_or_else(|| missing("token"))?.into(),
        })
    }

    /// The team's service evaluation token (GetServiceEvaluationToken), once
    /// [`start_evaluation`](Account::start_evaluation) has created it.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let evaluation = client.account().evaluation_token().await?;
    /// println!("evaluation ends {:?}", evaluation.expires);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn evaluation_token(&self) -> Result<EvaluationToken> {
        let call = self.client.call(ops::rest::GET_SERVICE_EVALUATION_TOKEN);
        let answer = call
            .run(call.raw.get_service_evaluation_token().send())
            .await?;
        evaluation_token(call.operation(), answer)
    }

    /// Starts the team's 30-day Location Services evaluation, or renews its token
    /// (GenerateServiceEvaluationToken). Deprecated by Nordic: new evaluations may be refused.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let evaluation = client.account().start_evaluation().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start_evaluation(&self) -> Result<EvaluationToken> {
        let call = self
            .client
            .call(ops::rest::GENERATE_SERVICE_EVALUATION_TOKEN);
        let answer = call
            .run(call.raw.generate_service_evaluation_token().send())
            .await?;
        evaluation_token(call.operation(), answer)
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

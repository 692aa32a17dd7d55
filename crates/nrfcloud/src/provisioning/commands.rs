//! Provisioning commands: what a claimed device does at its next provisioning check-in.

use chrono::{DateTime, Utc};
use nrfcloud_api::ops;
use nrfcloud_api::provisioning::types::{self, ProvisioningCommandKind};

use super::typed;
use crate::{
    Client,
    error::{Error, Result},
    open_enum::open_enum,
    pagination::{self, Page, page_of},
    wait::Wait,
};

// provisioning-api.md §2.4: exactly one kind per command.
/// A provisioning command; exactly one kind per command. The kinds whose JSON names are only
/// guessed (private key, pre-shared key, configuration) are reachable through
/// [`Command::Custom`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Command {
    /// Make a key pair and register its public key with nRF Cloud for JWT auth.
    CloudAccessKeyGeneration {
        /// Modem security tag.
        sec_tag: i64,
    },
    /// Make a private key (`%KEYGEN`).
    ClientPrivateKeyGeneration {
        /// Modem security tag.
        sec_tag: i64,
    },
    /// Make a certificate signing request.
    CertificateSigningRequest {
        /// Modem security tag.
        sec_tag: i64,
        /// Subject, e.g. `O=Nordic,C=no,CN=<device id>`.
        attributes: Option<String>,
        /// Key usage bits, nine `0`/`1` characters, e.g. `101010000`.
        key_usage: Option<String>,
    },
    /// Install a server (CA) certificate.
    ServerCertificate {
        /// Modem security tag.
        sec_tag: i64,
        /// The PEM.
        content: String,
    },
    /// Install a client certificate.
    ClientCertificate {
        /// Modem security tag.
        sec_tag: i64,
        /// The PEM.
        content: String,
    },
    /// End the provisioning run.
    Finished,
    /// Any kind, as the generated type.
    Custom(Box<ProvisioningCommandKind>),
}

impl Command {
    pub(crate) fn to_kind(&self, operation: &'static str) -> Result<ProvisioningCommandKind> {
        let mut kind = ProvisioningCommandKind::default();
        match self.clone() {
            Command::CloudAccessKeyGeneration { sec_tag } => {
                kind.cloud_access_key_generation = Some(types::SecTagCommand { sec_tag });
            }
            Command::ClientPrivateKeyGeneration { sec_tag } => {
                kind.client_private_key_generation = Some(types::SecTagCommand { sec_tag });
            }
            Command::CertificateSigningRequest {
                sec_tag,
                attributes,
                key_usage,
            } => {
                let key_usage = key_usage
                    .map(|k| typed::<types::CsrCommandKeyUsage, _>(operation, "key usage", k))
                    .transpose()?;
                kind.certificate_signing_request = Some(types::CsrCommand {
                    sec_tag,
                    attributes,
                    key_usage,
                });
            }
            Command::ServerCertificate { sec_tag, content } => {
                kind.server_certificate = Some(types::CertificateCommand { sec_tag, content });
            }
            Command::ClientCertificate { sec_tag, content } => {
                kind.client_certificate = Some(types::CertificateCommand { sec_tag, content });
            }
            Command::Finished => kind.finished = Some(types::FinishedCommand(Default::default())),
            Command::Custom(k) => kind = *k,
        }
        Ok(kind)
    }
}

open_enum! {
    /// Where a command is (terminal names are not documented).
    pub enum CommandStatus {
        /// Waiting for the device.
        Pending => "PENDING",
        /// Sent to the device.
        InProgress => "IN_PROGRESS",
    }
}

impl CommandStatus {
    /// Whether the device has answered: anything but PENDING and IN_PROGRESS.
    ///
    /// ```
    /// use nrfcloud::provisioning::CommandStatus;
    /// assert!(!CommandStatus::Pending.is_terminal());
    /// assert!(CommandStatus::from("SUCCEEDED").is_terminal());
    /// ```
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Self::Pending | Self::InProgress)
    }
}

/// A provisioning command of a device.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProvisioningCommand {
    /// Its id.
    pub id: String,
    /// Its description.
    pub description: Option<String>,
    /// Where it is.
    pub status: CommandStatus,
    /// What was asked.
    pub request: Option<ProvisioningCommandKind>,
    /// What the device answered, keyed by kind.
    pub response: Option<types::ProvisioningCommandResponse>,
    /// Created.
    pub created_at: Option<DateTime<Utc>>,
    /// Last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<types::ProvisioningCommand> for ProvisioningCommand {
    fn from(c: types::ProvisioningCommand) -> Self {
        Self {
            id: c.id,
            description: c.description,
            status: CommandStatus::from(c.status.as_str()),
            request: c.request,
            response: c.response,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The commands handle of one device: `client.provisioning().commands(device_id)`.
#[derive(Clone, Debug)]
pub struct ProvisioningCommands {
    client: Client,
    device_id: String,
}

impl ProvisioningCommands {
    pub(super) fn new(client: Client, device_id: String) -> Self {
        Self { client, device_id }
    }

    /// Queues a command (at most 20 per device).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::provisioning::Command;
    /// let keygen = Command::CloudAccessKeyGeneration { sec_tag: 16842753 };
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// let id = commands.create(keygen).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn create(&self, command: Command) -> CreateCommand {
        CreateCommand {
            client: self.client.clone(),
            device_id: self.device_id.clone(),
            command,
            description: None,
        }
    }

    /// Lists the device's commands.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// let page = commands.list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListCommands {
        ListCommands {
            client: self.client.clone(),
            device_id: self.device_id.clone(),
            page_limit: None,
            page_token: None,
        }
    }

    /// Fetches one command.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// let command = commands.get("8c1e9a52-4f3b-4d7e-9a61-2b7f0c3d5e84").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self, command_id: impl Into<String>) -> GetCommand {
        GetCommand {
            client: self.client.clone(),
            device_id: self.device_id.clone(),
            command_id: command_id.into(),
        }
    }

    /// Follows a command until the device has answered it (any status but PENDING and
    /// IN_PROGRESS: the end names are not documented), with progress and a deadline: see
    /// [`Wait`].
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use std::time::Duration;
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// let command = commands
    ///     .wait("8c1e9a52-4f3b-4d7e-9a61-2b7f0c3d5e84")
    ///     .deadline(Duration::from_secs(600))
    ///     .send()
    ///     .await?;
    /// println!("{}: {:?}", command.status, command.response);
    /// # Ok(())
    /// # }
    /// ```
    pub fn wait(&self, command_id: impl Into<String>) -> Wait<ProvisioningCommand> {
        let (commands, id) = (self.clone(), command_id.into());
        Wait::new(
            ops::provisioning::FETCH_DEVICE_PROVISIONING_COMMAND
                .operation()
                .operation_id,
            move || commands.get(id.clone()).send(),
            |c| c.status.is_terminal(),
            |c| c.status.to_string(),
        )
    }

    /// Discards a command.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// commands.delete("8c1e9a52-4f3b-4d7e-9a61-2b7f0c3d5e84").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn delete(&self, command_id: impl Into<String>) -> DeleteCommand {
        DeleteCommand {
            client: self.client.clone(),
            device_id: self.device_id.clone(),
            command_id: command_id.into(),
        }
    }
}

/// Builder of [`ProvisioningCommands::create`].
#[derive(Clone, Debug)]
pub struct CreateCommand {
    client: Client,
    device_id: String,
    command: Command,
    description: Option<String>,
}

impl CreateCommand {
    /// A description.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use nrfcloud::provisioning::Command;
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// let req = commands.create(Command::Finished).description("end of field-test provisioning");
    /// # }
    /// ```
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Queues the command and returns its id.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client, ca_pem: String) -> nrfcloud::Result<()> {
    /// use nrfcloud::provisioning::Command;
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// let ca = Command::ServerCertificate { sec_tag: 16842753, content: ca_pem };
    /// let id = commands.create(ca).description("field-test CA").send().await?;
    /// println!("queued command {id}");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<String> {
        let call = self
            .client
            .call(ops::provisioning::CREATE_DEVICE_PROVISIONING_COMMAND);
        let body = types::ProvisioningCommandRequest {
            description: self.description,
            request: self.command.to_kind(call.operation())?,
        };
        let request = call
            .raw
            .create_device_provisioning_command()
            .device_id(self.device_id.as_str())
            .body(body);
        Ok(call.run(request.send()).await?.id)
    }
}

/// Builder of [`ProvisioningCommands::list`].
#[derive(Clone, Debug)]
pub struct ListCommands {
    client: Client,
    device_id: String,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListCommands => ProvisioningCommand, ops::provisioning::LIST_DEVICE_PROVISIONING_COMMANDS,
    r#"client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41").list()"#,
    /// Every command, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// let mut commands = commands.list().stream();
    /// while let Some(command) = commands.try_next().await? {
    ///     println!("{}: {}", command.id, command.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListCommands {
    async fn fetch(self, token: Option<String>) -> Result<Page<ProvisioningCommand>> {
        let call = self
            .client
            .call(ops::provisioning::LIST_DEVICE_PROVISIONING_COMMANDS);
        let mut request = call
            .raw
            .list_device_provisioning_commands()
            .device_id(self.device_id.as_str());
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        page_of(call.run(request.send()).await, |c| Ok::<_, Error>(c.into()))
    }
}

/// Builder of [`ProvisioningCommands::get`].
#[derive(Clone, Debug)]
pub struct GetCommand {
    client: Client,
    device_id: String,
    command_id: String,
}

impl GetCommand {
    /// Fetches the command.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// let command = commands.get("8c1e9a52-4f3b-4d7e-9a61-2b7f0c3d5e84").send().await?;
    /// println!("{}: {:?}", command.status, command.response);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<ProvisioningCommand> {
        let call = self
            .client
            .call(ops::provisioning::FETCH_DEVICE_PROVISIONING_COMMAND);
        let request = call
            .raw
            .fetch_device_provisioning_command()
            .device_id(self.device_id.as_str())
            .command_id(self.command_id);
        Ok(call.run(request.send()).await?.into())
    }
}

/// Builder of [`ProvisioningCommands::delete`].
#[derive(Clone, Debug)]
pub struct DeleteCommand {
    client: Client,
    device_id: String,
    command_id: String,
}

impl DeleteCommand {
    /// Discards the command.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let commands = client.provisioning().commands("50363954-3731-4d32-80a2-1d1c3b2f0a41");
    /// commands.delete("8c1e9a52-4f3b-4d7e-9a61-2b7f0c3d5e84").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let call = self
            .client
            .call(ops::provisioning::DELETE_DEVICE_PROVISIONING_COMMAND);
        let request = call
            .raw
            .delete_device_provisioning_command()
            .device_id(self.device_id.as_str())
            .command_id(self.command_id);
        call.run_delete(request.send()).await
    }
}

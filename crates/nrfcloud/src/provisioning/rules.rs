//! Provisioning rules: commands queued automatically for devices claimed with a tag.

use nrfcloud_api::ops;
use nrfcloud_api::provisioning::types::{self, ProvisioningRule};

use super::{Command, typed};
use crate::{
    Client,
    error::{Error, Result},
    pagination::{self, Page, page_of},
};

/// A rule to create or replace: a unique name, the tags it targets and its commands.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RuleSpec {
    name: String,
    tags: Vec<String>,
    commands: Vec<(Command, Option<String>)>,
    description: Option<String>,
    active: Option<bool>,
}

impl RuleSpec {
    /// A rule named `name` for devices claimed with any of `tags`.
    ///
    /// ```
    /// use nrfcloud::provisioning::{Command, RuleSpec};
    /// let rule = RuleSpec::new("field-test-keys", ["field-test"]).command(Command::Finished);
    /// ```
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(
        name: impl Into<String>,
        tags: I,
    ) -> Self {
        Self {
            name: name.into(),
            tags: tags.into_iter().map(Into::into).collect(),
            commands: Vec::new(),
            description: None,
            active: None,
        }
    }

    /// Appends a command.
    ///
    /// ```
    /// use nrfcloud::provisioning::{Command, RuleSpec};
    /// let rule = RuleSpec::new("field-test-keys", ["field-test"])
    ///     .command(Command::CloudAccessKeyGeneration { sec_tag: 16842753 })
    ///     .command(Command::Finished);
    /// ```
    pub fn command(mut self, command: Command) -> Self {
        self.commands.push((command, None));
        self
    }

    /// Appends a command with a description.
    ///
    /// ```
    /// use nrfcloud::provisioning::{Command, RuleSpec};
    /// let keygen = Command::CloudAccessKeyGeneration { sec_tag: 16842753 };
    /// let rule = RuleSpec::new("field-test-keys", ["field-test"])
    ///     .described_command(keygen, "key pair for JWT auth");
    /// ```
    pub fn described_command(mut self, command: Command, description: impl Into<String>) -> Self {
        self.commands.push((command, Some(description.into())));
        self
    }

    /// A description.
    ///
    /// ```
    /// use nrfcloud::provisioning::{Command, RuleSpec};
    /// let rule = RuleSpec::new("field-test-keys", ["field-test"])
    ///     .description("keys for the field-test fleet");
    /// ```
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Whether the rule is active (rules start as drafts).
    ///
    /// ```
    /// use nrfcloud::provisioning::{Command, RuleSpec};
    /// let rule = RuleSpec::new("field-test-keys", ["field-test"])
    ///     .command(Command::Finished)
    ///     .active(true);
    /// ```
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }

    fn to_request(&self, operation: &'static str) -> Result<types::ProvisioningRuleRequest> {
        let commands = self
            .commands
            .iter()
            .map(|(c, description)| {
                Ok(types::ProvisioningRuleCommand {
                    description: description.clone(),
                    request: c.to_kind(operation)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let tags = self
            .tags
            .iter()
            .map(|t| {
                typed::<types::ProvisioningRuleRequestTagsItem, _>(operation, "tag", t.as_str())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(types::ProvisioningRuleRequest {
            active: self.active,
            commands,
            description: self.description.clone(),
            name: self.name.clone(),
            tags,
        })
    }
}

/// The rules handle: `client.provisioning().rules()`.
#[derive(Clone, Debug)]
pub struct ProvisioningRules {
    client: Client,
}

impl ProvisioningRules {
    pub(super) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Creates a rule.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::provisioning::{Command, RuleSpec};
    /// let rule = RuleSpec::new("field-test-keys", ["field-test"]).command(Command::Finished);
    /// let created = client.provisioning().rules().create(rule).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn create(&self, rule: RuleSpec) -> SaveRule {
        SaveRule {
            client: self.client.clone(),
            rule_id: None,
            rule,
        }
    }

    /// Replaces a rule (drafts only; an active rule cannot be edited).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::provisioning::{Command, RuleSpec};
    /// let tags = ["field-test", "warehouse"];
    /// let rule = RuleSpec::new("field-test-keys", tags).command(Command::Finished);
    /// let rules = client.provisioning().rules();
    /// rules.update("3f6d2c1a-7b8e-4a90-b5c4-e1d2f3a4b5c6", rule).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn update(&self, rule_id: impl Into<String>, rule: RuleSpec) -> SaveRule {
        SaveRule {
            client: self.client.clone(),
            rule_id: Some(rule_id.into()),
            rule,
        }
    }

    /// Lists rules.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.provisioning().rules().list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListRules {
        ListRules {
            client: self.client.clone(),
            page_limit: None,
            page_token: None,
        }
    }

    /// Fetches one rule.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let rules = client.provisioning().rules();
    /// let rule = rules.get("3f6d2c1a-7b8e-4a90-b5c4-e1d2f3a4b5c6").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self, rule_id: impl Into<String>) -> GetRule {
        GetRule {
            client: self.client.clone(),
            rule_id: rule_id.into(),
        }
    }

    /// Deletes a rule.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.provisioning().rules().delete("3f6d2c1a-7b8e-4a90-b5c4-e1d2f3a4b5c6").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn delete(&self, rule_id: impl Into<String>) -> DeleteRule {
        DeleteRule {
            client: self.client.clone(),
            rule_id: rule_id.into(),
        }
    }
}

/// Builder of [`ProvisioningRules::create`] and [`ProvisioningRules::update`].
#[derive(Clone, Debug)]
pub struct SaveRule {
    client: Client,
    rule_id: Option<String>,
    rule: RuleSpec,
}

impl SaveRule {
    /// Saves the rule; a created rule is returned as the service stored it, an update returns
    /// `None`.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use nrfcloud::provisioning::{Command, RuleSpec};
    /// let rule = RuleSpec::new("field-test-keys", ["field-test"]).command(Command::Finished);
    /// if let Some(created) = client.provisioning().rules().create(rule).send().await? {
    ///     println!("rule {:?}", created.id);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<Option<ProvisioningRule>> {
        match self.rule_id {
            None => {
                let call = self
                    .client
                    .call(ops::provisioning::CREATE_PROVISIONING_RULE);
                let body = self.rule.to_request(call.operation())?;
                let created = call
                    .run(call.raw.create_provisioning_rule().body(body).send())
                    .await?;
                Ok(Some(created))
            }
            Some(id) => {
                let call = self
                    .client
                    .call(ops::provisioning::UPDATE_PROVISIONING_RULE);
                let body = self.rule.to_request(call.operation())?;
                let request = call.raw.update_provisioning_rule().rule_id(id).body(body);
                call.run(request.send()).await?;
                Ok(None)
            }
        }
    }
}

/// Builder of [`ProvisioningRules::list`].
#[derive(Clone, Debug)]
pub struct ListRules {
    client: Client,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListRules => ProvisioningRule, ops::provisioning::LIST_PROVISIONING_RULES, "client.provisioning().rules().list()",
    /// Every rule, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut rules = client.provisioning().rules().list().stream();
    /// while let Some(rule) = rules.try_next().await? {
    ///     println!("{:?}: {:?}", rule.name, rule.tags);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListRules {
    async fn fetch(self, token: Option<String>) -> Result<Page<ProvisioningRule>> {
        let call = self.client.call(ops::provisioning::LIST_PROVISIONING_RULES);
        let mut request = call.raw.list_provisioning_rules();
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        page_of(call.run(request.send()).await, Ok::<_, Error>)
    }
}

/// Builder of [`ProvisioningRules::get`].
#[derive(Clone, Debug)]
pub struct GetRule {
    client: Client,
    rule_id: String,
}

impl GetRule {
    /// Fetches the rule.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let rules = client.provisioning().rules();
    /// let rule = rules.get("3f6d2c1a-7b8e-4a90-b5c4-e1d2f3a4b5c6").send().await?;
    /// println!("{:?} is active: {:?}", rule.name, rule.active);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<ProvisioningRule> {
        let call = self.client.call(ops::provisioning::FETCH_PROVISIONING_RULE);
        call.run(
            call.raw
                .fetch_provisioning_rule()
                .rule_id(self.rule_id)
                .send(),
        )
        .await
    }
}

/// Builder of [`ProvisioningRules::delete`].
#[derive(Clone, Debug)]
pub struct DeleteRule {
    client: Client,
    rule_id: String,
}

impl DeleteRule {
    /// Deletes the rule.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.provisioning().rules().delete("3f6d2c1a-7b8e-4a90-b5c4-e1d2f3a4b5c6").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let call = self
            .client
            .call(ops::provisioning::DELETE_PROVISIONING_RULE);
        call.run_delete(
            call.raw
                .delete_provisioning_rule()
                .rule_id(self.rule_id)
                .send(),
        )
        .await
    }
}

//! Provisioning tags: the groups that provisioning rules target.

use nrfcloud_api::ops;
use nrfcloud_api::provisioning::types::{self, ProvisioningTag};

use super::typed;
use crate::{
    Client,
    error::{Error, Result},
    pagination::{self, Page, page_of},
    paths::TagPaths,
};

/// The provisioning-tags handle: `client.provisioning().tags()`.
#[derive(Clone, Debug)]
pub struct ProvisioningTags {
    client: Client,
}

impl ProvisioningTags {
    pub(super) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Creates a tag (at most 100 characters).
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let tag = client.provisioning().tags().create("field-test").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn create(&self, tag: impl Into<String>) -> CreateTag {
        CreateTag {
            client: self.client.clone(),
            tag: tag.into(),
            description: None,
        }
    }

    /// Lists tags.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.provisioning().tags().list().send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListTags {
        ListTags {
            client: self.client.clone(),
            page_limit: None,
            page_token: None,
        }
    }

    /// Fetches a tag by id.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let tags = client.provisioning().tags();
    /// let tag = tags.get("b2a4c6e8-1d3f-4a5b-8c7d-9e0f1a2b3c4d").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get(&self, tag_id: impl Into<String>) -> GetTag {
        GetTag {
            client: self.client.clone(),
            tag_id: tag_id.into(),
        }
    }

    /// Renames a tag on every device that carries it.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let tags = client.provisioning().tags();
    /// tags.update("b2a4c6e8-1d3f-4a5b-8c7d-9e0f1a2b3c4d", "field-test-2").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn update(&self, tag_id: impl Into<String>, tag: impl Into<String>) -> UpdateTag {
        UpdateTag {
            client: self.client.clone(),
            tag_id: tag_id.into(),
            tag: tag.into(),
            description: None,
        }
    }

    /// Deletes a tag, removing it from every claimed device.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.provisioning().tags().delete("b2a4c6e8-1d3f-4a5b-8c7d-9e0f1a2b3c4d").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn delete(&self, tag_id: impl Into<String>) -> DeleteTag {
        DeleteTag {
            client: self.client.clone(),
            tag_id: tag_id.into(),
        }
    }
}

fn body(
    operation: &'static str,
    tag: &str,
    description: Option<String>,
) -> Result<types::ProvisioningTagRequest> {
    Ok(types::ProvisioningTagRequest {
        tag: typed(operation, "tag", tag)?,
        description,
    })
}

/// Builder of [`ProvisioningTags::create`].
#[derive(Clone, Debug)]
pub struct CreateTag {
    client: Client,
    tag: String,
    description: Option<String>,
}

impl CreateTag {
    /// A description.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let tags = client.provisioning().tags();
    /// let req = tags.create("field-test").description("Devices on field trial");
    /// # }
    /// ```
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Creates the tag.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let tags = client.provisioning().tags();
    /// let tag = tags.create("field-test").description("Devices on field trial").send().await?;
    /// println!("tag id {:?}", tag.id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<ProvisioningTag> {
        match self.client.paths().tags {
            TagPaths::ClaimedDevices => {
                let call = self.client.call(ops::provisioning::CREATE_PROVISIONING_TAG);
                let body = body(call.operation(), &self.tag, self.description)?;
                call.run(call.raw.create_provisioning_tag().body(body).send())
                    .await
            }
            TagPaths::Provisioning => {
                let call = self
                    .client
                    .call(ops::provisioning::CREATE_PROVISIONING_TAG_UTILS);
                let body = body(call.operation(), &self.tag, self.description)?;
                call.run(call.raw.create_provisioning_tag_utils().body(body).send())
                    .await
            }
        }
    }
}

/// Builder of [`ProvisioningTags::list`].
#[derive(Clone, Debug)]
pub struct ListTags {
    client: Client,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListTags => ProvisioningTag, ops::provisioning::LIST_PROVISIONING_TAGS, "client.provisioning().tags().list()",
    /// Every tag, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut tags = client.provisioning().tags().list().stream();
    /// while let Some(tag) = tags.try_next().await? {
    ///     println!("{:?}: {:?}", tag.id, tag.tag);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListTags {
    async fn fetch(self, token: Option<String>) -> Result<Page<ProvisioningTag>> {
        let limit = pagination::page_limit(self.page_limit);
        match self.client.paths().tags {
            TagPaths::ClaimedDevices => {
                let call = self.client.call(ops::provisioning::LIST_PROVISIONING_TAGS);
                let mut request = call.raw.list_provisioning_tags();
                if let Some(limit) = limit {
                    request = request.page_limit(limit);
                }
                if let Some(token) = token {
                    request = request.page_next_token(token);
                }
                page_of(call.run(request.send()).await, Ok::<_, Error>)
            }
            TagPaths::Provisioning => {
                let call = self
                    .client
                    .call(ops::provisioning::LIST_PROVISIONING_TAGS_UTILS);
                let mut request = call.raw.list_provisioning_tags_utils();
                if let Some(limit) = limit {
                    request = request.page_limit(limit);
                }
                if let Some(token) = token {
                    request = request.page_next_token(token);
                }
                page_of(call.run(request.send()).await, Ok::<_, Error>)
            }
        }
    }
}

/// Builder of [`ProvisioningTags::get`].
#[derive(Clone, Debug)]
pub struct GetTag {
    client: Client,
    tag_id: String,
}

impl GetTag {
    /// Fetches the tag.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let tags = client.provisioning().tags();
    /// let tag = tags.get("b2a4c6e8-1d3f-4a5b-8c7d-9e0f1a2b3c4d").send().await?;
    /// println!("{:?}: {:?}", tag.tag, tag.description);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<ProvisioningTag> {
        let call = self.client.call(ops::provisioning::FETCH_PROVISIONING_TAG);
        call.run(call.raw.fetch_provisioning_tag().tag_id(self.tag_id).send())
            .await
    }
}

/// Builder of [`ProvisioningTags::update`].
#[derive(Clone, Debug)]
pub struct UpdateTag {
    client: Client,
    tag_id: String,
    tag: String,
    description: Option<String>,
}

impl UpdateTag {
    /// A new description.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let tags = client.provisioning().tags();
    /// let req = tags.update("b2a4c6e8-1d3f-4a5b-8c7d-9e0f1a2b3c4d", "field-test");
    /// let req = req.description("Devices on field trial");
    /// # }
    /// ```
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Updates the tag.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let tags = client.provisioning().tags();
    /// let update = tags.update("b2a4c6e8-1d3f-4a5b-8c7d-9e0f1a2b3c4d", "field-test-2");
    /// update.description("Second field trial").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let call = self.client.call(ops::provisioning::UPDATE_PROVISIONING_TAG);
        let body = body(call.operation(), &self.tag, self.description)?;
        let request = call
            .raw
            .update_provisioning_tag()
            .tag_id(self.tag_id)
            .body(body);
        call.run(request.send()).await
    }
}

/// Builder of [`ProvisioningTags::delete`].
#[derive(Clone, Debug)]
pub struct DeleteTag {
    client: Client,
    tag_id: String,
}

impl DeleteTag {
    /// Deletes the tag.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// client.provisioning().tags().delete("b2a4c6e8-1d3f-4a5b-8c7d-9e0f1a2b3c4d").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let call = self.client.call(ops::provisioning::DELETE_PROVISIONING_TAG);
        call.run_delete(
            call.raw
                .delete_provisioning_tag()
                .tag_id(self.tag_id)
                .send(),
        )
        .await
    }
}

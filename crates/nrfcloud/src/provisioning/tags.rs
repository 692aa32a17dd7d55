//! Provisioning tags: the groups that provisioning rules target.

use nrfcloud_api::provisioning::types::{self, ProvisioningTag};

use super::typed;
use crate::{
    Client,
    error::{Error, Result},
    pagination::{self, Page, page_of},
};

/// Which paths list and create tags: the sources disagree (provisioning-api.md §2.2,
/// \[CONFLICT\]) and both may exist. Fetch, update and delete are documented only under
/// `/claimed-devices/tags/{id}` and always use it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagPaths {
    /// `/claimed-devices/tags`, as in the claiming guide (the documentation).
    #[default]
    Docs,
    /// `/provisioning/tags`, as in Nordic's nrfcloud-utils (`nrf_cloud_diap.py`, 2025-07).
    Utils,
}

/// The provisioning-tags handle: `client.provisioning().tags()`.
#[derive(Clone, Debug)]
pub struct ProvisioningTags {
    client: Client,
    paths: TagPaths,
}

impl ProvisioningTags {
    pub(super) fn new(client: Client) -> Self {
        Self {
            client,
            paths: TagPaths::default(),
        }
    }

    /// Uses these paths to list and create tags.
    pub fn paths(mut self, paths: TagPaths) -> Self {
        self.paths = paths;
        self
    }

    /// Creates a tag (at most 100 characters).
    pub fn create(&self, tag: impl Into<String>) -> CreateTag {
        CreateTag {
            client: self.client.clone(),
            paths: self.paths,
            tag: tag.into(),
            description: None,
        }
    }

    /// Lists tags.
    pub fn list(&self) -> ListTags {
        ListTags {
            client: self.client.clone(),
            paths: self.paths,
            page_limit: None,
            page_token: None,
        }
    }

    /// Fetches a tag by id.
    pub fn get(&self, tag_id: impl Into<String>) -> GetTag {
        GetTag {
            client: self.client.clone(),
            tag_id: tag_id.into(),
        }
    }

    /// Renames a tag on every device that carries it.
    pub fn update(&self, tag_id: impl Into<String>, tag: impl Into<String>) -> UpdateTag {
        UpdateTag {
            client: self.client.clone(),
            tag_id: tag_id.into(),
            tag: tag.into(),
            description: None,
        }
    }

    /// Deletes a tag, removing it from every claimed device.
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
    paths: TagPaths,
    tag: String,
    description: Option<String>,
}

impl CreateTag {
    /// A description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Creates the tag.
    pub async fn send(self) -> Result<ProvisioningTag> {
        match self.paths {
            TagPaths::Docs => {
                let call = self.client.provisioning_call("create_provisioning_tag")?;
                let body = body(call.operation(), &self.tag, self.description)?;
                call.run(call.raw.create_provisioning_tag().body(body).send())
                    .await
            }
            TagPaths::Utils => {
                let call = self
                    .client
                    .provisioning_call("create_provisioning_tag_utils")?;
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
    paths: TagPaths,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListTags => ProvisioningTag, "ListProvisioningTags",
    /// Every tag, as a lazy stream.
}

impl ListTags {
    async fn fetch(self, token: Option<String>) -> Result<Page<ProvisioningTag>> {
        let limit = pagination::page_limit(self.page_limit);
        match self.paths {
            TagPaths::Docs => {
                let call = self.client.provisioning_call("list_provisioning_tags")?;
                let mut request = call.raw.list_provisioning_tags();
                if let Some(limit) = limit {
                    request = request.page_limit(limit);
                }
                if let Some(token) = token {
                    request = request.page_next_token(token);
                }
                page_of(call.run(request.send()).await, Ok::<_, Error>)
            }
            TagPaths::Utils => {
                let call = self
                    .client
                    .provisioning_call("list_provisioning_tags_utils")?;
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
    pub async fn send(self) -> Result<ProvisioningTag> {
        let call = self.client.provisioning_call("fetch_provisioning_tag")?;
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
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Updates the tag.
    pub async fn send(self) -> Result<()> {
        let call = self.client.provisioning_call("update_provisioning_tag")?;
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
    pub async fn send(self) -> Result<()> {
        let call = self.client.provisioning_call("delete_provisioning_tag")?;
        call.run(
            call.raw
                .delete_provisioning_tag()
                .tag_id(self.tag_id)
                .send(),
        )
        .await
    }
}

//! Device messages (REST `Messages`): list what devices sent, by device, app id or topic and
//! time range, and publish a message on a device's behalf.
//!
//! The service keeps messages for 30 days, so a list covers the last 30 days unless given a
//! range. \[CONFLICT\] cloud-api-facts.md §6.1: the message guide says the range "must" be set,
//! the REST document marks it optional; a list always sends one.

use chrono::{DateTime, Duration, Utc};
use nrfcloud_api::{ops, rest::types};
use serde_json::{Value, json};

use crate::{
    Client,
    devices::check_id,
    error::{Error, Result},
    pagination::{self, Page, page_of},
};

/// How long the service keeps messages, and so the range a list covers by default.
pub const RETENTION: Duration = Duration::days(30);

/// How far past "now" the default range ends.
const CLOCK_MARGIN: Duration = Duration::minutes(5);

/// The longest app id, in characters.
pub const MAX_APP_ID_CHARS: usize = 64;

/// A stored device message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Message {
    /// The device it came from (`N/A` for messages the cloud itself sent).
    pub device_id: Option<String>,
    /// Its MQTT topic.
    pub topic: Option<String>,
    /// When the cloud received it (\[CONFLICT\]: an RFC 3339 string or Unix milliseconds; both
    /// are read).
    pub received_at: Option<DateTime<Utc>>,
    /// The message: usually an object such as `{"appId": "TEMP", "messageType": "DATA",
    /// "data": "21.5"}`, possibly an array or a string.
    pub message: Value,
    /// The team.
    pub tenant_id: Option<String>,
}

impl Message {
    /// The message's `appId`, when it is an object with one.
    ///
    /// ```
    /// # fn f(message: nrfcloud::messages::Message) {
    /// if message.app_id() == Some("GNSS") {
    ///     println!("{}", message.message["data"]);
    /// }
    /// # }
    /// ```
    pub fn app_id(&self) -> Option<&str> {
        self.message.get("appId").and_then(Value::as_str)
    }
}

impl From<types::DeviceMessage> for Message {
    fn from(m: types::DeviceMessage) -> Self {
        Self {
            device_id: m.device_id,
            topic: m.topic,
            received_at: m.received_at.and_then(|t| t.as_datetime()),
            message: m.message.unwrap_or(Value::Null),
            tenant_id: m.tenant_id,
        }
    }
}

/// The order of a list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SortOrder {
    /// Oldest first.
    Ascending,
    /// Newest first (the service's default).
    #[default]
    Descending,
}

/// The messages handle: `client.messages()`.
#[derive(Clone, Debug)]
pub struct Messages {
    client: Client,
}

impl Client {
    /// Device messages.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let messages = client.messages();
    /// # }
    /// ```
    pub fn messages(&self) -> Messages {
        Messages {
            client: self.clone(),
        }
    }
}

impl Messages {
    /// Lists messages of the last 30 days (to a few minutes past now, for clock skew), newest
    /// first, unless narrowed.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let page = client.messages().list().device_id("nrf-352656100123456").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(&self) -> ListMessages {
        let now = Utc::now();
        ListMessages {
            client: self.client.clone(),
            device_id: None,
            app_id: None,
            topic: None,
            start: now - RETENTION,
            // A little ahead: the end is exclusive, the service may round it to milliseconds,
            // and its clock may run ahead of this one; no message arrives from the future.
            end: now + CLOCK_MARGIN,
            sort: SortOrder::Descending,
            page_limit: None,
            page_token: None,
        }
    }

    /// Publishes `message` (an object, an array of objects, or a string) on behalf of a
    /// device, as if the device had sent it.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use serde_json::json;
    /// let message = json!({"appId": "TEMP", "messageType": "DATA", "data": "21.5"});
    /// client
    ///     .messages()
    ///     .send("nrf-352656100123456", message)
    ///     .topic("d/nrf-352656100123456/d2c")
    ///     .send()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn send(&self, device_id: impl Into<String>, message: Value) -> SendMessage {
        SendMessage {
            client: self.client.clone(),
            device_id: device_id.into(),
            message,
            topic: None,
        }
    }
}

/// Builder of [`Messages::list`].
#[derive(Clone, Debug)]
pub struct ListMessages {
    client: Client,
    device_id: Option<String>,
    app_id: Option<String>,
    topic: Option<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    sort: SortOrder,
    page_limit: Option<u32>,
    page_token: Option<String>,
}

crate::pagination::list_builder! {
    ListMessages => Message, ops::rest::LIST_MESSAGES, "client.messages().list()",
    /// Every message in the range, as a lazy stream.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut messages = client.messages().list().app_id("GNSS").page_limit(100).stream();
    /// while let Some(m) = messages.try_next().await? {
    ///     println!("{:?} {:?}: {}", m.received_at, m.device_id, m.message);
    /// }
    /// # Ok(())
    /// # }
    /// ```
}

impl ListMessages {
    /// Only messages of this device.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let list = client.messages().list().device_id("nrf-352656100123456");
    /// # }
    /// ```
    pub fn device_id(mut self, device_id: impl Into<String>) -> Self {
        self.device_id = Some(device_id.into());
        self
    }

    /// Only messages whose `appId` is this. The service cannot filter by app id and topic
    /// together: such a list is refused before sending.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let list = client.messages().list().app_id("GNSS");
    /// # }
    /// ```
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// Only messages on this topic.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let list = client.messages().list().topic("d/nrf-352656100123456/d2c");
    /// # }
    /// ```
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Only messages received from `start` (inclusive) until `end` (exclusive).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use chrono::{Duration, Utc};
    /// let end = Utc::now();
    /// let list = client.messages().list().between(end - Duration::hours(24), end);
    /// # }
    /// ```
    pub fn between(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.start = start;
        self.end = end;
        self
    }

    /// Oldest or newest first (default newest).
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// use nrfcloud::messages::SortOrder;
    /// let list = client.messages().list().sort(SortOrder::Ascending);
    /// # }
    /// ```
    pub fn sort(mut self, order: SortOrder) -> Self {
        self.sort = order;
        self
    }

    async fn fetch(self, token: Option<String>) -> Result<Page<Message>> {
        let call = self.client.call(ops::rest::LIST_MESSAGES);
        let invalid = |m: String| Error::invalid_request(call.operation(), m);
        if self.app_id.is_some() && self.topic.is_some() {
            return Err(invalid(
                "the service cannot filter messages by app id and topic together; filter by \
                 one and check the other"
                    .into(),
            ));
        }
        if self.start >= self.end {
            return Err(invalid(format!(
                "the range is empty: start {} is not before end {}",
                self.start, self.end
            )));
        }
        let mut request = call
            .raw
            .list_messages()
            .inclusive_start(self.start)
            .exclusive_end(self.end)
            .page_sort(match self.sort {
                SortOrder::Ascending => types::PageSort::Asc,
                SortOrder::Descending => types::PageSort::Desc,
            });
        if let Some(id) = self.device_id {
            check_id(call.operation(), &id)?;
            request = request.device_id(id);
        }
        if let Some(app_id) = self.app_id {
            if app_id.chars().count() > MAX_APP_ID_CHARS {
                return Err(invalid(format!(
                    "app id {app_id:?} is longer than {MAX_APP_ID_CHARS} characters"
                )));
            }
            request = request.app_id(app_id);
        }
        if let Some(topic) = self.topic {
            request = request.topic(topic);
        }
        if let Some(limit) = pagination::page_limit(self.page_limit) {
            request = request.page_limit(limit);
        }
        if let Some(token) = token {
            request = request.page_next_token(token);
        }
        page_of(call.run(request.send()).await, |m| Ok::<_, Error>(m.into()))
    }
}

/// Builder of [`Messages::send`].
#[derive(Clone, Debug)]
pub struct SendMessage {
    client: Client,
    device_id: String,
    message: Value,
    topic: Option<String>,
}

/// The device id a device topic names: `d/<id>/…` (sdk-nrf) or `m/d/<id>/…` (the REST
/// guide's example; \[CONFLICT\] cloud-api-facts.md §6.2, both are accepted).
fn topic_device(topic: &str) -> Option<&str> {
    let rest = topic
        .strip_prefix("m/d/")
        .or_else(|| topic.strip_prefix("d/"))?;
    rest.split('/').next()
}

impl SendMessage {
    /// The MQTT topic, e.g. `d/<deviceId>/d2c` (relative: the service adds the team prefix).
    /// A device topic must name this device.
    ///
    /// ```no_run
    /// # fn f(client: nrfcloud::Client) {
    /// let send = client
    ///     .messages()
    ///     .send("nrf-352656100123456", serde_json::json!([{"appId": "TEMP", "data": "21.5"}]))
    ///     .topic("d/nrf-352656100123456/d2c/bulk");
    /// # }
    /// ```
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Publishes the message.
    ///
    /// ```no_run
    /// # async fn run(client: nrfcloud::Client) -> nrfcloud::Result<()> {
    /// let message = serde_json::json!({"appId": "TEMP", "messageType": "DATA", "data": "21.5"});
    /// client.messages().send("nrf-352656100123456", message).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(self) -> Result<()> {
        let call = self.client.call(ops::rest::SEND_DEVICE_MESSAGE);
        let invalid = |m: String| Error::invalid_request(call.operation(), m);
        check_id(call.operation(), &self.device_id)?;
        if let Some(other) = self
            .topic
            .as_deref()
            .and_then(topic_device)
            .filter(|id| *id != self.device_id)
        {
            return Err(invalid(format!(
                "topic {:?} names device {other:?}, not {:?}",
                self.topic.as_deref().unwrap_or_default(),
                self.device_id
            )));
        }
        let mut body = json!({ "message": self.message });
        if let Some(topic) = self.topic {
            body["topic"] = json!(topic);
        }
        let body: types::DeviceMessageInput = serde_json::from_value(body).map_err(|e| {
            invalid(format!(
                "the message must be an object, an array of objects or a string ({e})"
            ))
        })?;
        let request = call
            .raw
            .send_device_message()
            .device_id(self.device_id)
            .body(body);
        call.run(request.send()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_topics_name_their_device() {
        assert_eq!(topic_device("d/nrf-1/d2c"), Some("nrf-1"));
        assert_eq!(topic_device("m/d/nrf-1/d2c/custom"), Some("nrf-1"));
        assert_eq!(topic_device("prod/tenant/a/b"), None);
    }
}

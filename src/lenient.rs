//! Types that decode what the live service sends where its document says otherwise.

use std::{borrow::Cow, fmt};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A number that the service may send as a JSON number (`59.9`) or as a string (`"59.9"`):
/// location-history coordinates arrive as strings. It keeps the form it came in, so it
/// serializes back unchanged, and never fails to decode: [`Number::as_f64`] says whether the
/// value is numeric.
///
/// ```
/// use nrfcloud_api::lenient::Number;
/// let quoted: Number = serde_json::from_str(r#""59.92335269""#).unwrap();
/// let plain: Number = serde_json::from_str("59.92335269").unwrap();
/// assert_eq!(quoted.as_f64(), Some(59.92335269));
/// assert_eq!(quoted.as_f64(), plain.as_f64());
/// assert_eq!(serde_json::to_string(&quoted).unwrap(), r#""59.92335269""#);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Number(Repr);

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    Number(serde_json::Number),
    Text(String),
}

impl Number {
    /// The value as an `f64`; `None` for a string that is no number.
    pub fn as_f64(&self) -> Option<f64> {
        match &self.0 {
            Repr::Number(n) => n.as_f64(),
            Repr::Text(t) => t.trim().parse().ok().filter(|v: &f64| v.is_finite()),
        }
    }

    /// Whether the service sent it as a string.
    pub fn was_quoted(&self) -> bool {
        matches!(self.0, Repr::Text(_))
    }
}

impl From<f64> for Number {
    fn from(v: f64) -> Self {
        Self(match serde_json::Number::from_f64(v) {
            Some(n) => Repr::Number(n),
            None => Repr::Text(v.to_string()),
        })
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Number(n) => n.fmt(f),
            Repr::Text(t) => f.write_str(t),
        }
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Number(n) => n.serialize(s),
            Repr::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Number(serde_json::Number),
            Text(String),
        }
        Ok(Self(match Wire::deserialize(d)? {
            Wire::Number(n) => Repr::Number(n),
            Wire::Text(t) => Repr::Text(t),
        }))
    }
}

impl schemars::JsonSchema for Number {
    fn schema_name() -> String {
        "LenientNumber".into()
    }

    fn schema_id() -> Cow<'static, str> {
        Cow::Borrowed("nrfcloud_api::lenient::Number")
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        use schemars::schema::{InstanceType, SchemaObject, SubschemaValidation};
        let _ = generator;
        let of = |t| SchemaObject {
            instance_type: Some(t),
            ..Default::default()
        };
        SchemaObject {
            subschemas: Some(Box::new(SubschemaValidation {
                any_of: Some(vec![
                    of(InstanceType::Number.into()).into(),
                    of(InstanceType::String.into()).into(),
                ]),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

/// A point in time that the service may send as an RFC 3339 string
/// (`"2026-12-01T09:30:00.000Z"`) or as Unix milliseconds (`1796117400000`): the two forms the
/// sources give for a device message's `receivedAt`. Like [`Number`] it keeps the form it came
/// in and never fails to decode; [`Timestamp::as_datetime`] says whether it is a time.
///
/// ```
/// use nrfcloud_api::lenient::Timestamp;
/// let text: Timestamp = serde_json::from_str(r#""2026-12-01T09:30:00.000Z""#).unwrap();
/// let millis: Timestamp = serde_json::from_str("1796117400000").unwrap();
/// assert_eq!(text.as_datetime(), millis.as_datetime());
/// assert_eq!(serde_json::to_string(&millis).unwrap(), "1796117400000");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Timestamp(Repr);

impl Timestamp {
    /// The time, in UTC; `None` for a value that is neither an RFC 3339 string nor a whole
    /// number of milliseconds in chrono's range.
    pub fn as_datetime(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match &self.0 {
            Repr::Number(n) => n
                .as_i64()
                .and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_millis),
            Repr::Text(t) => chrono::DateTime::parse_from_rfc3339(t.trim())
                .ok()
                .map(|t| t.to_utc()),
        }
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Timestamp {
    fn from(t: chrono::DateTime<chrono::Utc>) -> Self {
        Self(Repr::Text(
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        ))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Number(n) => n.fmt(f),
            Repr::Text(t) => f.write_str(t),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Number(n) => n.serialize(s),
            Repr::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(Number::deserialize(d)?.0))
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> String {
        "LenientTimestamp".into()
    }

    fn schema_id() -> Cow<'static, str> {
        Cow::Borrowed("nrfcloud_api::lenient::Timestamp")
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        Number::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::{Number, Timestamp};

    #[test]
    fn timestamps_decode_both_forms() {
        let expect = chrono::DateTime::parse_from_rfc3339("2026-12-01T09:30:00.250Z")
            .unwrap()
            .to_utc();
        for json in [r#""2026-12-01T09:30:00.250Z""#, "1796117400250"] {
            let t: Timestamp = serde_json::from_str(json).unwrap();
            assert_eq!(t.as_datetime(), Some(expect), "{json}");
            assert_eq!(serde_json::to_string(&t).unwrap(), json);
        }
        let odd: Timestamp = serde_json::from_str(r#""yesterday""#).unwrap();
        assert_eq!(odd.as_datetime(), None);
        let fraction: Timestamp = serde_json::from_str("1.5").unwrap();
        assert_eq!(fraction.as_datetime(), None);
    }

    #[test]
    fn decodes_numbers_and_strings_and_keeps_their_form() {
        for (json, value, quoted) in [
            (r#""59.92335269""#, Some(59.92335269), true),
            ("10.78", Some(10.78), false),
            (r#""301""#, Some(301.0), true),
            ("301", Some(301.0), false),
            (r#""n/a""#, None, true),
            (r#""""#, None, true),
        ] {
            let n: Number = serde_json::from_str(json).unwrap();
            assert_eq!(n.as_f64(), value, "{json}");
            assert_eq!(n.was_quoted(), quoted, "{json}");
            assert_eq!(serde_json::to_string(&n).unwrap(), json);
        }
        assert!(serde_json::from_str::<Number>("true").is_err());
    }
}

//! The row rules, checked on the user's machine before anything is uploaded.

// Sources (`shared/docs/provisioning-api.md`):
//
// * claim token: the output of `AT%ATTESTTOKEN`, two base64url parts joined by `.` (§2.3);
// * claim tags: at most 100 characters (§2.5, S2). The claiming guide gives no character set,
//   so the REST API's device-tag set `^[a-zA-Z0-9_.@:#-]+$` (§4.3) is applied to them too: it
//   is what the simulator enforces, Nordic's `nrf-cloud-onboarding` fits it, and a tag outside
//   it could not be used as a device tag later;
// * onboarding rows (§4.3): device id `^[a-zA-Z0-9:_-]{1,128}$`, subType from
//   `[a-zA-Z0-9_.,@/:#-]` up to 799 characters (the spec's regex is unanchored, which would
//   accept anything; its evident intent is applied), tags `^[a-zA-Z0-9_.@:#-]+$` (no length
//   documented), firmware types from a closed list, and a PEM certificate or public key;
// * key and certificate rows (§4.4): device id and PEM.

use std::{borrow::Cow, collections::HashSet};

use serde::Serialize;

/// Most characters in a claim tag.
pub(crate) const MAX_CLAIM_TAG_LEN: usize = 100;

/// Most characters in an onboarding `subType`.
pub(crate) const MAX_SUB_TYPE_LEN: usize = 799;

/// Firmware types an onboarding row may list.
pub(crate) const FIRMWARE_TYPES: [&str; 6] = [
    "APP",
    "MODEM",
    "BOOT",
    "SOFTDEVICE",
    "BOOTLOADER",
    "MDM_FULL",
];

/// A problem with one row of the user's file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {reason}")]
#[non_exhaustive]
pub struct RowError {
    /// The 1-based line of the file where the row starts.
    pub line: u64,
    /// What is wrong. Never contains a claim token.
    pub reason: String,
}

impl RowError {
    pub(crate) fn new(line: u64, reason: impl Into<String>) -> Self {
        Self {
            line,
            reason: reason.into(),
        }
    }
}

/// Checks the shape of a claim token: two non-empty base64url parts joined by `.` (padding
/// `=` tolerated). The signature is the service's business.
pub(crate) fn check_claim_token(token: &str) -> Result<(), String> {
    // The fast path (one search for '.', two vectorised scans) runs on every row; the precise
    // message is worked out only for a bad token.
    if let Some((first, second)) = token.split_once('.')
        && is_part(first)
        && is_part(second)
    {
        return Ok(());
    }
    if token.is_empty() {
        return Err("the claim token is empty".into());
    }
    let parts = token.split('.').count();
    if parts != 2 {
        return Err(format!(
            "malformed claim token: expected two base64url parts joined by '.', found {parts} part(s)"
        ));
    }
    for (i, part) in token.split('.').enumerate() {
        if part.trim_end_matches('=').is_empty() {
            return Err(format!("malformed claim token: part {} is empty", i + 1));
        }
        if !is_part(part) {
            return Err(format!(
                "malformed claim token: part {} is not base64url",
                i + 1
            ));
        }
    }
    // Not reached: a token of two valid parts passed the fast path.
    Err("malformed claim token".into())
}

/// One non-empty base64url part, with at most two `=` of padding.
fn is_part(part: &str) -> bool {
    let unpadded = part.trim_end_matches('=');
    !unpadded.is_empty()
        && part.len() - unpadded.len() <= 2
        && unpadded.len() % 4 != 1
        && is_base64url(unpadded)
}

/// Branch-free over the bytes, so it vectorises: the check runs on every row of a file.
fn is_base64url(s: &str) -> bool {
    s.bytes().fold(true, |ok, b| {
        let alpha = (b | 0x20).wrapping_sub(b'a') < 26;
        let digit = b.wrapping_sub(b'0') < 10;
        ok & (alpha | digit | (b == b'-') | (b == b'_'))
    })
}

/// Checks one claim tag: 1 to 100 characters from `A-Z a-z 0-9 _ . @ : # -`.
pub(crate) fn check_claim_tag(tag: &str) -> Result<(), String> {
    check_device_tag(tag)?;
    // Only ASCII passed: bytes are characters.
    if tag.len() > MAX_CLAIM_TAG_LEN {
        return Err(format!(
            "tag {} is {} characters long; at most {MAX_CLAIM_TAG_LEN} are allowed",
            shown(tag),
            tag.len()
        ));
    }
    Ok(())
}

fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | ':' | '#' | '-')
}

/// Checks one device (onboarding) tag: `^[a-zA-Z0-9_.@:#-]+$`.
pub(crate) fn check_device_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err("a tag is empty".into());
    }
    // Branch-free over the bytes (every allowed character is ASCII), so it vectorises.
    let ascii_ok = tag.bytes().fold(true, |ok, b| {
        ok & (b.is_ascii_alphanumeric() | matches!(b, b'_' | b'.' | b'@' | b':' | b'#' | b'-'))
    });
    if ascii_ok {
        return Ok(());
    }
    match tag.chars().find(|c| !is_tag_char(*c)) {
        Some(c) => Err(format!(
            "tag {} contains {c:?}; tags use only A-Z a-z 0-9 _ . @ : # -",
            shown(tag)
        )),
        None => Ok(()),
    }
}

/// Checks a device id: `^[a-zA-Z0-9:_-]{1,128}$`.
pub(crate) fn check_device_id(id: &str) -> Result<(), String> {
    if crate::ids::is_device_id(id) {
        Ok(())
    } else if id.is_empty() {
        Err("the device id is empty".into())
    } else {
        Err(format!(
            "device id {} is not 1 to 128 characters from A-Z a-z 0-9 : _ -",
            shown(id)
        ))
    }
}

/// Checks an onboarding `subType` (may be empty).
pub(crate) fn check_sub_type(sub_type: &str) -> Result<(), String> {
    if sub_type.chars().count() > MAX_SUB_TYPE_LEN {
        return Err(format!(
            "subType is longer than {MAX_SUB_TYPE_LEN} characters"
        ));
    }
    match sub_type
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.,@/:#-".contains(*c)))
    {
        Some(c) => Err(format!(
            "subType {} contains {c:?}; it uses only A-Z a-z 0-9 _ . , @ / : # -",
            shown(sub_type)
        )),
        None => Ok(()),
    }
}

/// Checks an onboarding firmware type.
pub(crate) fn check_fw_type(fw_type: &str) -> Result<(), String> {
    if FIRMWARE_TYPES.contains(&fw_type) {
        Ok(())
    } else {
        Err(format!(
            "firmware type {} is not one of {}",
            shown(fw_type),
            FIRMWARE_TYPES.join(", ")
        ))
    }
}

/// Checks a PEM block whose label is one of `labels`, and returns it with the line break after
/// its END line that the API requires (§4.3: "a trailing newline inside the quotes is
/// required"), added when missing. Text around the block is refused.
pub(crate) fn check_pem<'a>(pem: &'a str, labels: &[&str]) -> Result<Cow<'a, str>, String> {
    let trimmed = pem.trim_start();
    let Some(label) = labels
        .iter()
        .find(|l| trimmed.starts_with(&format!("-----BEGIN {l}-----")))
    else {
        return Err(format!("expected a PEM {}", labels.join(" or ")));
    };
    let end = format!("-----END {label}-----");
    let Some(at) = pem.find(&end) else {
        return Err(format!("the PEM {label} has no {end} line"));
    };
    let after = &pem[at + end.len()..];
    if !after.trim().is_empty() {
        return Err(format!("the PEM {label} has text after its {end} line"));
    }
    let parsed =
        pem::parse(pem.trim()).map_err(|e| format!("the PEM {label} does not parse: {e}"))?;
    if parsed.contents().is_empty() {
        return Err(format!("the PEM {label} is empty"));
    }
    Ok(if matches!(after, "\n" | "\r\n") {
        Cow::Borrowed(pem)
    } else {
        Cow::Owned(format!("{}\n", pem.trim_end()))
    })
}

/// Whether a first row is a header: its first column names a column instead of holding a value.
pub(crate) fn is_header(first_field: &str) -> bool {
    let name: String = first_field
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    matches!(
        name.as_str(),
        "token" | "claimtoken" | "attestationtoken" | "deviceid" | "imei" | "id" | "uuid"
    )
}

/// The stable key of a row's identity (its token or device id): the journal's key, and, cut to
/// 64 bits, the duplicate detector's. xxh3 is fixed by its specification, so keys written by
/// one version are read by the next.
pub(crate) fn key_of(identity: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(identity.as_bytes())
}

/// The identities seen so far in a file, as 64-bit hashes: 8 bytes a row instead of the row
/// (a 1,000,000-row file costs about 16 MiB here). The price is a false "duplicate" with
/// probability about n²/2⁶⁵ (3·10⁻⁸ for a million rows); it is reported, never silent.
#[derive(Debug, Default)]
pub(crate) struct Seen(HashSet<u64>);

impl Seen {
    /// Records `key`; false when it was already there.
    pub(crate) fn insert(&mut self, key: u128) -> bool {
        self.0.insert(key as u64)
    }
}

/// A value for a message: cut to 40 characters.
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        format!("{value:?}")
    } else {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut:?}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(check_claim_token("eyJhIjoxfQ.c2ln").is_ok());
        assert!(check_claim_token("eyJhIjoxfQ==.c2lnbg").is_ok());
        let cases = [
            ("", "empty"),
            ("abc", "found 1 part"),
            ("a.b.c", "found 3 part"),
            (".abc", "part 1 is empty"),
            ("abcd.", "part 2 is empty"),
            ("ab+d.abcd", "part 1 is not base64url"),
            ("abcd.ab/d", "part 2 is not base64url"),
            ("abcde.abcd", "part 1 is not base64url"),
            ("abcd.ab cd", "part 2 is not base64url"),
            ("ab===.abcd", "part 1 is not base64url"),
        ];
        for (token, needle) in cases {
            let e = check_claim_token(token).unwrap_err();
            assert!(e.contains(needle), "{token:?}: {e}");
            assert!(token.len() < 3 || !e.contains(token), "{e} shows the token");
        }
    }

    #[test]
    fn tags() {
        assert!(check_claim_tag("nrf-cloud-onboarding").is_ok());
        assert!(check_claim_tag("a.b@c:d#e_f").is_ok());
        assert!(check_claim_tag(&"x".repeat(100)).is_ok());
        assert!(
            check_claim_tag(&"x".repeat(101))
                .unwrap_err()
                .contains("101 characters")
        );
        assert!(check_claim_tag("a b").unwrap_err().contains("' '"));
        assert!(check_claim_tag("").unwrap_err().contains("empty"));
        assert!(check_device_tag(&"x".repeat(300)).is_ok());
        assert!(check_device_tag("a|b").unwrap_err().contains("'|'"));
    }

    #[test]
    fn onboarding_fields() {
        assert!(check_device_id("nrf-352656100123456").is_ok());
        assert!(check_device_id("a/b").is_err());
        assert!(check_device_id(&"a".repeat(129)).is_err());
        assert!(check_device_id("").unwrap_err().contains("empty"));
        assert!(check_sub_type("").is_ok());
        assert!(check_sub_type("jitp-gateway,x/y").is_ok());
        assert!(check_sub_type("a b").is_err());
        assert!(check_sub_type(&"a".repeat(800)).is_err());
        assert!(check_fw_type("MDM_FULL").is_ok());
        assert!(check_fw_type("app").unwrap_err().contains("APP, MODEM"));
    }

    #[test]
    fn pem_framing() {
        let body = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----";
        let labels = &["PUBLIC KEY"];
        assert_eq!(check_pem(body, labels).unwrap(), format!("{body}\n"));
        assert!(matches!(
            check_pem(&format!("{body}\n"), labels).unwrap(),
            Cow::Borrowed(_)
        ));
        assert!(
            check_pem(body, &["CERTIFICATE"])
                .unwrap_err()
                .contains("expected a PEM CERTIFICATE")
        );
        assert!(
            check_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n", labels)
                .unwrap_err()
                .contains("no -----END")
        );
        assert!(
            check_pem(&format!("{body}\njunk"), labels)
                .unwrap_err()
                .contains("text after")
        );
        assert!(
            check_pem(
                "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
                labels
            )
            .unwrap_err()
            .contains("does not parse")
        );
    }

    #[test]
    fn headers() {
        for h in [
            "token",
            "Token",
            "claim_token",
            "deviceId",
            "device-id",
            "IMEI",
            "uuid",
        ] {
            assert!(is_header(h), "{h}");
        }
        assert!(!is_header("eyJhIjoxfQ.c2ln"));
        assert!(!is_header("nrf-1"));
    }

    #[test]
    fn keys_are_stable_and_seen_detects_repeats() {
        // Pinned: the journal's keys must not change between versions.
        assert_eq!(key_of("abc"), 0x06b05ab6733a618578af5f94892f3950);
        let mut seen = Seen::default();
        assert!(seen.insert(key_of("a")));
        assert!(seen.insert(key_of("b")));
        assert!(!seen.insert(key_of("a")));
    }
}

//! Identifier rules shared by the credentials and the CSV validators.

/// Whether `id` is an nRF Cloud device id: `^[a-zA-Z0-9:_-]{1,128}$`, the pattern of the REST
/// document (modem UUIDs and `nrf-<IMEI>` ids both match).
pub(crate) fn is_device_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-'))
}

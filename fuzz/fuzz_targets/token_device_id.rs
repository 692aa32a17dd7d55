//! The device id a claim token names (`bulk::token::device_id`, through `nrfcloud::fuzzing`):
//! base64url, then JSON (simulator) or CBOR (real attestation message).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let _ = std::hint::black_box(nrfcloud::fuzzing::token_device_id(&token));
});

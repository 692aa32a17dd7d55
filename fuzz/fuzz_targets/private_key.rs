//! `auth::PrivateKey` loading from any bytes (PEM or DER, SEC1, PKCS#1 or PKCS#8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nrfcloud::auth::PrivateKey;

fuzz_target!(|data: &[u8]| {
    let _ = std::hint::black_box(PrivateKey::from_bytes(data));
});

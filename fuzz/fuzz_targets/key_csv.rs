//! `bulk::csv::KeyReader` over any bytes, read to the end, as a RegisterPublicKeys and as a
//! RegisterCertificates CSV.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nrfcloud::bulk::csv::{KeyKind, KeyReader};

fuzz_target!(|data: &[u8]| {
    for kind in [KeyKind::PublicKey, KeyKind::Certificate] {
        for row in KeyReader::new(data, kind) {
            let _ = std::hint::black_box(row);
        }
    }
});

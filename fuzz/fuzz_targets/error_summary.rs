//! `bulk::summary::ErrorSummary::parse` of any text (the bytes, lossily decoded: a summary is
//! downloaded as text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nrfcloud::bulk::summary::ErrorSummary;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = std::hint::black_box(ErrorSummary::parse(&text));
});

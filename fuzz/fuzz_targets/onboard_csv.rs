//! `bulk::csv::OnboardReader` over any bytes, read to the end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nrfcloud::bulk::csv::OnboardReader;

fuzz_target!(|data: &[u8]| {
    for row in OnboardReader::new(data) {
        let _ = std::hint::black_box(row);
    }
});

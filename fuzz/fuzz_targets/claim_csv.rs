//! `bulk::csv::ClaimReader` over any bytes, read to the end: every row is a record or an error,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nrfcloud::bulk::csv::ClaimReader;

fuzz_target!(|data: &[u8]| {
    for row in ClaimReader::new(data) {
        let _ = std::hint::black_box(row);
    }
});

//! Opening a bulk journal (`bulk::journal::Journal::open`, through `nrfcloud::fuzzing`) whose
//! file holds any bytes: a journal of ours, of another version or operation, cut short by a
//! crash, or not a journal at all.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = std::hint::black_box(nrfcloud::fuzzing::journal_open(data));
});

//! `raw::retry::parse_retry_after` of any header value, against a few clocks: the epoch, the
//! date of the RFC 9110 example, now, and a far future.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use nrfcloud::raw::retry::parse_retry_after;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return; // a header value that is not text never reaches the parser
    };
    let nows = [
        UNIX_EPOCH,
        UNIX_EPOCH + Duration::from_secs(1_445_412_480),
        SystemTime::now(),
        UNIX_EPOCH + Duration::from_secs(1 << 40),
    ];
    for now in nows {
        let _ = std::hint::black_box(parse_retry_after(value, now));
    }
});

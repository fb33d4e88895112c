//! An uploaded filing material (any bytes, any kind) → inspection and re-encoding: must never
//! panic nor allocate without bound, and what it accepts is a re-encoded image of the size it
//! reports.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yuming_app::filing::materials::{KINDS, inspect};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(selector) % KINDS.len()];
    if let Ok((inspection, stored)) = inspect(kind, bytes) {
        assert!(inspection.width > 0 && inspection.height > 0);
        assert!(!stored.is_empty());
        assert!(matches!(inspection.content_type, "image/jpeg" | "image/png"));
    }
});

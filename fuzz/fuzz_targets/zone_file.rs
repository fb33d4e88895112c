//! Zone-file import: any text parses or is refused with a problem, never a panic; what parses
//! passes the record rules again after a render → parse round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yuming_core::dns::{SoaFields, TtlPolicy, check_zone, parse_zone_file, render_zone_file};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(records) = parse_zone_file("example.cn", text, TtlPolicy::default()) else {
        return;
    };
    let _ = check_zone("example.cn", &records);
    let soa = SoaFields {
        mname: "ns1.example.net".into(),
        rname: "h.example.cn".into(),
        serial: 1,
        timers: [1, 2, 3, 4],
    };
    let rendered = render_zone_file("example.cn", &soa, &[], &records);
    let again = parse_zone_file("example.cn", &rendered, TtlPolicy::default())
        .expect("our own output parses");
    assert_eq!(again, records);
});

//! Bytes of a WHOIS query line → the name to look up: must never panic, and a name it accepts
//! is one trimmed line of printable text within the length limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yuming_lookup::whois::parse_query;

fuzz_target!(|line: &[u8]| {
    if let Ok(name) = parse_query(line) {
        assert!(!name.is_empty());
        assert!(!name.chars().any(char::is_control), "{name:?}");
        assert_eq!(name.trim(), name);
        assert!(name.len() <= line.len());
    }
});

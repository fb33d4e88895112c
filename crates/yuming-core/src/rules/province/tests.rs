use super::*;

#[test]
fn table_is_consistent() {
    let mut codes: Vec<u8> = PROVINCES.iter().map(|p| p.code).collect();
    codes.dedup();
    assert_eq!(codes.len(), 31, "codes are unique and sorted");
    for province in &PROVINCES {
        assert_eq!(by_code(province.code), Some(province));
        assert_eq!(by_icp_prefix(province.icp_prefix), Some(province));
        for &prefix in province.psb_prefixes {
            assert_eq!(by_psb_prefix(prefix), Some(province));
        }
        assert_eq!(by_name_zh(province.name_zh), Some(province));
        // A colloquial prefix must never collide with another
        // province's ICP prefix, or lenient parsing would be ambiguous.
        if let Some(colloquial) = province.colloquial_prefix {
            assert_eq!(by_icp_prefix(colloquial), None);
        }
    }
}

#[test]
fn spec_corrections() {
    let sichuan = by_code(51).map(|p| (p.icp_prefix, p.psb_prefix()));
    assert_eq!(sichuan, Some(('蜀', '川')));
    let gansu = by_code(62).map(|p| (p.icp_prefix, p.psb_prefix()));
    assert_eq!(gansu, Some(('陇', '甘')));
    let guizhou = by_code(52).map(|p| (p.icp_prefix, p.psb_prefix()));
    assert_eq!(guizhou, Some(('黔', '黔')));
    assert_eq!(by_psb_prefix('云').map(|p| p.code), Some(53));
    assert_eq!(by_psb_prefix('滇').map(|p| p.code), Some(53));
    assert_eq!(by_icp_prefix('川'), None);
    assert_eq!(by_code(71), None);
}

//! The 31 mainland provincial-level divisions with the codes and one-character
//! abbreviations that filing numbers and ID numbers embed (spec §1.10.1).
//!
//! ICP numbers use the classical abbreviations for four provinces (蜀 黔 滇 陇),
//! while public-security (公网安备) numbers use 川 and 甘. Keeping both columns
//! here, next to the GB/T 2260 code, lets every rule cross-check them.

/// A mainland provincial-level division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Province {
    /// Chinese short name, e.g. `四川`.
    pub name_zh: &'static str,
    /// English name, e.g. `Sichuan`.
    pub name_en: &'static str,
    /// First two digits of the GB/T 2260 administrative division code.
    pub code: u8,
    /// Prefix of ICP filing numbers (`蜀ICP备…`).
    pub icp_prefix: char,
    /// Accepted prefixes of public-security filing numbers, canonical first.
    pub psb_prefixes: &'static [char],
    /// The everyday abbreviation when it differs from `icp_prefix` (川 for
    /// 四川); people type it into ICP numbers by mistake.
    pub colloquial_prefix: Option<char>,
}

impl Province {
    /// The canonical public-security prefix.
    pub fn psb_prefix(&self) -> char {
        // Every row below lists at least one prefix; the fallback only keeps
        // this total.
        self.psb_prefixes
            .first()
            .copied()
            .unwrap_or(self.icp_prefix)
    }
}

const fn row(
    name_zh: &'static str,
    name_en: &'static str,
    code: u8,
    icp_prefix: char,
    psb_prefixes: &'static [char],
    colloquial_prefix: Option<char>,
) -> Province {
    Province {
        name_zh,
        name_en,
        code,
        icp_prefix,
        psb_prefixes,
        colloquial_prefix,
    }
}

/// All 31 provinces, in GB/T 2260 order.
///
/// PSB prefixes other than 京/川/甘/黔/粤 are assumed equal to the ICP prefix
/// and Yunnan accepts both 滇 and 云; both are marked unconfirmed (\[U\]) in the spec.
pub const PROVINCES: [Province; 31] = [
    row("北京", "Beijing", 11, '京', &['京'], None),
    row("天津", "Tianjin", 12, '津', &['津'], None),
    row("河北", "Hebei", 13, '冀', &['冀'], None),
    row("山西", "Shanxi", 14, '晋', &['晋'], None),
    row("内蒙古", "Inner Mongolia", 15, '蒙', &['蒙'], None),
    row("辽宁", "Liaoning", 21, '辽', &['辽'], None),
    row("吉林", "Jilin", 22, '吉', &['吉'], None),
    row("黑龙江", "Heilongjiang", 23, '黑', &['黑'], None),
    row("上海", "Shanghai", 31, '沪', &['沪'], None),
    row("江苏", "Jiangsu", 32, '苏', &['苏'], None),
    row("浙江", "Zhejiang", 33, '浙', &['浙'], None),
    row("安徽", "Anhui", 34, '皖', &['皖'], None),
    row("福建", "Fujian", 35, '闽', &['闽'], None),
    row("江西", "Jiangxi", 36, '赣', &['赣'], None),
    row("山东", "Shandong", 37, '鲁', &['鲁'], None),
    row("河南", "Henan", 41, '豫', &['豫'], None),
    row("湖北", "Hubei", 42, '鄂', &['鄂'], None),
    row("湖南", "Hunan", 43, '湘', &['湘'], None),
    row("广东", "Guangdong", 44, '粤', &['粤'], None),
    row("广西", "Guangxi", 45, '桂', &['桂'], None),
    row("海南", "Hainan", 46, '琼', &['琼'], None),
    row("重庆", "Chongqing", 50, '渝', &['渝'], None),
    row("四川", "Sichuan", 51, '蜀', &['川'], Some('川')),
    row("贵州", "Guizhou", 52, '黔', &['黔'], Some('贵')),
    row("云南", "Yunnan", 53, '滇', &['滇', '云'], Some('云')),
    row("西藏", "Tibet", 54, '藏', &['藏'], None),
    row("陕西", "Shaanxi", 61, '陕', &['陕'], None),
    row("甘肃", "Gansu", 62, '陇', &['甘'], Some('甘')),
    row("青海", "Qinghai", 63, '青', &['青'], None),
    row("宁夏", "Ningxia", 64, '宁', &['宁'], None),
    row("新疆", "Xinjiang", 65, '新', &['新'], None),
];

/// The province whose GB/T 2260 code starts with `code` (e.g. 51 → 四川).
pub fn by_code(code: u8) -> Option<&'static Province> {
    PROVINCES.iter().find(|province| province.code == code)
}

/// The province whose ICP filing prefix is `prefix` (e.g. 蜀 → 四川).
pub fn by_icp_prefix(prefix: char) -> Option<&'static Province> {
    PROVINCES
        .iter()
        .find(|province| province.icp_prefix == prefix)
}

/// The province whose public-security prefix is `prefix` (e.g. 川 → 四川).
pub fn by_psb_prefix(prefix: char) -> Option<&'static Province> {
    PROVINCES
        .iter()
        .find(|province| province.psb_prefixes.contains(&prefix))
}

/// The province whose colloquial abbreviation is `prefix` (川 贵 云 甘).
pub fn by_colloquial_prefix(prefix: char) -> Option<&'static Province> {
    PROVINCES
        .iter()
        .find(|province| province.colloquial_prefix == Some(prefix))
}

/// The province with Chinese short name `name` (e.g. `四川`).
pub fn by_name_zh(name: &str) -> Option<&'static Province> {
    PROVINCES.iter().find(|province| province.name_zh == name)
}

#[cfg(test)]
mod tests;

//! The locale of a request and the message lookup. Every string a page shows comes from
//! `locales/<lang>/*.ftl`; zh-CN is written first and is the default.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // Bidi isolation marks would show up in form values and titles.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ZH_CN: LanguageIdentifier = langid!("zh-CN");
static EN: LanguageIdentifier = langid!("en");

/// The console's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// Simplified Chinese, the default.
    ZhCn,
    /// English.
    En,
}

impl Locale {
    /// Every locale, in the order the language switch shows them.
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The BCP 47 tag (`<html lang>`, the cookie, `/lang/{tag}`).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The locale a tag names, if it is one of ours.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        match tag.to_ascii_lowercase().as_str() {
            "zh-cn" | "zh" | "zh-hans" | "zh-hans-cn" => Some(Locale::ZhCn),
            "en" | "en-us" | "en-gb" => Some(Locale::En),
            _ => None,
        }
    }

    /// The locale an `Accept-Language` header prefers among ours: the highest-weighted entry
    /// whose primary language is Chinese or English; zh-CN when none is.
    pub fn negotiate(accept_language: &str) -> Locale {
        let mut best: Option<(u16, Locale)> = None;
        for entry in accept_language.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(parse_weight)
                .unwrap_or(1000);
            let primary = tag.split('-').next().unwrap_or("");
            let locale = match primary {
                "zh" => Locale::ZhCn,
                "en" => Locale::En,
                _ => continue,
            };
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map_or(Locale::ZhCn, |(_, locale)| locale)
    }

    fn langid(self) -> &'static LanguageIdentifier {
        match self {
            Locale::ZhCn => &ZH_CN,
            Locale::En => &EN,
        }
    }

    /// The message `key`. A key missing from the locale files shows as itself, so that a
    /// test that looks for a sentence notices.
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.langid(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with named arguments.
    pub fn t_args(self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.clone())))
            .collect();
        LOCALES
            .try_lookup_with_args(self.langid(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether the locale files define `key` (used to explain codes when a message exists).
    pub fn has(self, key: &str) -> bool {
        LOCALES.try_lookup(self.langid(), key).is_some()
    }

    /// The message of a use-case error in this locale (the API's `message_zh` or `message`).
    pub fn error_message(self, error: &yuming_app::AppError) -> String {
        match self {
            Locale::ZhCn => error.message_zh.clone(),
            Locale::En => error.message.clone(),
        }
    }
}

impl Locale {
    /// A rule finding's message in this locale.
    pub fn problem_message(self, problem: &yuming_core::rules::Problem) -> String {
        match self {
            Locale::ZhCn => problem.message_zh.clone(),
            Locale::En => problem.message.clone(),
        }
    }
}

/// `q=0.8` → 800 (thousandths, so that weights compare as integers).
fn parse_weight(text: &str) -> Option<u16> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole: u16 = whole.parse().ok()?;
    if whole > 1 || fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction: u16 = format!("{fraction:0<3}").parse().ok()?;
    Some((whole * 1000 + fraction).min(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_of_ours() {
        assert_eq!(Locale::negotiate(""), Locale::ZhCn);
        assert_eq!(Locale::negotiate("en-US,en;q=0.9"), Locale::En);
        assert_eq!(
            Locale::negotiate("fr-FR,en;q=0.5,zh-CN;q=0.8"),
            Locale::ZhCn
        );
        assert_eq!(Locale::negotiate("de, en;q=0.1"), Locale::En);
        assert_eq!(Locale::negotiate("en;q=0, zh-TW"), Locale::ZhCn);
        assert_eq!(Locale::negotiate("ja"), Locale::ZhCn);
        assert_eq!(Locale::negotiate("en;q=garbage"), Locale::En);
    }

    #[test]
    fn every_key_of_one_locale_is_in_the_other() {
        let keys = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
                .map(|l| l.split(" =").next().unwrap_or("").trim().to_owned())
                .collect()
        };
        let zh = keys(include_str!("../locales/zh-CN/main.ftl"));
        let en = keys(include_str!("../locales/en/main.ftl"));
        let missing_en: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        let missing_zh: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        assert!(missing_zh.is_empty(), "missing in zh-CN: {missing_zh:?}");
        assert!(
            zh.len() > 50,
            "the console has its strings in the locale files"
        );
    }

    #[test]
    fn messages_take_arguments() {
        let text = Locale::En.t_args("domains-expires-in", &[("days", "3".into())]);
        assert!(text.contains('3'), "{text}");
        assert_eq!(Locale::En.t("no-such-key"), "no-such-key");
    }
}

//! The help centre's pure side: its categories, the articles the product ships, safe Markdown
//! rendering (no raw HTML ever reaches a page), the plain text the search index reads, the
//! rules an edited article must meet, and the table from every error code and self-check
//! finding to the article that explains it.

use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

mod codes;
mod shipped;

pub use codes::{CODE_ARTICLES, HelpLink, STAFF_CODES, article_for_code};
pub use shipped::{SHIPPED_FILES, shipped};

/// Longest title of an article.
pub const TITLE_MAX_CHARS: usize = 120;
/// Longest Markdown body of an article.
pub const BODY_MAX_CHARS: usize = 60_000;

/// A category of the help centre, in the order pages show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// Stable id, used in storage and URLs.
    pub id: &'static str,
    /// Name in Chinese.
    pub zh: &'static str,
    /// Name in English.
    pub en: &'static str,
}

impl Category {
    /// The name in `locale` (`zh-CN` or `en`).
    pub fn name(&self, locale: &str) -> &'static str {
        if locale == "en" { self.en } else { self.zh }
    }
}

/// Every category, in display order. Announcements come first: they are what changed.
pub const CATEGORIES: [Category; 11] = [
    Category {
        id: "announcements",
        zh: "公告",
        en: "Announcements",
    },
    Category {
        id: "domains",
        zh: "搜索与注册",
        en: "Searching and registering",
    },
    Category {
        id: "verification",
        zh: "实名认证",
        en: "Real-name verification",
    },
    Category {
        id: "billing",
        zh: "费用与发票",
        en: "Payments and invoices",
    },
    Category {
        id: "lifecycle",
        zh: "续费与到期",
        en: "Renewal and expiry",
    },
    Category {
        id: "transfers",
        zh: "转移与过户",
        en: "Transfers",
    },
    Category {
        id: "dns",
        zh: "DNS 解析",
        en: "DNS",
    },
    Category {
        id: "account",
        zh: "账户与安全",
        en: "Account and security",
    },
    Category {
        id: "icp",
        zh: "ICP 备案",
        en: "ICP filing",
    },
    Category {
        id: "developers",
        zh: "开发者 API",
        en: "Developers and API",
    },
    Category {
        id: "support",
        zh: "帮助与支持",
        en: "Help and support",
    },
];

/// The category with `id`.
pub fn category(id: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.id == id)
}

/// The locales an article is written in.
pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

/// One article in one language, as the product ships it (front matter plus Markdown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippedArticle {
    /// Stable id, e.g. `icp-rejection-reasons`.
    pub slug: &'static str,
    /// `zh-CN` or `en`.
    pub locale: &'static str,
    /// Category id.
    pub category: String,
    /// Position inside the category.
    pub order: i64,
    /// Title.
    pub title: String,
    /// Markdown body.
    pub body: String,
}

/// What is wrong with an article or its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleProblem {
    /// Slug not 3 to 64 of `a-z`, `0-9`, `-` starting with a letter.
    Slug,
    /// Title empty, too long, or not one line of printable characters.
    Title,
    /// Body empty or too long.
    Body,
    /// Not a known category.
    Category,
    /// Not `zh-CN` or `en`.
    Locale,
}

/// A slug: 3 to 64 of `a-z`, `0-9` and `-`, starting with a letter, no `--` at the ends.
pub fn checked_slug(slug: &str) -> Result<String, ArticleProblem> {
    let slug = slug.trim();
    let ok = (3..=64).contains(&slug.len())
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && !slug.ends_with('-')
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(slug.to_owned())
    } else {
        Err(ArticleProblem::Slug)
    }
}

/// A title: 1 to [`TITLE_MAX_CHARS`] characters on one line.
pub fn checked_title(title: &str) -> Result<String, ArticleProblem> {
    let title = title.trim();
    if title.is_empty()
        || title.chars().count() > TITLE_MAX_CHARS
        || title.chars().any(char::is_control)
    {
        return Err(ArticleProblem::Title);
    }
    Ok(title.to_owned())
}

/// A body: 1 to [`BODY_MAX_CHARS`] characters; line ends normalised to `\n`, other control
/// characters (but tabs) refused.
pub fn checked_body(body: &str) -> Result<String, ArticleProblem> {
    let body = body.replace("\r\n", "\n");
    let body = body.trim();
    if body.is_empty()
        || body.chars().count() > BODY_MAX_CHARS
        || body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ArticleProblem::Body);
    }
    Ok(body.to_owned())
}

/// A locale an article may be written in.
pub fn checked_locale(locale: &str) -> Result<&'static str, ArticleProblem> {
    LOCALES
        .into_iter()
        .find(|l| *l == locale.trim())
        .ok_or(ArticleProblem::Locale)
}

/// A known category id.
pub fn checked_category(id: &str) -> Result<&'static str, ArticleProblem> {
    category(id.trim())
        .map(|c| c.id)
        .ok_or(ArticleProblem::Category)
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Whether a link or image target is safe to put in a page: a path on this site, an anchor,
/// or an `https`/`http`/`mailto` address — never `javascript:`, `data:` or the like.
fn safe_destination(destination: &str) -> bool {
    let lower = destination.trim().to_ascii_lowercase();
    if lower.starts_with("//") {
        return false;
    }
    if lower.starts_with('/') || lower.starts_with('#') {
        return true;
    }
    match lower.split_once(':') {
        Some((scheme, _)) => matches!(scheme, "https" | "http" | "mailto"),
        // No scheme: relative (e.g. `other-article`).
        None => true,
    }
}

/// The anchor a heading gets when its text starts with an error or finding code
/// (`### DOMAIN_RESOLVING — …`), so a code can link straight to its section.
fn code_anchor(text: &str) -> Option<String> {
    let text = text.trim();
    let word: String = text
        .chars()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
        .collect();
    let whole_word = text[word.len()..]
        .chars()
        .next()
        .is_none_or(char::is_whitespace);
    (word.len() >= 4 && whole_word && word.starts_with(|c: char| c.is_ascii_uppercase()))
        .then_some(word)
}

/// Renders an article's Markdown as HTML that is safe to embed: raw HTML in the source is
/// shown as text, unsafe link targets are dropped, images may only come from this site, and
/// headings that start with a code get that code as their id.
pub fn render_html(markdown: &str) -> String {
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, markdown_options()).collect();
    let mut safe: Vec<Event<'_>> = Vec::with_capacity(events.len());
    let mut index = 0;
    while index < events.len() {
        let event = events[index].clone();
        let event = match event {
            Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
            Event::Start(Tag::Heading {
                level,
                id: _,
                classes: _,
                attrs: _,
            }) => {
                let first_text = events[index + 1..].iter().find_map(|e| match e {
                    Event::Text(t) | Event::Code(t) => Some(t.to_string()),
                    Event::End(TagEnd::Heading(_)) => Some(String::new()),
                    _ => None,
                });
                let id = first_text
                    .as_deref()
                    .and_then(code_anchor)
                    .map(CowStr::from);
                Event::Start(Tag::Heading {
                    level: demoted(level),
                    id,
                    classes: Vec::new(),
                    attrs: Vec::new(),
                })
            }
            Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(demoted(level))),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = if safe_destination(&dest_url) {
                    dest_url
                } else {
                    CowStr::from("#")
                };
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) if !dest_url.starts_with('/') || dest_url.starts_with("//") => {
                // Only this site's images: an outside one would tell another host who reads.
                // The image becomes a plain link to what it pointed at, if that is safe.
                let dest_url = if safe_destination(&dest_url) {
                    dest_url
                } else {
                    CowStr::from("#")
                };
                Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    title,
                    id: CowStr::from(""),
                })
            }
            Event::End(TagEnd::Image) if replaced_image(&events[..index]) => {
                Event::End(TagEnd::Link)
            }
            other => other,
        };
        safe.push(event);
        index += 1;
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, safe.into_iter());
    html
}

/// Whether the image ending now was turned into a link (its start had an outside target).
fn replaced_image(before: &[Event<'_>]) -> bool {
    before.iter().rev().find_map(|e| match e {
        Event::Start(Tag::Image { dest_url, .. }) => {
            Some(!dest_url.starts_with('/') || dest_url.starts_with("//"))
        }
        _ => None,
    }) == Some(true)
}

/// The page's title is the only `h1`: an article's headings start at `h2`.
fn demoted(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        other => other,
    }
}

/// The article's text without markup, paragraphs on their own lines: what the search index
/// reads and snippets are cut from.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                text.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock,
            ) => text.push('\n'),
            _ => {}
        }
    }
    text.trim().to_owned()
}

/// `text` with the characters that mean something in HTML escaped, for HTML built outside a
/// template (search snippets' plain parts, error links).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Parses a shipped file: `---`, `key: value` lines (`title`, `category`, `order`), `---`,
/// then the Markdown body.
pub fn parse_front_matter(source: &str) -> Option<(String, String, i64, String)> {
    let rest = source.strip_prefix("---\n")?;
    let (head, body) = rest.split_once("\n---\n")?;
    let mut title = None;
    let mut category = None;
    let mut order = None;
    for line in head.lines() {
        let (key, value) = line.split_once(':')?;
        let value = value.trim().to_owned();
        match key.trim() {
            "title" => title = Some(value),
            "category" => category = Some(value),
            "order" => order = value.parse().ok(),
            _ => {}
        }
    }
    Some((title?, category?, order?, body.trim().to_owned()))
}

#[cfg(test)]
mod tests;

//! Support tickets as rules: what a ticket may say, how urgent it is and what that promises
//! (first response and resolution times), which status follows which, and what an attachment
//! may be. No I/O: the use cases in `yuming-app` store and notify.

use crate::clock::Timestamp;

/// What a ticket is about (the queue staff sort it into).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Searching, registering, renewing, transferring names.
    Domains,
    /// Hosted DNS.
    Dns,
    /// ICP filing (备案).
    Filing,
    /// Balance, payments, invoices.
    Billing,
    /// Logging in, security, real-name verification.
    Account,
    /// Anything else.
    Other,
}

impl Category {
    /// Every category, in the order forms offer them.
    pub const ALL: [Category; 6] = [
        Category::Domains,
        Category::Dns,
        Category::Filing,
        Category::Billing,
        Category::Account,
        Category::Other,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Domains => "domains",
            Category::Dns => "dns",
            Category::Filing => "filing",
            Category::Billing => "billing",
            Category::Account => "account",
            Category::Other => "other",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How urgent a ticket is; each level promises a first response and a resolution within its
/// times (`[support]` may not shorten them: they are what customers are told).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// A question that can wait.
    Low,
    /// The default.
    Normal,
    /// Something does not work.
    High,
    /// A site or names are down, or money is at stake.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Seconds within which staff answer first.
    pub fn first_response_secs(self) -> i64 {
        match self {
            Priority::Low => 72 * 3600,
            Priority::Normal => 24 * 3600,
            Priority::High => 4 * 3600,
            Priority::Urgent => 3600,
        }
    }

    /// Seconds within which the ticket is resolved (closed).
    pub fn resolution_secs(self) -> i64 {
        match self {
            Priority::Low => 7 * 24 * 3600,
            Priority::Normal => 3 * 24 * 3600,
            Priority::High => 24 * 3600,
            Priority::Urgent => 8 * 3600,
        }
    }

    /// The due times of a ticket opened (or re-prioritised) at `from`: first response and
    /// resolution.
    pub fn due_from(self, from: Timestamp) -> (Timestamp, Timestamp) {
        (
            from.plus_secs(self.first_response_secs()),
            from.plus_secs(self.resolution_secs()),
        )
    }
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for staff (new, or the customer wrote last).
    Open,
    /// Staff answered; waiting for the customer.
    Answered,
    /// Done; the customer may rate it. A new message reopens it.
    Closed,
}

impl Status {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Answered => "answered",
            Status::Closed => "closed",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Status> {
        [Status::Open, Status::Answered, Status::Closed]
            .into_iter()
            .find(|st| st.as_str() == s)
    }

    /// The status after a message: staff's answers wait for the customer, the customer's
    /// messages (also on a closed ticket, which they reopen) wait for staff.
    pub fn after_message(self, from_staff: bool) -> Status {
        if from_staff {
            Status::Answered
        } else {
            Status::Open
        }
    }
}

/// Longest subject, in characters.
pub const SUBJECT_MAX_CHARS: usize = 120;
/// Longest message, in characters.
pub const BODY_MAX_CHARS: usize = 10_000;
/// Longest rating comment, in characters.
pub const COMMENT_MAX_CHARS: usize = 500;
/// Largest attachment.
pub const ATTACHMENT_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Most attachments on one ticket.
pub const ATTACHMENTS_MAX: usize = 10;

/// Why a ticket's text is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Nothing but whitespace.
    Empty,
    /// Longer than allowed.
    TooLong,
    /// Control characters other than line breaks and tabs.
    ControlCharacters,
}

/// `text` trimmed, when it is acceptable as a field of at most `max_chars` (line breaks only
/// where `multiline`).
pub fn checked_text(text: &str, max_chars: usize, multiline: bool) -> Result<String, TextProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TextProblem::Empty);
    }
    if text.chars().count() > max_chars {
        return Err(TextProblem::TooLong);
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(TextProblem::ControlCharacters);
    }
    Ok(text.replace("\r\n", "\n"))
}

/// A rating is 1 (poor) to 5 (excellent).
pub fn valid_rating(stars: i64) -> bool {
    (1..=5).contains(&stars)
}

/// What an attachment is, from its first bytes: screenshots and documents only, so that
/// nothing a browser would run is ever served from the platform.
pub fn attachment_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file name safe to show and to send back in `Content-Disposition`: the last path part,
/// printable characters only, at most 100 characters; `attachment` when nothing is left.
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        "attachment".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgent_tickets_promise_more_than_low_ones() {
        for pair in Priority::ALL.windows(2) {
            assert!(pair[0].first_response_secs() > pair[1].first_response_secs());
            assert!(pair[0].resolution_secs() > pair[1].resolution_secs());
        }
        let (first, done) = Priority::Normal.due_from(Timestamp(1_000));
        assert_eq!((first.0, done.0), (1_000 + 86_400, 1_000 + 3 * 86_400));
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
            assert!(p.first_response_secs() < p.resolution_secs());
        }
    }

    #[test]
    fn messages_move_the_ticket_between_the_sides() {
        for from in [Status::Open, Status::Answered, Status::Closed] {
            assert_eq!(from.after_message(true), Status::Answered);
            assert_eq!(from.after_message(false), Status::Open);
        }
        assert_eq!(Status::parse("closed"), Some(Status::Closed));
        assert_eq!(Status::parse("deleted"), None);
        assert_eq!(Category::parse("filing"), Some(Category::Filing));
        assert_eq!(Category::parse(""), None);
    }

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(
            checked_text("  域名无法解析 ", 120, false).as_deref(),
            Ok("域名无法解析")
        );
        assert_eq!(checked_text("   ", 120, false), Err(TextProblem::Empty));
        assert_eq!(
            checked_text(&"长".repeat(121), 120, false),
            Err(TextProblem::TooLong)
        );
        assert_eq!(
            checked_text("a\nb", 120, false),
            Err(TextProblem::ControlCharacters)
        );
        assert_eq!(checked_text("a\r\nb", 120, true).as_deref(), Ok("a\nb"));
        assert_eq!(
            checked_text("a\u{7}b", 120, true),
            Err(TextProblem::ControlCharacters)
        );
        assert!(valid_rating(1) && valid_rating(5));
        assert!(!valid_rating(0) && !valid_rating(6));
    }

    #[test]
    fn only_images_and_pdfs_are_attached_under_clean_names() {
        assert_eq!(attachment_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(
            attachment_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert_eq!(attachment_type(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(attachment_type(b"<html><script>"), None);
        assert_eq!(attachment_type(b"MZ\x90\x00"), None);
        assert_eq!(clean_file_name("C:\\Users\\me\\截图 1.png"), "截图 1.png");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            clean_file_name("a\"; filename=evil.exe"),
            "a filename=evil.exe"
        );
        assert_eq!(clean_file_name(".."), "attachment");
        assert_eq!(clean_file_name(""), "attachment");
    }
}

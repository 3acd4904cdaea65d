//! Text that reaches a terminal: what the facts hold (a Name tag, a profile name, a policy) may carry control
//! characters that would move the cursor, retitle the window or paint a fake verdict. Human-readable output passes
//! every string from the facts through here; JSON stays exact.

use std::borrow::Cow;

/// `s` with every control character (C0, DEL, C1 — ESC among them) shown as an escape (`\u{1b}`), newlines too:
/// for one-line fields (ids, names, table cells).
pub fn printable(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Like `printable`, but keeps line breaks: for multi-line text (a remedy, a message).
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !(keep_newlines && c == '\n');
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One JSON line that line-splitting readers keep whole: serde_json leaves U+0085, U+2028 and U+2029 raw, and
/// some readers split lines on them.
pub fn ndjson_safe(line: &str) -> Cow<'_, str> {
    if !line.contains(['\u{85}', '\u{2028}', '\u{2029}']) {
        return Cow::Borrowed(line);
    }
    Cow::Owned(
        line.replace('\u{85}', "\\u0085")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        let hostile = "web\x1b]0;pwned\x07\x1b[2J\u{9b}31m";
        let shown = printable(hostile);
        assert!(!shown.chars().any(char::is_control), "{shown}");
        assert!(shown.starts_with("web\\u{1b}]0;pwned\\u{7}"));
        assert_eq!(printable("web-1"), "web-1");
        assert_eq!(printable_lines("a\nb\x1b"), "a\nb\\u{1b}");
        assert_eq!(printable("a\nb"), "a\\u{a}b");
    }

    #[test]
    fn ndjson_lines_escape_the_unicode_line_separators() {
        let line = serde_json::to_string("a\u{2028}b\u{85}c\u{2029}").unwrap();
        let safe = ndjson_safe(&line);
        assert!(!safe.contains(['\u{85}', '\u{2028}', '\u{2029}']));
        assert_eq!(
            serde_json::from_str::<String>(&safe).unwrap(),
            "a\u{2028}b\u{85}c\u{2029}"
        );
    }
}

/// Columns a string takes on a terminal.
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// The width to wrap to: `COLUMNS` when set (so tests and scripts can ask for one), else the terminal's when
/// writing to one; `None`: do not wrap.
pub fn wrap_width(on_terminal: bool) -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return Some(n);
    }
    if !on_terminal {
        return None;
    }
    crossterm::terminal::size()
        .ok()
        .map(|(w, _)| usize::from(w))
        .filter(|w| *w > 0)
}

/// A line a user pastes: a command, JSON, a config snippet. It is printed whole, never wrapped.
pub fn is_verbatim(line: &str) -> bool {
    const STARTS: [&str; 12] = [
        "aws ",
        "export ",
        "ssh -",
        "sudo ",
        "ssm-check ",
        "eval ",
        "Restart-Service",
        "{",
        "#",
        "Host ",
        "    ",
        "C:\\",
    ];
    STARTS.iter().any(|s| line.starts_with(s))
}

/// Longest a single line may show: a value from the facts can be megabytes long, and no input may make the
/// report slow or unreadable.
pub const MAX_LINE: usize = 2000;

/// `line`, cut to `MAX_LINE` characters with a marker saying how much was left out.
pub fn bounded(line: &str) -> Cow<'_, str> {
    match line.char_indices().nth(MAX_LINE) {
        None => Cow::Borrowed(line),
        Some((cut, _)) => {
            let left = line[cut..].chars().count();
            Cow::Owned(format!("{}… ({left} more characters)", &line[..cut]))
        }
    }
}

/// Prose wrapped to `width` at spaces, the first line after `first` and the others after `rest` (whose widths
/// should match); a word longer than the line is left whole, never broken. Verbatim lines are not wrapped.
pub fn wrap(text: &str, width: Option<usize>, first: &str, rest: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = bounded(raw);
        let mut prefix = if i == 0 { first } else { rest };
        let Some(width) = width.filter(|_| !is_verbatim(&line)) else {
            out.push(format!("{prefix}{line}"));
            continue;
        };
        let mut current = String::new();
        for word in line.split(' ').filter(|w| !w.is_empty()) {
            let room = width.saturating_sub(self::width(prefix));
            if !current.is_empty() && self::width(&current) + 1 + self::width(word) > room {
                out.push(format!("{prefix}{current}"));
                prefix = rest;
                current.clear();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(format!("{prefix}{current}"));
    }
    out
}

/// `1 warning`, `2 warnings`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod wrap_tests {
    use super::*;

    #[test]
    fn prose_wraps_at_spaces_and_commands_stay_whole() {
        let text = "the quick brown fox jumps over the lazy dog\naws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-1 --private-dns-enabled";
        let lines = wrap(text, Some(20), "> ", "  ");
        assert_eq!(lines[0], "> the quick brown");
        assert!(
            lines.iter().all(|l| width(l) <= 20 || l.contains("aws ")),
            "{lines:?}"
        );
        assert_eq!(
            lines.last().unwrap(),
            "  aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-1 --private-dns-enabled"
        );
        // A word longer than the line is not broken.
        let arn = "arn:aws:iam::111122223333:role/a-very-long-role-name-indeed";
        assert_eq!(wrap(arn, Some(10), "", ""), [arn]);
    }

    #[test]
    fn huge_lines_are_bounded() {
        let huge = "x".repeat(MAX_LINE + 500);
        let shown = bounded(&huge);
        assert!(shown.ends_with("… (500 more characters)"));
        assert_eq!(
            shown.chars().count(),
            MAX_LINE + "… (500 more characters)".chars().count()
        );
    }
}

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

//! IAM wildcards: `*` matches any run of characters, `?` any one character.

use super::context::{LITERAL_QUESTION, LITERAL_STAR};

/// Matches `text` against `pattern`, optionally ignoring ASCII case (actions are case-insensitive, ARNs are not).
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let fold = |c: char| {
        if ignore_case {
            c.to_ascii_lowercase()
        } else {
            c
        }
    };
    // Most patterns and texts are ASCII: compare bytes, allocating nothing (the rules evaluate the same policies
    // for every target of a fleet).
    if pattern.is_ascii() && text.is_ascii() {
        let fold = |b: u8| fold(b as char);
        return glob(
            pattern.as_bytes(),
            text.as_bytes(),
            |p, t| p == b'?' || fold(p) == fold(t),
            |p| p == b'*',
        );
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // `${*}` and `${?}` substitute to stand-ins that match only the literal character.
    let literal = |c: char| match c {
        LITERAL_STAR => '*',
        LITERAL_QUESTION => '?',
        c => c,
    };
    glob(
        &p,
        &t,
        |p, t| p == '?' || fold(literal(p)) == fold(t),
        |p| p == '*',
    )
}

/// Iterative glob with single-star backtracking: linear in practice, no recursion blow-up.
fn glob<T: Copy>(
    p: &[T],
    t: &[T],
    matches: impl Fn(T, T) -> bool,
    is_star: impl Fn(T) -> bool,
) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && !is_star(p[pi]) && matches(p[pi], t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && is_star(p[pi]) {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| is_star(c))
}

/// A substituted value as plain text: the `${*}`/`${?}` stand-ins back to the characters they stand for.
pub fn literal_text(text: &str) -> String {
    text.replace(LITERAL_STAR, "*")
        .replace(LITERAL_QUESTION, "?")
}

#[cfg(test)]
mod tests {
    use super::wildcard_match as m;

    #[test]
    fn stars_and_question_marks() {
        assert!(m("ssmmessages:*", "ssmmessages:OpenDataChannel", true));
        assert!(m(
            "SSM:updateinstance*",
            "ssm:UpdateInstanceInformation",
            true
        ));
        assert!(!m("ssm:Update*", "ssmmessages:UpdateX", true));
        assert!(m("ssm:?etDocument", "ssm:GetDocument", true));
        assert!(m("*", "", false));
        assert!(m(
            "arn:aws:ssm:*:*:session/${u}-*",
            "arn:aws:ssm:r:1:session/${u}-abc",
            false
        ));
        assert!(!m(
            "arn:aws:ec2:*:*:instance/i-1",
            "arn:aws:ec2:r:1:instance/i-12",
            false
        ));
        assert!(!m("Arn:aws:*", "arn:aws:x", false));
        assert!(m("a*b*c", "axxbyyc", false));
        assert!(!m("a*b*c", "axxbyy", false));
    }
}

//! What the picker shows, apart from any terminal: the targets as listed, each one's verdict once the background
//! check brings it, the query typed so far and the rows it keeps (fuzzy, best first), and the cursor.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use ssm_check::gather::Listed;
use ssm_check::rules::{Answer, Report};

/// A target's verdict for the chosen mode, as far as the background check has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Checking,
    Ready,
    /// Not ready: the first failure to fix.
    NotReady(String),
    /// No failure, but a requirement could not be checked: the first such rule.
    CannotTell(String),
    /// The check itself did not finish (its reason is the header's).
    NotChecked,
}

impl Verdict {
    pub fn of(report: &Report) -> Verdict {
        match report.verdict.answer {
            Answer::Yes => Verdict::Ready,
            Answer::No => Verdict::NotReady(
                report
                    .fixes()
                    .first()
                    .map_or("a requirement", |f| f.rule())
                    .to_string(),
            ),
            Answer::CannotTell => Verdict::CannotTell(
                report
                    .verdict
                    .undecided
                    .first()
                    .and_then(|u| u.rules.first().copied())
                    .unwrap_or("a requirement")
                    .to_string(),
            ),
        }
    }
}

pub struct Row {
    pub listed: Listed,
    pub verdict: Verdict,
    /// The report behind the verdict: a chosen row that has one is not checked again.
    pub report: Option<Report>,
}

impl Row {
    /// What the query is matched against: everything the row shows.
    fn haystack(&self) -> String {
        format!(
            "{} {} {} {}",
            self.listed.name.as_deref().unwrap_or(""),
            self.listed.id,
            self.listed.platform.as_deref().unwrap_or(""),
            self.listed.state
        )
    }
}

#[derive(Default)]
pub struct Rows {
    pub rows: Vec<Row>,
    pub query: String,
    /// Indices into `rows` that the query keeps, best match first (listing order for an empty query).
    pub shown: Vec<usize>,
    /// Position in `shown`.
    pub cursor: usize,
}

impl Rows {
    pub fn listed(&mut self, listed: Vec<Listed>) {
        self.rows = listed
            .into_iter()
            .map(|listed| Row {
                listed,
                verdict: Verdict::Checking,
                report: None,
            })
            .collect();
        self.refilter();
    }

    /// The background check's reports: each row takes its own; a row the check did not report stays unchecked.
    pub fn checked(&mut self, reports: Vec<Report>) {
        for row in &mut self.rows {
            let report = reports.iter().find(|r| r.target.id == row.listed.id);
            row.verdict = report.map_or(Verdict::NotChecked, Verdict::of);
            row.report = report.cloned();
        }
    }

    pub fn check_failed(&mut self) {
        for row in &mut self.rows {
            if row.verdict == Verdict::Checking {
                row.verdict = Verdict::NotChecked;
            }
        }
    }

    pub fn type_char(&mut self, c: char) {
        self.query.push(c);
        self.refilter();
    }

    pub fn backspace(&mut self) {
        self.query.pop();
        self.refilter();
    }

    pub fn clear_query(&mut self) {
        self.query.clear();
        self.refilter();
    }

    /// Moves the cursor by `by` rows, staying within the rows shown.
    pub fn move_by(&mut self, by: isize) {
        let last = self.shown.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + by).clamp(0, last.max(0)) as usize;
    }

    pub fn chosen(&self) -> Option<&Row> {
        self.shown.get(self.cursor).map(|&i| &self.rows[i])
    }

    /// The rows the query keeps, best first; the cursor back on the first.
    fn refilter(&mut self) {
        self.cursor = 0;
        if self.query.trim().is_empty() {
            self.shown = (0..self.rows.len()).collect();
            return;
        }
        let pattern = Pattern::parse(&self.query, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize)> = self
            .rows
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                let hay = row.haystack();
                pattern
                    .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                    .map(|s| (s, i))
            })
            .collect();
        // Best score first; equal scores keep the listing's order.
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.shown = scored.into_iter().map(|(_, i)| i).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: &str, name: Option<&str>, state: &str) -> Listed {
        Listed {
            id: id.into(),
            region: "eu-west-1".into(),
            name: name.map(String::from),
            platform: Some("Linux/UNIX".into()),
            state: state.into(),
        }
    }

    fn rows() -> Rows {
        let mut r = Rows::default();
        r.listed(vec![
            listed("i-0000000000000000a", Some("web-1"), "running"),
            listed("i-0000000000000000b", Some("db-primary"), "stopped"),
            listed("i-0000000000000000c", Some("web-2"), "running"),
            listed("mi-0123456789abcdef0", None, "Online"),
        ]);
        r
    }

    #[test]
    fn a_query_keeps_the_rows_it_matches_best_first() {
        let mut r = rows();
        assert_eq!(r.shown, vec![0, 1, 2, 3]);
        for c in "web".chars() {
            r.type_char(c);
        }
        assert_eq!(r.shown, vec![0, 2]);
        r.type_char('2');
        assert_eq!(r.chosen().unwrap().listed.id, "i-0000000000000000c");
        r.clear_query();
        for c in "stopped".chars() {
            r.type_char(c);
        }
        assert_eq!(r.shown, vec![1], "the state is matched too");
        r.clear_query();
        for c in "mi-".chars() {
            r.type_char(c);
        }
        assert_eq!(r.shown[0], 3, "the node's id is the best match");
        r.type_char('z');
        r.type_char('z');
        assert!(r.shown.is_empty());
        assert!(r.chosen().is_none());
    }

    #[test]
    fn the_cursor_stays_on_the_rows_shown() {
        let mut r = rows();
        r.move_by(-3);
        assert_eq!(r.cursor, 0);
        r.move_by(10);
        assert_eq!(r.cursor, 3);
        r.type_char('w');
        assert_eq!(r.cursor, 0, "a new query starts at its best match");
        r.move_by(1);
        assert_eq!(r.chosen().unwrap().listed.name.as_deref(), Some("web-2"));
    }

    #[test]
    fn rows_the_check_did_not_report_are_not_left_checking() {
        let mut r = rows();
        r.checked(Vec::new());
        assert!(r.rows.iter().all(|row| row.verdict == Verdict::NotChecked));
        let mut r = rows();
        r.check_failed();
        assert!(r.rows.iter().all(|row| row.verdict == Verdict::NotChecked));
    }
}

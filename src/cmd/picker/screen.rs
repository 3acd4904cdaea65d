//! The picker on the terminal: its lines laid out for a width and height (apart from any terminal, so they can
//! be tested), and the loop that draws them on stderr's alternate screen and reads keys.

use super::rows::{Rows, Verdict};
use crate::cmd::CommandError;
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::style::{Attribute, Color, Stylize};
use crossterm::{cursor, execute, queue, terminal};
use ssm_check::gather::Progress;
use ssm_check::render::text::{printable, width};
use std::io::Write;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

/// What the background check tells the picker as it goes.
pub enum Feed {
    Listed(Vec<ssm_check::gather::Listed>),
    Checked(Vec<ssm_check::rules::Report>),
    /// Listing or checking stopped.
    Failed(CommandError),
}

/// Where the background work is, for the header.
#[derive(Clone, PartialEq, Eq)]
pub enum Phase {
    Listing,
    Checking,
    Checked,
    Failed(String),
}

/// The picker's state: the rows, and where the background work is.
pub struct Picker {
    pub rows: Rows,
    pub phase: Phase,
    /// `connect · shell · eu-west-1`: what a choice will open, and where.
    pub title: String,
    /// The background check's counts, read as it goes.
    pub progress: Arc<Progress>,
    /// When the check's verdicts came.
    pub checked_at: Option<std::time::Instant>,
}

/// How the picker ended.
pub enum Ended {
    /// The row at this index of `Picker::rows.rows`.
    Chose(usize),
    Quit,
    /// The listing failed: there is nothing to choose from.
    Failed(CommandError),
}

/// How a span is shown beside its colour: the column heads and key help dimmed, the current row reversed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Look {
    Plain,
    Dim,
    Current,
}

/// One line of the screen, in spans of text, colour and look.
pub type Line = Vec<(String, Option<Color>, Look)>;

const PLATFORM: usize = 8;
/// `stopping`, `running`, `Online`: a longer state (`ConnectionLost`) is cut.
const STATE: usize = 8;

impl Picker {
    /// Whether the background work has yet to bring something.
    fn still_waiting(&self) -> bool {
        matches!(self.phase, Phase::Listing | Phase::Checking)
    }

    /// Takes what the background work brings; a listing that failed ends the picker with its error.
    pub fn feed(&mut self, feed: Feed) -> Option<Ended> {
        match feed {
            Feed::Listed(listed) => {
                self.rows.listed(listed);
                if self.phase == Phase::Listing {
                    self.phase = Phase::Checking;
                }
            }
            Feed::Checked(reports) => {
                self.rows.checked(reports);
                self.phase = Phase::Checked;
                self.checked_at = Some(std::time::Instant::now());
            }
            Feed::Failed(e) if self.phase == Phase::Listing => return Some(Ended::Failed(e)),
            Feed::Failed(e) => {
                self.rows.check_failed();
                self.phase = Phase::Failed(e.message.lines().next().unwrap_or("").to_string());
            }
        }
        None
    }

    /// The screen at `cols` × `lines`: title, query, column heads, the rows that fit, and the keys.
    pub fn lines(&self, cols: usize, lines: usize) -> Vec<Line> {
        let mut out: Vec<Line> = vec![self.header(cols), self.query_line(cols)];
        let (name, id) = (self.name_width(cols), self.id_width());
        out.push(vec![(
            fit(
                &format!(
                    "  {:name$} {:id$} {:PLATFORM$} {:STATE$} VERDICT",
                    "NAME", "ID", "PLATFORM", "STATE"
                ),
                cols,
            ),
            None,
            Look::Dim,
        )]);
        let room = lines.saturating_sub(out.len() + 1).max(1);
        let first = self.rows.cursor.saturating_sub(room - 1);
        for (pos, &i) in self.rows.shown.iter().enumerate().skip(first).take(room) {
            out.push(self.row_line(i, pos == self.rows.cursor, (name, id), cols));
        }
        if self.rows.shown.is_empty() {
            let why = match (&self.phase, self.rows.rows.is_empty()) {
                (Phase::Listing, _) => None,
                (_, true) => {
                    Some("  no instance or managed node here: --region names another region")
                }
                (_, false) => Some("  no target matches: Backspace or Ctrl-U to widen"),
            };
            if let Some(why) = why {
                out.push(vec![(fit(why, cols), None, Look::Dim)]);
            }
        }
        out.push(vec![(
            fit(
                &format!(
                    "↑↓ move · Enter: connect, or see why not · Esc: quit · {} of {}",
                    self.rows.shown.len(),
                    self.rows.rows.len()
                ),
                cols,
            ),
            None,
            Look::Dim,
        )]);
        out
    }

    fn header(&self, cols: usize) -> Line {
        let (state, color) = match &self.phase {
            Phase::Listing => ("listing the instances and managed nodes…".to_string(), None),
            Phase::Checking => match self.progress.get() {
                (_, 0, calls, _) => (format!("checking… {calls} calls"), None),
                (done, of, calls, _) => (format!("checking: {done} of {of}, {calls} calls"), None),
            },
            Phase::Checked => ("checked".to_string(), Some(Color::Green)),
            Phase::Failed(why) => (format!("not checked: {why}"), Some(Color::Red)),
        };
        // The region the targets are in, once listed: the profile's, when no --region names it.
        let mut regions: Vec<&str> = self
            .rows
            .rows
            .iter()
            .map(|r| r.listed.region.as_str())
            .collect();
        regions.dedup();
        let region = match regions.as_slice() {
            [one] => format!(" · {one}"),
            _ => String::new(),
        };
        // The state is what changes: the title gives way to it on a narrow screen, and both fit.
        let state = fit(&printable(&state), cols);
        let title = fit(
            &format!("{}{region} · ", self.title),
            cols.saturating_sub(width(&state)),
        );
        vec![(title, None, Look::Plain), (state, color, Look::Plain)]
    }

    fn query_line(&self, cols: usize) -> Line {
        vec![
            ("> ".into(), Some(Color::Cyan), Look::Plain),
            (
                fit(&printable(&self.rows.query), cols.saturating_sub(3)),
                None,
                Look::Plain,
            ),
            ("▏".into(), Some(Color::Cyan), Look::Plain),
        ]
    }

    /// The ID column: as wide as the longest id (an instance's 19, a managed node's 20).
    fn id_width(&self) -> usize {
        self.rows
            .rows
            .iter()
            .map(|r| width(&r.listed.id))
            .max()
            .unwrap_or(2)
            .max(2)
    }

    /// The Name column: as wide as the longest name, within a sixth of the screen, so that the verdict keeps
    /// room for the longest rule id (24 columns) at 80.
    fn name_width(&self, cols: usize) -> usize {
        let longest = self
            .rows
            .rows
            .iter()
            .map(|r| r.listed.name.as_deref().map_or(1, width))
            .max()
            .unwrap_or(4);
        longest.clamp(4, (cols / 6).max(8))
    }

    fn row_line(&self, i: usize, current: bool, (name, id): (usize, usize), cols: usize) -> Line {
        let row = &self.rows.rows[i];
        let l = &row.listed;
        let platform = match l.platform.as_deref() {
            Some(p) if p.eq_ignore_ascii_case("windows") => "Windows",
            Some(p) if p.starts_with("Linux") => "Linux",
            Some(p) => p,
            None => "",
        };
        let left = format!(
            "{} {} {} {} {} ",
            if current { "▸" } else { " " },
            pad(&printable(l.name.as_deref().unwrap_or("-")), name),
            pad(&l.id, id),
            pad(&printable(platform), PLATFORM),
            pad(&printable(&l.state), STATE),
        );
        let (verdict, color) = match &row.verdict {
            Verdict::Checking => ("… checking".to_string(), None),
            Verdict::Ready => ("✓ ready".to_string(), Some(Color::Green)),
            Verdict::NotReady(rule) => (format!("✗ {rule}"), Some(Color::Red)),
            Verdict::CannotTell(rule) => (format!("? {rule}"), Some(Color::Yellow)),
            Verdict::NotChecked => ("- not checked".to_string(), None),
        };
        let left = fit(&left, cols);
        let rest = cols.saturating_sub(width(&left));
        let look = if current { Look::Current } else { Look::Plain };
        vec![(left, None, look), (fit(&verdict, rest), color, look)]
    }
}

/// `s` in exactly `n` columns: cut with an ellipsis, or padded.
fn pad(s: &str, n: usize) -> String {
    let cut = fit(s, n);
    let w = width(&cut);
    format!("{cut}{}", " ".repeat(n.saturating_sub(w)))
}

/// `s` within `n` columns, cut with an ellipsis.
fn fit(s: &str, n: usize) -> String {
    if width(s) <= n {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&out) + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) + 1 > n {
            break;
        }
        out.push(c);
    }
    if n > 0 {
        out.push('…');
    }
    out
}

/// Raw mode and the alternate screen for as long as it lives, given back however the picker ends.
struct Screen;

impl Screen {
    fn enter() -> std::io::Result<Screen> {
        terminal::enable_raw_mode()?;
        let screen = Screen;
        // A paste arrives whole (bracketed), so a newline in it types nothing rather than choosing a row.
        execute!(
            std::io::stderr(),
            terminal::EnterAlternateScreen,
            cursor::Hide,
            event::EnableBracketedPaste
        )?;
        // A panic's message would be printed on the alternate screen, in raw mode, and lost with it: the terminal
        // is given back first.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave();
            previous(info);
        }));
        Ok(screen)
    }
}

fn leave() {
    let _ = execute!(
        std::io::stderr(),
        event::DisableBracketedPaste,
        cursor::Show,
        terminal::LeaveAlternateScreen
    );
    let _ = terminal::disable_raw_mode();
}

impl Drop for Screen {
    fn drop(&mut self) {
        leave();
        let _ = std::panic::take_hook();
    }
}

/// Runs the picker until a row is chosen or the user quits, taking what `feed` brings as it comes.
pub fn run(picker: &mut Picker, feed: &Receiver<Feed>, color: bool) -> std::io::Result<Ended> {
    let _screen = Screen::enter()?;
    let mut dirty = true;
    loop {
        loop {
            let f = match feed.try_recv() {
                Ok(f) => f,
                Err(TryRecvError::Empty) => break,
                // The work ended without a word (it cannot have, but a picker must not wait on it for ever).
                Err(TryRecvError::Disconnected) if picker.still_waiting() => {
                    Feed::Failed(CommandError::environment("the background check stopped"))
                }
                Err(TryRecvError::Disconnected) => break,
            };
            if let Some(ended) = picker.feed(f) {
                return Ok(ended);
            }
            dirty = true;
        }
        if dirty {
            draw(picker, color)?;
        }
        // Redrawn after a key or a resize, and while checking, for the header's counts.
        dirty = picker.phase == Phase::Checking;
        if !event::poll(Duration::from_millis(100))? {
            continue;
        }
        dirty = true;
        match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => {
                if let Some(ended) = on_key(picker, key) {
                    return Ok(ended);
                }
            }
            Event::Paste(text) => on_paste(picker, &text),
            _ => {}
        }
    }
}

fn on_key(picker: &mut Picker, key: KeyEvent) -> Option<Ended> {
    // AltGr arrives as Control with Alt on Windows: a character typed with it is a character.
    let ctrl =
        key.modifiers.contains(KeyModifiers::CONTROL) && !key.modifiers.contains(KeyModifiers::ALT);
    let rows = &mut picker.rows;
    match key.code {
        KeyCode::Esc => return Some(Ended::Quit),
        KeyCode::Char('c') | KeyCode::Char('d') if ctrl => return Some(Ended::Quit),
        KeyCode::Enter => return rows.chosen().map(|_| Ended::Chose(rows.shown[rows.cursor])),
        KeyCode::Up => rows.move_by(-1),
        KeyCode::Char('p') | KeyCode::Char('k') if ctrl => rows.move_by(-1),
        KeyCode::Down => rows.move_by(1),
        KeyCode::Char('n') | KeyCode::Char('j') if ctrl => rows.move_by(1),
        KeyCode::PageUp => rows.move_by(-10),
        KeyCode::PageDown => rows.move_by(10),
        KeyCode::Home => rows.move_by(isize::MIN / 2),
        KeyCode::End => rows.move_by(isize::MAX / 2),
        KeyCode::Backspace => rows.backspace(),
        KeyCode::Char('h') if ctrl => rows.backspace(),
        KeyCode::Char('u') if ctrl => rows.clear_query(),
        KeyCode::Char(c) if !ctrl => rows.type_char(c),
        _ => {}
    }
    None
}

/// Pasted text goes into the query, its line breaks and other control characters left out.
fn on_paste(picker: &mut Picker, text: &str) {
    for c in text.chars().filter(|c| !c.is_control()) {
        picker.rows.type_char(c);
    }
}

fn draw(picker: &Picker, color: bool) -> std::io::Result<()> {
    // A terminal that does not tell its size (some pseudo-terminals say 0 × 0) is taken as 80 × 24.
    let (cols, lines) = match terminal::size() {
        Ok((c, l)) if c > 0 && l > 0 => (c, l),
        _ => (80, 24),
    };
    let mut err = std::io::stderr().lock();
    // Each line is overwritten and its rest cleared, then what is below: no blank frame between two (it
    // flickers over a slow link).
    let screen = picker.lines(usize::from(cols), usize::from(lines));
    for (n, line) in screen.iter().enumerate() {
        queue!(err, cursor::MoveTo(0, n as u16))?;
        for (text, fg, look) in line {
            let mut styled = text.as_str().stylize();
            if let (true, Some(c)) = (color, fg) {
                styled = styled.with(*c);
            }
            // Without colour the current row stays visible: reversed or bold are attributes, not colours.
            styled = match (look, color) {
                (Look::Dim, true) => styled.attribute(Attribute::Dim),
                (Look::Current, true) => styled.attribute(Attribute::Reverse),
                (Look::Current, false) => styled.attribute(Attribute::Bold),
                _ => styled,
            };
            queue!(err, crossterm::style::PrintStyledContent(styled))?;
        }
        queue!(err, terminal::Clear(terminal::ClearType::UntilNewLine))?;
    }
    queue!(
        err,
        cursor::MoveTo(0, screen.len() as u16),
        terminal::Clear(terminal::ClearType::FromCursorDown)
    )?;
    err.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssm_check::gather::Listed;
    use std::sync::atomic::Ordering;

    fn picker() -> Picker {
        let mut rows = Rows::default();
        rows.listed(vec![
            Listed {
                id: "i-0a1b2c3d4e5f60001".into(),
                region: "eu-west-1".into(),
                name: Some("web-1".into()),
                platform: Some("Linux/UNIX".into()),
                state: "running".into(),
            },
            Listed {
                id: "i-0a1b2c3d4e5f60002".into(),
                region: "eu-west-1".into(),
                name: Some("a-name-much-longer-than-a-quarter-of-the-screen".into()),
                platform: Some("windows".into()),
                state: "stopped".into(),
            },
        ]);
        let progress = Arc::new(Progress::default());
        progress.targets.store(2, Ordering::Relaxed);
        progress.calls.store(3, Ordering::Relaxed);
        Picker {
            rows,
            phase: Phase::Checking,
            title: "connect · port forwarding (3389)".into(),
            progress,
            checked_at: None,
        }
    }

    #[test]
    fn an_empty_region_or_query_says_so() {
        let mut p = picker();
        p.rows.listed(Vec::new());
        assert!(p
            .lines(80, 24)
            .iter()
            .any(|l| text(l).contains("no instance or managed node here")));
        let mut p = picker();
        p.rows.type_char('#');
        assert!(p
            .lines(80, 24)
            .iter()
            .any(|l| text(l).contains("no target matches")));
    }

    #[test]
    fn a_listing_that_fails_ends_the_picker() {
        let mut p = picker();
        p.phase = Phase::Listing;
        let ended = p.feed(Feed::Failed(CommandError::input("no credentials")));
        assert!(matches!(ended, Some(Ended::Failed(e)) if e.message == "no credentials"));
    }

    fn text(line: &Line) -> String {
        line.iter().map(|(t, _, _)| t.as_str()).collect()
    }

    #[test]
    fn every_line_fits_eighty_columns_and_the_rows_say_where_the_check_is() {
        let p = picker();
        let lines = p.lines(80, 24);
        for l in &lines {
            assert!(
                width(&text(l)) <= 80,
                "{:?} is {} wide",
                text(l),
                width(&text(l))
            );
        }
        assert_eq!(
            text(&lines[0]),
            "connect · port forwarding (3389) · eu-west-1 · checking: 0 of 2, 3 calls"
        );
        let narrow = p.lines(40, 24);
        assert!(
            text(&narrow[0]).ends_with("…checking: 0 of 2, 3 calls"),
            "{}",
            text(&narrow[0])
        );
        assert!(narrow.iter().all(|l| width(&text(l)) <= 40));
        assert!(text(&lines[3]).starts_with("▸ web-1"));
        assert!(text(&lines[3]).contains("… checking"));
        assert!(
            text(&lines[4])
                .contains("a-name-much-… i-0a1b2c3d4e5f60002 Windows  stopped  … checking"),
            "{}",
            text(&lines[4])
        );
        assert!(text(&lines[4]).contains("Windows"));
        assert!(text(lines.last().unwrap()).ends_with("2 of 2"));
    }

    #[test]
    fn at_eighty_columns_a_long_rule_id_is_shown_whole() {
        let mut p = picker();
        p.rows.rows[1].verdict = Verdict::NotReady("session-preferences-type".into());
        let line = text(&p.lines(80, 24)[4]);
        assert!(line.ends_with("✗ session-preferences-type"), "{line}");
        assert!(width(&line) <= 80);
    }

    #[test]
    fn a_small_screen_keeps_the_cursor_in_view() {
        let mut p = picker();
        p.rows.move_by(1);
        let lines = p.lines(80, 5);
        let rows: Vec<String> = lines[3..lines.len() - 1].iter().map(text).collect();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].starts_with("▸ a-name"), "{rows:?}");
    }

    #[test]
    fn keys_move_filter_choose_and_quit() {
        let mut p = picker();
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert!(on_key(&mut p, key(KeyCode::Down)).is_none());
        assert!(matches!(
            on_key(&mut p, key(KeyCode::Enter)),
            Some(Ended::Chose(1))
        ));
        for c in "web".chars() {
            on_key(&mut p, key(KeyCode::Char(c)));
        }
        assert!(matches!(
            on_key(&mut p, key(KeyCode::Enter)),
            Some(Ended::Chose(0))
        ));
        for c in "zz".chars() {
            on_key(&mut p, key(KeyCode::Char(c)));
        }
        assert!(
            on_key(&mut p, key(KeyCode::Enter)).is_none(),
            "nothing to choose"
        );
        assert!(matches!(
            on_key(&mut p, key(KeyCode::Esc)),
            Some(Ended::Quit)
        ));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(on_key(&mut p, ctrl_c), Some(Ended::Quit)));
    }

    #[test]
    fn a_paste_filters_and_never_chooses() {
        let mut p = picker();
        on_paste(&mut p, "web-1\r\n");
        assert_eq!(p.rows.query, "web-1");
        assert_eq!(p.rows.shown, vec![0]);
    }

    #[test]
    fn the_check_s_end_reaches_every_row() {
        let mut p = picker();
        assert!(p
            .feed(Feed::Failed(CommandError::input(
                "the credentials expired\nhelp: sign in"
            )))
            .is_none());
        assert!(text(&p.lines(80, 24)[0]).contains("not checked: the credentials expired"));
        assert!(text(&p.lines(80, 24)[3]).contains("- not checked"));
    }
}

//! The board's view of the backlog: filters (kept in the URL) and the card each experiment shows.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::experiment::Experiment;
use super::lifecycle::Status;

/// Board filters; every field is a URL query parameter so a filtered board can be shared.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BoardFilter {
    pub team: String,
    pub owner: String,
    pub tag: String,
    pub q: String,
    pub archived: bool,
}

impl BoardFilter {
    pub fn is_empty(&self) -> bool {
        self.team.is_empty()
            && self.owner.is_empty()
            && self.tag.is_empty()
            && self.q.is_empty()
            && !self.archived
    }
}

/// How a running experiment stands against its planned end date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Schedule {
    DaysLeft(i64),
    EndsToday,
    Overdue(i64),
}

impl Schedule {
    pub fn describe(self) -> String {
        match self {
            Schedule::DaysLeft(1) => "1 day left".into(),
            Schedule::DaysLeft(d) => format!("{d} days left"),
            Schedule::EndsToday => "ends today: decision due".into(),
            Schedule::Overdue(d) => format!(
                "OVERDUE by {d} day{}: decision due",
                if d == 1 { "" } else { "s" }
            ),
        }
    }
}

/// What a card on the board shows: small, so a board of hundreds stays light.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub key: String,
    pub title: String,
    pub owner: String,
    pub team: String,
    pub surface: String,
    pub tags: Vec<String>,
    pub status: Status,
    /// 0.0 to 1.0.
    pub completeness: f64,
    pub schedule: Option<Schedule>,
    pub verdict: Option<String>,
    pub verdict_kind: Option<super::verdict::VerdictKind>,
}

impl Card {
    pub fn from_experiment(e: &Experiment, today: NaiveDate) -> Self {
        let schedule = match (e.status, e.days_left(today)) {
            (Status::Running, Some(d)) if d > 0 => Some(Schedule::DaysLeft(d)),
            (Status::Running, Some(0)) => Some(Schedule::EndsToday),
            (Status::Running, Some(d)) => Some(Schedule::Overdue(-d)),
            _ => None,
        };
        Self {
            key: e.key.to_string(),
            title: e.title.clone(),
            owner: e.owner.clone(),
            team: e.team.clone(),
            surface: e.surface.clone(),
            tags: e.tags.clone(),
            status: e.status,
            completeness: e.brief.completeness(),
            schedule,
            verdict: e.conclusion.as_ref().map(|c| c.verdict.describe()),
            verdict_kind: e.conclusion.as_ref().map(|c| c.verdict.kind()),
        }
    }
}

/// Cards a column shows before "show more": a program of thousands stays one quick page.
pub const PAGE: usize = 25;
/// However far "show more" goes, one column never sends more than this many cards.
pub const MAX_SHOWN: usize = 1_000;

/// Where a column's shown cards end (keyset pagination): the last shown card's `updated_at`
/// exactly as stored and its id. Cards at or above it in the column's order (newest change
/// first) are shown, so a card moving between two reads is neither skipped nor repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub at: String,
    pub id: i64,
}

impl Cursor {
    /// `ID_AT`, the URL parameter's value (percent-encode it in a link).
    pub fn to_param(&self) -> String {
        format!("{}_{}", self.id, self.at)
    }

    /// None for anything that is not a cursor (a hand-edited URL shows the first page).
    pub fn parse(text: &str) -> Option<Self> {
        let (id, at) = text.split_once('_')?;
        let id = id.parse().ok()?;
        (!at.is_empty() && at.len() <= 64).then(|| Self {
            at: at.to_owned(),
            id,
        })
    }
}

/// Per column (in `Status::ALL` order), how far it is shown.
pub type Cursors = [Option<Cursor>; 4];

/// The URL parameter holding a column's cursor (`more_done`).
pub fn cursor_param(status: Status) -> String {
    format!("more_{}", status.slug())
}

/// One column: its shown cards, its exact count under the filter, and the cursor that shows
/// the next page (None when every card is shown).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub cards: Vec<Card>,
    pub count: i64,
    pub more: Option<Cursor>,
}

/// The board: the filtered columns plus what the filter menus offer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Board {
    /// In `Status::ALL` order.
    pub columns: Vec<Column>,
    pub teams: Vec<String>,
    pub owners: Vec<String>,
    pub tags: Vec<String>,
    /// Experiments in the whole program, to tell "empty program" from "nothing matches".
    pub total: i64,
    /// Whether the caller may move cards (an editor or admin): a viewer's board has no move
    /// buttons and no dragging, since the server would refuse every move.
    #[serde(default)]
    pub can_move: bool,
}

impl Board {
    pub fn column(&self, status: Status) -> Option<&Column> {
        let i = Status::ALL.iter().position(|s| *s == status)?;
        self.columns.get(i)
    }

    /// Cards matching the filter, shown or not.
    pub fn matching(&self) -> i64 {
        self.columns.iter().map(|c| c.count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{complete_brief, date, experiment};

    #[test]
    fn a_running_card_counts_days_left_and_turns_overdue_after_the_end_date() {
        let e = experiment(Status::Running, complete_brief()); // ends 2026-11-16
        assert_eq!(
            Card::from_experiment(&e, date(2026, 11, 10)).schedule,
            Some(Schedule::DaysLeft(6))
        );
        assert_eq!(
            Card::from_experiment(&e, date(2026, 11, 16)).schedule,
            Some(Schedule::EndsToday)
        );
        let late = Card::from_experiment(&e, date(2026, 11, 19))
            .schedule
            .unwrap();
        assert_eq!(late, Schedule::Overdue(3));
        assert_eq!(late.describe(), "OVERDUE by 3 days: decision due");
    }

    #[test]
    fn a_cursor_round_trips_through_its_url_parameter() {
        let c = Cursor {
            at: "2026-12-06 02:55:00.123+00:00".into(),
            id: 42,
        };
        assert_eq!(Cursor::parse(&c.to_param()), Some(c));
        for bad in ["", "x_2026", "42_", "42"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
        assert_eq!(cursor_param(Status::Done), "more_done");
    }

    #[test]
    fn cards_that_are_not_running_have_no_schedule() {
        let e = experiment(Status::Ready, complete_brief());
        assert_eq!(Card::from_experiment(&e, date(2026, 12, 1)).schedule, None);
    }
}

//! The list view (`/experiments`): every experiment in one sortable, filterable table, paged,
//! the same rows (all of them, in the same order) as its CSV. The lift column obeys no peeking:
//! a fixed-horizon or Bayesian test shows no lift before its planned end, and sorts as "no lift".

use std::borrow::Borrow;
use std::cmp::Ordering;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::board::BoardFilter;
use super::experiment::Experiment;
use super::lifecycle::Status;
use super::results::Counts;
use super::review::{primary_hidden, primary_lift};
use super::url::query_string;

/// Rows per page.
pub const LIST_PAGE: usize = 50;

/// The column a list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ListSort {
    #[default]
    Updated,
    Title,
    Status,
    Team,
    Owner,
    Verdict,
    Lift,
    Launched,
    Ended,
    DaysOver,
}

crate::domain::slugs!(ListSort {
    Updated => "updated", Title => "title", Status => "status", Team => "team", Owner => "owner",
    Verdict => "verdict", Lift => "lift", Launched => "launched", Ended => "ended",
    DaysOver => "days_over",
});

/// What the list shows: the board's filters, a status, the sort and the page. Every field is a
/// URL parameter, so a sorted, filtered list can be shared.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListParams {
    pub team: String,
    pub owner: String,
    pub tag: String,
    pub q: String,
    pub archived: bool,
    pub status: Option<Status>,
    pub sort: ListSort,
    /// Ascending; descending (largest, newest first) when false.
    pub asc: bool,
    /// 1-based.
    pub page: u32,
}

impl ListParams {
    pub fn filter(&self) -> BoardFilter {
        BoardFilter {
            team: self.team.clone(),
            owner: self.owner.clone(),
            tag: self.tag.clone(),
            q: self.q.clone(),
            archived: self.archived,
        }
    }

    /// The query string of these parameters with another sort, order or page (for links).
    pub fn query(&self, sort: ListSort, asc: bool, page: u32) -> String {
        let page = page.to_string();
        query_string([
            ("team", self.team.as_str()),
            ("owner", self.owner.as_str()),
            ("tag", self.tag.as_str()),
            ("q", self.q.as_str()),
            ("archived", if self.archived { "true" } else { "" }),
            ("status", self.status.map(Status::slug).unwrap_or("")),
            ("sort", sort.slug()),
            ("asc", if asc { "true" } else { "" }),
            ("page", if page == "1" { "" } else { page.as_str() }),
        ])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListRow {
    pub key: String,
    pub title: String,
    pub status: Status,
    pub team: String,
    pub surface: String,
    pub owner: String,
    pub verdict: Option<String>,
    /// The primary metric's relative lift (the shipped arm's, else the first treatment's);
    /// None without results, or while the no-peeking rule hides it.
    pub lift: Option<f64>,
    pub lift_arm: Option<String>,
    pub launched: Option<NaiveDate>,
    pub ended: Option<NaiveDate>,
    /// Days past the planned end date when it ended (or today, while running); negative when
    /// it ended early.
    pub days_over: Option<i64>,
    #[serde(skip)]
    updated: i64,
}

impl ListRow {
    pub fn of(e: &Experiment, counts: Option<&Counts>, today: NaiveDate) -> Self {
        let lift = counts
            .filter(|_| !primary_hidden(e, today))
            .and_then(|c| primary_lift(e, c));
        let ended = e.ended_at.map(|t| t.date_naive());
        let days_over = match (e.status, e.brief.planned_end) {
            (Status::Running, Some(end)) => Some((today - end).num_days()),
            (Status::Done, Some(end)) => ended.map(|d| (d - end).num_days()),
            _ => None,
        };
        Self {
            key: e.key.to_string(),
            title: e.title.clone(),
            status: e.status,
            team: e.team.clone(),
            surface: e.surface.clone(),
            owner: e.owner.clone(),
            verdict: e.conclusion.as_ref().map(|c| c.verdict.describe()),
            lift: lift.as_ref().map(|l| l.lift),
            lift_arm: lift.map(|l| l.arm),
            launched: e.started_at.map(|t| t.date_naive()),
            ended,
            days_over,
            updated: e.updated_at.timestamp_micros(),
        }
    }
}

/// Sorts in place. Rows without a value (no lift yet, never launched) always come last, in
/// either direction; ties keep the most recently changed first.
pub fn sort_rows<R: Borrow<ListRow>>(rows: &mut [R], sort: ListSort, asc: bool) {
    fn opt<T: PartialOrd>(a: &Option<T>, b: &Option<T>, asc: bool) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => {
                let o = a.partial_cmp(b).unwrap_or(Ordering::Equal);
                if asc {
                    o
                } else {
                    o.reverse()
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    // Case-insensitive without a lowercased copy of both sides per comparison.
    let text = |a: &str, b: &str| {
        let lower = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<Vec<_>>();
        let o = if a.is_ascii() && b.is_ascii() {
            a.bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
        } else {
            lower(a).cmp(&lower(b))
        };
        if asc {
            o
        } else {
            o.reverse()
        }
    };
    let status_rank = |s: Status| Status::ALL.iter().position(|x| *x == s);
    rows.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        let primary = match sort {
            ListSort::Updated => opt(&Some(a.updated), &Some(b.updated), asc),
            ListSort::Title => text(&a.title, &b.title),
            ListSort::Status => opt(&status_rank(a.status), &status_rank(b.status), asc),
            ListSort::Team => text(&a.team, &b.team),
            ListSort::Owner => text(&a.owner, &b.owner),
            ListSort::Verdict => opt(&a.verdict, &b.verdict, asc),
            ListSort::Lift => opt(&a.lift, &b.lift, asc),
            ListSort::Launched => opt(&a.launched, &b.launched, asc),
            ListSort::Ended => opt(&a.ended, &b.ended, asc),
            ListSort::DaysOver => opt(&a.days_over, &b.days_over, asc),
        };
        primary.then_with(|| b.updated.cmp(&a.updated))
    });
}

/// Every matching row, filtered by status and sorted as asked: the list and its CSV.
pub fn rows(
    experiments: &[(Experiment, Option<Counts>)],
    params: &ListParams,
    today: NaiveDate,
) -> Vec<ListRow> {
    let rows = experiments
        .iter()
        .map(|(e, c)| ListRow::of(e, c.as_ref(), today))
        .collect();
    select(rows, params)
}

/// The rows of the filter's status, in the asked-for order (rows already built, e.g. cached).
pub fn select<R: Borrow<ListRow>>(mut rows: Vec<R>, params: &ListParams) -> Vec<R> {
    rows.retain(|r| params.status.is_none_or(|s| r.borrow().status == s));
    sort_rows(&mut rows, params.sort, params.asc);
    rows
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListPage {
    pub rows: Vec<ListRow>,
    /// Rows matching the filters, all pages.
    pub total: usize,
    pub page: u32,
    pub pages: u32,
}

impl ListPage {
    /// Page `page` (1-based, clamped to the last) of `rows`.
    pub fn of<R: Borrow<ListRow>>(rows: Vec<R>, page: u32) -> Self {
        let total = rows.len();
        let pages = total.div_ceil(LIST_PAGE).max(1) as u32;
        let page = page.clamp(1, pages);
        let start = (page as usize - 1) * LIST_PAGE;
        Self {
            rows: rows
                .iter()
                .skip(start)
                .take(LIST_PAGE)
                .map(|r| r.borrow().clone())
                .collect(),
            total,
            page,
            pages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(title: &str, lift: Option<f64>, updated: i64) -> ListRow {
        ListRow {
            key: title.to_lowercase(),
            title: title.into(),
            status: Status::Done,
            team: "Growth".into(),
            surface: String::new(),
            owner: "Ana".into(),
            verdict: None,
            lift,
            lift_arm: None,
            launched: None,
            ended: None,
            days_over: None,
            updated,
        }
    }

    #[test]
    fn sorting_by_lift_puts_the_biggest_first_and_the_unknown_last_either_way() {
        let mut rows = vec![
            row("a", Some(0.02), 1),
            row("b", None, 2),
            row("c", Some(0.10), 3),
            row("d", Some(-0.05), 4),
        ];
        sort_rows(&mut rows, ListSort::Lift, false);
        let order: Vec<&str> = rows.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(order, ["c", "a", "d", "b"]);
        sort_rows(&mut rows, ListSort::Lift, true);
        let order: Vec<&str> = rows.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(order, ["d", "a", "c", "b"]);
    }

    #[test]
    fn pages_hold_fifty_rows_and_a_page_past_the_end_shows_the_last() {
        let rows: Vec<ListRow> = (0..120).map(|i| row(&format!("t{i}"), None, i)).collect();
        let last = ListPage::of(rows.clone(), 9);
        assert_eq!(
            (last.page, last.pages, last.total, last.rows.len()),
            (3, 3, 120, 20)
        );
        assert_eq!(ListPage::of(rows, 1).rows.len(), LIST_PAGE);
    }

    #[test]
    fn a_link_keeps_the_filters_and_changes_only_sort_order_and_page() {
        let p = ListParams {
            team: "Growth team".into(),
            status: Some(Status::Done),
            ..Default::default()
        };
        assert_eq!(
            p.query(ListSort::Lift, false, 2),
            "team=Growth%20team&status=done&sort=lift&page=2"
        );
    }
}

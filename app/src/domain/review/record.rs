//! What a review meeting records: who came, the notes, and the triage outcomes it applied to the
//! backlog. Form input is parsed here once; the database stores only parsed records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::experiment::FieldError;
use crate::domain::period::IsoWeek;

/// What a review decides about a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageOutcome {
    /// Move to ready, through the real lifecycle gate (a complete brief).
    Promote,
    /// Keep as a proposal but take it off the triage queue.
    Park,
    /// Take it off the backlog (archived, with the reason in its history).
    Reject,
}

crate::domain::slugs!(TriageOutcome { Promote => "promote", Park => "park", Reject => "reject" });

impl TriageOutcome {
    /// Past tense, for the record: "Promoted to ready".
    pub fn done_label(self) -> &'static str {
        match self {
            Self::Promote => "Promoted to ready",
            Self::Park => "Parked",
            Self::Reject => "Rejected",
        }
    }
}

/// A triage decision as sent by the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageRequest {
    pub key: String,
    pub outcome: TriageOutcome,
    #[serde(default)]
    pub reason: String,
}

impl TriageRequest {
    /// A rejection must say why: the person who proposed it reads the reason in its history.
    pub fn parse(self) -> Result<Self, FieldError> {
        let reason = self.reason.trim().to_owned();
        if self.outcome == TriageOutcome::Reject && reason.is_empty() {
            return Err(FieldError::new("reason", "a rejection needs a reason"));
        }
        if reason.chars().count() > 500 {
            return Err(FieldError::new(
                "reason",
                "keep the reason under 500 characters",
            ));
        }
        Ok(Self { reason, ..self })
    }
}

/// The meeting form: attendees as typed ("Ana, Luis"), and free-text notes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    pub attendees: String,
    pub notes: String,
}

/// A parsed meeting form.
#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    pub attendees: Vec<String>,
    pub notes: String,
}

impl ReviewForm {
    pub fn parse(&self) -> Result<Meeting, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut attendees: Vec<String> = Vec::new();
        for name in self
            .attendees
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            if name.chars().count() > 100 {
                errors.push(FieldError::new(
                    "attendees",
                    "a name is longer than 100 characters",
                ));
            } else if !attendees.iter().any(|a| a.eq_ignore_ascii_case(name)) {
                attendees.push(name.to_owned());
            }
        }
        if attendees.len() > 100 {
            errors.push(FieldError::new("attendees", "more than 100 attendees"));
        }
        let notes = self.notes.trim().to_owned();
        if notes.chars().count() > 20_000 {
            errors.push(FieldError::new(
                "notes",
                "notes are limited to 20,000 characters",
            ));
        }
        if errors.is_empty() {
            Ok(Meeting { attendees, notes })
        } else {
            Err(errors)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageRecord {
    pub key: String,
    pub title: String,
    pub outcome: TriageOutcome,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// A saved review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRecord {
    pub week: IsoWeek,
    pub attendees: Vec<String>,
    pub notes: String,
    /// The agenda in Markdown as it stood when the review was last saved: a past review shows
    /// what the meeting saw, not what the program looks like today.
    pub agenda_markdown: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub triage: Vec<TriageRecord>,
}

/// A line in the list of past reviews.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewSummary {
    pub week: IsoWeek,
    pub attendees: Vec<String>,
    pub triaged: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendees_are_split_trimmed_and_deduplicated_in_order() {
        let form = ReviewForm {
            attendees: "Ana, Luis;\n ana ,Mo,,".into(),
            notes: "  shipped two  ".into(),
        };
        let m = form.parse().unwrap();
        assert_eq!(m.attendees, ["Ana", "Luis", "Mo"]);
        assert_eq!(m.notes, "shipped two");
    }

    #[test]
    fn a_rejection_without_a_reason_is_refused_and_others_need_none() {
        let reject = TriageRequest {
            key: "k".into(),
            outcome: TriageOutcome::Reject,
            reason: "  ".into(),
        };
        assert_eq!(
            reject.parse().unwrap_err().to_string(),
            "reason: a rejection needs a reason"
        );
        let park = TriageRequest {
            key: "k".into(),
            outcome: TriageOutcome::Park,
            reason: String::new(),
        };
        assert!(park.parse().is_ok());
        assert_eq!(
            TriageOutcome::from_slug("promote"),
            Some(TriageOutcome::Promote)
        );
    }
}

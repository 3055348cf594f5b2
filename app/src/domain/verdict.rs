//! How an experiment ended: the verdict recorded when it moves to done.

use serde::{Deserialize, Serialize};

/// The four outcomes a finished test can have. `Ship` names the arm that ships, because a
/// three-arm test can ship either treatment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    Ship {
        arm: String,
    },
    DontShip,
    Inconclusive,
    /// SRM or broken assignment: the data cannot be trusted either way.
    Invalid,
}

/// The machine name of a verdict without its arm: form values and the database column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Ship,
    DontShip,
    Inconclusive,
    Invalid,
}

crate::domain::slugs!(VerdictKind { Ship => "ship", DontShip => "dont_ship", Inconclusive => "inconclusive", Invalid => "invalid" });

impl VerdictKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Ship => "Ship",
            Self::DontShip => "Don't ship",
            Self::Inconclusive => "Inconclusive",
            Self::Invalid => "Invalid",
        }
    }
}

impl Verdict {
    pub fn kind(&self) -> VerdictKind {
        match self {
            Verdict::Ship { .. } => VerdictKind::Ship,
            Verdict::DontShip => VerdictKind::DontShip,
            Verdict::Inconclusive => VerdictKind::Inconclusive,
            Verdict::Invalid => VerdictKind::Invalid,
        }
    }

    /// Rebuilds a verdict from its stored parts; `None` when a ship verdict lost its arm.
    pub fn from_parts(kind: VerdictKind, arm: Option<String>) -> Option<Self> {
        Some(match kind {
            VerdictKind::Ship => Verdict::Ship {
                arm: arm.filter(|a| !a.is_empty())?,
            },
            VerdictKind::DontShip => Verdict::DontShip,
            VerdictKind::Inconclusive => Verdict::Inconclusive,
            VerdictKind::Invalid => Verdict::Invalid,
        })
    }

    pub fn arm(&self) -> Option<&str> {
        match self {
            Verdict::Ship { arm } => Some(arm),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Verdict::Ship { arm } => format!("Ship {arm}"),
            other => other.kind().label().to_owned(),
        }
    }
}

/// What was decided and why, recorded in the same write that moves the experiment to done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Conclusion {
    pub verdict: Verdict,
    pub summary: String,
    /// Set when the test was stopped before its planned end date: the reason given.
    pub stopped_early: Option<String>,
    /// What the pre-registered rule said when the experiment was closed, if results existed.
    pub computed: Option<Verdict>,
    /// Why the team chose a verdict other than the computed one.
    pub override_reason: Option<String>,
    /// The post-mortem: what the team learned (required), segment notes, and the next idea.
    #[serde(default)]
    pub post_mortem: PostMortem,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostMortem {
    pub lessons: String,
    pub segment_notes: String,
    pub next_idea: String,
}

impl Conclusion {
    /// The decision went against the rule's own verdict.
    pub fn overridden(&self) -> bool {
        self.computed.as_ref().is_some_and(|c| *c != self.verdict)
    }
}

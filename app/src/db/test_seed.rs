//! Test-only: experiments walked through the real lifecycle writes, in any state, for the
//! program, review and learnings database tests.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::SqlitePool;

use crate::domain::account::{Credential, Identity, Role};
use crate::domain::brief::Brief;
use crate::domain::experiment::{Experiment, NewExperiment, NewExperimentForm};
use crate::domain::fixtures::complete_brief;
use crate::domain::lifecycle::{Status, TransitionPlan};
use crate::domain::verdict::{Conclusion, Verdict};

pub fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, 12, 0, 0).unwrap()
}

pub struct Seed<'a> {
    pub key: &'a str,
    pub team: &'a str,
    pub surface: &'a str,
    pub status: Status,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub conclusion: Option<Conclusion>,
    pub brief: Brief,
}

impl<'a> Seed<'a> {
    pub fn new(key: &'a str, status: Status) -> Self {
        Self {
            key,
            team: "Checkout",
            surface: "checkout",
            status,
            started: at(11, 2),
            ended: at(11, 16),
            conclusion: (status == Status::Done).then(|| concluded(ship(), "one page won")),
            brief: complete_brief(),
        }
    }
}

pub fn ship() -> Verdict {
    Verdict::Ship {
        arm: "one_page".into(),
    }
}

pub fn concluded(verdict: Verdict, summary: &str) -> Conclusion {
    Conclusion {
        verdict,
        summary: summary.into(),
        stopped_early: None,
        computed: None,
        override_reason: None,
        post_mortem: Default::default(),
    }
}

/// Who the database tests act as: every write is audited and refused without an actor.
pub fn tester() -> Identity {
    Identity {
        user_id: None,
        token_id: None,
        name: "tester".into(),
        email: "tester@verdict.local".into(),
        role: Role::Admin,
        credential: Credential::Session,
    }
}

/// Runs `f` acting as `tester()`, as the auth middleware runs a request as its user.
pub async fn as_tester<F: std::future::Future>(f: F) -> F::Output {
    crate::auth::acting_as(tester(), f).await
}

/// For tests that arrange data with raw SQL: stamps the audit context as `tester()` outside any
/// transaction, so the raw writes after it are logged instead of refused. The next audited
/// transaction's commit clears it again.
pub async fn allow_raw_writes(pool: &SqlitePool) {
    sqlx::query(
        "UPDATE audit_context SET actor_name = 'tester', action = 'test setup', \
         at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Inserts a proposal and moves it, step by step, to `seed.status`.
pub async fn seed(pool: &SqlitePool, seed: Seed<'_>) -> Experiment {
    as_tester(walk(pool, seed)).await
}

async fn walk(pool: &SqlitePool, seed: Seed<'_>) -> Experiment {
    let new = NewExperiment::parse(&NewExperimentForm {
        key: seed.key.into(),
        title: format!("Title of {}", seed.key),
        hypothesis: "draft".into(),
        owner: "Ana".into(),
        team: seed.team.into(),
        surface: seed.surface.into(),
        tags: seed.team.to_lowercase(),
        follows: String::new(),
    })
    .unwrap();
    let created = seed.started - Duration::days(10);
    let mut exp = super::experiments::insert(pool, &new, &seed.brief, created)
        .await
        .unwrap();
    let steps = seed.status.path_from_proposed();
    for &to in steps {
        let at = match to {
            Status::Ready => created + Duration::days(1),
            Status::Running => seed.started,
            _ => seed.ended,
        };
        let conclusion = (to == Status::Done)
            .then(|| seed.conclusion.clone())
            .flatten();
        let plan = TransitionPlan::seeded(&exp, to, at, conclusion)
            .expect("a seed has a complete brief and, when done, a conclusion");
        exp = super::experiments::apply_transition(pool, &exp, &plan, at)
            .await
            .unwrap();
    }
    exp
}

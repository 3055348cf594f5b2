//! The demo program: about thirty experiments across four teams, in every state, with complete
//! briefs, end dates relative to today (some overdue) and verdicts on the finished ones, so a
//! newcomer sees a living board on first run. Written through the same `db` functions and
//! lifecycle plans as real use, so every demo experiment has a truthful history.

mod seeds;

use chrono::{DateTime, Duration, Utc};
use sqlx::SqlitePool;

use crate::db::{experiments, results, signoffs};
use crate::domain::account::{Credential, Identity, Role};
use crate::domain::amendment::plan_amendment;
use crate::domain::brief::{Brief, DecisionRule, Hypothesis, MetricSpec};
use crate::domain::experiment::{Experiment, NewExperiment, NewExperimentForm};
use crate::domain::lifecycle::{Status, TransitionPlan};
use crate::domain::metric::{Correction, Direction, Engine, Measure};
use crate::domain::results::{ArmCount, Counts, MetricCounts, Observed, Source};
use crate::domain::signoff::SignOffRole;
use crate::domain::verdict::{Conclusion, PostMortem, Verdict, VerdictKind};
use crate::error::AppError;
use seeds::{Seed, SEEDS};

fn metric(name: &str, kind: Measure, direction: Direction) -> MetricSpec {
    MetricSpec {
        name: name.replace('_', " "),
        event: name.to_owned(),
        kind,
        direction,
        value_property: if kind == Measure::Mean {
            "amount".into()
        } else {
            String::new()
        },
        ..MetricSpec::default()
    }
}

fn brief_for(seed: &Seed, today: chrono::NaiveDate) -> Brief {
    let Seed {
        change,
        from,
        to,
        because,
        primary,
        baseline,
        mde,
        start,
        length,
        ..
    } = *seed;
    let start_date = today + Duration::days(start);
    Brief {
        hypothesis: Hypothesis {
            change: change.into(),
            from: from.into(),
            to: to.into(),
            because: because.into(),
            draft: format!("{to} instead of {from}"),
        },
        primary: metric(primary, Measure::Proportion, Direction::Increase),
        secondary: vec![
            metric("revenue_per_user", Measure::Mean, Direction::Increase),
            metric("bounce", Measure::Proportion, Direction::Decrease),
        ],
        baseline_rate: Some(baseline),
        mde: Some(mde),
        daily_traffic: Some(20_000),
        planned_start: Some(start_date),
        planned_end: Some(start_date + Duration::days(length)),
        rule: DecisionRule {
            min_lift: Some(mde / 2.0),
            max_guardrail_drop: Some(0.01),
            engine: if start % 3 == 0 {
                Engine::Sequential
            } else {
                Engine::Frequentist
            },
            correction: Correction::Holm,
        },
        notes: "Seeded by `verdict demo`. **Markdown** is rendered safely.".into(),
        // The defaults: alpha 0.05, power 0.8, control and treatment at 50/50, 14-day window.
        ..Brief::default()
    }
}

/// Loads the demo program into an empty database. Refuses if experiments already exist, so it
/// can never mix with real data.
pub async fn load(pool: &SqlitePool, now: DateTime<Utc>) -> Result<usize, AppError> {
    if experiments::count(pool).await? > 0 {
        return Err(AppError::Conflict(
            "the demo program only loads into an empty backlog".into(),
        ));
    }
    let today = now.date_naive();
    for seed in SEEDS {
        let Seed {
            title,
            team,
            owner,
            surface,
            status,
            start,
            length,
            verdict,
            ..
        } = *seed;
        let brief = brief_for(seed, today);
        let new = NewExperiment::parse(&NewExperimentForm {
            title: title.into(),
            hypothesis: brief.hypothesis.draft.clone(),
            owner: owner.into(),
            team: team.into(),
            surface: surface.into(),
            tags: format!("{},{}", team.to_lowercase(), surface.replace('_', "-")),
            ..Default::default()
        })
        .map_err(|e| AppError::internal("demo proposal", format!("{e:?}")))?;
        // Two weeks before the planned start, but never in the future: a proposal for a test
        // that starts next month was still written in the past (a few days ago).
        let created =
            (now + Duration::days(start - 14)).min(now - Duration::days(1 + start.rem_euclid(6)));
        let mut exp = experiments::insert(pool, &new, &brief, created).await?;
        // Walk the real lifecycle so each demo experiment has a truthful history.
        let steps = status.path_from_proposed();
        for &to in steps {
            let at = match to {
                Status::Ready => created + Duration::days(3),
                Status::Running => now + Duration::days(start),
                _ => now + Duration::days(start + length),
            };
            if to == Status::Running {
                sign_off_all(pool, &exp, owner, at - Duration::days(1)).await?;
            }
            let conclusion = (to == Status::Done)
                .then(|| demo_conclusion(verdict.unwrap_or(VerdictKind::Inconclusive)));
            let plan = TransitionPlan::seeded(&exp, to, at, conclusion)?;
            exp = experiments::apply_transition(pool, &exp, &plan, at).await?;
        }
        if title == AMENDED {
            exp = amend_demo(pool, exp, owner, now - Duration::days(3)).await?;
        }
        if status.accepts_results() {
            // Results as of today (running) or the end (done), shaped to match the verdict.
            let days = if status == Status::Done {
                length
            } else {
                (-start).max(1)
            };
            let counts = demo_counts(&brief, days as u64, verdict);
            let at = now
                + Duration::days(if status == Status::Done {
                    start + length
                } else {
                    0
                });
            results::insert(pool, exp.id, Source::Manual, &counts, 0, 0, at).await?;
        }
    }
    Ok(SEEDS.len())
}

/// Every launched demo experiment was signed off the day before launch: product by its owner.
async fn sign_off_all(
    pool: &SqlitePool,
    exp: &Experiment,
    owner: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    for (role, name) in [
        (SignOffRole::Product, owner),
        (SignOffRole::Engineering, "Priya Raman"),
        (SignOffRole::Design, "Tomás Ferreira"),
    ] {
        let who = demo_person(name);
        signoffs::sign_off(pool, exp.key.as_str(), exp.version, role, &who, at).await?;
    }
    Ok(())
}

/// The running demo experiment whose brief was amended after launch.
const AMENDED: &str = "One-page checkout";

/// An honest amendment: an outage cost traffic, so the end date moved out a week.
async fn amend_demo(
    pool: &SqlitePool,
    exp: Experiment,
    owner: &str,
    at: DateTime<Utc>,
) -> Result<Experiment, AppError> {
    let mut amended = exp.brief.clone();
    amended.planned_end = amended.planned_end.map(|d| d + Duration::days(7));
    let plan = plan_amendment(
        &exp,
        &amended,
        "A payment-provider outage on day 4 cut traffic by a third; one more week reaches the planned sample size.",
    )
    .map_err(|e| AppError::internal("demo amendment", e))?;
    signoffs::amend(pool, &exp, &amended, &plan, &demo_person(owner), at).await?;
    experiments::by_key(pool, exp.key.as_str()).await
}

fn demo_person(name: &str) -> Identity {
    Identity {
        user_id: None,
        token_id: None,
        name: name.into(),
        email: String::new(),
        role: Role::Editor,
        credential: Credential::System,
    }
}

/// Deterministic, plausible counts: 20,000 users a day split evenly, the primary metric moved
/// by the verdict's story (a clear win, a loss, nothing, or a broken split for invalid); a
/// running test (no verdict yet) trends up.
fn demo_counts(brief: &Brief, days: u64, story: Option<VerdictKind>) -> Counts {
    let per_arm = 10_000 * days;
    let p = brief.baseline_rate.unwrap_or(0.05);
    let mde = brief.mde.unwrap_or(0.05);
    let (treatment_users, lift, bounce_lift) = match story {
        Some(VerdictKind::Ship) => (per_arm, mde * 1.3, -0.01),
        Some(VerdictKind::DontShip) => (per_arm, -mde * 0.5, 0.04),
        Some(VerdictKind::Invalid) => (per_arm * 94 / 100, 0.02, 0.0),
        Some(VerdictKind::Inconclusive) => (per_arm, mde * 0.1, 0.0),
        None => (per_arm, mde * 0.6, 0.005),
    };
    let conv = |users: u64, rate: f64| Observed::Proportion {
        conversions: (users as f64 * rate).round() as u64,
    };
    Counts {
        segments: Vec::new(),
        arms: vec![
            ArmCount {
                name: "control".into(),
                users: per_arm,
            },
            ArmCount {
                name: "treatment".into(),
                users: treatment_users,
            },
        ],
        metrics: vec![
            MetricCounts {
                covariates: Vec::new(),
                metric: brief.primary.name.clone(),
                values: vec![conv(per_arm, p), conv(treatment_users, p * (1.0 + lift))],
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: brief.secondary[0].name.clone(),
                values: vec![
                    Observed::from_mean_sd(per_arm, 2.40, 11.0),
                    Observed::from_mean_sd(treatment_users, 2.40 * (1.0 + lift / 2.0), 11.0),
                ],
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: brief.secondary[1].name.clone(),
                values: vec![
                    conv(per_arm, 0.42),
                    conv(treatment_users, 0.42 * (1.0 + bounce_lift)),
                ],
            },
        ],
        multi_arm_users: per_arm / 400,
        incomplete_windows: 0,
    }
}

fn demo_conclusion(verdict: VerdictKind) -> Conclusion {
    // (verdict, summary, lessons): realistic post-mortems so the learnings page has content.
    let (verdict, summary, lessons) = match verdict {
        VerdictKind::Ship => (
            Verdict::Ship { arm: "treatment".into() },
            "The treatment beat the minimum lift with guardrails intact.",
            "Removing friction at the decision point pays; the effect held on mobile and desktop.",
        ),
        VerdictKind::DontShip => (
            Verdict::DontShip,
            "No lift on the primary metric; a guardrail moved the wrong way.",
            "Users valued the old flow's reassurance more than its speed; refunds rose with the change.",
        ),
        VerdictKind::Invalid => (
            Verdict::Invalid,
            "Sample ratio mismatch (p < 0.001): assignment was broken by a redirect.",
            "Redirect-based assignment loses users unevenly; assign server-side before the redirect.",
        ),
        VerdictKind::Inconclusive => (
            Verdict::Inconclusive,
            "The interval still spans zero at the planned end; rerun with more traffic.",
            "Copy changes this small need far more traffic than this surface gets in a month.",
        ),
    };
    Conclusion {
        verdict,
        summary: summary.into(),
        stopped_early: None,
        computed: None,
        override_reason: None,
        post_mortem: PostMortem {
            lessons: lessons.into(),
            segment_notes: String::new(),
            next_idea: String::new(),
        },
    }
}

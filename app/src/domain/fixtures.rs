//! Builders for tests: a complete brief and an experiment in any status.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::brief::{Arm, Brief, CupedSetting, DecisionRule, Hypothesis, MetricSpec};
use super::experiment::{Experiment, ExperimentId, ExperimentKey};
use super::lifecycle::{ProgramContext, Status};
use super::metric::{Correction, Direction, Engine, Measure};
use super::signoff::{SignOff, SignOffGate, SignOffRole};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn metric(name: &str, kind: Measure) -> MetricSpec {
    MetricSpec {
        name: name.into(),
        event: format!("{name}_event"),
        kind,
        direction: Direction::Increase,
        value_property: if kind == Measure::Mean {
            "amount".into()
        } else {
            String::new()
        },
        ..MetricSpec::default()
    }
}

pub fn complete_brief() -> Brief {
    Brief {
        hypothesis: Hypothesis {
            change: "the checkout".into(),
            from: "three steps".into(),
            to: "one page".into(),
            because: "every step loses buyers".into(),
            draft: String::new(),
        },
        primary: metric("purchase", Measure::Proportion),
        secondary: vec![
            metric("revenue", Measure::Mean),
            metric("refunds", Measure::Proportion),
        ],
        baseline_rate: Some(0.1),
        baseline_mean: None,
        baseline_sd: None,
        mde: Some(0.05),
        alpha: 0.05,
        power: 0.8,
        arms: vec![
            Arm {
                name: "control".into(),
                weight: 0.5,
            },
            Arm {
                name: "one_page".into(),
                weight: 0.5,
            },
        ],
        daily_traffic: Some(10_000),
        window_days: 14,
        exposure: Default::default(),
        planned_start: Some(date(2026, 11, 2)),
        planned_end: Some(date(2026, 11, 16)),
        rule: DecisionRule {
            min_lift: Some(0.02),
            max_guardrail_drop: Some(0.01),
            engine: Engine::Frequentist,
            correction: Correction::Holm,
        },
        cuped: CupedSetting::off(),
        segments: Vec::new(),
        design_doc: String::new(),
        ticket: String::new(),
        notes: String::new(),
    }
}

pub fn experiment(status: Status, brief: Brief) -> Experiment {
    Experiment {
        id: ExperimentId(1),
        key: ExperimentKey::parse("checkout_one_page").unwrap(),
        title: "One-page checkout".into(),
        owner: "Ana".into(),
        team: "Checkout".into(),
        surface: "checkout".into(),
        tags: vec![],
        status,
        archived: false,
        version: 1,
        brief,
        started_at: None,
        ended_at: None,
        conclusion: None,
        follows: None,
        created_at: now(),
        updated_at: now(),
    }
}

/// A program context in which all three sign-offs are recorded, for tests of other launch rules.
pub fn signed_off() -> ProgramContext {
    ProgramContext {
        sign_offs: SignOffGate {
            required: true,
            recorded: SignOffRole::ALL
                .into_iter()
                .map(|role| SignOff {
                    role,
                    name: "Ana".into(),
                    user_id: Some(1),
                    at: now(),
                })
                .collect(),
        },
        ..Default::default()
    }
}

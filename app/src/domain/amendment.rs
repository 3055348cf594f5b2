//! Amendments: the only way to change a running experiment's brief. Changing settings mid-test
//! is how teams fool themselves, so an amendment needs a written reason, names every brief field
//! it changed (diffed here, never trusted from the client), and is shown on the results view.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::brief::Brief;
pub use super::brief::BriefField;
use super::experiment::{Experiment, FieldError};
use super::lifecycle::Status;

/// A reason is a sentence or a paragraph, not an essay.
pub const MAX_REASON_CHARS: usize = 2_000;

/// Every field that differs between two briefs, in the brief's own order.
pub fn changed_fields(before: &Brief, after: &Brief) -> Vec<BriefField> {
    use BriefField as F;
    let checks = [
        (F::Hypothesis, before.hypothesis != after.hypothesis),
        (F::PrimaryMetric, before.primary != after.primary),
        (F::Guardrails, before.secondary != after.secondary),
        (
            F::Baseline,
            before.baseline_rate != after.baseline_rate
                || before.baseline_mean != after.baseline_mean
                || before.baseline_sd != after.baseline_sd,
        ),
        (F::Mde, before.mde != after.mde),
        (F::Alpha, before.alpha != after.alpha),
        (F::Power, before.power != after.power),
        (F::Arms, before.arms != after.arms),
        (F::DailyTraffic, before.daily_traffic != after.daily_traffic),
        (F::ConversionWindow, before.window_days != after.window_days),
        (F::Exposure, before.exposure != after.exposure),
        (F::PlannedStart, before.planned_start != after.planned_start),
        (F::PlannedEnd, before.planned_end != after.planned_end),
        (F::DecisionRule, before.rule != after.rule),
        (F::Cuped, before.cuped != after.cuped),
        (F::Segments, before.segments != after.segments),
        (
            F::Links,
            before.design_doc != after.design_doc || before.ticket != after.ticket,
        ),
        (F::Notes, before.notes != after.notes),
    ];
    checks
        .into_iter()
        .filter_map(|(field, changed)| changed.then_some(field))
        .collect()
}

/// "decision rule", "decision rule and planned end date", "a, b and c".
pub fn list_fields(fields: &[BriefField]) -> String {
    let labels: Vec<&str> = fields.iter().map(|f| f.label()).collect();
    match labels.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// One logged amendment of a running brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amendment {
    pub at: DateTime<Utc>,
    pub by: String,
    pub user_id: Option<i64>,
    pub reason: String,
    pub changed: Vec<BriefField>,
    pub before: Brief,
    pub after: Brief,
}

impl Amendment {
    /// "decision rule and planned end date".
    pub fn what_changed(&self) -> String {
        list_fields(&self.changed)
    }
}

/// Why an amendment is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum AmendmentError {
    #[error("only a running experiment's brief is amended; this one is {}: {}", .0.label().to_ascii_lowercase(), if .0.brief_editable() { "edit the brief directly" } else { "its brief is locked for good" })]
    NotRunning(Status),
    #[error("an amendment needs a written reason: say why the brief changes mid-test")]
    ReasonRequired,
    #[error("the reason is limited to {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
    #[error("nothing changed: the amended brief is the same as the running one")]
    NothingChanged,
    #[error("the amended brief is incomplete: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidBrief(Vec<FieldError>),
}

/// What the database writes for an allowed amendment.
#[derive(Debug, Clone, PartialEq)]
pub struct AmendmentPlan {
    pub reason: String,
    pub changed: Vec<BriefField>,
}

/// Checks an amendment of `exp`'s brief to `proposed`: the experiment runs, a reason is given,
/// something changed, and the amended brief is still complete (a running test keeps a valid plan).
pub fn plan_amendment(
    exp: &Experiment,
    proposed: &Brief,
    reason: &str,
) -> Result<AmendmentPlan, AmendmentError> {
    if exp.status != Status::Running {
        return Err(AmendmentError::NotRunning(exp.status));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AmendmentError::ReasonRequired);
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AmendmentError::ReasonTooLong);
    }
    let changed = changed_fields(&exp.brief, proposed);
    if changed.is_empty() {
        return Err(AmendmentError::NothingChanged);
    }
    let problems = proposed.validate();
    if !problems.is_empty() {
        return Err(AmendmentError::InvalidBrief(problems));
    }
    Ok(AmendmentPlan {
        reason: reason.to_owned(),
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{complete_brief, date, experiment};

    fn running() -> Experiment {
        experiment(Status::Running, complete_brief())
    }

    #[test]
    fn the_diff_lists_every_changed_field_in_brief_order() {
        let before = complete_brief();
        let mut after = before.clone();
        after.planned_end = Some(date(2026, 11, 30));
        after.rule.min_lift = Some(0.01);
        after.mde = Some(0.03);
        after.primary.event = "order_placed".into();
        assert_eq!(
            changed_fields(&before, &after),
            vec![
                BriefField::PrimaryMetric,
                BriefField::Mde,
                BriefField::PlannedEnd,
                BriefField::DecisionRule
            ]
        );
        assert!(changed_fields(&before, &before.clone()).is_empty());
    }

    #[test]
    fn turning_cuped_off_or_changing_segments_is_an_amendment() {
        let before = crate::domain::fixtures::complete_brief();
        let mut after = before.clone();
        after.cuped.enabled = !after.cuped.enabled;
        after.segments = vec!["$os".into()];
        assert_eq!(
            changed_fields(&before, &after),
            [BriefField::Cuped, BriefField::Segments]
        );
        assert!(BriefField::Cuped.affects_the_decision());
    }

    #[test]
    fn changed_fields_read_as_a_list() {
        assert_eq!(list_fields(&[BriefField::DecisionRule]), "decision rule");
        assert_eq!(
            list_fields(&[
                BriefField::Mde,
                BriefField::PlannedEnd,
                BriefField::DecisionRule
            ]),
            "minimum detectable effect, planned end date and decision rule"
        );
    }

    #[test]
    fn an_amendment_with_a_reason_lists_what_it_changes() {
        let mut after = complete_brief();
        after.rule.min_lift = Some(0.03);
        let plan = plan_amendment(&running(), &after, "  finance asked for a higher bar ").unwrap();
        assert_eq!(plan.reason, "finance asked for a higher bar");
        assert_eq!(plan.changed, vec![BriefField::DecisionRule]);
    }

    #[test]
    fn an_empty_or_blank_reason_is_refused() {
        let mut after = complete_brief();
        after.rule.min_lift = Some(0.03);
        for reason in ["", "   \n"] {
            let err = plan_amendment(&running(), &after, reason).unwrap_err();
            assert_eq!(err, AmendmentError::ReasonRequired);
            assert!(err.to_string().contains("written reason"));
        }
    }

    #[test]
    fn an_amendment_that_changes_nothing_is_refused() {
        assert_eq!(
            plan_amendment(&running(), &complete_brief(), "no reason").unwrap_err(),
            AmendmentError::NothingChanged
        );
    }

    #[test]
    fn only_running_briefs_are_amended() {
        let mut after = complete_brief();
        after.notes = "more".into();
        for status in [Status::Proposed, Status::Ready, Status::Done] {
            let err =
                plan_amendment(&experiment(status, complete_brief()), &after, "why").unwrap_err();
            assert_eq!(err, AmendmentError::NotRunning(status));
        }
        let done = AmendmentError::NotRunning(Status::Done).to_string();
        assert!(done.contains("locked for good"), "{done}");
    }

    #[test]
    fn an_amended_brief_must_stay_complete() {
        let mut after = complete_brief();
        after.rule.min_lift = None;
        match plan_amendment(&running(), &after, "drop the bar").unwrap_err() {
            AmendmentError::InvalidBrief(problems) => {
                assert!(problems.iter().any(|p| p.field == "rule.min_lift"))
            }
            other => panic!("expected an invalid brief, got {other:?}"),
        }
    }
}

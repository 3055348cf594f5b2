use super::*;
use crate::domain::experiment::FieldError;
use crate::domain::fixtures::{complete_brief, date, metric};

fn fields(b: &Brief) -> Vec<String> {
    b.validate().into_iter().map(|e| e.field).collect()
}

#[test]
fn a_complete_brief_has_no_problems_and_is_fully_complete() {
    assert_eq!(complete_brief().validate(), vec![]);
    assert_eq!(complete_brief().completeness(), 1.0);
}

#[test]
fn an_empty_brief_is_incomplete_in_every_section_but_arms() {
    let b = Brief::default();
    let c = b.completeness();
    assert!(
        (c - 1.0 / 9.0).abs() < 1e-9,
        "only the default arms are complete, got {c}"
    );
}

#[test]
fn guardrails_must_number_two_or_three() {
    let mut b = complete_brief();
    b.secondary.truncate(1);
    assert!(fields(&b).contains(&"secondary".to_string()));
    b.secondary = (0..4)
        .map(|i| metric(&format!("g{i}"), Measure::Proportion))
        .collect();
    assert!(fields(&b).contains(&"secondary".to_string()));
}

#[test]
fn a_metric_may_not_be_both_primary_and_guardrail() {
    let mut b = complete_brief();
    b.secondary[1].name = "purchase".into();
    assert_eq!(fields(&b), ["secondary[1].name"]);
}

#[test]
fn mean_metrics_need_a_value_property_and_a_baseline_mean_and_sd() {
    let mut b = complete_brief();
    b.primary = metric("revenue_per_user", Measure::Mean);
    b.primary.value_property.clear();
    b.secondary[0].name = "aov".into();
    assert_eq!(
        fields(&b),
        ["primary.value_property", "baseline_mean", "baseline_sd"]
    );
}

#[test]
fn arm_weights_must_sum_to_one_and_names_be_unique() {
    let mut b = complete_brief();
    b.arms[1].weight = 0.6;
    b.arms.push(Arm {
        name: "control".into(),
        weight: 0.1,
    });
    let f = fields(&b);
    assert!(f.contains(&"arms[2].name".to_string()));
    assert!(b
        .validate()
        .iter()
        .any(|e| e.message.contains("sum to 120%")));
}

#[test]
fn the_end_date_must_follow_the_start_date() {
    let mut b = complete_brief();
    b.planned_end = Some(date(2026, 11, 1));
    assert_eq!(fields(&b), ["planned_end"]);
}

#[test]
fn a_lift_that_would_push_the_rate_past_100_percent_is_refused() {
    let mut b = complete_brief();
    b.baseline_rate = Some(0.9);
    b.mde = Some(0.2);
    assert_eq!(fields(&b), ["mde"]);
}

#[test]
fn the_hypothesis_sentence_shows_blanks_while_drafting() {
    let mut b = Brief::default();
    assert_eq!(b.hypothesis_sentence(), "Changing [what] from [A] to [B] will improve [primary metric] by at least [Z]%, because [why].");
    b = complete_brief();
    assert_eq!(
        b.hypothesis_sentence(),
        "Changing the checkout from three steps to one page will improve purchase by at least 5%, because every step loses buyers."
    );
}

#[test]
fn every_validation_field_maps_to_a_known_section() {
    let mut broken = complete_brief();
    broken.secondary[1].event.clear();
    broken.arms[1].name.clear();
    broken.arms[0].weight = 2.0;
    broken.exposure = Exposure::Custom {
        event: String::new(),
        experiment_property: String::new(),
        variant_property: String::new(),
    };
    let problems: Vec<FieldError> = Brief::default()
        .validate()
        .into_iter()
        .chain(broken.validate())
        .collect();
    for e in &problems {
        // Every problem names a typed path, which prints back as the field the JSON carries.
        let path = e
            .brief_path()
            .unwrap_or_else(|| panic!("{} is not a brief path", e.field));
        assert_eq!(path.to_string(), e.field);
        assert!(SECTIONS.contains(&path.section()), "{}", e.field);
    }
    let fields: Vec<&str> = problems.iter().map(|e| e.field.as_str()).collect();
    for expected in [
        "secondary[1].event",
        "arms[1].name",
        "arms[0].weight",
        "arms.exposure",
    ] {
        assert!(fields.contains(&expected), "{expected} in {fields:?}");
    }
}

#[test]
fn only_a_complete_brief_becomes_ready() {
    let ready = complete_brief().ready().unwrap();
    assert_eq!(ready.brief(), &complete_brief());
    let mut b = complete_brief();
    b.mde = None;
    let problems = b.ready().unwrap_err();
    assert_eq!(problems, b.validate());
    assert!(problems.iter().any(|p| p.field == "mde"), "{problems:?}");
}

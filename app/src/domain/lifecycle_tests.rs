use super::*;
use crate::domain::brief::Brief;
use crate::domain::fixtures::{complete_brief, date, experiment, now, signed_off};
use crate::domain::signoff::{SignOffGate, SignOffRole};
use crate::domain::verdict::{PostMortem, Verdict, VerdictKind};

fn to(status: Status) -> TransitionRequest {
    TransitionRequest::to(status)
}

fn conclusion(kind: VerdictKind, arm: &str) -> Closing {
    Closing {
        verdict: Some(kind),
        ship_arm: given(arm),
        summary: "one page won".into(),
        post_mortem: PostMortem {
            lessons: "fewer steps, more buyers".into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn closing(kind: VerdictKind, arm: &str) -> TransitionRequest {
    TransitionRequest::Close(conclusion(kind, arm))
}

fn reasons(err: TransitionError) -> Vec<String> {
    match err {
        TransitionError::Refused { reasons, .. } => reasons,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn only_the_four_forward_moves_and_back_to_drafting_are_allowed() {
    let ctx = ProgramContext::default();
    for from in Status::ALL {
        for target in Status::ALL {
            let exp = experiment(from, complete_brief());
            let result = plan_transition(&exp, &to(target), now(), &ctx);
            let allowed = from.allowed_transitions().contains(&target);
            if !allowed {
                assert_eq!(
                    result,
                    Err(TransitionError::NotAllowed { from, to: target }),
                    "{from:?} -> {target:?}"
                );
            }
        }
    }
    assert_eq!(Status::Done.allowed_transitions(), &[] as &[Status]);
    assert_eq!(
        Status::Ready.allowed_transitions(),
        &[Status::Running, Status::Proposed]
    );
}

#[test]
fn proposed_to_ready_with_a_complete_brief_is_allowed() {
    let plan = plan_transition(
        &experiment(Status::Proposed, complete_brief()),
        &to(Status::Ready),
        now(),
        &ProgramContext::default(),
    )
    .unwrap();
    assert_eq!((plan.from(), plan.to()), (Status::Proposed, Status::Ready));
}

#[test]
fn proposed_to_ready_with_an_empty_brief_lists_every_missing_item() {
    let err = plan_transition(
        &experiment(Status::Proposed, Brief::default()),
        &to(Status::Ready),
        now(),
        &ProgramContext::default(),
    )
    .unwrap_err();
    let reasons = reasons(err);
    for needle in [
        "hypothesis",
        "primary metric",
        "guardrail",
        "baseline",
        "minimum detectable effect",
        "daily traffic",
        "start date",
        "end date",
        "minimum lift",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(needle)),
            "no reason mentions {needle}: {reasons:#?}"
        );
    }
}

#[test]
fn ready_back_to_proposed_is_always_allowed() {
    let plan = plan_transition(
        &experiment(Status::Ready, Brief::default()),
        &to(Status::Proposed),
        now(),
        &ProgramContext::default(),
    );
    assert!(plan.is_ok());
}

#[test]
fn launch_records_the_start_and_warns_about_overlap_without_refusing() {
    let ctx = ProgramContext {
        running_on_surface: vec!["checkout_copy".into()],
        ..signed_off()
    };
    let plan = plan_transition(
        &experiment(Status::Ready, complete_brief()),
        &to(Status::Running),
        now(),
        &ctx,
    )
    .unwrap();
    assert_eq!(plan.started_at(), Some(now()));
    assert_eq!(plan.warnings().len(), 1);
    assert!(plan.warnings()[0].contains("checkout_copy"));
}

#[test]
fn launch_needs_an_end_date_at_least_seven_days_out() {
    let mut brief = complete_brief();
    brief.planned_end = Some(date(2026, 11, 8)); // six days after "now"
    let err = plan_transition(
        &experiment(Status::Ready, brief.clone()),
        &to(Status::Running),
        now(),
        &ProgramContext::default(),
    )
    .unwrap_err();
    assert!(reasons(err)[0].contains("less than 7 days"));
    brief.planned_end = Some(date(2026, 11, 9)); // exactly seven
    assert!(plan_transition(
        &experiment(Status::Ready, brief),
        &to(Status::Running),
        now(),
        &signed_off()
    )
    .is_ok());
}

#[test]
fn launch_is_refused_with_one_reason_per_missing_sign_off() {
    let exp = experiment(Status::Ready, complete_brief());
    let err = plan_transition(
        &exp,
        &to(Status::Running),
        now(),
        &ProgramContext::default(),
    )
    .unwrap_err();
    assert_eq!(
        reasons(err),
        vec![
            "no product sign-off yet",
            "no engineering sign-off yet",
            "no design sign-off yet"
        ]
    );
    for missing in SignOffRole::ALL {
        let mut ctx = signed_off();
        ctx.sign_offs.recorded.retain(|s| s.role != missing);
        let err = plan_transition(&exp, &to(Status::Running), now(), &ctx).unwrap_err();
        assert_eq!(
            reasons(err),
            vec![format!("no {} sign-off yet", missing.slug())],
            "without {missing}"
        );
    }
}

#[test]
fn a_workspace_that_does_not_require_sign_offs_launches_without_them() {
    let ctx = ProgramContext {
        sign_offs: SignOffGate {
            required: false,
            recorded: vec![],
        },
        ..Default::default()
    };
    let exp = experiment(Status::Ready, complete_brief());
    assert!(plan_transition(&exp, &to(Status::Running), now(), &ctx).is_ok());
}

#[test]
fn missing_sign_offs_do_not_block_other_moves() {
    let exp = experiment(Status::Ready, complete_brief());
    assert!(plan_transition(
        &exp,
        &to(Status::Proposed),
        now(),
        &ProgramContext::default()
    )
    .is_ok());
    let exp = experiment(Status::Proposed, complete_brief());
    assert!(plan_transition(&exp, &to(Status::Ready), now(), &ProgramContext::default()).is_ok());
}

#[test]
fn closing_needs_a_verdict_and_a_summary() {
    let exp = experiment(Status::Running, complete_brief());
    let err = plan_transition(
        &exp,
        &TransitionRequest::to(Status::Done),
        now(),
        &ProgramContext::default(),
    )
    .unwrap_err();
    let reasons = reasons(err);
    assert!(reasons.iter().any(|r| r.contains("choose a verdict")));
    assert!(reasons.iter().any(|r| r.contains("summary")));
}

#[test]
fn a_ship_verdict_must_name_a_treatment_arm() {
    let mut exp = experiment(Status::Running, complete_brief());
    exp.brief.planned_end = Some(date(2026, 11, 1));
    let err = plan_transition(
        &exp,
        &closing(VerdictKind::Ship, "control"),
        now(),
        &ProgramContext::default(),
    )
    .unwrap_err();
    assert!(reasons(err)[0].contains("not a treatment arm"));
    let plan = plan_transition(
        &exp,
        &closing(VerdictKind::Ship, "one_page"),
        now(),
        &ProgramContext::default(),
    )
    .unwrap();
    let conclusion = plan.conclusion().unwrap().clone();
    assert_eq!(
        conclusion.verdict,
        Verdict::Ship {
            arm: "one_page".into()
        }
    );
    assert_eq!(conclusion.stopped_early, None);
    assert_eq!(plan.ended_at(), Some(now()));
}

#[test]
fn stopping_before_the_planned_end_needs_a_reason_and_is_recorded_as_stopped_early() {
    let exp = experiment(Status::Running, complete_brief()); // ends 2026-11-16, now is 11-02
    let err = plan_transition(
        &exp,
        &closing(VerdictKind::DontShip, ""),
        now(),
        &ProgramContext::default(),
    )
    .unwrap_err();
    assert!(reasons(err)[0].contains("needs a reason"));
    let mut req = conclusion(VerdictKind::DontShip, "");
    req.stop_reason = given("guardrail broke: refunds doubled");
    let req = TransitionRequest::Close(req);
    let plan = plan_transition(&exp, &req, now(), &ProgramContext::default()).unwrap();
    assert_eq!(
        plan.conclusion().unwrap().stopped_early.as_deref(),
        Some("guardrail broke: refunds doubled")
    );
}

#[test]
fn briefs_are_editable_only_before_launch() {
    assert!(Status::Proposed.brief_editable());
    assert!(Status::Ready.brief_editable());
    assert!(!Status::Running.brief_editable());
    assert!(!Status::Done.brief_editable());
}

#[test]
fn status_slugs_round_trip_through_json() {
    for s in Status::ALL {
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.slug())
        );
        assert_eq!(Status::from_slug(s.slug()), Some(s));
    }
}

#[test]
fn closing_against_the_computed_verdict_needs_a_written_reason_which_is_recorded() {
    let mut exp = experiment(Status::Running, complete_brief());
    exp.brief.planned_end = Some(date(2026, 11, 1));
    let ctx = ProgramContext {
        computed_verdict: Some(Verdict::Inconclusive),
        ..Default::default()
    };
    let err =
        plan_transition(&exp, &closing(VerdictKind::Ship, "one_page"), now(), &ctx).unwrap_err();
    assert!(reasons(err)[0]
        .contains("verdict is 'Inconclusive'; choosing another verdict needs a written reason"));
    let mut req = conclusion(VerdictKind::Ship, "one_page");
    req.override_reason = given("the lift is strategic");
    let c = plan_transition(&exp, &TransitionRequest::Close(req), now(), &ctx)
        .unwrap()
        .conclusion
        .unwrap();
    assert!(c.overridden());
    assert_eq!(c.override_reason.as_deref(), Some("the lift is strategic"));
    // Following the rule needs no reason.
    let c = plan_transition(&exp, &closing(VerdictKind::Inconclusive, ""), now(), &ctx)
        .unwrap()
        .conclusion
        .unwrap();
    assert!(!c.overridden() && c.override_reason.is_none());
}

#[test]
fn closing_needs_a_post_mortem_with_lessons() {
    let mut exp = experiment(Status::Running, complete_brief());
    exp.brief.planned_end = Some(date(2026, 11, 1));
    let mut req = conclusion(VerdictKind::DontShip, "");
    req.post_mortem.lessons = "  ".into();
    let err = plan_transition(
        &exp,
        &TransitionRequest::Close(req.clone()),
        now(),
        &ProgramContext::default(),
    )
    .unwrap_err();
    assert!(reasons(err)
        .iter()
        .any(|r| r.contains("post-mortem's lessons")));
    req.post_mortem = PostMortem {
        lessons: " users ignore badges ".into(),
        segment_notes: "mobile flat".into(),
        next_idea: "try inline trust copy".into(),
    };
    let c = plan_transition(
        &exp,
        &TransitionRequest::Close(req),
        now(),
        &ProgramContext::default(),
    )
    .unwrap()
    .conclusion
    .unwrap();
    assert_eq!(c.post_mortem.lessons, "users ignore badges");
    assert_eq!(c.post_mortem.next_idea, "try inline trust copy");
}

#[test]
fn only_a_launched_test_accepts_results() {
    let accepting: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| s.accepts_results())
        .collect();
    assert_eq!(accepting, vec![Status::Running, Status::Done]);
}

#[test]
fn a_request_travels_as_the_flat_json_clients_send() {
    let close: TransitionRequest = serde_json::from_value(serde_json::json!({
        "to": "done", "verdict": "ship", "ship_arm": " one_page ", "summary": "won",
        "stop_reason": "  ", "post_mortem": {"lessons": "l", "segment_notes": "", "next_idea": ""}
    }))
    .unwrap();
    let TransitionRequest::Close(c) = &close else {
        panic!("to: done is a close, got {close:?}")
    };
    assert_eq!(c.ship_arm.as_deref(), Some("one_page"));
    assert_eq!(c.stop_reason, None, "a blank reason is no reason");
    let back: TransitionRequest =
        serde_json::from_str(&serde_json::to_string(&close).unwrap()).unwrap();
    assert_eq!(back, close);
    let ready: TransitionRequest =
        serde_json::from_value(serde_json::json!({"to": "ready", "note": "go"})).unwrap();
    assert_eq!(
        ready,
        TransitionRequest::Move {
            to: Status::Ready,
            note: "go".into()
        }
    );
    assert!(serde_json::from_value::<TransitionRequest>(serde_json::json!({"note": "?"})).is_err());
}

use super::*;

fn range() -> (NaiveDate, NaiveDate) {
    let d = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    (d, d)
}

#[test]
fn a_second_pull_of_the_same_experiment_is_refused_while_the_first_runs() {
    let registry = PullRegistry::default();
    let first = registry.begin("exp", Trigger::Manual, range()).unwrap();
    assert!(registry.begin("exp", Trigger::Schedule, range()).is_err());
    assert!(registry.begin("other", Trigger::Manual, range()).is_ok());
    first.finish(PullPhase::Succeeded, "stored".into());
    assert!(registry.begin("exp", Trigger::Manual, range()).is_ok());
}

#[test]
fn progress_and_outcome_are_kept_and_frozen_once_finished() {
    let registry = PullRegistry::default();
    let handle = registry.begin("exp", Trigger::Manual, range()).unwrap();
    handle.progress(Progress {
        bytes: 10,
        lines: 2,
        events: 1,
        skipped: 0,
        anonymous: 0,
    });
    let running = registry.status("exp").unwrap();
    assert_eq!(
        (running.phase, running.bytes, running.events),
        (PullPhase::Running, 10, 1)
    );
    handle.finish(PullPhase::Failed, "Mixpanel said no".into());
    let failed = registry.status("exp").unwrap();
    assert_eq!(failed.phase, PullPhase::Failed);
    assert_eq!(failed.message.as_deref(), Some("Mixpanel said no"));
    assert_eq!(
        registry.status("exp").unwrap().elapsed_ms,
        failed.elapsed_ms
    );
}

#[test]
fn cancel_raises_the_flag_of_a_running_pull_only() {
    let registry = PullRegistry::default();
    assert!(!registry.cancel("exp"));
    let handle = registry.begin("exp", Trigger::Manual, range()).unwrap();
    assert!(!handle.is_cancelled());
    assert!(registry.cancel("exp"));
    assert!(handle.is_cancelled());
    handle.finish(PullPhase::Cancelled, "cancelled".into());
    assert!(!registry.cancel("exp"));
}

#[test]
fn a_handle_dropped_without_an_outcome_marks_the_pull_failed() {
    let registry = PullRegistry::default();
    drop(registry.begin("exp", Trigger::Manual, range()).unwrap());
    let status = registry.status("exp").unwrap();
    assert_eq!(status.phase, PullPhase::Failed);
    assert!(status.message.unwrap().contains("nothing was stored"));
}

#[test]
fn backoff_doubles_honours_retry_after_and_stops_after_the_last_attempt() {
    let policy = RetryPolicy {
        attempts: 4,
        first_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(3),
    };
    let waits: Vec<_> = (1..=4).map(|failed| policy.delay(failed, None)).collect();
    let secs = |s| Some(Duration::from_secs(s));
    assert_eq!(waits, [secs(1), secs(2), secs(3), None]);
    assert_eq!(policy.delay(1, secs(2)), secs(2));
    assert_eq!(policy.delay(1, secs(60)), None, "too long a wait gives up");
}

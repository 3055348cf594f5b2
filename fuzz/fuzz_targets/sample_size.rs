//! `POST /api/v1/stats/sample-size`: arbitrary bytes as the JSON body, through serde,
//! `sample_size` and `try_achieved_power` (the brief's "what power do we really have"). An Ok
//! plan must be a usable one: at least one user per arm, totals that add up, whole weeks, and a
//! power in [0, 1] that reaches the requested power at the planned size.
#![no_main]

use app::domain::stats::{sample_size, try_achieved_power, SampleSizeRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<SampleSizeRequest>(data) else {
        return;
    };
    let Ok(plan) = sample_size(&request) else {
        return;
    };
    assert!(
        plan.n_per_arm >= 1,
        "a plan with {} users per arm",
        plan.n_per_arm
    );
    assert_eq!(plan.total_users, plan.n_per_arm * u64::from(request.arms));
    assert_eq!(plan.days_needed.is_some(), request.daily_traffic.is_some());
    if let (Some(days), Some(weeks)) = (plan.days_needed, plan.recommended_days) {
        assert!(
            weeks >= days && weeks >= 7 && weeks % 7 == 0,
            "{days} days -> {weeks}"
        );
    }
    let power =
        try_achieved_power(&request, plan.n_per_arm).expect("a planned request has a power");
    assert!((0.0..=1.0).contains(&power), "achieved power {power}");
    assert!(
        power >= request.power - 1e-6,
        "the planned {} users per arm give power {power}, below the requested {}",
        plan.n_per_arm,
        request.power
    );
});

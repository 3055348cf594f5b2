//! The demo program: about thirty experiments across four teams, in every state, with complete
//! briefs, end dates relative to today (some overdue) and verdicts on the finished ones, so a
//! newcomer sees a living board on first run.

use chrono::{DateTime, Duration, Utc};
use sqlx::SqlitePool;

use crate::domain::account::{Credential, Identity, Role};
use crate::domain::amendment::plan_amendment;
use crate::domain::brief::{Arm, Brief, DecisionRule, Hypothesis, MetricSpec};
use crate::domain::experiment::{Experiment, NewExperiment, NewExperimentForm};
use crate::domain::lifecycle::{Status, TransitionPlan};
use crate::domain::metric::{Correction, Direction, Engine, MetricKind};
use crate::domain::results::{ArmCount, Counts, MetricCounts, Observed, Source};
use crate::domain::signoff::SignOffRole;
use crate::domain::verdict::{Conclusion, PostMortem, Verdict};
use crate::error::AppError;

use super::{experiments, signoffs};

/// (title, team, owner, surface, change, from, to, because, primary metric, baseline, mde, status,
///  start offset in days from today, planned length in days, verdict for done ones)
type Seed = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    Status,
    i64,
    i64,
    Option<&'static str>,
);

const SEEDS: &[Seed] = &[
    (
        "One-page checkout",
        "Checkout",
        "Ana Souza",
        "checkout",
        "the checkout",
        "three steps",
        "a single page",
        "each extra step loses buyers",
        "purchase",
        0.031,
        0.08,
        Status::Running,
        -10,
        21,
        None,
    ),
    (
        "Express pay buttons above the fold",
        "Checkout",
        "Ana Souza",
        "checkout",
        "the payment step",
        "card form first",
        "Apple/Google Pay first",
        "wallets skip typing",
        "purchase",
        0.031,
        0.05,
        Status::Running,
        -30,
        21,
        None,
    ),
    (
        "Free-shipping threshold banner",
        "Checkout",
        "Luis Ortega",
        "cart",
        "the cart header",
        "no banner",
        "a progress bar to free shipping",
        "a visible goal raises basket size",
        "purchase",
        0.045,
        0.05,
        Status::Done,
        -70,
        28,
        Some("ship"),
    ),
    (
        "Guest checkout default",
        "Checkout",
        "Luis Ortega",
        "checkout",
        "the login wall",
        "account required",
        "guest by default",
        "forced sign-up causes abandonment",
        "purchase",
        0.031,
        0.1,
        Status::Done,
        -110,
        28,
        Some("dont_ship"),
    ),
    (
        "Saved carts reminder email",
        "Checkout",
        "Mei Chen",
        "email",
        "the abandoned-cart email",
        "sent after 24h",
        "sent after 2h",
        "intent decays fast",
        "purchase",
        0.012,
        0.1,
        Status::Done,
        -150,
        21,
        Some("inconclusive"),
    ),
    (
        "Trust badges on payment",
        "Checkout",
        "Mei Chen",
        "checkout",
        "the payment form",
        "no badges",
        "security badges",
        "reassurance at the moment of risk",
        "purchase",
        0.031,
        0.04,
        Status::Ready,
        3,
        28,
        None,
    ),
    (
        "Address autocomplete",
        "Checkout",
        "Ana Souza",
        "checkout",
        "the address form",
        "free text",
        "autocomplete",
        "typing errors cause drop-off",
        "purchase",
        0.031,
        0.05,
        Status::Proposed,
        10,
        21,
        None,
    ),
    (
        "Annual plan toggle default",
        "Pricing",
        "Priya Nair",
        "pricing",
        "the pricing toggle",
        "monthly",
        "annual",
        "anchoring on the yearly saving",
        "paid_conversion",
        0.022,
        0.1,
        Status::Running,
        -20,
        14,
        None,
    ),
    (
        "Three tiers instead of four",
        "Pricing",
        "Priya Nair",
        "pricing",
        "the plan grid",
        "four tiers",
        "three tiers",
        "fewer choices, faster decisions",
        "paid_conversion",
        0.022,
        0.08,
        Status::Done,
        -90,
        28,
        Some("ship"),
    ),
    (
        "Price ending .99 vs .00",
        "Pricing",
        "Tom Becker",
        "pricing",
        "price endings",
        ".00",
        ".99",
        "charm pricing",
        "paid_conversion",
        0.022,
        0.05,
        Status::Done,
        -130,
        28,
        Some("dont_ship"),
    ),
    (
        "Usage-based plan calculator",
        "Pricing",
        "Tom Becker",
        "pricing",
        "the pricing page",
        "static table",
        "an interactive calculator",
        "buyers want to see their own price",
        "paid_conversion",
        0.022,
        0.1,
        Status::Ready,
        5,
        21,
        None,
    ),
    (
        "Discount for students",
        "Pricing",
        "Priya Nair",
        "pricing",
        "eligibility",
        "no student plan",
        "a 50% student plan",
        "students churn on price",
        "paid_conversion",
        0.022,
        0.15,
        Status::Proposed,
        14,
        28,
        None,
    ),
    (
        "Enterprise contact form shortening",
        "Pricing",
        "Tom Becker",
        "pricing",
        "the sales form",
        "nine fields",
        "four fields",
        "every field costs leads",
        "lead_submitted",
        0.04,
        0.1,
        Status::Done,
        -60,
        21,
        Some("invalid"),
    ),
    (
        "Onboarding checklist v2",
        "Growth",
        "Sara Lind",
        "onboarding",
        "the first-run screen",
        "a tour",
        "a five-item checklist",
        "progress cues drive activation",
        "activated",
        0.35,
        0.05,
        Status::Running,
        -25,
        21,
        None,
    ),
    (
        "Social proof on signup",
        "Growth",
        "Sara Lind",
        "signup",
        "the signup page",
        "plain form",
        "customer logos",
        "credibility at the decision point",
        "signup",
        0.08,
        0.05,
        Status::Running,
        -5,
        28,
        None,
    ),
    (
        "Homepage hero copy: benefit-led",
        "Growth",
        "Jonas Weber",
        "homepage",
        "the hero headline",
        "feature list",
        "one benefit sentence",
        "visitors scan for outcomes",
        "signup",
        0.08,
        0.04,
        Status::Done,
        -100,
        21,
        Some("ship"),
    ),
    (
        "Referral reward double-sided",
        "Growth",
        "Jonas Weber",
        "referrals",
        "the referral reward",
        "referrer only",
        "both sides",
        "the invitee needs a reason too",
        "referral_sent",
        0.03,
        0.2,
        Status::Done,
        -160,
        28,
        Some("dont_ship"),
    ),
    (
        "Welcome email day 1 tips",
        "Growth",
        "Sara Lind",
        "email",
        "the day-1 email",
        "a newsletter",
        "three concrete tips",
        "early wins predict retention",
        "activated",
        0.35,
        0.03,
        Status::Done,
        -120,
        21,
        Some("inconclusive"),
    ),
    (
        "Signup with Google one-tap",
        "Growth",
        "Jonas Weber",
        "signup",
        "the signup method",
        "email form",
        "one-tap",
        "less friction",
        "signup",
        0.08,
        0.1,
        Status::Ready,
        2,
        14,
        None,
    ),
    (
        "Progressive profiling",
        "Growth",
        "Sara Lind",
        "onboarding",
        "the profile questions",
        "all at signup",
        "spread over a week",
        "fewer questions up front",
        "activated",
        0.35,
        0.04,
        Status::Proposed,
        20,
        21,
        None,
    ),
    (
        "Exit-intent survey",
        "Growth",
        "Jonas Weber",
        "homepage",
        "exit behaviour",
        "nothing",
        "a one-question survey",
        "we learn why visitors leave",
        "signup",
        0.08,
        0.03,
        Status::Proposed,
        30,
        14,
        None,
    ),
    (
        "Search ranking: ML ranker",
        "Discovery",
        "Kenji Mori",
        "search",
        "the ranking model",
        "BM25",
        "a learned ranker",
        "relevance drives add-to-cart",
        "add_to_cart",
        0.12,
        0.04,
        Status::Running,
        -18,
        28,
        None,
    ),
    (
        "Related items carousel",
        "Discovery",
        "Kenji Mori",
        "product_page",
        "the product page",
        "no carousel",
        "a related-items carousel",
        "people browse sideways",
        "add_to_cart",
        0.12,
        0.05,
        Status::Running,
        -40,
        28,
        None,
    ),
    (
        "Search autocomplete with images",
        "Discovery",
        "Olga Petrova",
        "search",
        "autocomplete",
        "text only",
        "thumbnails",
        "pictures are recognised faster",
        "add_to_cart",
        0.12,
        0.03,
        Status::Done,
        -80,
        21,
        Some("ship"),
    ),
    (
        "Infinite scroll on category pages",
        "Discovery",
        "Olga Petrova",
        "category",
        "pagination",
        "numbered pages",
        "infinite scroll",
        "fewer clicks to see more",
        "add_to_cart",
        0.12,
        0.04,
        Status::Done,
        -140,
        28,
        Some("dont_ship"),
    ),
    (
        "Filters as chips",
        "Discovery",
        "Kenji Mori",
        "category",
        "the filter UI",
        "a sidebar",
        "chips above results",
        "filters get noticed",
        "add_to_cart",
        0.12,
        0.05,
        Status::Done,
        -50,
        21,
        Some("inconclusive"),
    ),
    (
        "Sort by popularity default",
        "Discovery",
        "Olga Petrova",
        "category",
        "default sort",
        "newest",
        "most popular",
        "social proof in ordering",
        "add_to_cart",
        0.12,
        0.04,
        Status::Ready,
        7,
        21,
        None,
    ),
    (
        "Recently viewed strip",
        "Discovery",
        "Kenji Mori",
        "homepage",
        "the homepage",
        "no strip",
        "recently viewed items",
        "returning users resume faster",
        "add_to_cart",
        0.12,
        0.05,
        Status::Proposed,
        25,
        21,
        None,
    ),
    (
        "Spell-correct search queries",
        "Discovery",
        "Olga Petrova",
        "search",
        "query handling",
        "exact match",
        "spell correction",
        "typos return nothing today",
        "add_to_cart",
        0.12,
        0.06,
        Status::Proposed,
        18,
        14,
        None,
    ),
    (
        "Wishlist heart on cards",
        "Discovery",
        "Olga Petrova",
        "product_page",
        "product cards",
        "no wishlist",
        "a heart icon",
        "saving intent brings users back",
        "add_to_cart",
        0.12,
        0.03,
        Status::Done,
        -170,
        28,
        Some("ship"),
    ),
];

fn metric(name: &str, kind: MetricKind, direction: Direction) -> MetricSpec {
    MetricSpec {
        name: name.replace('_', " "),
        event: name.to_owned(),
        kind,
        direction,
        value_property: if kind == MetricKind::Mean {
            "amount".into()
        } else {
            String::new()
        },
    }
}

fn brief_for(seed: &Seed, today: chrono::NaiveDate) -> Brief {
    let (_, _, _, _, change, from, to, because, primary, baseline, mde, _, start, length, _) =
        *seed;
    let start_date = today + Duration::days(start);
    Brief {
        hypothesis: Hypothesis {
            change: change.into(),
            from: from.into(),
            to: to.into(),
            because: because.into(),
            draft: format!("{to} instead of {from}"),
        },
        primary: metric(primary, MetricKind::Proportion, Direction::Increase),
        secondary: vec![
            metric("revenue_per_user", MetricKind::Mean, Direction::Increase),
            metric("bounce", MetricKind::Proportion, Direction::Decrease),
        ],
        baseline_rate: Some(baseline),
        baseline_mean: None,
        baseline_sd: None,
        mde: Some(mde),
        alpha: 0.05,
        power: 0.8,
        arms: vec![
            Arm {
                name: "control".into(),
                weight: 0.5,
            },
            Arm {
                name: "treatment".into(),
                weight: 0.5,
            },
        ],
        daily_traffic: Some(20_000),
        window_days: 14,
        exposure: Default::default(),
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
        design_doc: String::new(),
        ticket: String::new(),
        notes: "Seeded by `verdict demo`. **Markdown** is rendered safely.".into(),
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
        let (title, team, owner, surface, .., status, start, length, verdict) = *seed;
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
        let steps: &[Status] = match status {
            Status::Proposed => &[],
            Status::Ready => &[Status::Ready],
            Status::Running => &[Status::Ready, Status::Running],
            Status::Done => &[Status::Ready, Status::Running, Status::Done],
        };
        for &to in steps {
            let at = match to {
                Status::Ready => created + Duration::days(3),
                Status::Running => now + Duration::days(start),
                _ => now + Duration::days(start + length),
            };
            if to == Status::Running {
                sign_off_all(pool, &exp, owner, at - Duration::days(1)).await?;
            }
            let conclusion =
                (to == Status::Done).then(|| demo_conclusion(verdict.unwrap_or("inconclusive")));
            let plan = TransitionPlan {
                from: exp.status,
                to,
                started_at: (to == Status::Running).then_some(at),
                ended_at: (to == Status::Done).then_some(at),
                conclusion,
                note: String::new(),
                warnings: vec![],
            };
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
            let counts = demo_counts(&brief, days as u64, verdict.unwrap_or("running"));
            let at = now
                + Duration::days(if status == Status::Done {
                    start + length
                } else {
                    0
                });
            super::results::insert(pool, exp.id, Source::Manual, &counts, 0, 0, at).await?;
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
/// by the verdict's story (a clear win, a loss, nothing, or a broken split for invalid).
fn demo_counts(brief: &Brief, days: u64, story: &str) -> Counts {
    let per_arm = 10_000 * days;
    let p = brief.baseline_rate.unwrap_or(0.05);
    let mde = brief.mde.unwrap_or(0.05);
    let (treatment_users, lift, bounce_lift) = match story {
        "ship" => (per_arm, mde * 1.3, -0.01),
        "dont_ship" => (per_arm, -mde * 0.5, 0.04),
        "invalid" => (per_arm * 94 / 100, 0.02, 0.0),
        "inconclusive" => (per_arm, mde * 0.1, 0.0),
        _ => (per_arm, mde * 0.6, 0.005),
    };
    let conv = |users: u64, rate: f64| Observed::Proportion {
        conversions: (users as f64 * rate).round() as u64,
    };
    Counts {
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
                metric: brief.primary.name.clone(),
                values: vec![conv(per_arm, p), conv(treatment_users, p * (1.0 + lift))],
            },
            MetricCounts {
                metric: brief.secondary[0].name.clone(),
                values: vec![
                    Observed::from_mean_sd(per_arm, 2.40, 11.0),
                    Observed::from_mean_sd(treatment_users, 2.40 * (1.0 + lift / 2.0), 11.0),
                ],
            },
            MetricCounts {
                metric: brief.secondary[1].name.clone(),
                values: vec![
                    conv(per_arm, 0.42),
                    conv(treatment_users, 0.42 * (1.0 + bounce_lift)),
                ],
            },
        ],
        multi_arm_users: per_arm / 400,
    }
}

fn demo_conclusion(verdict: &str) -> Conclusion {
    // (verdict, summary, lessons): realistic post-mortems so the learnings page has content.
    let (verdict, summary, lessons) = match verdict {
        "ship" => (
            Verdict::Ship { arm: "treatment".into() },
            "The treatment beat the minimum lift with guardrails intact.",
            "Removing friction at the decision point pays; the effect held on mobile and desktop.",
        ),
        "dont_ship" => (
            Verdict::DontShip,
            "No lift on the primary metric; a guardrail moved the wrong way.",
            "Users valued the old flow's reassurance more than its speed; refunds rose with the change.",
        ),
        "invalid" => (
            Verdict::Invalid,
            "Sample ratio mismatch (p < 0.001): assignment was broken by a redirect.",
            "Redirect-based assignment loses users unevenly; assign server-side before the redirect.",
        ),
        _ => (
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

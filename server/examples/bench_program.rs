//! Benchmark: the program dashboard, the weekly review, the board and the list view for a program
//! of 2,000 experiments.
//! Seeds a temporary SQLite file through the app's own write paths (lifecycle moves, snapshots),
//! then times (a) the server-side data each page needs and (b) the whole server render, an HTTP
//! GET through the real router. Target: under 50 ms each.
//!
//! Run: `cargo run --release -p server --example bench_program` (add `-- 5000` for another size).
//! With `BENCH_SERVE_DB=PATH` it only seeds PATH (a new SQLite file) and writes `PATH.env` (a
//! viewer and an editor token, keys to request) and `PATH.results.json` (a reading to post), for
//! `scripts/bench_pages.sh` to load a running server with wrk.

use std::time::{Duration, Instant};

use app::domain::brief::{Brief, DecisionRule, Hypothesis, MetricSpec};
use app::domain::experiment::{NewExperiment, NewExperimentForm};
use app::domain::lifecycle::{Status, TransitionPlan};
use app::domain::metric::{Direction, Measure};
use app::domain::period::IsoWeek;
use app::domain::program::ProgramQuery;
use app::domain::results::{ArmCount, Counts, MetricCounts, Observed, Source};
use app::domain::verdict::{Conclusion, Verdict};
use axum::body::Body;
use axum::http::Request;
use chrono::{Days, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;

const TEAMS: [&str; 12] = [
    "Checkout",
    "Pricing",
    "Growth",
    "Discovery",
    "Search",
    "Mobile",
    "Email",
    "Retention",
    "Payments",
    "Onboarding",
    "Support",
    "Ads",
];

fn brief(i: usize, start: chrono::NaiveDate) -> Brief {
    let metric = |name: &str, kind: Measure| MetricSpec {
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
    };
    Brief {
        hypothesis: Hypothesis {
            change: format!("variant {i}"),
            from: "the old flow".into(),
            to: "the new flow".into(),
            because: "fewer steps convert better".into(),
            draft: String::new(),
        },
        primary: metric("purchase", Measure::Proportion),
        secondary: vec![
            metric("revenue", Measure::Mean),
            metric("refunds", Measure::Proportion),
        ],
        baseline_rate: Some(0.1),
        mde: Some(0.05),
        // The default arms: control and treatment at 50/50.
        daily_traffic: Some(20_000),
        planned_start: Some(start),
        planned_end: Some(start + Days::new(21)),
        rule: DecisionRule {
            min_lift: Some(0.02),
            max_guardrail_drop: Some(0.01),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn counts(i: usize) -> Counts {
    let users = 20_000 + (i as u64 % 7) * 100;
    let prop = |c: u64| Observed::Proportion { conversions: c };
    Counts {
        segments: Vec::new(),
        arms: vec![
            ArmCount {
                name: "control".into(),
                users,
            },
            ArmCount {
                name: "treatment".into(),
                users: users + (i as u64 % 5) * 40,
            },
        ],
        metrics: vec![
            MetricCounts {
                covariates: Vec::new(),
                metric: "purchase".into(),
                values: vec![prop(2_000), prop(2_000 + (i as u64 % 9) * 30)],
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: "revenue".into(),
                values: vec![
                    Observed::from_mean_sd(users, 2.5, 3.0),
                    Observed::from_mean_sd(users, 2.52, 3.0),
                ],
            },
            MetricCounts {
                covariates: Vec::new(),
                metric: "refunds".into(),
                values: vec![prop(200), prop(205)],
            },
        ],
        multi_arm_users: 0,
        incomplete_windows: 0,
    }
}

/// 2,000 experiments over about three years: most finished, ~80 running, the rest in the backlog.
async fn seed(pool: &sqlx::SqlitePool, n: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    for i in 0..n {
        let status = match i % 25 {
            0..=1 => Status::Proposed,
            2 => Status::Ready,
            3 => Status::Running,
            _ => Status::Done,
        };
        let days_ago = if status == Status::Running {
            (i % 30) as i64
        } else {
            (i as i64 * 1_100) / n as i64 + 25
        };
        let start = now - chrono::Duration::days(days_ago);
        let team = TEAMS[i % TEAMS.len()];
        let new = NewExperiment::parse(&NewExperimentForm {
            key: format!("bench_{i:05}"),
            title: format!("Benchmark experiment {i}"),
            hypothesis: "draft".into(),
            owner: format!("Owner {}", i % 40),
            team: team.into(),
            surface: format!("surface_{}", i % 30),
            tags: format!("{},q{}", team.to_lowercase(), i % 4 + 1),
            follows: String::new(),
        })
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let created = start - chrono::Duration::days(14);
        let b = brief(i, start.date_naive());
        let mut exp = app::db::experiments::insert(pool, &new, &b, created).await?;
        let steps = status.path_from_proposed();
        for &to in steps {
            let at = match to {
                Status::Ready => created + chrono::Duration::days(1),
                Status::Running => start,
                _ => start + chrono::Duration::days(21 + (i % 5) as i64),
            };
            let verdict = match i % 20 {
                0..=3 => Verdict::Ship {
                    arm: "treatment".into(),
                },
                4..=11 => Verdict::DontShip,
                12..=18 => Verdict::Inconclusive,
                _ => Verdict::Invalid,
            };
            let conclusion = || Conclusion {
                computed: (i % 3 != 0).then(|| {
                    if i % 17 == 0 {
                        Verdict::Inconclusive
                    } else {
                        verdict.clone()
                    }
                }),
                override_reason: (i % 17 == 0 && i % 3 != 0).then(|| "a strategic call".into()),
                verdict,
                summary: format!("Summary {i}: the refund rate moved on mobile."),
                stopped_early: None,
                post_mortem: Default::default(),
            };
            let plan = TransitionPlan::seeded(&exp, to, at, (to == Status::Done).then(conclusion))?;
            exp = app::db::experiments::apply_transition(pool, &exp, &plan, at).await?;
        }
        if matches!(status, Status::Running | Status::Done) {
            app::db::results::insert(
                pool,
                exp.id,
                Source::Manual,
                &counts(i),
                0,
                0,
                start + chrono::Duration::days(7),
            )
            .await?;
            app::db::results::insert(
                pool,
                exp.id,
                Source::Manual,
                &counts(i + 1),
                0,
                0,
                start + chrono::Duration::days(14),
            )
            .await?;
        }
    }
    Ok(())
}

/// Median, 95th percentile and worst of `runs` timings after two warm-up runs.
async fn time<F, Fut>(label: &str, runs: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    f().await;
    f().await;
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        size = f().await;
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    println!(
        "{label:<42} median {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms   ({size} bytes)",
        ms(times[runs / 2]),
        ms(times[(runs * 95 / 100).min(runs - 1)]),
        ms(times[runs - 1])
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2_000);
    if let Some(path) = std::env::var_os("BENCH_SERVE_DB") {
        return seed_for_serving(std::path::Path::new(&path), n).await;
    }
    let dir = std::env::temp_dir().join(format!("verdict-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let pool = app::db::connect(&format!("sqlite:{}", dir.join("bench.db").display())).await?;
    app::db::MIGRATOR.run(&pool).await?;
    let t = Instant::now();
    // Every write is audited and needs an actor.
    let who = app::domain::account::Identity::system("bench");
    app::auth::acting_as(who, seed(&pool, n)).await?;
    println!(
        "seeded {n} experiments in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let today = Utc::now().date_naive();
    let week = IsoWeek::of(today);
    let team = ProgramQuery {
        team: "Growth".into(),
        ..Default::default()
    };
    time("dashboard data (get_program body)", 30, || async {
        let v = app::api::program::ssr::program_view(&pool, &ProgramQuery::default(), today)
            .await
            .unwrap();
        v.report.selected.n as usize
    })
    .await;
    time("review data (get_review body)", 30, || async {
        let v = app::api::review::ssr::review_view(&pool, week, today)
            .await
            .unwrap();
        v.agenda.map_or(0, |a| a.running.len())
    })
    .await;

    // Where the dashboard's time goes.
    time(
        "  of which: entries rebuilt (after a write)",
        30,
        || async { app::db::program_entries::load(&pool).await.unwrap().len() },
    )
    .await;
    time("  of which: entries unchanged (cached)", 30, || async {
        app::db::program_entries::entries(&pool)
            .await
            .unwrap()
            .len()
    })
    .await;
    let since = Utc::now() - chrono::Duration::days(7);
    let candidates: Vec<app::domain::review::Candidate> =
        app::db::program::for_review(&pool, since)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
    let entries = app::db::program_entries::entries(&pool).await?;
    time("  of which: report (numbers, as shown)", 30, || async {
        let filter = app::domain::program::ProgramFilter::default();
        app::domain::program::report::numbers(&entries, &filter, today)
            .selected
            .n as usize
    })
    .await;
    time("  report with every number's keys", 30, || async {
        let filter = app::domain::program::ProgramFilter::default();
        app::domain::program::report::report(&entries, &filter, today)
            .selected
            .n as usize
    })
    .await;
    let parked = std::collections::HashSet::new();
    time(
        "  of which: review agenda (kept candidates)",
        30,
        || async {
            app::domain::review::agenda(week, today, since, &candidates, &parked)
                .running
                .len()
        },
    )
    .await;

    let options = leptos::config::LeptosOptions::builder()
        .output_name("verdict")
        .build();
    let router = server::router(options, pool.clone());
    // Pages need a signed-in caller: a viewer's API token, as a script would use.
    let (_, token) = app::auth::acting_as(
        app::domain::account::Identity::system("bench"),
        app::db::accounts::create_token(
            &pool,
            "bench",
            app::domain::account::Role::Viewer,
            app::db::accounts::TokenOwner::CommandLine,
            Some(1),
            Utc::now(),
        ),
    )
    .await?;
    let bearer = format!("Bearer {token}");
    let render = |path: &'static str| {
        let router = router.clone();
        let bearer = bearer.clone();
        move || {
            let router = router.clone();
            let bearer = bearer.clone();
            async move {
                let request = Request::get(path)
                    .header("authorization", bearer)
                    .body(Body::empty())
                    .unwrap();
                let response = router.oneshot(request).await.unwrap();
                assert!(
                    response.status().is_success(),
                    "{path}: {}",
                    response.status()
                );
                response
                    .into_body()
                    .collect()
                    .await
                    .unwrap()
                    .to_bytes()
                    .len()
            }
        }
    };
    time("GET /program (full server render)", 30, render("/program")).await;
    // The raw writes below stand for any write; they are logged under "bench".
    sqlx::query(
        "UPDATE audit_context SET actor_name = 'bench', action = 'bench', \
         at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1",
    )
    .execute(&pool)
    .await?;
    time(
        "GET /program?team=Growth",
        30,
        render("/program?team=Growth"),
    )
    .await;
    time("GET /review (full server render)", 30, render("/review")).await;
    // Every kept page renders again after any write: what each costs then (the mixed load
    // run's p99 is these renders queued on two cores). The timing includes the one-row write
    // that makes the kept page and the caches behind it stale.
    for path in ["/program", "/review", "/", "/experiments?sort=lift"] {
        let get = render(path);
        time(&format!("GET {path} right after a write"), 30, || {
            let pool = pool.clone();
            let get = get.clone();
            async move {
                sqlx::query("UPDATE experiment SET updated_at = updated_at WHERE id = 1")
                    .execute(&pool)
                    .await
                    .unwrap();
                get().await
            }
        })
        .await;
    }
    // The board pages each column (25 cards); the list view analyses every matching experiment's
    // latest reading to sort by lift, then sends one page of 50.
    time("GET / (board, full server render)", 30, render("/")).await;
    time(
        "GET /?team=Growth (filtered board)",
        30,
        render("/?team=Growth"),
    )
    .await;
    time(
        "GET /experiments?sort=lift (list view)",
        10,
        render("/experiments?sort=lift"),
    )
    .await;
    time(
        "GET /experiments?status=done&team=Growth&sort=lift",
        10,
        render("/experiments?status=done&team=Growth&sort=lift"),
    )
    .await;
    time("dashboard data, one team", 30, || async {
        app::api::program::ssr::program_view(&pool, &team, today)
            .await
            .unwrap()
            .report
            .selected
            .n as usize
    })
    .await;
    pool.close().await;
    if std::env::var_os("BENCH_KEEP_DB").is_some() {
        println!("kept {}", dir.join("bench.db").display());
    } else {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

/// Seeds a database file for a server to serve, and writes what a load generator needs.
async fn seed_for_serving(path: &std::path::Path, n: usize) -> anyhow::Result<()> {
    anyhow::ensure!(!path.exists(), "{} exists: give a new file", path.display());
    let pool = app::db::connect(&format!("sqlite:{}", path.display())).await?;
    app::db::MIGRATOR.run(&pool).await?;
    let t = Instant::now();
    let who = app::domain::account::Identity::system("bench");
    app::auth::acting_as(who.clone(), seed(&pool, n)).await?;
    println!(
        "seeded {n} experiments in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let token = |role| {
        let pool = pool.clone();
        let who = who.clone();
        async move {
            let (_, token) = app::auth::acting_as(
                who,
                app::db::accounts::create_token(
                    &pool,
                    "bench",
                    role,
                    app::db::accounts::TokenOwner::CommandLine,
                    Some(1),
                    Utc::now(),
                ),
            )
            .await?;
            anyhow::Ok(token)
        }
    };
    let viewer = token(app::domain::account::Role::Viewer).await?;
    let editor = token(app::domain::account::Role::Editor).await?;
    // Seeded experiment i is running when i % 25 == 3 and done with results when i % 25 >= 4.
    let running: Vec<String> = (0..n)
        .filter(|i| i % 25 == 3)
        .take(20)
        .map(|i| format!("bench_{i:05}"))
        .collect();
    std::fs::write(
        format!("{}.env", path.display()),
        format!(
            "VIEWER_TOKEN={viewer}\nEDITOR_TOKEN={editor}\nDONE_KEY=bench_{:05}\nRUNNING_KEYS=\"{}\"\n",
            n / 2 / 25 * 25 + 4,
            running.join(" ")
        ),
    )?;
    std::fs::write(
        format!("{}.results.json", path.display()),
        serde_json::to_string(&counts(1))?,
    )?;
    pool.close().await;
    Ok(())
}

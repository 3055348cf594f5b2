//! The program view over HTTP: dashboard, number lists, weekly review and triage, learnings,
//! and the calendar, CSV and Markdown exports, on the demo program.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use icalendar::{Calendar, Component};
use serde_json::json;
use sqlx::SqlitePool;
use tower::ServiceExt;

use crate::helpers::{app, call, get};

async fn demo(pool: &SqlitePool) -> axum::Router {
    let who = app::domain::account::Identity::system("test setup");
    app::auth::acting_as(who, app::demo::load(pool, chrono::Utc::now()))
        .await
        .unwrap();
    app(pool.clone())
}

/// GET returning the status, the content type and the body.
async fn fetch(app: &axum::Router, path: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(
            Request::get(path)
                .header("host", "verdict.test")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, kind, String::from_utf8_lossy(&bytes).into_owned())
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_dashboard_renders_every_section_with_linked_numbers_before_any_script(
    pool: SqlitePool,
) {
    let app = demo(&pool).await;
    let (status, html) = get(&app, "/program").await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "Win rate",
        "data-testid=\"win-rate\"",
        "10-25% benchmark band",
        "Velocity",
        "Running now, per surface",
        "Following the rules",
        "href=\"/program/list?cohort=shipped\"",
        // No feed yet (showing a page never creates one): the button that does.
        "data-testid=\"calendar-create\"",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
    let (status, body) = create_feed(&app, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, html) = get(&app, "/program").await;
    assert!(
        html.contains("href=\"/calendar/"),
        "the feed is linked once created"
    );
}

/// Creates a team's calendar feed the way the dashboard's button does (a form post).
async fn create_feed(app: &axum::Router, team: &str) -> (StatusCode, String) {
    let request = Request::post("/api/create_calendar_feed")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Body::from(format!("team={team}&rotate=false")))
        .unwrap();
    crate::helpers::read(app.clone().oneshot(request).await.unwrap()).await
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_filter_in_the_url_narrows_the_numbers_and_their_links(pool: SqlitePool) {
    let app = demo(&pool).await;
    let (_, html) = get(&app, "/program?team=Pricing").await;
    assert!(
        html.contains("href=\"/program/list?team=Pricing&amp;cohort=shipped\"")
            || html.contains("href=\"/program/list?team=Pricing&cohort=shipped\""),
        "{html}"
    );
    // The list behind "shipped" for Pricing: the one Pricing test that shipped.
    let (status, list) = get(&app, "/program/list?team=Pricing&cohort=shipped").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("three_tiers_instead_of_four"));
    assert!(
        !list.contains("free_shipping_threshold_banner"),
        "another team's win"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_bad_date_or_cohort_is_a_client_error_that_names_it(pool: SqlitePool) {
    let app = demo(&pool).await;
    let (status, html) = get(&app, "/program?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("is not a date"), "{html}");
    let (status, _) = get(&app, "/program/list?cohort=everything").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_review_lists_this_weeks_running_overdue_ended_and_proposed_tests(pool: SqlitePool) {
    let app = demo(&pool).await;
    let (status, html) = get(&app, "/review").await;
    assert_eq!(status, StatusCode::OK);
    for needle in [
        "Decisions waiting",
        "Overdue (",
        "Running (",
        "Ended since the last review",
        "Proposed, to triage (",
        "annual_plan_toggle_default",
        "address_autocomplete",
    ] {
        assert!(html.contains(needle), "{needle} missing");
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn triage_applies_promote_park_and_reject_to_the_backlog_through_the_gate(pool: SqlitePool) {
    let app = demo(&pool).await;
    call(&app, "create_experiment", json!({"form": {"key": "", "title": "Rough idea", "hypothesis": "h", "owner": "Mo", "team": "Growth", "surface": "signup", "tags": ""}})).await;
    let triage = |key: &str, outcome: &str, reason: &str| json!({"week": "", "request": {"key": key, "outcome": outcome, "reason": reason}});
    // The demo's proposals have complete briefs: promotion passes the ready gate.
    let (status, body) = call(
        &app,
        "triage_proposal",
        triage("address_autocomplete", "promote", ""),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let promoted = app::db::experiments::by_key(&pool, "address_autocomplete")
        .await
        .unwrap();
    assert_eq!(promoted.status, app::domain::lifecycle::Status::Ready);
    // An incomplete brief is refused with the gate's reasons, and nothing is recorded.
    let (status, body) = call(&app, "triage_proposal", triage("rough_idea", "promote", "")).await;
    assert_eq!(status.as_u16(), 422, "{body}");
    assert!(body.contains("planned end date is required"), "{body}");
    // Rejecting needs a reason; with one, the proposal leaves the board.
    let (status, _) = call(&app, "triage_proposal", triage("rough_idea", "reject", " ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        &app,
        "triage_proposal",
        triage("rough_idea", "reject", "tested last year"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        app::db::experiments::by_key(&pool, "rough_idea")
            .await
            .unwrap()
            .archived
    );
    let (status, body) = call(
        &app,
        "triage_proposal",
        triage("discount_for_students", "park", ""),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (_, html) = get(&app, "/review").await;
    assert!(
        html.contains("Parked (1)"),
        "parked ones leave the queue: {html}"
    );
    assert!(html.contains("Triage outcomes (3)"));
    assert!(html.contains("Rejected"));
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_markdown_export_holds_the_weeks_items_and_the_meeting(pool: SqlitePool) {
    let app = demo(&pool).await;
    let (status, _) = call(
        &app,
        "save_review",
        json!({"week": "", "form": {"attendees": "Ana, Luis", "notes": "Stop the overdue ones."}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, kind, md) = fetch(&app, "/review.md").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "text/markdown; charset=utf-8");
    for needle in [
        "# Weekly experiment review 20",
        "**Attendees:** Ana, Luis",
        "Stop the overdue ones.",
        "## Running (",
        "`annual_plan_toggle_default`",
        "## Proposed, to triage (",
    ] {
        assert!(md.contains(needle), "{needle} missing in\n{md}");
    }
    // A past week without a review says so instead of inventing an agenda.
    let (_, _, old) = fetch(&app, "/review.md?week=2020-W01").await;
    assert!(old.contains("No review was recorded for this week."));
    let (status, _) = call(
        &app,
        "save_review",
        json!({"week": "2020-W01", "form": {"attendees": "", "notes": ""}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "past reviews are a record");
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn learnings_search_finds_a_word_from_a_summary_or_the_lessons(pool: SqlitePool) {
    let app = demo(&pool).await;
    let (status, html) = get(&app, "/learnings?q=redirect").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("enterprise_contact_form_shortening"),
        "the invalid test's summary"
    );
    assert!(!html.contains("three_tiers_instead_of_four"));
    let (_, html) = get(&app, "/learnings?q=reassurance&team=Pricing").await;
    assert!(
        html.contains("price_ending_99_vs_00"),
        "a word from the lessons, within a team"
    );
    assert!(
        !html.contains("guest_checkout_default"),
        "the same lesson in another team"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_calendar_feed_parses_back_into_launch_and_end_events_per_team(pool: SqlitePool) {
    let app = demo(&pool).await;
    let (status, kind, body) = fetch(&app, "/calendar.ics?team=Pricing").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "text/calendar; charset=utf-8");
    let cal: Calendar = body.parse().unwrap();
    let events: Vec<_> = cal.events().collect();
    let summaries: Vec<&str> = events.iter().filter_map(|e| e.get_summary()).collect();
    assert!(
        summaries.contains(&"Ends: Annual plan toggle default"),
        "{summaries:?}"
    );
    assert!(summaries.contains(&"Launched: Annual plan toggle default"));
    assert!(summaries.contains(&"Planned launch: Usage-based plan calculator"));
    assert!(
        !summaries.iter().any(|s| s.contains("One-page checkout")),
        "another team"
    );
    for e in &events {
        assert!(e.get_uid().unwrap().ends_with("@verdict"));
        assert!(e.get_start().is_some() && e.get_end().is_some());
        assert!(e
            .get_url()
            .unwrap()
            .starts_with("http://verdict.test/experiments/"));
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_csv_export_has_a_row_per_experiment_with_verdict_lift_and_takeaway(pool: SqlitePool) {
    let app = demo(&pool).await;
    call(&app, "create_experiment", json!({"form": {"key": "formula", "title": "=HYPERLINK(\"x\")", "hypothesis": "h", "owner": "Mo", "team": "Growth", "surface": "", "tags": ""}})).await;
    let (status, kind, body) = fetch(&app, "/experiments.csv?team=Growth").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.iter().all(|r| &r[col("team")] == "Growth"));
    let hero = rows
        .iter()
        .find(|r| &r[col("key")] == "homepage_hero_copy_benefit_led")
        .unwrap();
    assert_eq!(&hero[col("verdict")], "Ship treatment");
    assert!(
        hero[col("lift_relative")].parse::<f64>().is_ok(),
        "lift from the latest snapshot"
    );
    assert!(hero[col("summary")].starts_with("The treatment beat"));
    assert!(hero[col("hypothesis")].starts_with("Changing "));
    let formula = rows.iter().find(|r| &r[col("key")] == "formula").unwrap();
    assert_eq!(
        &formula[col("title")],
        "'=HYPERLINK(\"x\")",
        "never a live formula"
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_teams_secret_calendar_url_works_without_signing_in_and_nothing_else_does(
    pool: SqlitePool,
) {
    let app = demo(&pool).await;
    let (status, body) = create_feed(&app, "Pricing").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, html) = fetch(&app, "/program?team=Pricing").await;
    let href = html
        .split("href=\"/calendar/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|file| format!("/calendar/{file}"))
        .expect("the dashboard links the team's feed");
    assert!(href.ends_with(".ics") && href.len() > 50, "{href}");

    let anonymous = |path: &str| {
        Request::get(path)
            .header("x-test-anonymous", "1")
            .header("host", "verdict.test")
            .body(Body::empty())
            .unwrap()
    };
    let response = app.clone().oneshot(anonymous(&href)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let cal: Calendar = String::from_utf8_lossy(&bytes).parse().unwrap();
    let summaries: Vec<String> = cal
        .events()
        .filter_map(|e| e.get_summary().map(str::to_owned))
        .collect();
    assert!(summaries.contains(&"Ends: Annual plan toggle default".to_owned()));
    assert!(
        !summaries.iter().any(|s| s.contains("One-page checkout")),
        "another team"
    );

    let guessed = app
        .clone()
        .oneshot(anonymous(
            "/calendar/0123456789abcdef0123456789abcdef0123456789abcdef.ics",
        ))
        .await
        .unwrap();
    assert_eq!(guessed.status(), StatusCode::NOT_FOUND);
    let plain = app
        .clone()
        .oneshot(anonymous("/calendar.ics"))
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn the_list_view_sorts_by_lift_and_its_csv_has_exactly_the_filtered_rows_in_its_order(
    pool: SqlitePool,
) {
    let app = demo(&pool).await;
    // The list page, sorted by lift (largest first), done experiments only: server-rendered.
    let (status, _, html) = fetch(&app, "/experiments?status=done&sort=lift").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"experiment-list\""), "{html}");
    let lifts: Vec<f64> = html
        .split("data-lift=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        lifts.len() >= 3,
        "done demo experiments have lifts: {lifts:?}"
    );
    assert!(
        lifts.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {lifts:?}"
    );

    // The CSV of the same parameters: the same rows, in the same order, every one done.
    let (status, _, body) = fetch(&app, "/experiments.csv?status=done&sort=lift").await;
    assert_eq!(status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.iter().all(|r| &r[col("status")] == "done"));
    let csv_lifts: Vec<f64> = rows
        .iter()
        .filter_map(|r| r[col("lift_relative")].parse().ok())
        .collect();
    assert_eq!(csv_lifts.len(), lifts.len());
    assert!(csv_lifts.windows(2).all(|w| w[0] >= w[1]), "{csv_lifts:?}");
    let html_keys: Vec<&str> = html
        .split("<tr data-key=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    let csv_keys: Vec<&str> = rows.iter().map(|r| &r[col("key")]).collect();
    assert_eq!(html_keys, csv_keys, "one page holds them all: same order");

    // Ascending puts the smallest lift first; rows without a lift stay last.
    let (_, _, asc) = fetch(&app, "/experiments?status=done&sort=lift&asc=true").await;
    let first_asc: f64 = asc
        .split("data-lift=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(first_asc, *lifts.last().unwrap());
}

/// A long triage queue shows its oldest 50 with the true count and a "Show all" link (a plain
/// link, so it works before hydration); the link's page lists every proposal.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_long_triage_queue_shows_its_oldest_fifty_and_a_link_to_all(pool: SqlitePool) {
    let app = demo(&pool).await;
    for i in 0..60 {
        let (status, body) = call(
            &app,
            "create_experiment",
            json!({"form": {"key": format!("bulk_idea_{i:03}"), "title": format!("Bulk idea {i}"), "hypothesis": "h", "owner": "Mo", "team": "Growth", "surface": "signup", "tags": ""}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, body) = call(&app, "get_review", json!({"week": "", "all": true})).await;
    let total = serde_json::from_str::<serde_json::Value>(&body).unwrap()["agenda"]["proposals"]
        .as_array()
        .unwrap()
        .len();
    assert!(total >= 60, "{total}");

    let (status, html) = get(&app, "/review").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("Proposed, to triage ({total})")),
        "the heading counts all"
    );
    assert!(
        html.contains(&format!("Show all {total}")),
        "the link says how many"
    );
    assert!(html.contains("bulk_idea_000"), "the oldest are shown");
    assert!(
        !html.contains("bulk_idea_059"),
        "the newest wait behind the link"
    );

    let (status, html) = get(&app, "/review?all=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("bulk_idea_059"));
    assert!(!html.contains("Show all"));
}

/// A viewer reads this week's review without the controls the server would refuse them: no
/// triage buttons, no meeting form (the recorded attendees and notes read as text instead); an
/// editor's page has both.
#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_viewer_reads_the_review_without_triage_buttons_or_the_meeting_form(pool: SqlitePool) {
    let app = demo(&pool).await;
    let (status, body) = call(
        &app,
        "save_review",
        json!({"week": "", "form": {"attendees": "Ana, Luis", "notes": "Kept short."}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let viewer = crate::helpers::token(&pool, app::domain::account::Role::Viewer).await;
    let page = |token: Option<String>| {
        let app = app.clone();
        async move {
            let request = Request::get("/review").body(Body::empty()).unwrap();
            let (status, html) = match token {
                Some(t) => crate::helpers::send_as(&app, Some(&t), request).await,
                None => crate::helpers::answer(&app, request).await,
            };
            assert_eq!(status, StatusCode::OK);
            html
        }
    };
    let (as_editor, as_viewer) = (page(None).await, page(Some(viewer)).await);

    assert!(as_editor.contains("Promote to ready"));
    assert!(as_editor.contains("Save the review"));
    assert!(
        as_viewer.contains("Proposed, to triage"),
        "the proposals are listed"
    );
    assert!(!as_viewer.contains("Promote to ready"), "no triage buttons");
    assert!(!as_viewer.contains("Reject</button>"));
    assert!(!as_viewer.contains("Save the review"), "no meeting form");
    assert!(as_viewer.contains("Ana, Luis") && as_viewer.contains("Kept short."));
    assert!(
        as_viewer.contains("class=\"recorded-meeting\""),
        "the record reads on screen"
    );
}

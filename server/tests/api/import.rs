//! Uploading results through the multipart form: an event export (gzip) attributed against the
//! generator's true counts, a CSV of aggregates, and failures that store nothing.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{TimeZone, Utc};
use sqlx::SqlitePool;
use tower::ServiceExt;

use app::domain::brief::Brief;
use app::domain::experiment::{NewExperiment, NewExperimentForm};
use app::domain::metric::Measure;
use app::domain::results::Observed;

use crate::helpers::app;

const EXPORT_GZ: &[u8] =
    include_bytes!("../../../app/src/domain/attribution/testdata/events_20k.jsonl.gz");
const TRUTH: &str =
    include_str!("../../../app/src/domain/attribution/testdata/events_20k.jsonl.truth.json");

/// The generator's `onboarding_checklist_v2`, as a done experiment over the export's dates.
async fn experiment(pool: &SqlitePool) -> app::domain::experiment::Experiment {
    let new = NewExperiment::parse(&NewExperimentForm {
        key: "onboarding_checklist_v2".into(),
        title: "Onboarding checklist".into(),
        hypothesis: "a checklist activates".into(),
        owner: "Sara".into(),
        team: "Growth".into(),
        ..Default::default()
    })
    .unwrap();
    let mut brief = Brief::default();
    brief.primary.name = "signup".into();
    brief.primary.event = "signup_completed".into();
    let mut purchase = brief.primary.clone();
    purchase.name = "purchase".into();
    purchase.event = "purchase_completed".into();
    let mut revenue = purchase.clone();
    revenue.name = "revenue".into();
    revenue.kind = Measure::Mean;
    revenue.value_property = "amount".into();
    brief.secondary = vec![purchase, revenue];
    let who = app::domain::account::Identity::system("test setup");
    let exp = app::auth::acting_as(
        who,
        app::db::experiments::insert(pool, &new, &brief, Utc::now()),
    )
    .await
    .unwrap();
    // Put it where the export's data is: running from 2024-05-01, done before the export ends.
    crate::helpers::allow_raw_writes(pool).await;
    sqlx::query("UPDATE experiment SET status = 'done', verdict = 'inconclusive', started_at = ?, ended_at = ? WHERE id = ?")
        .bind(Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap())
        .bind(Utc.with_ymd_and_hms(2024, 6, 14, 0, 0, 0).unwrap())
        .bind(exp.id.0)
        .execute(pool)
        .await
        .unwrap();
    app::db::experiments::by_key(pool, "onboarding_checklist_v2")
        .await
        .unwrap()
}

async fn upload(pool: SqlitePool, format: &str, file: &[u8]) -> String {
    let boundary = "verdict-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\n{format}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::post("/experiments/onboarding_checklist_v2/import")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let response = app(pool).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_gzip_export_is_attributed_to_the_true_counts(pool: SqlitePool) {
    let exp = experiment(&pool).await;
    let location = upload(pool.clone(), "export", EXPORT_GZ).await;
    assert!(location.contains("imported="), "{location}");

    let truth: serde_json::Value = serde_json::from_str(TRUTH).unwrap();
    let truth = &truth["experiments"]["onboarding_checklist_v2"]["variants"];
    let snapshots = app::db::results::list(&pool, exp.id).await.unwrap();
    let counts = &snapshots[0].counts;
    for (i, arm) in ["control", "treatment"].iter().enumerate() {
        assert_eq!(
            counts.arms[i].users,
            truth[arm]["exposed"].as_u64().unwrap(),
            "{arm}"
        );
        assert_eq!(
            counts.metrics[0].values[i],
            Observed::Proportion {
                conversions: truth[arm]["converted"]["signup_completed"]
                    .as_u64()
                    .unwrap()
            }
        );
        assert_eq!(
            counts.metrics[1].values[i],
            Observed::Proportion {
                conversions: truth[arm]["converted"]["purchase_completed"]
                    .as_u64()
                    .unwrap()
            }
        );
        let Observed::Mean {
            n,
            sum,
            sum_squares,
        } = counts.metrics[2].values[i]
        else {
            panic!("mean expected")
        };
        assert_eq!(n, counts.arms[i].users);
        assert!(
            (sum - truth[arm]["revenue_sum"].as_f64().unwrap()).abs() < 1e-6,
            "{sum}"
        );
        assert!(
            (sum_squares - truth[arm]["revenue_sumsq"].as_f64().unwrap()).abs() < 1e-3,
            "{sum_squares}"
        );
    }
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_csv_of_aggregates_is_stored_as_a_snapshot(pool: SqlitePool) {
    let exp = experiment(&pool).await;
    let csv = "arm,users,metric,conversions,sum,sum_squares\n\
               control,1000,signup,100,,\ntreatment,1000,signup,120,,\n\
               control,1000,purchase,50,,\ntreatment,1000,purchase,55,,\n\
               control,1000,revenue,,2500,146000\ntreatment,1000,revenue,,2600,150000\n";
    let location = upload(pool.clone(), "csv", csv.as_bytes()).await;
    assert!(location.contains("imported="), "{location}");
    let snapshots = app::db::results::list(&pool, exp.id).await.unwrap();
    assert_eq!(
        snapshots[0].counts.metrics[0].values[1],
        Observed::Proportion { conversions: 120 }
    );
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_bad_file_stores_nothing_and_says_where(pool: SqlitePool) {
    let exp = experiment(&pool).await;
    let csv = "arm,users,metric,conversions,sum,sum_squares\ncontrol,many,signup,100,,\n";
    let location = upload(pool.clone(), "csv", csv.as_bytes()).await;
    assert!(location.contains("import_error=line%202"), "{location}");
    let garbage = b"not json\nstill not json\n".repeat(50);
    let location = upload(pool.clone(), "export", &garbage).await;
    assert!(location.contains("import_error="), "{location}");
    assert!(app::db::results::list(&pool, exp.id)
        .await
        .unwrap()
        .is_empty());
}

/// The multipart body the upload form sends.
fn multipart(format: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "verdict-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\n{format}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads through a router with `config`'s limits; the status and body of the answer.
async fn upload_with(
    pool: &SqlitePool,
    config: &server::config::Config,
    file: &[u8],
    declare_length: bool,
) -> (StatusCode, String) {
    let router = server::router_for(
        app::state::AppState {
            leptos_options: leptos::config::LeptosOptions::builder()
                .output_name("verdict")
                .build(),
            pool: pool.clone(),
            pulls: Default::default(),
        },
        config,
    );
    let router = crate::helpers::signed_in_as_admin(router, pool.clone());
    let (kind, body) = multipart("export", file);
    let mut request = Request::post("/experiments/onboarding_checklist_v2/import")
        .header(header::CONTENT_TYPE, kind);
    let body = if declare_length {
        request = request.header(header::CONTENT_LENGTH, body.len());
        Body::from(body)
    } else {
        // Chunked: no declared length, so only counting the bytes can stop it.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            body.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
        Body::from_stream(futures_util::stream::iter(chunks))
    };
    let response = router.oneshot(request.body(body).unwrap()).await.unwrap();
    crate::helpers::read(response).await
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_upload_over_the_size_limit_is_a_413_declared_or_not_and_stores_nothing(
    pool: SqlitePool,
) {
    let exp = experiment(&pool).await;
    let config = server::config::Config {
        max_upload_bytes: 100 * 1024,
        ..Default::default()
    };
    for declared in [true, false] {
        let (status, body) = upload_with(&pool, &config, EXPORT_GZ, declared).await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "declared {declared}: {body}"
        );
        assert!(body.contains("larger than the limit of 100 KiB"), "{body}");
    }
    assert!(app::db::results::list(&pool, exp.id)
        .await
        .unwrap()
        .is_empty());
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn a_gzip_bomb_is_refused_early_and_stores_nothing(pool: SqlitePool) {
    use std::io::Write;
    let exp = experiment(&pool).await;
    // 64 MiB of newlines: a few tens of KiB compressed, an expansion of over a thousand times.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![b'\n'; 1 << 20];
    for _ in 0..64 {
        encoder.write_all(&block).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 200 * 1024, "{}", bomb.len());
    let (status, body) = upload_with(&pool, &server::config::Config::default(), &bomb, true).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.contains("decompression bomb"), "{body}");
    assert!(app::db::results::list(&pool, exp.id)
        .await
        .unwrap()
        .is_empty());
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_upload_naming_more_users_than_the_cap_fails_with_the_cap(pool: SqlitePool) {
    let exp = experiment(&pool).await;
    let config = server::config::Config {
        max_upload_users: 100,
        ..Default::default()
    };
    let (status, body) = upload_with(&pool, &config, EXPORT_GZ, true).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.contains("more than 100 distinct users"), "{body}");
    assert!(app::db::results::list(&pool, exp.id)
        .await
        .unwrap()
        .is_empty());
}

#[sqlx::test(migrator = "app::db::MIGRATOR")]
async fn an_overlong_form_field_is_refused(pool: SqlitePool) {
    experiment(&pool).await;
    let location = upload(pool.clone(), &"x".repeat(10_000), b"{}").await;
    assert!(location.contains("import_error="), "{location}");
    assert!(
        location.contains("longer%20than%2064%20bytes"),
        "{location}"
    );
}

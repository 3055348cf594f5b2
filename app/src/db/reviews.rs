//! Weekly reviews and the triage outcomes they apply to the backlog.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

use super::audit::AuditedTx;
use crate::domain::experiment::Experiment;
use crate::domain::lifecycle::Status;
use crate::domain::period::IsoWeek;
use crate::domain::review::record::{
    Meeting, ReviewRecord, ReviewSummary, TriageOutcome, TriageRecord,
};
use crate::error::AppError;

struct ReviewRow {
    id: i64,
    week: String,
    attendees: sqlx::types::Json<Vec<String>>,
    notes: String,
    agenda: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn week_of(raw: &str) -> Result<IsoWeek, AppError> {
    IsoWeek::parse(raw).map_err(|e| AppError::internal("stored review week is invalid", e))
}

/// The review of a week with its triage outcomes, oldest first.
pub async fn by_week(pool: &SqlitePool, week: IsoWeek) -> Result<Option<ReviewRecord>, AppError> {
    let label = week.to_string();
    let row = sqlx::query_as!(
        ReviewRow,
        r#"SELECT id AS "id!", week, attendees AS "attendees: _", notes, agenda,
           created_at AS "created_at: _", updated_at AS "updated_at: _"
           FROM review WHERE week = ?"#,
        label
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let triage = sqlx::query_as!(
        TriageRecord,
        r#"SELECT e.key, e.title, t.outcome AS "outcome: TriageOutcome", t.reason,
           t.at AS "at: DateTime<Utc>"
           FROM triage t JOIN experiment e ON e.id = t.experiment_id
           WHERE t.review_id = ? ORDER BY t.at, t.id"#,
        row.id
    )
    .fetch_all(pool)
    .await?;
    Ok(Some(ReviewRecord {
        week: week_of(&row.week)?,
        attendees: row.attendees.0,
        notes: row.notes,
        agenda_markdown: row.agenda,
        created_at: row.created_at,
        updated_at: row.updated_at,
        triage,
    }))
}

/// Past reviews, newest first.
pub async fn list(pool: &SqlitePool, limit: i64) -> Result<Vec<ReviewSummary>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT r.week, r.attendees AS "attendees: sqlx::types::Json<Vec<String>>",
           (SELECT count(*) FROM triage t WHERE t.review_id = r.id) AS "triaged!: i64"
           FROM review r ORDER BY r.week DESC LIMIT ?"#,
        limit
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ReviewSummary {
                week: week_of(&r.week)?,
                attendees: r.attendees.0,
                triaged: r.triaged.max(0) as u64,
            })
        })
        .collect()
}

/// When the previous review (the latest one for an earlier week) was first saved: "ended since
/// the last review" starts there.
pub async fn previous_at(
    pool: &SqlitePool,
    week: IsoWeek,
) -> Result<Option<DateTime<Utc>>, AppError> {
    // ISO week labels sort as text ("2026-W09" < "2026-W10"), so the comparison is in SQL.
    let label = week.to_string();
    Ok(sqlx::query_scalar!(
        r#"SELECT created_at AS "created_at: DateTime<Utc>" FROM review
           WHERE week < ? ORDER BY week DESC LIMIT 1"#,
        label
    )
    .fetch_optional(pool)
    .await?)
}

/// Saves the meeting (creating the week's review or updating it) with the agenda as it stands.
pub async fn save(
    pool: &SqlitePool,
    week: IsoWeek,
    meeting: &Meeting,
    agenda_markdown: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = AuditedTx::begin(pool, "record review").await?;
    let (label, attendees) = (week.to_string(), sqlx::types::Json(&meeting.attendees));
    sqlx::query!(
        "INSERT INTO review (week, attendees, notes, agenda, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
         ON CONFLICT (week) DO UPDATE SET attendees = ?2, notes = ?3, agenda = ?4, updated_at = ?5",
        label,
        attendees,
        meeting.notes,
        agenda_markdown,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Keys of proposals whose latest triage outcome is "park": they stay off the triage queue.
pub async fn parked(pool: &SqlitePool) -> Result<HashSet<String>, AppError> {
    let (proposed, park) = (Status::Proposed, TriageOutcome::Park);
    let keys = sqlx::query_scalar!(
        "SELECT e.key FROM experiment e JOIN triage t ON t.experiment_id = e.id \
         WHERE e.status = ? AND t.outcome = ? AND t.id = ( \
             SELECT max(id) FROM triage WHERE experiment_id = e.id)",
        proposed,
        park
    )
    .fetch_all(pool)
    .await?;
    Ok(keys.into_iter().collect())
}

/// The week's review id, creating an empty review when triage happens before anyone saved notes.
async fn review_id(
    conn: &mut SqliteConnection,
    week: IsoWeek,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let label = week.to_string();
    sqlx::query!(
        "INSERT INTO review (week, created_at, updated_at) VALUES (?1, ?2, ?2) \
         ON CONFLICT (week) DO NOTHING",
        label,
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_scalar!(
        r#"SELECT id AS "id!: i64" FROM review WHERE week = ?"#,
        label
    )
    .fetch_one(conn)
    .await?)
}

/// Records a triage outcome; for park and reject also applies it to the experiment, in one
/// transaction. (Promote goes through `experiments::apply_transition`, the lifecycle's own write,
/// before this records it.) Reject archives the proposal: it leaves the board but keeps its
/// history, where the reason is written.
pub async fn record(
    pool: &SqlitePool,
    week: IsoWeek,
    exp: &Experiment,
    outcome: TriageOutcome,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = AuditedTx::begin(pool, "triage").await?;
    let review = review_id(&mut tx, week, now).await?;
    if outcome == TriageOutcome::Reject {
        let proposed = Status::Proposed;
        let done = sqlx::query!(
            "UPDATE experiment SET archived = 1, version = version + 1, updated_at = ? \
             WHERE id = ? AND status = ? AND version = ?",
            now,
            exp.id.0,
            proposed,
            exp.version
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(AppError::Conflict(
                "this proposal changed meanwhile; reload the review to see its current state"
                    .into(),
            ));
        }
    }
    if outcome != TriageOutcome::Promote {
        let why = if reason.is_empty() {
            String::new()
        } else {
            format!(": {reason}")
        };
        let note = format!(
            "{} in the {week} review{why}",
            outcome.done_label().to_lowercase()
        );
        let proposed = Status::Proposed;
        sqlx::query!(
            "INSERT INTO status_change (experiment_id, from_status, to_status, at, note) \
             VALUES (?1, ?2, ?2, ?3, ?4)",
            exp.id.0,
            proposed,
            now,
            note
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "INSERT INTO triage (review_id, experiment_id, outcome, reason, at) VALUES (?, ?, ?, ?, ?)",
        review,
        exp.id.0,
        outcome,
        reason,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
#[path = "reviews_tests.rs"]
mod tests;

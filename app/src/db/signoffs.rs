//! Sign-offs, brief amendments and the workspace setting that makes sign-offs a launch gate.
//! Clearing sign-offs happens inside `experiments::save_brief`'s transaction (`clear`).

use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};

use super::audit::AuditedTx;
use super::experiments::{brief_json, by_key};
use crate::domain::account::Identity;
use crate::domain::amendment::{Amendment, AmendmentPlan, BriefField};
use crate::domain::brief::Brief;
use crate::domain::experiment::{Experiment, ExperimentId};
use crate::domain::lifecycle::Status;
use crate::domain::signoff::{SignOff, SignOffGate, SignOffRole, WorkspaceSettings};
use crate::error::AppError;

/// The experiment's sign-offs, product first.
pub async fn list(pool: &SqlitePool, id: ExperimentId) -> Result<Vec<SignOff>, AppError> {
    let mut rows = sqlx::query_as!(
        SignOff,
        r#"SELECT role AS "role: SignOffRole", name, user_id, at AS "at: DateTime<Utc>"
           FROM sign_off WHERE experiment_id = ?"#,
        id.0
    )
    .fetch_all(pool)
    .await?;
    // In the roles' own order (product, engineering, design), as the launch checklist lists them.
    rows.sort_by_key(|s| s.role);
    Ok(rows)
}

/// What the launch gate needs: the workspace's policy and the recorded sign-offs.
pub async fn gate(pool: &SqlitePool, id: ExperimentId) -> Result<SignOffGate, AppError> {
    Ok(SignOffGate {
        required: settings(pool).await?.require_sign_offs,
        recorded: list(pool, id).await?,
    })
}

/// Records `who`'s sign-off for `role` on the brief as of `expected_version`. Idempotent: a role
/// already signed keeps its first record. Refused if the brief changed since the signer read it
/// (they would be agreeing to a brief they have not seen) or once the experiment has launched.
/// Signing off does not bump the version: it does not change the experiment, and two people
/// signing off at once must not conflict with each other or with someone editing.
pub async fn sign_off(
    pool: &SqlitePool,
    key: &str,
    expected_version: i64,
    role: SignOffRole,
    who: &Identity,
    now: DateTime<Utc>,
) -> Result<SignOff, AppError> {
    let mut tx = AuditedTx::begin(pool, "sign off").await?;
    let (proposed, ready) = (Status::Proposed, Status::Ready);
    let inserted = sqlx::query!(
        "INSERT INTO sign_off (experiment_id, role, user_id, name, at) \
         SELECT id, ?, ?, ?, ? FROM experiment \
         WHERE key = ? AND version = ? AND status IN (?, ?) \
         ON CONFLICT (experiment_id, role) DO NOTHING",
        role,
        who.user_id,
        who.name,
        now,
        key,
        expected_version,
        proposed,
        ready
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let exp = by_key(pool, key).await?;
    if inserted.rows_affected() == 0 {
        if !exp.status.brief_editable() {
            return Err(AppError::Conflict(format!(
                "sign-offs are recorded before launch; this experiment is {}",
                exp.status.label().to_lowercase()
            )));
        }
        if exp.version != expected_version {
            return Err(AppError::Conflict(format!(
                "the brief changed since you opened it (you read version {expected_version}, it is now \
                 version {}): reload and review it before signing off",
                exp.version
            )));
        }
    }
    list(pool, exp.id)
        .await?
        .into_iter()
        .find(|s| s.role == role)
        .ok_or_else(|| AppError::internal("sign-off vanished after insert", key))
}

/// Withdraws the sign-off for `role` (a no-op if there is none). After launch the sign-offs are
/// part of the record and stay.
pub async fn withdraw(pool: &SqlitePool, key: &str, role: SignOffRole) -> Result<(), AppError> {
    let exp = by_key(pool, key).await?;
    let mut tx = AuditedTx::begin(pool, "withdraw sign-off").await?;
    let (proposed, ready) = (Status::Proposed, Status::Ready);
    let done = sqlx::query!(
        "DELETE FROM sign_off WHERE role = ? AND experiment_id = \
         (SELECT id FROM experiment WHERE id = ? AND status IN (?, ?))",
        role,
        exp.id.0,
        proposed,
        ready
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if done.rows_affected() == 0 && !exp.status.brief_editable() {
        return Err(AppError::Conflict(format!(
            "the experiment is {}: its sign-offs are part of the launch record",
            exp.status.label().to_lowercase()
        )));
    }
    Ok(())
}

/// Deletes every sign-off of an experiment; called in the transaction that changes its brief.
pub async fn clear(conn: &mut SqliteConnection, id: ExperimentId) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM sign_off WHERE experiment_id = ?", id.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a running experiment's brief with an amended one and logs the amendment, in one
/// transaction, conditional on the version the amendment was planned against (`exp.version`):
/// a stale amendment is a conflict and stores nothing. Returns the new version.
pub async fn amend(
    pool: &SqlitePool,
    exp: &Experiment,
    amended: &Brief,
    plan: &AmendmentPlan,
    by: &Identity,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let mut tx = AuditedTx::begin(pool, "amend brief").await?;
    let (before, after, running) = (
        brief_json(&exp.brief)?,
        brief_json(amended)?,
        Status::Running,
    );
    let updated = sqlx::query_scalar!(
        "UPDATE experiment SET brief = ?, version = version + 1, updated_at = ? \
         WHERE id = ? AND version = ? AND status = ? RETURNING version",
        after,
        now,
        exp.id.0,
        exp.version,
        running
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(version) = updated else {
        tx.rollback().await?;
        let current = by_key(pool, exp.key.as_str()).await?;
        return Err(AppError::Conflict(if current.status != Status::Running {
            format!(
                "the brief is locked: the experiment is {} now",
                current.status.label().to_lowercase()
            )
        } else {
            format!(
                "someone else changed this experiment since you opened it (you amended version {}, \
                 it is now version {}). Your edits are still in the form: reload and apply them again.",
                exp.version, current.version
            )
        }));
    };
    let changed = sqlx::types::Json(&plan.changed);
    sqlx::query!(
        "INSERT INTO amendment (experiment_id, at, by_name, user_id, reason, changed_fields, \
         before_brief, after_brief) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        exp.id.0,
        now,
        by.name,
        by.user_id,
        plan.reason,
        changed,
        before,
        after
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// The experiment's amendments, oldest first.
pub async fn amendments(pool: &SqlitePool, id: ExperimentId) -> Result<Vec<Amendment>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT at AS "at: DateTime<Utc>", by_name, user_id, reason,
           changed_fields AS "changed_fields: sqlx::types::Json<Vec<BriefField>>",
           before_brief, after_brief
           FROM amendment WHERE experiment_id = ? ORDER BY at, id"#,
        id.0
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let parse = |json: &str| {
                serde_json::from_str::<Brief>(json)
                    .map_err(|e| AppError::internal("stored amendment brief does not parse", e))
            };
            Ok(Amendment {
                at: r.at,
                by: r.by_name,
                user_id: r.user_id,
                reason: r.reason,
                changed: r.changed_fields.0,
                before: parse(&r.before_brief)?,
                after: parse(&r.after_brief)?,
            })
        })
        .collect()
}

pub async fn settings(pool: &SqlitePool) -> Result<WorkspaceSettings, AppError> {
    let require_sign_offs = sqlx::query_scalar!(
        r#"SELECT require_sign_offs AS "required: bool" FROM workspace_setting WHERE id = 1"#
    )
    .fetch_one(pool)
    .await?;
    Ok(WorkspaceSettings { require_sign_offs })
}

pub async fn save_settings(
    pool: &SqlitePool,
    settings: &WorkspaceSettings,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = AuditedTx::begin(pool, "save workspace settings").await?;
    sqlx::query!(
        "UPDATE workspace_setting SET require_sign_offs = ?, updated_at = ? WHERE id = 1",
        settings.require_sign_offs,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
#[path = "signoffs_tests.rs"]
mod tests;

//! The audit log (server only). Triggers write it (`migrations/*_audit_log.sql`); this module says
//! who is acting, by stamping every write transaction, and reads the log back for the admin page
//! and the CSV export.

use std::ops::{Deref, DerefMut};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::domain::account::Identity;
use crate::domain::audit::{diff, kind, AuditEntry, AuditQuery};
use crate::error::AppError;

/// A write transaction stamped with the acting identity and what it does. Every write in `db`
/// and `pull` goes through one; the triggers refuse writes made without.
///
/// A wrapper rather than a pair of `stamp`/`unstamp` calls around a plain transaction: the stamp
/// must be cleared before every commit, and a forgotten clear would leave the last actor in place
/// for the next write that forgot to stamp, which would then be logged under the wrong name
/// instead of refused. Here `commit` is the only way to commit, and dropping the value rolls back
/// the write and the stamp together.
pub struct AuditedTx {
    tx: Transaction<'static, Sqlite>,
    /// This writer's turn (`write_queue`). Declared after `tx`, so it is dropped after it: the
    /// next writer's turn begins only once this transaction has committed or rolled back.
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl AuditedTx {
    /// Begins a transaction acting as `crate::auth::acting()`. The stamp is its first statement,
    /// so it takes SQLite's write lock at once (waiting out other writers with the busy timeout)
    /// and every read after it sees the latest committed data.
    pub async fn begin(pool: &SqlitePool, action: &str) -> Result<Self, AppError> {
        let who = acting_for(action)?;
        // IMMEDIATE: take the write lock before any statement runs, so a transaction never has
        // to upgrade a read snapshot to a write (SQLite refuses that at once with "database is
        // locked" when another writer committed meanwhile; the busy timeout does not apply).
        // Our turn first, then SQLite's lock: writers queue in order here rather than in
        // SQLite's busy handler, which sleeps between tries (see `write_queue`).
        let turn = super::write_queue::turn(pool).await;
        let mut tx = Self::begin_holding_turn(pool, &who, action).await?;
        tx._turn = turn;
        Ok(tx)
    }

    /// Begins a transaction acting as `who`, for a caller that already holds the write turn
    /// (`snapshot_batch`, which writes queued readings of several callers in one turn).
    pub(crate) async fn begin_holding_turn(
        pool: &SqlitePool,
        who: &Identity,
        action: &str,
    ) -> Result<Self, AppError> {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        stamp(&mut tx, who, action).await?;
        Ok(Self { tx, _turn: None })
    }

    /// Acts as `who` for the statements that follow, until the next stamp or the commit: the
    /// triggers log each change under the stamp in place when it ran.
    pub(crate) async fn restamp(&mut self, who: &Identity, action: &str) -> Result<(), AppError> {
        stamp(&mut self.tx, who, action).await
    }

    /// Clears the stamp and commits: the write and its log entries become visible together.
    pub async fn commit(mut self) -> Result<(), AppError> {
        sqlx::query!(
            "UPDATE audit_context SET actor_name = NULL, actor_user_id = NULL, actor_token_id = NULL, \
             action = NULL, at = NULL WHERE id = 1",
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Undoes the write and the stamp (dropping the value does the same, without waiting).
    pub async fn rollback(self) -> Result<(), AppError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

impl Deref for AuditedTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for AuditedTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

/// Who the current task acts as, for a write doing `action`; a write outside `acting_as` is a
/// bug, refused rather than logged under nobody.
pub(crate) fn acting_for(action: &str) -> Result<Identity, AppError> {
    crate::auth::acting().ok_or_else(|| {
        AppError::internal(
            "audit: a write ran outside acting_as",
            format!("action '{action}'"),
        )
    })
}

/// The time is SQLite's, read once the write lock is held, so entries' times follow their ids
/// (commit order) even when writers queued for the lock.
async fn stamp(conn: &mut SqliteConnection, who: &Identity, action: &str) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE audit_context SET actor_name = ?, actor_user_id = ?, actor_token_id = ?, action = ?, \
         at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 1",
        who.name,
        who.user_id,
        who.token_id,
        action
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor_name: String,
    actor_user_id: Option<i64>,
    actor_token_id: Option<i64>,
    action: String,
    entity_type: String,
    entity_key: String,
    before: Option<sqlx::types::Json<serde_json::Value>>,
    after: Option<sqlx::types::Json<serde_json::Value>>,
}

impl AuditRow {
    fn into_entry(self) -> AuditEntry {
        let before = self.before.map(|j| j.0);
        let after = self.after.map(|j| j.0);
        AuditEntry {
            id: self.id,
            at: self.at,
            actor: self.actor_name,
            actor_user_id: self.actor_user_id,
            actor_token_id: self.actor_token_id,
            action: self.action,
            entity_type: self.entity_type,
            entity_key: self.entity_key,
            kind: kind(before.as_ref(), after.as_ref()),
            changes: diff(before.as_ref(), after.as_ref()),
        }
    }
}

/// Entries matching `q`, newest first, at most `limit`. Only the filters that are set become SQL
/// conditions, so each can use its index.
#[tracing::instrument(skip_all)]
pub async fn list(
    pool: &SqlitePool,
    q: &AuditQuery,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    let mut sql = sqlx::QueryBuilder::<Sqlite>::new(
        "SELECT id, at, actor_name, actor_user_id, actor_token_id, action, entity_type, entity_key, \
         before, after FROM audit_log WHERE 1 = 1",
    );
    if let Some(actor) = &q.actor {
        sql.push(" AND actor_name = ").push_bind(actor.clone());
    }
    if let Some(action) = &q.action {
        sql.push(" AND action = ").push_bind(action.clone());
    }
    if let Some(entity) = &q.entity {
        sql.push(" AND entity_key = ").push_bind(entity.clone());
    }
    // Times are RFC 3339 text, so a day bound compares as text: [from, to + 1 day).
    if let Some(from) = q.from {
        sql.push(" AND at >= ").push_bind(day(from));
    }
    if let Some(to) = q.to.and_then(|d| d.succ_opt()) {
        sql.push(" AND at < ").push_bind(day(to));
    }
    if let Some(text) = &q.q {
        let like = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        sql.push(" AND (");
        for (i, column) in ["entity_key", "actor_name", "action", "before", "after"]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push(column)
                .push(" LIKE ")
                .push_bind(like.clone())
                .push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
    if let Some(before) = q.before {
        sql.push(" AND id < ").push_bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    let rows: Vec<AuditRow> = sql.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(AuditRow::into_entry).collect())
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Everyone who has written and every action name, for the filter form's menus.
pub async fn facets(pool: &SqlitePool) -> Result<(Vec<String>, Vec<String>), AppError> {
    let actors = sqlx::query_scalar!("SELECT DISTINCT actor_name FROM audit_log ORDER BY 1")
        .fetch_all(pool)
        .await?;
    let actions = sqlx::query_scalar!("SELECT DISTINCT action FROM audit_log ORDER BY 1")
        .fetch_all(pool)
        .await?;
    Ok((actors, actions))
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;

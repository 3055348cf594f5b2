//! Queries for experiments and their status history.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{SqliteConnection, SqlitePool};

use super::audit::AuditedTx;
use crate::domain::amendment::changed_fields;
use crate::domain::board::BoardFilter;
use crate::domain::brief::Brief;
use crate::domain::experiment::{Experiment, ExperimentId, ExperimentKey, NewExperiment};
use crate::domain::lifecycle::{Status, StatusChange, TransitionPlan};
use crate::domain::verdict::{Conclusion, PostMortem, Verdict, VerdictKind};
use crate::error::AppError;

/// `query_as!` into `ExperimentRow` with every column, followed by `$rest` (the FROM clause on):
/// the by-key read and the board list share one column list, each checked at compile time.
macro_rules! select_experiments {
    ($rest:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            ExperimentRow,
            r#"SELECT id AS "id!", key, title, owner, team, surface, tags AS "tags: _",
               status AS "status: _", archived AS "archived: _", brief, version,
               started_at AS "started_at: _", ended_at AS "ended_at: _", verdict AS "verdict: _",
               verdict_arm, summary, stop_reason, computed_verdict AS "computed_verdict: _",
               computed_arm, override_reason, lessons, segment_notes, next_idea, follows,
               created_at AS "created_at: _", updated_at AS "updated_at: _" "# + $rest
            $(, $arg)*
        )
    };
}

#[path = "experiments_board.rs"]
mod board;
pub use board::{column, column_counts, first_pages};

struct ExperimentRow {
    id: i64,
    key: String,
    title: String,
    owner: String,
    team: String,
    surface: String,
    tags: sqlx::types::Json<Vec<String>>,
    status: Status,
    archived: bool,
    brief: String,
    version: i64,
    started_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    verdict: Option<VerdictKind>,
    verdict_arm: Option<String>,
    summary: Option<String>,
    stop_reason: Option<String>,
    computed_verdict: Option<VerdictKind>,
    computed_arm: Option<String>,
    override_reason: Option<String>,
    lessons: Option<String>,
    segment_notes: Option<String>,
    next_idea: Option<String>,
    follows: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ExperimentRow {
    fn into_experiment(self) -> Result<Experiment, AppError> {
        let key = ExperimentKey::parse(&self.key)
            .map_err(|e| AppError::internal("stored key is invalid", e))?;
        // Unknown or missing brief fields take their defaults, so old rows survive new fields.
        let brief: Brief = serde_json::from_str(&self.brief)
            .map_err(|e| AppError::internal("stored brief does not parse", e))?;
        let conclusion = match self.verdict {
            Some(kind) => Some(Conclusion {
                verdict: Verdict::from_parts(kind, self.verdict_arm)
                    .ok_or_else(|| AppError::internal("ship verdict without arm", &self.key))?,
                summary: self.summary.unwrap_or_default(),
                stopped_early: self.stop_reason,
                computed: self
                    .computed_verdict
                    .and_then(|k| Verdict::from_parts(k, self.computed_arm)),
                override_reason: self.override_reason,
                post_mortem: PostMortem {
                    lessons: self.lessons.unwrap_or_default(),
                    segment_notes: self.segment_notes.unwrap_or_default(),
                    next_idea: self.next_idea.unwrap_or_default(),
                },
            }),
            None => None,
        };
        Ok(Experiment {
            id: ExperimentId(self.id),
            key,
            title: self.title,
            owner: self.owner,
            team: self.team,
            surface: self.surface,
            tags: self.tags.0,
            status: self.status,
            archived: self.archived,
            version: self.version,
            brief,
            started_at: self.started_at,
            ended_at: self.ended_at,
            conclusion,
            follows: self.follows,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(super) fn brief_json(brief: &Brief) -> Result<String, AppError> {
    serde_json::to_string(brief).map_err(|e| AppError::internal("brief does not serialise", e))
}

/// Creates a proposal and its first history entry in one transaction.
pub async fn insert(
    pool: &SqlitePool,
    new: &NewExperiment,
    brief: &Brief,
    now: DateTime<Utc>,
) -> Result<Experiment, AppError> {
    let mut tx = AuditedTx::begin(pool, "propose").await?;
    let (key, title, owner, team, surface, follows) = (
        new.key().as_str(),
        new.title(),
        new.owner(),
        new.team(),
        new.surface(),
        new.follows(),
    );
    let (tags, brief) = (sqlx::types::Json(new.tags()), brief_json(brief)?);
    let id = sqlx::query_scalar!(
        r#"INSERT INTO experiment (key, title, owner, team, surface, tags, brief, created_at,
           updated_at, follows) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9) RETURNING id AS "id!: i64""#,
        key,
        title,
        owner,
        team,
        surface,
        tags,
        brief,
        now,
        follows
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(super::on_unique("experiment", "key", || {
        format!("the key '{key}' is already taken by another experiment")
    }))?;
    append_history(&mut tx, id, None, Status::Proposed, now, "").await?;
    let exp = by_key_in(&mut tx, key).await?;
    tx.commit().await?;
    Ok(exp)
}

async fn append_history(
    conn: &mut SqliteConnection,
    id: i64,
    from: Option<Status>,
    to: Status,
    at: DateTime<Utc>,
    note: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO status_change (experiment_id, from_status, to_status, at, note) \
         VALUES (?, ?, ?, ?, ?)",
        id,
        from,
        to,
        at,
        note
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn by_key_in(conn: &mut SqliteConnection, key: &str) -> Result<Experiment, AppError> {
    let row = select_experiments!("FROM experiment WHERE key = ?", key)
        .fetch_optional(conn)
        .await?;
    row.ok_or_else(|| AppError::NotFound(format!("experiment '{key}'")))?
        .into_experiment()
}

pub async fn by_key(pool: &SqlitePool, key: &str) -> Result<Experiment, AppError> {
    let mut conn = pool.acquire().await?;
    by_key_in(&mut conn, key).await
}

/// Every experiment under the board's filters (the calendar, the CSV, the list view and the
/// REST list). Filters are optional; text search looks at key, title and the brief.
pub async fn list(pool: &SqlitePool, f: &BoardFilter) -> Result<Vec<Experiment>, AppError> {
    let board::Bound {
        archived,
        team,
        owner,
        tag,
        like,
        phrase,
    } = board::Bound::of(f);
    let rows = select_experiments!(
        r"FROM experiment
         WHERE archived = ?1
           AND (?2 IS NULL OR team = ?2)
           AND (?3 IS NULL OR owner = ?3)
           AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(experiment.tags) WHERE value = ?4))
           AND (?5 IS NULL OR key LIKE ?5 ESCAPE '\' OR title LIKE ?5 ESCAPE '\'
                OR brief LIKE ?5 ESCAPE '\')
           AND (?6 IS NULL OR id IN (SELECT rowid FROM board_search WHERE board_search MATCH ?6))
         ORDER BY updated_at DESC, id DESC",
        archived,
        team,
        owner,
        tag,
        like,
        phrase
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(ExperimentRow::into_experiment)
        .collect()
}

/// The ids of the experiments `list` returns, in its order: the list view takes their rows from
/// its cache (`list_rows.rs`).
pub async fn list_ids(pool: &SqlitePool, f: &BoardFilter) -> Result<Vec<i64>, AppError> {
    let board::Bound {
        archived,
        team,
        owner,
        tag,
        like,
        phrase,
    } = board::Bound::of(f);
    // One row holding every id: at 10,000 experiments a row per id cost more in the driver
    // (each row crosses a channel from SQLite's thread) than the whole list render. The ids
    // are ordered in a subquery that reads them in order from `experiment_recent`: an ORDER BY
    // inside `json_group_array` always sorts in a temporary B-tree (3-4 ms at 10,000). SQLite
    // does not flatten an ordered subquery into an aggregate, so the array keeps its order
    // (`list_ids_come_most_recent_first_from_the_index` checks both).
    let ids = sqlx::query_scalar!(
        r#"SELECT json_group_array(id) AS "ids!: Json<Vec<i64>>" FROM (
           SELECT id FROM experiment
           WHERE archived = ?1
             AND (?2 IS NULL OR team = ?2)
             AND (?3 IS NULL OR owner = ?3)
             AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(experiment.tags) WHERE value = ?4))
             AND (?5 IS NULL OR key LIKE ?5 ESCAPE '\' OR title LIKE ?5 ESCAPE '\'
                  OR brief LIKE ?5 ESCAPE '\')
             AND (?6 IS NULL OR id IN (SELECT rowid FROM board_search WHERE board_search MATCH ?6))
           ORDER BY updated_at DESC, id DESC)"#,
        archived,
        team,
        owner,
        tag,
        like,
        phrase
    )
    .fetch_one(pool)
    .await?;
    Ok(ids.0)
}

pub use super::facets::{facets, Facets};

/// Every tag once, sorted. (Collected here rather than with SQLite's `json_each`, which the
/// query macros cannot describe as a row source.)
pub(super) fn distinct_tags(lists: Vec<Json<Vec<String>>>) -> Vec<String> {
    let all: std::collections::BTreeSet<String> = lists.into_iter().flat_map(|t| t.0).collect();
    all.into_iter().collect()
}

/// Saves a brief if nobody changed the experiment since `expected_version` was read and the
/// brief is still editable. Returns the new version.
///
/// A save that changes the brief clears its sign-offs in the same transaction: a sign-off means
/// "I agreed to this brief", and any edit (notes included) makes it a different brief. A save
/// that changes nothing (Save pressed twice) keeps them, since nobody's agreement is stale.
pub async fn save_brief(
    pool: &SqlitePool,
    key: &str,
    expected_version: i64,
    brief: &Brief,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    // Read outside the transaction: if the conditional update below succeeds, nobody wrote in
    // between (every write bumps the version), so this is exactly the brief being replaced.
    let before = brief_at(pool, key).await?;
    let mut tx = AuditedTx::begin(pool, "save brief").await?;
    let (json, proposed, ready) = (brief_json(brief)?, Status::Proposed, Status::Ready);
    let updated = sqlx::query!(
        r#"UPDATE experiment SET brief = ?, version = version + 1, updated_at = ?
           WHERE key = ? AND version = ? AND status IN (?, ?) RETURNING id AS "id!: i64", version"#,
        json,
        now,
        key,
        expected_version,
        proposed,
        ready
    )
    .fetch_optional(&mut *tx)
    .await?;
    match updated.map(|r| (r.id, r.version)) {
        Some((id, v)) => {
            let changed = match &before {
                Some((read_version, old)) if *read_version == expected_version => {
                    !changed_fields(old, brief).is_empty()
                }
                // The version moved between the read and the write: we cannot tell what was
                // replaced, so treat it as a change (clearing is the safe side).
                _ => true,
            };
            if changed {
                super::signoffs::clear(&mut tx, ExperimentId(id)).await?;
            }
            tx.commit().await?;
            Ok(v)
        }
        None => {
            tx.rollback().await?;
            let current = by_key(pool, key).await?;
            Err(if !current.status.brief_editable() {
                AppError::Conflict(format!(
                    "the brief is locked: the experiment is {} (briefs lock at launch{})",
                    current.status.label().to_lowercase(),
                    if current.status == Status::Running {
                        "; amend it with a written reason instead"
                    } else {
                        ""
                    }
                ))
            } else {
                AppError::Conflict(format!(
                    "someone else saved this experiment since you opened it (you edited version {expected_version}, \
                     it is now version {}). Your edits are still in the form: copy them, reload, and apply them again.",
                    current.version
                ))
            })
        }
    }
}

/// The stored brief and the version it belongs to, if the experiment exists.
async fn brief_at(pool: &SqlitePool, key: &str) -> Result<Option<(i64, Brief)>, AppError> {
    let row = sqlx::query!("SELECT version, brief FROM experiment WHERE key = ?", key)
        .fetch_optional(pool)
        .await?;
    row.map(|r| {
        serde_json::from_str(&r.brief)
            .map(|brief| (r.version, brief))
            .map_err(|e| AppError::internal("stored brief does not parse", e))
    })
    .transpose()
}

/// Applies an allowed move: a conditional UPDATE on (status, version) so a move that raced with
/// another fails instead of applying twice, plus the history row, in one transaction.
pub async fn apply_transition(
    pool: &SqlitePool,
    exp: &Experiment,
    plan: &TransitionPlan,
    now: DateTime<Utc>,
) -> Result<Experiment, AppError> {
    let mut tx = AuditedTx::begin(pool, &move_action(plan)).await?;
    let conclusion = plan.conclusion();
    // Every column named once, in the order of the SET list: nothing positional to misorder.
    let verdict = conclusion.map(|c| c.verdict.kind());
    let verdict_arm = conclusion.and_then(|c| c.verdict.arm());
    let summary = conclusion.map(|c| c.summary.as_str());
    let stop_reason = conclusion.and_then(|c| c.stopped_early.as_deref());
    let computed = conclusion.and_then(|c| c.computed.as_ref());
    let computed_verdict = computed.map(Verdict::kind);
    let computed_arm = computed.and_then(|v| v.arm());
    let override_reason = conclusion.and_then(|c| c.override_reason.as_deref());
    let post_mortem = conclusion.map(|c| &c.post_mortem);
    let lessons = post_mortem.map(|p| p.lessons.as_str());
    let segment_notes = post_mortem.map(|p| p.segment_notes.as_str());
    let next_idea = post_mortem.map(|p| p.next_idea.as_str());
    let (to, from, started_at, ended_at) =
        (plan.to(), plan.from(), plan.started_at(), plan.ended_at());
    let result = sqlx::query!(
        "UPDATE experiment SET status = ?, version = version + 1, updated_at = ?, \
            started_at = coalesce(?, started_at), ended_at = ?, verdict = ?, verdict_arm = ?, \
            summary = ?, stop_reason = ?, computed_verdict = ?, computed_arm = ?, \
            override_reason = ?, lessons = ?, segment_notes = ?, next_idea = ? \
         WHERE id = ? AND status = ? AND version = ?",
        to,
        now,
        started_at,
        ended_at,
        verdict,
        verdict_arm,
        summary,
        stop_reason,
        computed_verdict,
        computed_arm,
        override_reason,
        lessons,
        segment_notes,
        next_idea,
        exp.id.0,
        from,
        exp.version
    )
    .execute(&mut *tx)
    .await?;
    if result.rows_affected() != 1 {
        return Err(AppError::Conflict(
            "this experiment was changed by someone else meanwhile; reload to see its current state".into(),
        ));
    }
    append_history(
        &mut tx,
        exp.id.0,
        Some(plan.from()),
        plan.to(),
        now,
        plan.note(),
    )
    .await?;
    let updated = by_key_in(&mut tx, exp.key.as_str()).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Archives (or restores) a finished experiment: it leaves the board but keeps its history.
pub async fn set_archived(
    pool: &SqlitePool,
    key: &str,
    archived: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let action = if archived { "archive" } else { "unarchive" };
    let mut tx = AuditedTx::begin(pool, action).await?;
    let done_status = Status::Done;
    let done = sqlx::query!(
        "UPDATE experiment SET archived = ?, version = version + 1, updated_at = ? \
         WHERE key = ? AND status = ?",
        archived,
        now,
        key,
        done_status
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        let current = by_key_in(&mut tx, key).await?;
        return Err(AppError::invalid(
            "archived",
            format!(
                "only done experiments can be archived; this one is {}",
                current.status.label().to_lowercase()
            ),
        ));
    }
    tx.commit().await
}

/// The audit log's name for a move.
fn move_action(plan: &TransitionPlan) -> String {
    match plan.to() {
        Status::Done => "close".into(),
        to => format!("move to {}", to.label().to_lowercase()),
    }
}

pub async fn history(pool: &SqlitePool, id: ExperimentId) -> Result<Vec<StatusChange>, AppError> {
    Ok(sqlx::query_as!(
        StatusChange,
        r#"SELECT from_status AS "from: Status", to_status AS "to: Status",
           at AS "at: DateTime<Utc>", note
           FROM status_change WHERE experiment_id = ? ORDER BY at, id"#,
        id.0
    )
    .fetch_all(pool)
    .await?)
}

/// Keys of the other running experiments on a surface (overlap warnings).
pub async fn running_on_surface(
    pool: &SqlitePool,
    surface: &str,
    except: ExperimentId,
) -> Result<Vec<String>, AppError> {
    if surface.is_empty() {
        return Ok(Vec::new());
    }
    let running = Status::Running;
    Ok(sqlx::query_scalar!(
        "SELECT key FROM experiment WHERE status = ? AND surface = ? AND id != ? ORDER BY key",
        running,
        surface,
        except.0
    )
    .fetch_all(pool)
    .await?)
}

/// Takes the pool or a connection a caller holds (the board's).
pub async fn count<'e>(db: impl sqlx::SqliteExecutor<'e>) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!: i64" FROM experiment"#)
            .fetch_one(db)
            .await?,
    )
}

#[cfg(test)]
#[path = "experiments_tests.rs"]
mod tests;

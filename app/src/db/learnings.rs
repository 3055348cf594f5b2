//! The learnings library's queries: full-text search over the `learning_search` FTS5 index
//! (migration 6) plus the page's filters, and the values its filter menus offer.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, QueryBuilder, Sqlite, SqlitePool};

use crate::domain::learning::{
    fts_query, search_words, segments, Learning, LearningFacets, LearningQuery, HIT_END, HIT_START,
};
use crate::domain::lifecycle::Status;
use crate::domain::verdict::{Verdict, VerdictKind};
use crate::error::AppError;

/// More than a person reads; the page says when the list was cut.
pub const LIMIT: i64 = crate::api::learnings::LIMIT_SHOWN;

#[derive(FromRow)]
struct LearningRow {
    key: String,
    title: String,
    team: String,
    surface: String,
    tags: sqlx::types::Json<Vec<String>>,
    verdict: Option<VerdictKind>,
    verdict_arm: Option<String>,
    metric: Option<String>,
    ended_at: Option<DateTime<Utc>>,
    summary: String,
    lessons: String,
    snip: Option<String>,
}

impl LearningRow {
    fn into_learning(self) -> Learning {
        Learning {
            verdict: self
                .verdict
                .and_then(|k| Verdict::from_parts(k, self.verdict_arm)),
            key: self.key,
            title: self.title,
            team: self.team,
            surface: self.surface,
            tags: self.tags.0,
            metric: self.metric.unwrap_or_default(),
            ended: self.ended_at.map(|t| t.date_naive()),
            summary: self.summary,
            lessons: self.lessons,
            snippet: self.snip.as_deref().map(segments).unwrap_or_default(),
        }
    }
}

/// Finished experiments (archived ones too) matching the query, best match first, or newest
/// first without words. The post-mortem's lessons, segment notes and next idea came with
/// migration 7, after the index was defined, so they are matched here by substring (every word
/// must occur); a later migration can add them to `learning_doc` and this clause can go.
pub async fn search(pool: &SqlitePool, q: &LearningQuery) -> Result<Vec<Learning>, AppError> {
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let fts = fts_query(&q.q);
    let words = search_words(&q.q);
    let mut sql = QueryBuilder::<Sqlite>::new(
        "SELECT e.key, e.title, e.team, e.surface, e.tags, e.verdict, e.verdict_arm, \
            json_extract(e.brief, '$.primary.name') AS metric, e.ended_at, \
            coalesce(e.summary, '') AS summary, coalesce(e.lessons, '') AS lessons, h.snip \
         FROM experiment e ",
    );
    match &fts {
        Some(fts) => {
            sql.push(
                "LEFT JOIN (SELECT rowid AS id, bm25(learning_search) AS rank, \
                   snippet(learning_search, -1, ",
            )
            .push_bind(HIT_START.to_string())
            .push(", ")
            .push_bind(HIT_END.to_string())
            .push(", '…', 16) AS snip FROM learning_search WHERE learning_search MATCH ")
            .push_bind(fts.clone())
            .push(") h ON h.id = e.id");
        }
        // No words: no ranking and no snippet.
        None => {
            sql.push("LEFT JOIN (SELECT NULL AS id, NULL AS rank, NULL AS snip) h ON 0");
        }
    }
    sql.push(" WHERE e.status = ").push_bind(Status::Done);
    if fts.is_some() {
        // A word found only in the post-mortem (which the index does not hold) still matches.
        sql.push(" AND (h.id IS NOT NULL OR (1 = 1");
        for w in &words {
            sql.push(
                " AND instr(lower(coalesce(e.lessons, '') || ' ' || coalesce(e.segment_notes, '') \
                 || ' ' || coalesce(e.next_idea, '')), ",
            )
            .push_bind(w.clone())
            .push(") > 0");
        }
        sql.push("))");
    }
    if let Some(kind) = q.verdict_kind() {
        sql.push(" AND e.verdict = ").push_bind(kind);
    }
    if let Some(team) = opt(&q.team) {
        sql.push(" AND e.team = ").push_bind(team);
    }
    if let Some(surface) = opt(&q.surface) {
        sql.push(" AND e.surface = ")
            .push_bind(surface.to_lowercase());
    }
    if let Some(metric) = opt(&q.metric) {
        sql.push(" AND json_extract(e.brief, '$.primary.name') = ")
            .push_bind(metric);
    }
    if let Some(tag) = opt(&q.tag) {
        sql.push(" AND EXISTS (SELECT 1 FROM json_each(e.tags) WHERE value = ")
            .push_bind(tag.to_lowercase())
            .push(")");
    }
    sql.push(" ORDER BY h.rank IS NULL, h.rank, e.ended_at DESC, e.id DESC LIMIT ")
        .push_bind(LIMIT);
    let query = sql.build_query_as::<LearningRow>();
    let rows = query.fetch_all(pool).await?;
    Ok(rows.into_iter().map(LearningRow::into_learning).collect())
}

/// Filter menu values among finished experiments, and how many there are.
pub async fn facets(pool: &SqlitePool) -> Result<(LearningFacets, u64), AppError> {
    let done = Status::Done;
    let teams = sqlx::query_scalar!(
        "SELECT DISTINCT team FROM experiment WHERE status = ? AND team != '' ORDER BY 1",
        done
    )
    .fetch_all(pool)
    .await?;
    let surfaces = sqlx::query_scalar!(
        "SELECT DISTINCT surface FROM experiment WHERE status = ? AND surface != '' ORDER BY 1",
        done
    )
    .fetch_all(pool)
    .await?;
    let metrics = sqlx::query_scalar!(
        r#"SELECT DISTINCT json_extract(brief, '$.primary.name') AS "metric!: String"
           FROM experiment WHERE status = ?
           AND coalesce(json_extract(brief, '$.primary.name'), '') != '' ORDER BY 1"#,
        done
    )
    .fetch_all(pool)
    .await?;
    let tags = sqlx::query_scalar!(
        r#"SELECT tags AS "tags: sqlx::types::Json<Vec<String>>" FROM experiment WHERE status = ?"#,
        done
    )
    .fetch_all(pool)
    .await?;
    let tags = super::experiments::distinct_tags(tags);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!: i64" FROM experiment WHERE status = ?"#,
        done
    )
    .fetch_one(pool)
    .await?;
    Ok((
        LearningFacets {
            teams,
            surfaces,
            metrics,
            tags,
        },
        total.max(0) as u64,
    ))
}

#[cfg(test)]
#[path = "learnings_tests.rs"]
mod tests;

/// Finished experiments like a proposal being written: those on the same surface, and those
/// whose title, hypothesis, post-mortem or tags share a word with its title; same-surface ones
/// first, then by text relevance, at most `limit`.
pub async fn similar(
    pool: &SqlitePool,
    title: &str,
    surface: &str,
    limit: i64,
) -> Result<Vec<Learning>, AppError> {
    let surface = surface.trim();
    let fts = crate::domain::learning::fts_any(title);
    if fts.is_none() && surface.is_empty() {
        return Ok(Vec::new());
    }
    let done = Status::Done;
    let keys = sqlx::query_scalar!(
        "SELECT e.key FROM experiment e \
         LEFT JOIN (SELECT rowid AS id, bm25(learning_search) AS rank FROM learning_search \
                    WHERE ?1 IS NOT NULL AND learning_search MATCH ?1) h ON h.id = e.id \
         WHERE e.status = ?4 AND (h.id IS NOT NULL OR (?2 != '' AND e.surface = ?2)) \
         ORDER BY (?2 != '' AND e.surface = ?2) DESC, h.rank IS NULL, h.rank, e.ended_at DESC \
         LIMIT ?3",
        fts,
        surface,
        limit,
        done
    )
    .fetch_all(pool)
    .await?;
    let mut all = search(pool, &LearningQuery::default()).await?;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(i) = all.iter().position(|l| l.key == key) {
            out.push(all.swap_remove(i));
        }
    }
    Ok(out)
}

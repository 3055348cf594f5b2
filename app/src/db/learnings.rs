//! The learnings library's queries: full-text search over the `learning_search` FTS5 index
//! (migration 6) plus the page's filters, and the values its filter menus offer.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqlitePool};

use crate::domain::learning::{
    fts_query, search_words, segments, Learning, LearningFacets, LearningQuery, HIT_END, HIT_START,
};
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
    let post_mortem = "lower(coalesce(e.lessons, '') || ' ' || coalesce(e.segment_notes, '') || ' ' || coalesce(e.next_idea, ''))";
    let (hits, matches) = match &fts {
        Some(_) => (
            format!(
                "LEFT JOIN (SELECT rowid AS id, bm25(learning_search) AS rank, \
                   snippet(learning_search, -1, '{HIT_START}', '{HIT_END}', '…', 16) AS snip \
                 FROM learning_search WHERE learning_search MATCH ?1) h ON h.id = e.id"
            ),
            format!(
                "AND (h.id IS NOT NULL OR ({}))",
                (0..words.len())
                    .map(|i| format!("instr({post_mortem}, ?{}) > 0", i + 8))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            ),
        ),
        None => (
            // No words: no ranking and no snippet; ?1 (a NULL) is bound but unused.
            "LEFT JOIN (SELECT NULL AS id, NULL AS rank, NULL AS snip) h ON 0".into(),
            String::new(),
        ),
    };
    let sql = format!(
        "SELECT e.key, e.title, e.team, e.surface, e.tags, e.verdict, e.verdict_arm, \
            json_extract(e.brief, '$.primary.name') AS metric, e.ended_at, \
            coalesce(e.summary, '') AS summary, coalesce(e.lessons, '') AS lessons, h.snip \
         FROM experiment e {hits} \
         WHERE e.status = 'done' {matches} \
           AND (?2 IS NULL OR e.verdict = ?2) \
           AND (?3 IS NULL OR e.team = ?3) \
           AND (?4 IS NULL OR e.surface = ?4) \
           AND (?5 IS NULL OR json_extract(e.brief, '$.primary.name') = ?5) \
           AND (?6 IS NULL OR EXISTS (SELECT 1 FROM json_each(e.tags) WHERE value = ?6)) \
         ORDER BY h.rank IS NULL, h.rank, e.ended_at DESC, e.id DESC \
         LIMIT ?7"
    );
    let mut query = sqlx::query_as::<_, LearningRow>(&sql)
        .bind(fts)
        .bind(q.verdict_kind())
        .bind(opt(&q.team))
        .bind(opt(&q.surface).map(|s| s.to_lowercase()))
        .bind(opt(&q.metric))
        .bind(opt(&q.tag).map(|t| t.to_lowercase()))
        .bind(LIMIT);
    for w in &words {
        query = query.bind(w.clone());
    }
    let rows = query.fetch_all(pool).await?;
    Ok(rows.into_iter().map(LearningRow::into_learning).collect())
}

/// Filter menu values among finished experiments, and how many there are.
pub async fn facets(pool: &SqlitePool) -> Result<(LearningFacets, u64), AppError> {
    let distinct = |expr: &str| {
        format!(
            "SELECT DISTINCT {expr} AS v FROM experiment WHERE status = 'done' AND coalesce({expr}, '') != '' ORDER BY 1"
        )
    };
    let teams = sqlx::query_scalar(&distinct("team"))
        .fetch_all(pool)
        .await?;
    let surfaces = sqlx::query_scalar(&distinct("surface"))
        .fetch_all(pool)
        .await?;
    let metrics = sqlx::query_scalar(&distinct("json_extract(brief, '$.primary.name')"))
        .fetch_all(pool)
        .await?;
    let tags = sqlx::query_scalar(
        "SELECT DISTINCT j.value FROM experiment, json_each(experiment.tags) j \
         WHERE experiment.status = 'done' ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM experiment WHERE status = 'done'")
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
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT e.key FROM experiment e \
         LEFT JOIN (SELECT rowid AS id, bm25(learning_search) AS rank FROM learning_search \
                    WHERE ?1 IS NOT NULL AND learning_search MATCH ?1) h ON h.id = e.id \
         WHERE e.status = 'done' AND (h.id IS NOT NULL OR (?2 != '' AND e.surface = ?2)) \
         ORDER BY (?2 != '' AND e.surface = ?2) DESC, h.rank IS NULL, h.rank, e.ended_at DESC \
         LIMIT ?3",
    )
    .bind(fts)
    .bind(surface)
    .bind(limit)
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

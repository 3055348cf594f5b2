//! The board's queries: one page per column in keyset order (newest change first), the exact
//! count of every column, and the filters bound as parameters. The index
//! `experiment_board (archived, status, updated_at DESC, id DESC)` serves the order, so a column
//! reads its page and stops, whatever the program's size.

use sqlx::SqliteConnection;

use super::{ExperimentRow, Json};
use crate::domain::board::{BoardFilter, Cursor, MAX_SHOWN, PAGE};
use crate::domain::experiment::Experiment;
use crate::domain::lifecycle::Status;
use crate::error::AppError;

/// The filters as bound parameters; None means "not filtered on".
pub(super) struct Bound {
    pub archived: bool,
    pub team: Option<String>,
    pub owner: Option<String>,
    pub tag: Option<String>,
    /// A search of three characters or more: an FTS5 phrase for the trigram index
    /// `board_search` (substring semantics, any case).
    pub phrase: Option<String>,
    /// A shorter search, which trigrams cannot serve: `%text%` with LIKE's wildcards escaped.
    pub like: Option<String>,
}

impl Bound {
    pub(super) fn of(f: &BoardFilter) -> Self {
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Self {
            archived: f.archived,
            team: opt(&f.team),
            owner: opt(&f.owner),
            tag: opt(&f.tag).map(|t| t.to_lowercase()),
            phrase: opt(&f.q)
                .filter(|q| q.chars().count() >= 3)
                .map(|q| format!("\"{}\"", q.replace('"', "\"\""))),
            like: opt(&f.q).filter(|q| q.chars().count() < 3).map(|q| {
                format!(
                    "%{}%",
                    q.replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_")
                )
            }),
        }
    }
}

/// A row's place in the column's order, exactly as stored.
struct Key {
    id: i64,
    at: String,
}

impl Key {
    fn cursor(&self) -> Cursor {
        Cursor {
            at: self.at.clone(),
            id: self.id,
        }
    }
}

/// The rows of these experiments, newest change first (a deleted one has none).
async fn rows_of(
    conn: &mut SqliteConnection,
    ids: Vec<i64>,
) -> Result<Vec<ExperimentRow>, AppError> {
    let ids = Json(ids);
    Ok(select_experiments!(
        r"FROM experiment WHERE id IN (SELECT value FROM json_each(?1))
         ORDER BY updated_at DESC, id DESC",
        ids
    )
    .fetch_all(conn)
    .await?)
}

/// One column under the filter: the cards down to `until` (the first page without it), and the
/// cursor that shows one page more (None when nothing is left).
///
/// On a connection the caller holds: the board runs all its queries on one (under load each
/// query's wait for a pooled connection, a dozen times a render, was most of its latency).
pub async fn column(
    conn: &mut SqliteConnection,
    f: &BoardFilter,
    status: Status,
    until: Option<&Cursor>,
) -> Result<(Vec<Experiment>, Option<Cursor>), AppError> {
    let b = Bound::of(f);
    let (until_at, until_id) = until.map_or((None, 0), |c| (Some(c.at.as_str()), c.id));
    // The first page and the next one in one read: the next page's last card is the cursor of
    // "show more". Past the first page the cards shown end at the cursor, and the next page is
    // read after them.
    let limit = if until.is_some() { MAX_SHOWN } else { 2 * PAGE } as i64;
    let mut shown = sqlx::query_as!(
        Key,
        r#"SELECT id AS "id!", updated_at AS "at!: String" FROM experiment
         WHERE archived = ?1 AND status = ?2
           AND (?3 IS NULL OR team = ?3)
           AND (?4 IS NULL OR owner = ?4)
           AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(experiment.tags) WHERE value = ?5))
           AND (?6 IS NULL OR key LIKE ?6 ESCAPE '\' OR title LIKE ?6 ESCAPE '\'
                OR brief LIKE ?6 ESCAPE '\')
           AND (?10 IS NULL OR id IN (SELECT rowid FROM board_search WHERE board_search MATCH ?10))
           AND (?7 IS NULL OR (updated_at, id) >= (?7, ?8))
         ORDER BY updated_at DESC, id DESC
         LIMIT ?9"#,
        b.archived,
        status,
        b.team,
        b.owner,
        b.tag,
        b.like,
        until_at,
        until_id,
        limit,
        b.phrase
    )
    .fetch_all(&mut *conn)
    .await?;
    let after = if until.is_none() {
        shown.split_off(shown.len().min(PAGE))
    } else {
        Vec::new()
    };
    let Some(last) = shown.last() else {
        return Ok((Vec::new(), None));
    };
    let page = PAGE as i64;
    let after = if until.is_none() {
        after
    } else {
        sqlx::query_as!(
            Key,
            r#"SELECT id AS "id!", updated_at AS "at!: String" FROM experiment
         WHERE archived = ?1 AND status = ?2
           AND (?3 IS NULL OR team = ?3)
           AND (?4 IS NULL OR owner = ?4)
           AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(experiment.tags) WHERE value = ?5))
           AND (?6 IS NULL OR key LIKE ?6 ESCAPE '\' OR title LIKE ?6 ESCAPE '\'
                OR brief LIKE ?6 ESCAPE '\')
           AND (?10 IS NULL OR id IN (SELECT rowid FROM board_search WHERE board_search MATCH ?10))
           AND (updated_at, id) < (?7, ?8)
         ORDER BY updated_at DESC, id DESC
         LIMIT ?9"#,
            b.archived,
            status,
            b.team,
            b.owner,
            b.tag,
            b.like,
            last.at,
            last.id,
            page,
            b.phrase
        )
        .fetch_all(&mut *conn)
        .await?
    };
    let more = after.last().map(Key::cursor);
    let rows = rows_of(conn, shown.iter().map(|k| k.id).collect()).await?;
    // A card that changed column between the two reads shows in its new column only.
    let cards = rows
        .into_iter()
        .filter(|r| r.status == status)
        .map(ExperimentRow::into_experiment)
        .collect::<Result<_, _>>()?;
    Ok((cards, more))
}

/// Every column's first page under the filter, with each one's "show more" cursor: what the
/// board shows as people open it. Two queries for the four columns (their keys, then the
/// cards) instead of two per column: under load each query is a wait for SQLite's thread and
/// then for the runtime, and the board's dozen of them made it the slowest page after writes.
pub async fn first_pages(
    conn: &mut SqliteConnection,
    f: &BoardFilter,
) -> Result<Vec<(Vec<Experiment>, Option<Cursor>)>, AppError> {
    let b = Bound::of(f);
    let limit = (2 * PAGE) as i64;
    // Each branch reads its column's first two pages from `experiment_board` and stops (the
    // CTE is inlined into each branch, not materialized: see the plan test).
    let keys = sqlx::query!(
        r#"WITH f AS NOT MATERIALIZED (
             SELECT id, status, updated_at FROM experiment
             WHERE archived = ?1
               AND (?2 IS NULL OR team = ?2)
               AND (?3 IS NULL OR owner = ?3)
               AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(experiment.tags) WHERE value = ?4))
               AND (?5 IS NULL OR key LIKE ?5 ESCAPE '\' OR title LIKE ?5 ESCAPE '\'
                    OR brief LIKE ?5 ESCAPE '\')
               AND (?6 IS NULL OR id IN (SELECT rowid FROM board_search WHERE board_search MATCH ?6)))
           SELECT id AS "id!", status AS "status!: Status", updated_at AS "at!: String" FROM (
             SELECT * FROM (SELECT * FROM f WHERE status = 'proposed'
                            ORDER BY updated_at DESC, id DESC LIMIT ?7)
             UNION ALL
             SELECT * FROM (SELECT * FROM f WHERE status = 'ready'
                            ORDER BY updated_at DESC, id DESC LIMIT ?7)
             UNION ALL
             SELECT * FROM (SELECT * FROM f WHERE status = 'running'
                            ORDER BY updated_at DESC, id DESC LIMIT ?7)
             UNION ALL
             SELECT * FROM (SELECT * FROM f WHERE status = 'done'
                            ORDER BY updated_at DESC, id DESC LIMIT ?7))"#,
        b.archived,
        b.team,
        b.owner,
        b.tag,
        b.like,
        b.phrase,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut columns: Vec<Vec<Key>> = Status::ALL.iter().map(|_| Vec::new()).collect();
    for k in keys {
        if let Some(i) = Status::ALL.iter().position(|s| *s == k.status) {
            columns[i].push(Key { id: k.id, at: k.at });
        }
    }
    let mut pages = Vec::with_capacity(columns.len());
    let mut shown_ids = Vec::new();
    for mut keys in columns {
        // The column's order, whatever order the union returned the rows in.
        keys.sort_by(|a, b| (&b.at, b.id).cmp(&(&a.at, a.id)));
        let after = keys.split_off(keys.len().min(PAGE));
        let more = after.last().map(Key::cursor);
        shown_ids.extend(keys.iter().map(|k| k.id));
        pages.push((keys, more));
    }
    let mut by_id: std::collections::HashMap<i64, ExperimentRow> = rows_of(conn, shown_ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut out = Vec::with_capacity(pages.len());
    for ((keys, more), status) in pages.into_iter().zip(Status::ALL) {
        // A card that changed column between the two reads shows in its new column only
        // (once the board is read again), as in `column`.
        let cards = keys
            .iter()
            .filter_map(|k| by_id.remove(&k.id))
            .filter(|r| r.status == status)
            .map(ExperimentRow::into_experiment)
            .collect::<Result<_, _>>()?;
        out.push((cards, more));
    }
    Ok(out)
}

/// The exact number of experiments per column under the filter, in `Status::ALL` order.
pub async fn column_counts(
    conn: &mut SqliteConnection,
    f: &BoardFilter,
) -> Result<[i64; 4], AppError> {
    let b = Bound::of(f);
    let unfiltered = b.team.is_none()
        && b.owner.is_none()
        && b.tag.is_none()
        && b.like.is_none()
        && b.phrase.is_none();
    if unfiltered {
        // The board as most people open it: counted from the index alone (at 10,000
        // experiments 1.7 ms instead of 12 ms, which the filtered query spends reading rows).
        let rows = sqlx::query!(
            r#"SELECT status AS "status!: Status", count(*) AS "n!: i64" FROM experiment
             WHERE archived = ?1 GROUP BY status"#,
            b.archived
        )
        .fetch_all(&mut *conn)
        .await?;
        return Ok(by_status(rows.into_iter().map(|r| (r.status, r.n))));
    }
    if let (Some(team), None, None, None, None) = (&b.team, &b.owner, &b.tag, &b.like, &b.phrase) {
        // One team's board: counted from the `experiment_team` index alone.
        let rows = sqlx::query!(
            r#"SELECT status AS "status!: Status", count(*) AS "n!: i64" FROM experiment
             WHERE team = ?1 AND archived = ?2 GROUP BY status"#,
            team,
            b.archived
        )
        .fetch_all(&mut *conn)
        .await?;
        return Ok(by_status(rows.into_iter().map(|r| (r.status, r.n))));
    }
    let rows = sqlx::query!(
        r#"SELECT status AS "status!: Status", count(*) AS "n!: i64" FROM experiment
         WHERE archived = ?1
           AND (?2 IS NULL OR team = ?2)
           AND (?3 IS NULL OR owner = ?3)
           AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(experiment.tags) WHERE value = ?4))
           AND (?5 IS NULL OR key LIKE ?5 ESCAPE '\' OR title LIKE ?5 ESCAPE '\'
                OR brief LIKE ?5 ESCAPE '\')
           AND (?6 IS NULL OR id IN (SELECT rowid FROM board_search WHERE board_search MATCH ?6))
         GROUP BY status"#,
        b.archived,
        b.team,
        b.owner,
        b.tag,
        b.like,
        b.phrase
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(by_status(rows.into_iter().map(|r| (r.status, r.n))))
}

fn by_status(rows: impl Iterator<Item = (Status, i64)>) -> [i64; 4] {
    let mut counts = [0; 4];
    for (status, n) in rows {
        if let Some(i) = Status::ALL.iter().position(|s| *s == status) {
            counts[i] = n;
        }
    }
    counts
}

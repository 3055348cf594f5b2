//! The dashboard's slim load: one `Entry` per experiment, built from one JSON document that
//! SQLite assembles (see `program.rs` for why a document rather than rows). Only what the
//! program metrics read is selected: no summaries, post-mortems or full results readings, just
//! the latest reading's users per arm for the sample ratio check.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::SqlitePool;

use crate::domain::brief::Brief;
use crate::domain::lifecycle::Status;
use crate::domain::program::{Entry, SrmCheck};
use crate::domain::results::{ArmCount, Counts};
use crate::domain::verdict::{Conclusion, Verdict, VerdictKind};
use crate::error::AppError;

#[derive(Deserialize)]
struct EntryDoc {
    id: i64,
    key: String,
    title: String,
    team: String,
    surface: String,
    tags: Vec<String>,
    status: Status,
    started: Option<NaiveDate>,
    ended: Option<NaiveDate>,
    verdict: Option<VerdictKind>,
    verdict_arm: Option<String>,
    computed: Option<VerdictKind>,
    computed_arm: Option<String>,
    override_reason: Option<String>,
    stop_reason: Option<String>,
    brief: Brief,
    arms: Option<Vec<ArmCount>>,
}

impl EntryDoc {
    fn into_entry(self) -> Entry {
        let latest = self.arms.map(|arms| Counts {
            segments: Vec::new(),
            arms,
            ..Default::default()
        });
        // The dashboard needs no summary or post-mortem: they stay empty here.
        let conclusion = self
            .verdict
            .and_then(|kind| Verdict::from_parts(kind, self.verdict_arm))
            .map(|verdict| Conclusion {
                verdict,
                summary: String::new(),
                stopped_early: self.stop_reason,
                computed: self
                    .computed
                    .and_then(|kind| Verdict::from_parts(kind, self.computed_arm)),
                override_reason: self.override_reason,
                post_mortem: Default::default(),
            });
        Entry {
            key: self.key.into(),
            title: self.title,
            team: self.team,
            surface: self.surface,
            tags: self.tags,
            status: self.status,
            started: self.started,
            ended: self.ended,
            planned_start: self.brief.planned_start,
            planned_end: self.brief.planned_end,
            brief_complete: self.brief.validate().is_empty(),
            srm: SrmCheck::of(&self.brief, latest.as_ref()),
            conclusion,
        }
    }
}

/// The entries last loaded, labelled with the database they came from and its
/// `program_version` at the time, with each entry's experiment id (same order).
#[derive(Clone)]
struct Cached {
    instance: String,
    version: i64,
    ids: Arc<Vec<i64>>,
    /// Shared one by one: a patch after a write copies pointers, not 10,000 entries.
    entries: Arc<Vec<Arc<Entry>>>,
    /// Moves on only when an entry changed (see [`Content`]).
    content: Content,
}

/// One per database served, most recently stored last. A server serves one; tests open many at
/// once, and each keeps its own entries (and so its content numbers) while the others run.
static CACHE: Mutex<Vec<Cached>> = Mutex::new(Vec::new());

/// Databases whose entries are kept at once: one in a server, one per test running at once
/// (a database pushed out only reloads, under a new content number).
const DATABASES_KEPT: usize = 64;

fn cached(instance: &str) -> Option<Cached> {
    CACHE
        .lock()
        .expect("the program cache lock is never held across a panic")
        .iter()
        .find(|c| c.instance == instance)
        .cloned()
}

/// Keeps `fresh` unless entries of a later version are already kept (a slower patch that
/// began earlier finishing last).
fn keep(fresh: Cached) {
    let mut kept = CACHE
        .lock()
        .expect("the program cache lock is never held across a panic");
    if let Some(at) = kept.iter().position(|c| c.instance == fresh.instance) {
        if kept[at].version > fresh.version {
            return;
        }
        kept.remove(at);
    }
    if kept.len() >= DATABASES_KEPT {
        kept.remove(0);
    }
    kept.push(fresh);
}

/// Which entries a caller got, as a number that moves on whenever the entries differ from the
/// last ones loaded, and only then. Most writes leave every entry as it was: a reading on a
/// running experiment changes its entry only when its sample ratio check flips. So the
/// dashboard, which shows nothing but the entries, is still right for the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Content(u64);

impl Content {
    /// As a counter beside `program_version`'s.
    pub fn number(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }
}

/// Never reused in this process: every load of unknown content takes the next number.
static CONTENT: AtomicU64 = AtomicU64::new(1);

fn next_content() -> Content {
    Content(CONTENT.fetch_add(1, Ordering::AcqRel))
}

/// Past this many changed experiments a full load is cheaper than patching.
pub(crate) const PATCH_LIMIT: usize = 200;

/// Every experiment, archived ones included, as the program metrics see it. Served from memory
/// while nothing the dashboard reads has changed (the `program_version` triggers count every
/// write to experiments and snapshots); after a write only the experiments the change log
/// names are re-read, so the first view after a write costs about what any view costs.
pub async fn entries(pool: &SqlitePool) -> Result<Arc<Vec<Arc<Entry>>>, AppError> {
    Ok(entries_and_content(pool).await?.0)
}

/// [`entries`] with the number of their content: the same number means the same entries.
pub async fn entries_and_content(
    pool: &SqlitePool,
) -> Result<(Arc<Vec<Arc<Entry>>>, Content), AppError> {
    let (instance, version) = version_of(pool).await?;
    entries_at(pool, &instance, version).await
}

/// One patch at a time: under a stream of writes every reader finds the entries behind, and
/// each patching them read the same rows again, while the writers queued for a connection
/// behind those reads. A reader that waited here finds the patch done and reads nothing.
static PATCHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The entries as of `version` of database `instance` (read by the caller), or newer.
pub async fn entries_at(
    pool: &SqlitePool,
    instance: &str,
    version: i64,
) -> Result<(Arc<Vec<Arc<Entry>>>, Content), AppError> {
    let hit = |c: Cached| (c.entries, c.content);
    if let Some(kept) = cached(instance).filter(|c| c.version >= version) {
        return Ok(hit(kept));
    }
    let _turn = PATCHING.lock().await;
    if let Some(kept) = cached(instance).filter(|c| c.version >= version) {
        return Ok(hit(kept));
    }
    // Read the version before the entries: if a write lands in between, the entries are newer
    // than their label and the next call simply re-reads them; never the other way round.
    let (instance, version) = version_of(pool).await?;
    let fresh = match cached(&instance).filter(|c| c.version <= version) {
        Some(kept) if kept.version == version => return Ok(hit(kept)),
        Some(stale) => match patched(pool, &stale, version).await? {
            Some(patched) => patched,
            None => reloaded(pool, instance, version).await?,
        },
        None => reloaded(pool, instance, version).await?,
    };
    let got = (fresh.entries.clone(), fresh.content);
    keep(fresh);
    Ok(got)
}

async fn reloaded(pool: &SqlitePool, instance: String, version: i64) -> Result<Cached, AppError> {
    let (ids, entries) = load_with_ids(pool, None)
        .await?
        .into_iter()
        .map(|(id, entry)| (id, Arc::new(entry)))
        .unzip();
    Ok(Cached {
        instance,
        version,
        ids: Arc::new(ids),
        entries: Arc::new(entries),
        content: next_content(),
    })
}

/// `stale` brought up to `version` by re-reading the experiments changed since, or `None` when
/// the change log cannot say which (see [`changed_since`]).
async fn patched(
    pool: &SqlitePool,
    stale: &Cached,
    version: i64,
) -> Result<Option<Cached>, AppError> {
    let Some(changed) = changed_since(pool, stale.version, version).await? else {
        return Ok(None);
    };
    let fresh = load_with_ids(pool, Some(&changed)).await?;
    let (ids, entries) = patch_by_id(&stale.ids, &stale.entries, &changed, fresh);
    // Only the changed experiments can differ; the rest are the same shared entries.
    let same = ids == *stale.ids
        && entries
            .iter()
            .zip(stale.entries.iter())
            .all(|(new, old)| Arc::ptr_eq(new, old) || new == old);
    Ok(Some(Cached {
        instance: stale.instance.clone(),
        version,
        ids: Arc::new(ids),
        entries: Arc::new(entries),
        content: if same { stale.content } else { next_content() },
    }))
}

/// A cache's items (in id order, `ids[i]` being `items[i]`'s) after a write: each experiment in
/// `changed` takes its re-read value from `fresh`, or is left out when `fresh` has none
/// (deleted, or no longer wanted); experiments only `fresh` has join in id order, as a full
/// load lists them. Every other item is shared, not copied. Shared by the caches that patch.
pub(crate) fn patch_by_id<T>(
    ids: &[i64],
    items: &[Arc<T>],
    changed: &[i64],
    fresh: Vec<(i64, T)>,
) -> (Vec<i64>, Vec<Arc<T>>) {
    let changed: std::collections::HashSet<i64> = changed.iter().copied().collect();
    let mut fresh: std::collections::BTreeMap<i64, T> = fresh.into_iter().collect();
    let mut patched: Vec<(i64, Arc<T>)> = Vec::with_capacity(ids.len() + fresh.len());
    for (id, item) in ids.iter().zip(items) {
        if !changed.contains(id) {
            patched.push((*id, item.clone()));
        } else if let Some(updated) = fresh.remove(id) {
            patched.push((*id, Arc::new(updated)));
        }
    }
    let in_order = fresh
        .keys()
        .next()
        .is_none_or(|first| patched.last().is_none_or(|(last, _)| last < first));
    patched.extend(fresh.into_iter().map(|(id, item)| (id, Arc::new(item))));
    if !in_order {
        patched.sort_by_key(|(id, _)| *id);
    }
    patched.into_iter().unzip()
}

/// The database's identity and `program_version`: what every cache of program data is
/// labelled with (one indexed row).
pub async fn version_of(pool: &SqlitePool) -> Result<(String, i64), AppError> {
    let row = sqlx::query!("SELECT instance, version FROM program_version WHERE id = 1")
        .fetch_one(pool)
        .await?;
    Ok((row.instance, row.version))
}

/// The counters a kept page may follow, read in one row: see `server::page_cache::Follows`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// The database's identity.
    pub instance: String,
    /// Every write to experiments and their readings.
    pub version: i64,
    /// Writes to experiment rows alone (not readings).
    pub rows: i64,
    /// How many times the experiment with the key asked for has changed (its row or its
    /// readings; `experiment_change`, never pruned); 0 when it has not, or there is none.
    pub experiment: i64,
}

/// [`Versions`], with the last change to the experiment `key` if one is named.
pub async fn versions(pool: &SqlitePool, key: Option<&str>) -> Result<Versions, AppError> {
    let row = sqlx::query!(
        r#"SELECT instance, version, rows,
                  coalesce((SELECT c.changes FROM experiment_change c
                             WHERE c.experiment_id = (SELECT id FROM experiment WHERE key = ?1)),
                           0) AS "experiment!: i64"
           FROM program_version WHERE id = 1"#,
        key
    )
    .fetch_one(pool)
    .await?;
    Ok(Versions {
        instance: row.instance,
        version: row.version,
        rows: row.rows,
        experiment: row.experiment,
    })
}

/// The id range a query for `only` needs (everything without it). SQLite cannot search by
/// `?1 IS NULL OR id IN (...)`, so without a range a patch after one write read every
/// experiment's row; with `id BETWEEN` it reads the range by primary key (measured at 10,000
/// experiments: the full scan was most of each page's first render after a write).
pub(crate) fn id_range(only: Option<&[i64]>) -> (i64, i64) {
    match only {
        Some(ids) => (
            ids.iter().copied().min().unwrap_or(0),
            ids.iter().copied().max().unwrap_or(-1),
        ),
        None => (i64::MIN, i64::MAX),
    }
}

/// The experiments written between `from` (exclusive) and `to` (inclusive) `program_version`s,
/// or `None` when the change log no longer reaches back to `from` or names more than a patch
/// is worth: then a cache rebuilds instead. Shared by every cache that follows the version.
pub(crate) async fn changed_since(
    pool: &SqlitePool,
    from: i64,
    to: i64,
) -> Result<Option<Vec<i64>>, AppError> {
    let log = sqlx::query!(
        r#"SELECT (SELECT min(version) FROM program_change) AS "oldest: i64",
                  (SELECT json_group_array(DISTINCT experiment_id) FROM program_change
                    WHERE version > ?1 AND version <= ?2) AS "changed!: String""#,
        from,
        to
    )
    .fetch_one(pool)
    .await?;
    let complete = log.oldest.is_some_and(|oldest| oldest <= from + 1);
    let changed: Vec<i64> = serde_json::from_str(&log.changed)
        .map_err(|e| AppError::internal("the program change log does not parse", e))?;
    Ok((complete && changed.len() <= PATCH_LIMIT).then_some(changed))
}

/// The entries straight from the database, bypassing the cache.
pub async fn load(pool: &SqlitePool) -> Result<Vec<Entry>, AppError> {
    Ok(load_with_ids(pool, None)
        .await?
        .into_iter()
        .map(|(_, entry)| entry)
        .collect())
}

/// Every experiment's entry with its id, in id order, or only those whose ids are in `only`
/// (a JSON array). `brief` and `tags` are spliced in as stored (validated JSON, CHECK
/// json_valid), and the object's other fields follow from `json_object` minus its opening
/// brace. `date()` turns the stored RFC 3339 timestamps into UTC calendar days, the unit every
/// program metric counts in.
async fn load_with_ids(
    pool: &SqlitePool,
    only: Option<&[i64]>,
) -> Result<Vec<(i64, Entry)>, AppError> {
    let (low, high) = id_range(only);
    let only = only.map(|ids| serde_json::to_string(ids).expect("ids serialize"));
    let json = sqlx::query_scalar!(
        r#"SELECT '[' || coalesce(group_concat(
            '{"brief":' || e.brief || ',"tags":' || e.tags
            || ',"arms":' || coalesce(json_extract(s.counts, '$.arms'), 'null') || ','
            || substr(json_object('id', e.id, 'key', e.key, 'title', e.title, 'team', e.team,
                'surface', e.surface, 'status', e.status,
                'started', date(e.started_at), 'ended', date(e.ended_at),
                'verdict', e.verdict, 'verdict_arm', e.verdict_arm,
                'computed', e.computed_verdict, 'computed_arm', e.computed_arm,
                'override_reason', e.override_reason, 'stop_reason', e.stop_reason), 2), ','), '')
            || ']' AS "document!: String"
         FROM (SELECT * FROM experiment
               WHERE id BETWEEN ?2 AND ?3 AND (?1 IS NULL OR id IN (SELECT value FROM json_each(?1)))
               ORDER BY id) e
         LEFT JOIN snapshot s ON s.id = (
            SELECT id FROM snapshot WHERE experiment_id = e.id ORDER BY taken_at DESC, id DESC LIMIT 1)"#,
        only,
        low,
        high
    )
    .fetch_one(pool)
    .await?;
    let docs: Vec<EntryDoc> = serde_json::from_str(&json)
        .map_err(|e| AppError::internal("the program entries do not parse", e))?;
    Ok(docs
        .into_iter()
        .map(|doc| (doc.id, doc.into_entry()))
        .collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sqlx::SqlitePool;

    use super::Cached;

    use crate::db::test_seed::{allow_raw_writes, as_tester, seed, Seed};
    use crate::domain::lifecycle::Status;
    use crate::domain::program::Entry;
    use crate::domain::results::{ArmCount, Counts, Source};

    /// 10,000 vs 9,000 users on a 50/50 plan: a sample ratio mismatch.
    fn mismatched_split() -> Counts {
        Counts {
            segments: Vec::new(),
            arms: vec![
                ArmCount {
                    name: "control".into(),
                    users: 10_000,
                },
                ArmCount {
                    name: "one_page".into(),
                    users: 9_000,
                },
            ],
            ..Default::default()
        }
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn the_slim_load_gives_the_entries_the_full_load_gives(pool: SqlitePool) {
        let running = seed(&pool, Seed::new("running", Status::Running)).await;
        seed(&pool, Seed::new("done", Status::Done)).await;
        seed(&pool, Seed::new("idea", Status::Proposed)).await;
        let counts = mismatched_split();
        let at = crate::db::test_seed::at(11, 10);
        as_tester(crate::db::results::insert(
            &pool,
            running.id,
            Source::Manual,
            &counts,
            0,
            0,
            at,
        ))
        .await
        .unwrap();

        let mut slim = super::load(&pool).await.unwrap();
        let mut full: Vec<Entry> = crate::db::program::everything(&pool)
            .await
            .unwrap()
            .iter()
            .map(|(e, c)| Entry::new(e, c.as_ref()))
            .collect();
        for e in &mut full {
            if let Some(c) = e.conclusion.as_mut() {
                c.summary.clear();
                c.post_mortem = Default::default();
            }
        }
        slim.sort_by(|a, b| a.key.cmp(&b.key));
        full.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(slim, full);
        assert_eq!(&*slim[2].key, "running");
        assert_eq!(slim[2].srm, crate::domain::program::SrmCheck::Failed);
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn the_cached_entries_follow_every_write(pool: SqlitePool) {
        let first = seed(&pool, Seed::new("first", Status::Running)).await;
        let before = super::entries(&pool).await.unwrap();
        assert_eq!(before.len(), 1);
        assert!(
            std::sync::Arc::ptr_eq(&before, &super::entries(&pool).await.unwrap()),
            "nothing changed, so the second read is the cached one"
        );

        // A new experiment, a move and a snapshot each show up on the next read.
        seed(&pool, Seed::new("second", Status::Proposed)).await;
        assert_eq!(super::entries(&pool).await.unwrap().len(), 2);
        allow_raw_writes(&pool).await;
        sqlx::query("UPDATE experiment SET team = 'Pricing' WHERE key = 'first'")
            .execute(&pool)
            .await
            .unwrap();
        let after = super::entries(&pool).await.unwrap();
        let team = |es: &[Arc<Entry>]| es.iter().find(|e| &*e.key == "first").unwrap().team.clone();
        assert_eq!(team(&after), "Pricing");
        let counts = mismatched_split();
        let at = crate::db::test_seed::at(11, 10);
        as_tester(crate::db::results::insert(
            &pool,
            first.id,
            Source::Manual,
            &counts,
            0,
            0,
            at,
        ))
        .await
        .unwrap();
        let srm = |es: &[Arc<Entry>]| es.iter().find(|e| &*e.key == "first").unwrap().srm;
        assert_eq!(
            srm(&super::entries(&pool).await.unwrap()),
            crate::domain::program::SrmCheck::Failed
        );
        assert_eq!(
            unshared(&super::entries(&pool).await.unwrap()),
            super::load(&pool).await.unwrap()
        );
    }

    fn unshared(entries: &[Arc<Entry>]) -> Vec<Entry> {
        entries.iter().map(|e| Entry::clone(e)).collect()
    }

    async fn version(pool: &SqlitePool) -> (String, i64) {
        let row = sqlx::query!("SELECT instance, version FROM program_version WHERE id = 1")
            .fetch_one(pool)
            .await
            .unwrap();
        (row.instance, row.version)
    }

    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn after_a_write_only_the_changed_experiments_are_re_read(pool: SqlitePool) {
        let running = seed(&pool, Seed::new("running", Status::Running)).await;
        seed(&pool, Seed::new("done", Status::Done)).await;
        seed(&pool, Seed::new("gone", Status::Proposed)).await;
        let (instance, v0) = version(&pool).await;
        let stale = super::reloaded(&pool, instance, v0).await.unwrap();

        // A reading, a new experiment, an edit and a deletion since the cache was filled.
        as_tester(crate::db::results::insert(
            &pool,
            running.id,
            Source::Manual,
            &mismatched_split(),
            0,
            0,
            crate::db::test_seed::at(11, 10),
        ))
        .await
        .unwrap();
        seed(&pool, Seed::new("new", Status::Proposed)).await;
        allow_raw_writes(&pool).await;
        for sql in [
            "UPDATE experiment SET title = 'Renamed' WHERE key = 'done'",
            "DELETE FROM experiment WHERE key = 'gone'",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        let (_, v1) = version(&pool).await;
        let patched = super::patched(&pool, &stale, v1)
            .await
            .unwrap()
            .expect("the log reaches back to the cache");
        assert_eq!(patched.version, v1);
        assert_eq!(
            unshared(&patched.entries),
            super::load(&pool).await.unwrap()
        );
        let keys: Vec<&str> = patched.entries.iter().map(|e| &*e.key).collect();
        assert_eq!(keys, ["running", "done", "new"]);
        assert_eq!(
            patched.entries[0].srm,
            crate::domain::program::SrmCheck::Failed
        );
        assert_eq!(patched.entries[1].title, "Renamed");
        let unchanged = seed(&pool, Seed::new("unchanged", Status::Proposed)).await;
        let (instance, v2) = version(&pool).await;
        let before = super::reloaded(&pool, instance, v2).await.unwrap();
        as_tester(crate::db::results::insert(
            &pool,
            running.id,
            Source::Manual,
            &mismatched_split(),
            0,
            0,
            crate::db::test_seed::at(11, 11),
        ))
        .await
        .unwrap();
        let (_, v3) = version(&pool).await;
        let after = super::patched(&pool, &before, v3).await.unwrap().unwrap();
        let find = |c: &Cached, id: i64| {
            let at = c.ids.iter().position(|i| *i == id).unwrap();
            c.entries[at].clone()
        };
        assert!(
            Arc::ptr_eq(
                &find(&before, unchanged.id.0),
                &find(&after, unchanged.id.0)
            ),
            "an experiment no write touched is shared by the patched cache, not copied"
        );
        assert!(!Arc::ptr_eq(
            &find(&before, running.id.0),
            &find(&after, running.id.0)
        ));

        // A log pruned past the cache's version: the cache is rebuilt, not patched wrongly.
        sqlx::query("DELETE FROM program_change WHERE version <= ?")
            .bind(v0 + 1)
            .execute(&pool)
            .await
            .unwrap();
        assert!(super::patched(&pool, &stale, v1).await.unwrap().is_none());
        // Through the public door, the same answer either way.
        assert_eq!(
            unshared(&super::entries(&pool).await.unwrap()),
            super::load(&pool).await.unwrap()
        );
    }

    /// 10,000 vs 10,050 users on a 50/50 plan: no mismatch.
    fn balanced_split() -> Counts {
        let mut counts = mismatched_split();
        counts.arms[1].users = 10_050;
        counts
    }

    /// The dashboard's page is kept while the content number stays: a reading that leaves
    /// every entry as it was keeps it, one that flips the sample ratio check moves it, and so
    /// does any edit the dashboard shows.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn the_content_number_moves_when_and_only_when_an_entry_changes(pool: SqlitePool) {
        let running = seed(&pool, Seed::new("running", Status::Running)).await;
        seed(&pool, Seed::new("other", Status::Proposed)).await;
        let reading = |counts: Counts, day: u32| {
            let pool = pool.clone();
            async move {
                as_tester(crate::db::results::insert(
                    &pool,
                    running.id,
                    Source::Manual,
                    &counts,
                    0,
                    0,
                    crate::db::test_seed::at(11, 10 + day),
                ))
                .await
                .unwrap();
            }
        };
        let content = || async { super::entries_and_content(&pool).await.unwrap().1 };
        reading(balanced_split(), 0).await;
        let first = content().await;
        assert_eq!(content().await, first, "nothing written: the same number");

        reading(balanced_split(), 1).await;
        assert_eq!(
            content().await,
            first,
            "another healthy reading changes no entry"
        );

        reading(mismatched_split(), 2).await;
        let flipped = content().await;
        assert!(flipped > first, "the check flipped: the number moves on");

        allow_raw_writes(&pool).await;
        sqlx::query("UPDATE experiment SET title = 'Renamed' WHERE key = 'other'")
            .execute(&pool)
            .await
            .unwrap();
        let renamed = content().await;
        assert!(renamed > flipped, "a title the dashboard lists");
        let (entries, _) = super::entries_and_content(&pool).await.unwrap();
        assert_eq!(unshared(&entries), super::load(&pool).await.unwrap());
    }
}

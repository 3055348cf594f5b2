//! The dashboard's slim load: one `Entry` per experiment, built from one JSON document that
//! SQLite assembles (see `program.rs` for why a document rather than rows). Only what the
//! program metrics read is selected: no summaries, post-mortems or full results readings, just
//! the latest reading's users per arm for the sample ratio check.

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
            key: self.key,
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
/// `program_version` at the time. Building them costs ~35 ms for 2,000 experiments (the query
/// and the brief checks); reading the version costs one row.
struct Cached {
    instance: String,
    version: i64,
    entries: Arc<Vec<Entry>>,
}

static CACHE: Mutex<Option<Cached>> = Mutex::new(None);

/// Every experiment, archived ones included, as the program metrics see it. Served from memory
/// while nothing the dashboard reads has changed (the `program_version` triggers count every
/// write to experiments and snapshots).
pub async fn entries(pool: &SqlitePool) -> Result<Arc<Vec<Entry>>, AppError> {
    // Read the version before the entries: if a write lands in between, the entries are newer
    // than their label and the next call simply reloads them; never the other way round.
    let row = sqlx::query!("SELECT instance, version FROM program_version WHERE id = 1")
        .fetch_one(pool)
        .await?;
    let (instance, version) = (row.instance, row.version);
    if let Some(hit) = CACHE
        .lock()
        .expect("the program cache lock is never held across a panic")
        .as_ref()
        .filter(|c| c.instance == instance && c.version == version)
    {
        return Ok(hit.entries.clone());
    }
    let entries = Arc::new(load(pool).await?);
    *CACHE
        .lock()
        .expect("the program cache lock is never held across a panic") = Some(Cached {
        instance,
        version,
        entries: entries.clone(),
    });
    Ok(entries)
}

/// The entries straight from the database, bypassing the cache. `brief` and `tags` are spliced
/// in as stored (validated JSON, CHECK json_valid), and the object's other fields follow from
/// `json_object` minus its opening brace. `date()` turns the stored RFC 3339 timestamps into UTC
/// calendar days, the unit every program metric counts in.
pub async fn load(pool: &SqlitePool) -> Result<Vec<Entry>, AppError> {
    let json = sqlx::query_scalar!(
        r#"SELECT '[' || coalesce(group_concat(
            '{"brief":' || e.brief || ',"tags":' || e.tags
            || ',"arms":' || coalesce(json_extract(s.counts, '$.arms'), 'null') || ','
            || substr(json_object('key', e.key, 'title', e.title, 'team', e.team,
                'surface', e.surface, 'status', e.status,
                'started', date(e.started_at), 'ended', date(e.ended_at),
                'verdict', e.verdict, 'verdict_arm', e.verdict_arm,
                'computed', e.computed_verdict, 'computed_arm', e.computed_arm,
                'override_reason', e.override_reason, 'stop_reason', e.stop_reason), 2), ','), '')
            || ']' AS "document!: String"
         FROM experiment e LEFT JOIN snapshot s ON s.id = (
            SELECT id FROM snapshot WHERE experiment_id = e.id ORDER BY taken_at DESC, id DESC LIMIT 1)"#
    )
    .fetch_one(pool)
    .await?;
    let docs: Vec<EntryDoc> = serde_json::from_str(&json)
        .map_err(|e| AppError::internal("the program entries do not parse", e))?;
    Ok(docs.into_iter().map(EntryDoc::into_entry).collect())
}

#[cfg(test)]
mod tests {
    use sqlx::SqlitePool;

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
        assert_eq!(slim[2].key, "running");
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
        let team = |es: &[Entry]| es.iter().find(|e| e.key == "first").unwrap().team.clone();
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
        let srm = |es: &[Entry]| es.iter().find(|e| e.key == "first").unwrap().srm;
        assert_eq!(
            srm(&super::entries(&pool).await.unwrap()),
            crate::domain::program::SrmCheck::Failed
        );
        assert_eq!(
            *super::entries(&pool).await.unwrap(),
            super::load(&pool).await.unwrap()
        );
    }
}

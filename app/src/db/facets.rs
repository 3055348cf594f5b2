//! The board's filter menus: distinct teams, owners and tags.
//!
//! Teams and owners come from their indexes. Tags have none (they are a JSON list per
//! experiment), so they are counted in memory, one count per tag, and after a write only the
//! experiments the change log names are read again: reading every row's tags after each write
//! cost most of the board's render at 10,000 experiments (every write empties SQLite's page
//! cache, so the scan read the whole table from the file again).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use sqlx::types::Json;
use sqlx::SqlitePool;

use super::program_entries::{changed_since, version_of};
use crate::error::AppError;

/// Teams, owners and tags, each distinct and sorted.
pub type Facets = (Vec<String>, Vec<String>, Vec<String>);

struct Cached {
    instance: String,
    version: i64,
    facets: Facets,
    tags_of: HashMap<i64, Vec<String>>,
    /// How many experiments carry each tag; a tag leaves the menu when its count reaches 0.
    counts: BTreeMap<String, usize>,
}

impl Cached {
    fn set(&mut self, id: i64, tags: Option<Vec<String>>) {
        for tag in self.tags_of.remove(&id).unwrap_or_default() {
            if let Some(n) = self.counts.get_mut(&tag) {
                *n -= 1;
                if *n == 0 {
                    self.counts.remove(&tag);
                }
            }
        }
        if let Some(mut tags) = tags {
            tags.sort();
            tags.dedup();
            for tag in &tags {
                *self.counts.entry(tag.clone()).or_default() += 1;
            }
            self.tags_of.insert(id, tags);
        }
    }
}

static CACHE: Mutex<Option<Cached>> = Mutex::new(None);

/// The menus, served from memory while `program_version` is unchanged.
pub async fn facets(pool: &SqlitePool) -> Result<Facets, AppError> {
    // The version is read first: a write landing meanwhile makes the menus newer than their
    // label, and the next call reads that write again; never older.
    let (instance, version) = version_of(pool).await?;
    let lock = || {
        CACHE
            .lock()
            .expect("the facets cache lock is never held across a panic")
    };
    let stale = {
        let mut cache = lock();
        match cache.as_ref() {
            Some(c) if c.instance == instance && c.version == version => {
                return Ok(c.facets.clone())
            }
            Some(c) if c.instance == instance && c.version < version => cache.take(),
            _ => None,
        }
    };
    let mut fresh = match stale {
        Some(mut c) => match changed_since(pool, c.version, version).await? {
            Some(changed) => {
                let mut read: HashMap<i64, Vec<String>> =
                    tags(pool, Some(&changed)).await?.into_iter().collect();
                for id in changed {
                    c.set(id, read.remove(&id));
                }
                c
            }
            None => everything(pool, instance).await?,
        },
        None => everything(pool, instance).await?,
    };
    fresh.version = version;
    fresh.facets = (
        sqlx::query_scalar!("SELECT DISTINCT team FROM experiment ORDER BY team")
            .fetch_all(pool)
            .await?,
        sqlx::query_scalar!("SELECT DISTINCT owner FROM experiment ORDER BY owner")
            .fetch_all(pool)
            .await?,
        fresh.counts.keys().cloned().collect(),
    );
    let facets = fresh.facets.clone();
    *lock() = Some(fresh);
    Ok(facets)
}

async fn everything(pool: &SqlitePool, instance: String) -> Result<Cached, AppError> {
    let mut cached = Cached {
        instance,
        version: 0,
        facets: Default::default(),
        tags_of: HashMap::new(),
        counts: BTreeMap::new(),
    };
    for (id, tags) in tags(pool, None).await? {
        cached.set(id, Some(tags));
    }
    Ok(cached)
}

/// Each experiment's tags: all of them, or those of `only` that still exist.
async fn tags(
    pool: &SqlitePool,
    only: Option<&[i64]>,
) -> Result<Vec<(i64, Vec<String>)>, AppError> {
    let (low, high) = super::program_entries::id_range(only);
    let only = only.map(|ids| Json(ids.to_vec()));
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", tags AS "tags!: Json<Vec<String>>" FROM experiment
         WHERE id BETWEEN ?2 AND ?3 AND (?1 IS NULL OR id IN (SELECT value FROM json_each(?1)))"#,
        only,
        low,
        high
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.tags.0)).collect())
}

#[cfg(test)]
mod tests {
    use sqlx::SqlitePool;

    use crate::db::test_seed::{allow_raw_writes, seed, Seed};
    use crate::domain::lifecycle::Status;

    async fn direct(pool: &SqlitePool) -> super::Facets {
        let (teams, owners, tags): (Vec<String>, Vec<String>, Vec<String>) = (
            sqlx::query_scalar("SELECT DISTINCT team FROM experiment ORDER BY team")
                .fetch_all(pool)
                .await
                .unwrap(),
            sqlx::query_scalar("SELECT DISTINCT owner FROM experiment ORDER BY owner")
                .fetch_all(pool)
                .await
                .unwrap(),
            sqlx::query_scalar(
                "SELECT DISTINCT t.value FROM experiment, json_each(experiment.tags) t ORDER BY 1",
            )
            .fetch_all(pool)
            .await
            .unwrap(),
        );
        (teams, owners, tags)
    }

    /// The menus follow every kind of write: a tag added, one whose last experiment loses it,
    /// a new experiment, a deleted one; always equal to reading the table afresh.
    #[sqlx::test(migrator = "crate::db::MIGRATOR")]
    async fn menus_follow_writes(pool: SqlitePool) {
        seed(&pool, Seed::new("aaa", Status::Running)).await;
        seed(&pool, Seed::new("bbb", Status::Done)).await;
        allow_raw_writes(&pool).await;
        let set = |sql: &'static str| {
            let pool = pool.clone();
            async move { sqlx::query(sql).execute(&pool).await.unwrap() }
        };
        set(r#"UPDATE experiment SET tags = '["pricing","mobile"]' WHERE key = 'aaa'"#).await;
        assert_eq!(super::facets(&pool).await.unwrap(), direct(&pool).await);
        let (_, _, tags) = super::facets(&pool).await.unwrap();
        assert!(tags.contains(&"pricing".to_owned()), "{tags:?}");

        set(r#"UPDATE experiment SET tags = '["mobile"]', team = 'Onboarding' WHERE key = 'aaa'"#)
            .await;
        set(r#"UPDATE experiment SET tags = '["mobile","web"]' WHERE key = 'bbb'"#).await;
        let facets = super::facets(&pool).await.unwrap();
        assert_eq!(facets, direct(&pool).await);
        assert_eq!(
            facets.2,
            ["mobile", "web"],
            "pricing went with its last experiment"
        );
        assert!(facets.0.contains(&"Onboarding".to_owned()));

        seed(&pool, Seed::new("ccc", Status::Proposed)).await;
        allow_raw_writes(&pool).await;
        set(r#"UPDATE experiment SET tags = '["zeta"]' WHERE key = 'ccc'"#).await;
        set("DELETE FROM experiment WHERE key = 'bbb'").await;
        let facets = super::facets(&pool).await.unwrap();
        assert_eq!(facets, direct(&pool).await);
        assert_eq!(facets.2, ["mobile", "zeta"]);
    }
}

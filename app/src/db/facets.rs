//! The board's filter menus: distinct teams, owners and tags.
//!
//! Counted in memory, one count per team, owner and tag, and after a write only the
//! experiments the change log names are read again. Tags have no index (they are a JSON list
//! per experiment), and reading every row's tags after each write cost most of the board's
//! render at 10,000 experiments (every write empties SQLite's page cache, so the scan read the
//! whole table from the file again); the two `DISTINCT` queries on teams and owners, though
//! indexed, still cost 2 ms a render after a write.

use std::collections::{BTreeMap, HashMap};

use sqlx::types::Json;
use sqlx::SqlitePool;

use super::program_entries::{changed_since, version_of};
use crate::error::AppError;

/// Teams, owners and tags, each distinct and sorted.
pub type Facets = (Vec<String>, Vec<String>, Vec<String>);

/// What one experiment puts in the menus.
struct Entry {
    team: String,
    owner: String,
    tags: Vec<String>,
}

/// How many experiments carry each name; a name leaves its menu when its count reaches 0.
#[derive(Default)]
struct Counts(BTreeMap<String, usize>);

impl Counts {
    fn add(&mut self, name: &str) {
        match self.0.get_mut(name) {
            Some(n) => *n += 1,
            None => {
                self.0.insert(name.to_owned(), 1);
            }
        }
    }

    fn remove(&mut self, name: &str) {
        if let Some(n) = self.0.get_mut(name) {
            *n -= 1;
            if *n == 0 {
                self.0.remove(name);
            }
        }
    }

    fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
}

struct Cached {
    instance: String,
    version: i64,
    facets: Facets,
    of: HashMap<i64, Entry>,
    teams: Counts,
    owners: Counts,
    tags: Counts,
}

impl Cached {
    fn set(&mut self, id: i64, entry: Option<Entry>) {
        if let Some(old) = self.of.remove(&id) {
            self.teams.remove(&old.team);
            self.owners.remove(&old.owner);
            for tag in &old.tags {
                self.tags.remove(tag);
            }
        }
        if let Some(mut entry) = entry {
            entry.tags.sort();
            entry.tags.dedup();
            self.teams.add(&entry.team);
            self.owners.add(&entry.owner);
            for tag in &entry.tags {
                self.tags.add(tag);
            }
            self.of.insert(id, entry);
        }
    }
}

/// Held across a refresh (an async lock), so the board and the filtered board rendering at
/// once after a write patch the menus once: with the cache taken out while one of them
/// patched it, the other found it empty and re-read every experiment's tags.
static CACHE: tokio::sync::Mutex<Option<Cached>> = tokio::sync::Mutex::const_new(None);

/// The menus, served from memory while `program_version` is unchanged.
pub async fn facets(pool: &SqlitePool) -> Result<Facets, AppError> {
    let mut cache = CACHE.lock().await;
    // The version is read first: a write landing meanwhile makes the menus newer than their
    // label, and the next call reads that write again; never older.
    let (instance, version) = version_of(pool).await?;
    let stale = match cache.as_ref() {
        Some(c) if c.instance == instance && c.version == version => return Ok(c.facets.clone()),
        Some(c) if c.instance == instance && c.version < version => cache.take(),
        _ => None,
    };
    // On an error below the cache is left empty: the next call reads everything again.
    let mut fresh = match stale {
        Some(mut c) => match changed_since(pool, c.version, version).await? {
            Some(changed) => {
                let mut read: HashMap<i64, Entry> =
                    entries(pool, Some(&changed)).await?.into_iter().collect();
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
        fresh.teams.names(),
        fresh.owners.names(),
        fresh.tags.names(),
    );
    let facets = fresh.facets.clone();
    *cache = Some(fresh);
    Ok(facets)
}

async fn everything(pool: &SqlitePool, instance: String) -> Result<Cached, AppError> {
    let mut cached = Cached {
        instance,
        version: 0,
        facets: Default::default(),
        of: HashMap::new(),
        teams: Counts::default(),
        owners: Counts::default(),
        tags: Counts::default(),
    };
    for (id, entry) in entries(pool, None).await? {
        cached.set(id, Some(entry));
    }
    Ok(cached)
}

/// Each experiment's team, owner and tags: all of them, or those of `only` that still exist.
async fn entries(pool: &SqlitePool, only: Option<&[i64]>) -> Result<Vec<(i64, Entry)>, AppError> {
    let (low, high) = super::program_entries::id_range(only);
    let only = only.map(|ids| Json(ids.to_vec()));
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", team, owner, tags AS "tags!: Json<Vec<String>>" FROM experiment
         WHERE id BETWEEN ?2 AND ?3 AND (?1 IS NULL OR id IN (SELECT value FROM json_each(?1)))"#,
        only,
        low,
        high
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let entry = Entry {
                team: r.team,
                owner: r.owner,
                tags: r.tags.0,
            };
            (r.id, entry)
        })
        .collect())
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

        // A team and an owner leave their menus with their last experiment.
        set("UPDATE experiment SET team = 'Growth', owner = 'zoe@example.com'").await;
        let facets = super::facets(&pool).await.unwrap();
        assert_eq!(facets, direct(&pool).await);
        assert_eq!(facets.0, ["Growth"]);
        assert_eq!(facets.1, ["zoe@example.com"]);
    }
}

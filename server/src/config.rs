//! Configuration from the environment, with defaults that work from the repository root.

use std::net::SocketAddr;

/// `DATABASE_URL` (default `sqlite:data/verdict.db`) and `LEPTOS_SITE_ADDR` (default from
/// Cargo.toml's leptos metadata, 127.0.0.1:3000).
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub site_addr: Option<SocketAddr>,
}

impl std::fmt::Debug for Config {
    // A database URL can carry credentials in other backends; keep it out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &"<set>")
            .field("site_addr", &self.site_addr)
            .finish()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/verdict.db";

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let database_url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into());
        let site_addr = match std::env::var("LEPTOS_SITE_ADDR") {
            Ok(s) => Some(
                s.parse()
                    .map_err(|e| anyhow::anyhow!("LEPTOS_SITE_ADDR '{s}' is not host:port: {e}"))?,
            ),
            Err(_) => None,
        };
        Ok(Self {
            database_url,
            site_addr,
        })
    }

    /// The database file, for a file database (not `:memory:`).
    pub fn database_path(&self) -> Option<std::path::PathBuf> {
        let url = self
            .database_url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = url.split('?').next().unwrap_or("");
        (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
    }

    /// Creates the folder of a file database: SQLite creates the file but not its directory.
    pub fn ensure_database_dir(&self) -> anyhow::Result<()> {
        let Some(path) = self.database_path() else {
            return Ok(());
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        }
        Ok(())
    }
}

//! Configuration from the environment, with defaults that work from the repository root.

use std::net::SocketAddr;
use std::time::Duration;

use crate::serve::HttpLimits;

/// `DATABASE_URL` (default `sqlite:data/verdict.db`) and `LEPTOS_SITE_ADDR` (default from
/// Cargo.toml's leptos metadata, 127.0.0.1:3000).
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub site_addr: Option<SocketAddr>,
    /// `VERDICT_PUBLIC_URL`: where people reach the app. `https://...` makes session cookies
    /// Secure and turns on HSTS.
    pub public_url: Option<String>,
    /// `VERDICT_MAX_UPLOAD_BYTES` (default 2 GiB): the largest results upload accepted.
    pub max_upload_bytes: u64,
    /// `VERDICT_MAX_UPLOAD_USERS` (default 20 million): distinct users one upload may name.
    pub max_upload_users: usize,
    /// `VERDICT_REQUEST_TIMEOUT_SECS` (default 30): the longest any request may take, except
    /// uploads, which instead fail after `VERDICT_UPLOAD_IDLE_SECS` (default 60) without a byte.
    pub request_timeout: Duration,
    pub upload_idle_timeout: Duration,
    /// `VERDICT_MAX_CONNECTIONS` (default 10,000) and `VERDICT_HEADER_TIMEOUT_SECS` (10).
    pub http: HttpLimits,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.into(),
            site_addr: None,
            public_url: None,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            max_upload_users: 20_000_000,
            request_timeout: Duration::from_secs(30),
            upload_idle_timeout: Duration::from_secs(60),
            http: HttpLimits::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    // A database URL can carry credentials in other backends; keep it out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &"<set>")
            .field("site_addr", &self.site_addr)
            .field("public_url", &self.public_url)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .finish()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/verdict.db";
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 2 << 30;

/// A positive whole number from the environment, or the default when unset.
fn number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(raw) => match raw.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => anyhow::bail!("{name} '{raw}' is not a positive whole number"),
        },
        Err(_) => Ok(default),
    }
}

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
        let defaults = Self::default();
        let public_url = std::env::var("VERDICT_PUBLIC_URL")
            .ok()
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &public_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                anyhow::bail!("VERDICT_PUBLIC_URL '{url}' must start with https:// or http://");
            }
        }
        Ok(Self {
            database_url,
            site_addr,
            public_url,
            max_upload_bytes: number("VERDICT_MAX_UPLOAD_BYTES", defaults.max_upload_bytes)?,
            max_upload_users: number("VERDICT_MAX_UPLOAD_USERS", defaults.max_upload_users as u64)?
                as usize,
            request_timeout: Duration::from_secs(number("VERDICT_REQUEST_TIMEOUT_SECS", 30)?),
            upload_idle_timeout: Duration::from_secs(number("VERDICT_UPLOAD_IDLE_SECS", 60)?),
            http: HttpLimits {
                header_read_timeout: Duration::from_secs(number(
                    "VERDICT_HEADER_TIMEOUT_SECS",
                    10,
                )?),
                max_connections: number("VERDICT_MAX_CONNECTIONS", 10_000)? as usize,
                ..defaults.http
            },
        })
    }

    /// Served over https: Secure cookies and HSTS.
    pub fn https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    pub fn http_limits(&self) -> HttpLimits {
        self.http
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

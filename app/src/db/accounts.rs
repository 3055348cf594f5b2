//! Users, sessions' identities and API tokens. Passwords are hashed with argon2id on a blocking
//! thread (a hash takes tens of milliseconds by design, which would stall the async runtime);
//! tokens are random 256-bit secrets stored only as their SHA-256.

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use super::audit::AuditedTx;
use crate::domain::account::{Credential, Identity, NewAccount, Role, TokenSummary, UserSummary};
use crate::error::AppError;

/// Every token starts with this, so a leaked one is recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "vdt_";

struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
}

impl UserRow {
    fn role(&self) -> Result<Role, AppError> {
        Role::parse(&self.role)
            .ok_or_else(|| AppError::internal("stored role is unknown", &self.role))
    }

    fn summary(self) -> Result<UserSummary, AppError> {
        Ok(UserSummary {
            role: self.role()?,
            id: self.id,
            email: self.email,
            name: self.name,
            created_at: self.created_at,
            disabled: self.disabled_at.is_some(),
        })
    }

    fn identity(self) -> Result<Identity, AppError> {
        Ok(Identity {
            role: self.role()?,
            user_id: Some(self.id),
            token_id: None,
            name: self.name,
            email: self.email,
            credential: Credential::Session,
        })
    }
}

/// At most this many argon2 hashes run at once (each takes ~19 MiB and tens of milliseconds by
/// design): a flood of sign-ins queues here instead of exhausting memory and every core.
fn hash_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores.clamp(2, 8))
    })
}

/// How long a sign-in waits for a hashing slot before it is told to try again (503).
const HASH_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

async fn hash_slot() -> Result<tokio::sync::SemaphorePermit<'static>, AppError> {
    match tokio::time::timeout(HASH_QUEUE_WAIT, hash_slots().acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AppError::Busy(
            "the server is busy checking other passwords; try again in a few seconds".into(),
        )),
    }
}

pub(crate) async fn hash_password(password: String) -> Result<String, AppError> {
    let _slot = hash_slot().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&crate::secret::random_bytes::<16>())?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::internal("the password hashing task failed", e))?
    .map_err(|e| AppError::internal("password hashing failed", e))
}

pub(crate) async fn password_matches(password: String, hash: String) -> Result<bool, AppError> {
    let _slot = hash_slot().await?;
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false))
}

/// A hash of a random string with the same parameters as real ones, made once per process:
/// checking a password against it costs what a real check costs.
async fn decoy_hash() -> Result<String, AppError> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_try_init(|| async { hash_password(crate::secret::random_hex::<16>()).await })
        .await
        .cloned()
}

/// How many accounts exist (0 means the first-run setup page is open).
pub async fn count_users(pool: &SqlitePool) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!: i64" FROM user"#)
            .fetch_one(pool)
            .await?,
    )
}

fn checked(account: &NewAccount) -> Result<NewAccount, AppError> {
    let errors = account.validate();
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(NewAccount {
        email: account.email.trim().to_owned(),
        name: account.name.trim().to_owned(),
        password: account.password.clone(),
    })
}

fn taken(email: &str) -> impl FnOnce(sqlx::Error) -> AppError + '_ {
    super::on_unique("user", "email", move || {
        format!("there is already an account for {email}")
    })
}

/// Adds an account (admins on the users page, or `verdict user add`).
pub async fn create_user(
    pool: &SqlitePool,
    account: &NewAccount,
    role: Role,
    now: DateTime<Utc>,
) -> Result<UserSummary, AppError> {
    let account = checked(account)?;
    let hash = hash_password(account.password.clone()).await?;
    let mut tx = AuditedTx::begin(pool, "add user").await?;
    let role = role.as_str();
    let row = sqlx::query_as!(
        UserRow,
        r#"INSERT INTO user (email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)
         RETURNING id AS "id!", email, name, role, created_at AS "created_at: _", disabled_at AS "disabled_at: _""#,
        account.email,
        account.name,
        role,
        hash,
        now
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(taken(&account.email))?;
    tx.commit().await?;
    row.summary()
}

/// The first-run setup: creates the first admin only while there is no account at all, in one
/// statement, so two people racing through the setup page cannot both become admin.
pub async fn create_first_admin(
    pool: &SqlitePool,
    account: &NewAccount,
    now: DateTime<Utc>,
) -> Result<UserSummary, AppError> {
    let account = checked(account)?;
    let hash = hash_password(account.password.clone()).await?;
    // Nobody is signed in yet: the server writes the first account on the visitor's behalf.
    let who = Identity::system("first-run setup");
    let mut tx = crate::auth::acting_as(who, AuditedTx::begin(pool, "set up first admin")).await?;
    let row = sqlx::query_as!(
        UserRow,
        r#"INSERT INTO user (email, name, role, password_hash, created_at)
         SELECT ?, ?, 'admin', ?, ? WHERE NOT EXISTS (SELECT 1 FROM user)
         RETURNING id AS "id!", email, name, role, created_at AS "created_at: _", disabled_at AS "disabled_at: _""#,
        account.email,
        account.name,
        hash,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| {
        AppError::Conflict(
            "Verdict is already set up: sign in, or ask an admin for an account".into(),
        )
    })?;
    tx.commit().await?;
    row.summary()
}

/// The account behind an email and password, if both match and it is not disabled. Unknown
/// emails still pay for one hash, so response times do not reveal which emails exist.
pub async fn verify_login(
    pool: &SqlitePool,
    email: &str,
    password: &str,
) -> Result<Option<Identity>, AppError> {
    let email = email.trim();
    let found = sqlx::query!(
        r#"SELECT password_hash, id AS "id!", email, name, role,
           created_at AS "created_at: DateTime<Utc>", disabled_at AS "disabled_at: DateTime<Utc>"
           FROM user WHERE email = ?"#,
        email
    )
    .fetch_optional(pool)
    .await?
    .map(|r| {
        let user = UserRow {
            id: r.id,
            email: r.email,
            name: r.name,
            role: r.role,
            created_at: r.created_at,
            disabled_at: r.disabled_at,
        };
        (r.password_hash, user)
    });
    let hash = match &found {
        Some((hash, _)) => hash.clone(),
        None => decoy_hash().await?,
    };
    let matches = password_matches(password.to_owned(), hash).await?;
    match found {
        Some((_, user)) if matches && user.disabled_at.is_none() => Ok(Some(user.identity()?)),
        _ => Ok(None),
    }
}

/// The identity of a signed-in session's user, re-read on every request so a role change or a
/// disabled account takes effect at once.
pub async fn identity_for_user(pool: &SqlitePool, id: i64) -> Result<Option<Identity>, AppError> {
    let row = sqlx::query_as!(
        UserRow,
        r#"SELECT id AS "id!", email, name, role, created_at AS "created_at: _", disabled_at AS "disabled_at: _" FROM user WHERE id = ? AND disabled_at IS NULL"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    row.map(UserRow::identity).transpose()
}

/// The active account with this email, as an identity (the CLI names token owners by email).
pub async fn identity_by_email(
    pool: &SqlitePool,
    email: &str,
) -> Result<Option<Identity>, AppError> {
    let email = email.trim();
    let row = sqlx::query_as!(
        UserRow,
        r#"SELECT id AS "id!", email, name, role, created_at AS "created_at: _", disabled_at AS "disabled_at: _" FROM user WHERE email = ? AND disabled_at IS NULL"#,
        email
    )
    .fetch_optional(pool)
    .await?;
    row.map(UserRow::identity).transpose()
}

pub async fn list_users(pool: &SqlitePool) -> Result<Vec<UserSummary>, AppError> {
    let rows = sqlx::query_as!(
        UserRow,
        r#"SELECT id AS "id!", email, name, role, created_at AS "created_at: _", disabled_at AS "disabled_at: _" FROM user ORDER BY disabled_at IS NOT NULL, name COLLATE NOCASE"#
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(UserRow::summary).collect()
}

/// Changes a role or disables/enables an account; refuses to leave the workspace without an
/// active admin (checked inside the same transaction as the change).
pub async fn update_user(
    pool: &SqlitePool,
    id: i64,
    role: Role,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<UserSummary, AppError> {
    let mut tx = AuditedTx::begin(pool, "update user").await?;
    // A role change or a disable ends the person's sessions (their epoch moves on): a demoted
    // admin's open tab must not keep admin pages, nor a disabled account any page.
    let role = role.as_str();
    let row = sqlx::query_as!(
        UserRow,
        r#"UPDATE user SET
         session_epoch = session_epoch + (role <> ?1 OR (disabled_at IS NOT NULL) <> ?2),
         role = ?1, disabled_at = CASE WHEN ?2 THEN coalesce(disabled_at, ?3) ELSE NULL END
         WHERE id = ?4 RETURNING id AS "id!", email, name, role, created_at AS "created_at: _", disabled_at AS "disabled_at: _""#,
        role,
        disabled,
        now,
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| AppError::NotFound(format!("user {id}")))?;
    let admins = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!: i64" FROM user WHERE role = 'admin' AND disabled_at IS NULL"#
    )
    .fetch_one(&mut *tx)
    .await?;
    if admins == 0 {
        return Err(AppError::invalid(
            "role",
            "this is the last active admin: make someone else admin first",
        ));
    }
    tx.commit().await?;
    row.summary()
}

fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.trim().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

struct TokenRow {
    id: i64,
    name: String,
    role: String,
    created_by: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    user_id: Option<i64>,
    owner_email: Option<String>,
    owner_role: Option<String>,
    owner_disabled: Option<bool>,
    last_used_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    fn summary(self) -> Result<TokenSummary, AppError> {
        Ok(TokenSummary {
            role: Role::parse(&self.role)
                .ok_or_else(|| AppError::internal("stored role is unknown", &self.role))?,
            id: self.id,
            name: self.name,
            created_by: self.created_by,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
            expires_at: self.expires_at,
            owner: self.owner_email,
            last_used_at: self.last_used_at,
        })
    }

    /// Why this token may not be used at `now`, if it may not.
    fn refusal(&self, role: Role, now: DateTime<Utc>) -> Option<TokenRefusal> {
        if self.revoked_at.is_some() {
            return Some(TokenRefusal::Revoked);
        }
        if self.expires_at.is_some_and(|at| at <= now) {
            return Some(TokenRefusal::Expired);
        }
        if self.user_id.is_some() {
            if self.owner_disabled != Some(false) {
                return Some(TokenRefusal::OwnerDisabled);
            }
            let owner = self.owner_role.as_deref().and_then(Role::parse);
            if !owner.is_some_and(|o| o.allows(role)) {
                return Some(TokenRefusal::OwnerDemoted);
            }
        }
        None
    }
}

/// Why a bearer token was refused (401); said to the caller and written to the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Unknown,
    Revoked,
    Expired,
    OwnerDisabled,
    OwnerDemoted,
}

impl TokenRefusal {
    pub fn describe(self) -> &'static str {
        match self {
            TokenRefusal::Unknown => "the token is not known",
            TokenRefusal::Revoked => "the token was revoked",
            TokenRefusal::Expired => "the token has expired: create a new one",
            TokenRefusal::OwnerDisabled => "the account that created the token is disabled",
            TokenRefusal::OwnerDemoted => {
                "the account that created the token no longer has the token's role"
            }
        }
    }
}

/// `query_as!` into `TokenRow`: every token column with its owner and last use, then `$rest`
/// (the WHERE or ORDER BY). One column list for the three token reads, each checked at compile
/// time.
macro_rules! select_tokens {
    ($rest:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            TokenRow,
            r#"SELECT t.id AS "id!", t.name, t.role, t.created_by, t.created_at AS "created_at: _",
             t.revoked_at AS "revoked_at: _", t.expires_at AS "expires_at: _", t.user_id AS "user_id?",
             u.email AS "owner_email?", u.role AS "owner_role?",
             (u.disabled_at IS NOT NULL) AS "owner_disabled: _", tu.last_used_at AS "last_used_at: _"
             FROM api_token t LEFT JOIN user u ON u.id = t.user_id
             LEFT JOIN api_token_use tu ON tu.token_id = t.id "# + $rest
            $(, $arg)*
        )
    };
}

/// One token with its owner and last use, by id (after a create or a revoke).
async fn token_by_id(conn: &mut sqlx::SqliteConnection, id: i64) -> Result<TokenRow, AppError> {
    Ok(select_tokens!("WHERE t.id = ?", id).fetch_one(conn).await?)
}

/// Who a new token belongs to: an account (the token never exceeds its role and dies with it)
/// or the command line (someone with shell access to the server).
#[derive(Debug, Clone)]
pub enum TokenOwner<'a> {
    Account(&'a Identity),
    CommandLine,
}

/// The longest expiry a token may be given, in days.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// Creates a token and returns it with its secret, which is never stored and never shown again.
/// `expires_days` of None means it never expires.
pub async fn create_token(
    pool: &SqlitePool,
    name: &str,
    role: Role,
    owner: TokenOwner<'_>,
    expires_days: Option<u32>,
    now: DateTime<Utc>,
) -> Result<(TokenSummary, String), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "name the token after what uses it (e.g. 'nightly export'), in at most 100 characters",
        ));
    }
    if expires_days.is_some_and(|d| d == 0 || d > MAX_TOKEN_DAYS) {
        return Err(AppError::invalid(
            "expires_days",
            format!("a token expires after 1 to {MAX_TOKEN_DAYS} days"),
        ));
    }
    let (user_id, created_by) = match &owner {
        TokenOwner::Account(who) => {
            if !who.can(role) {
                return Err(AppError::invalid(
                    "role",
                    format!("a token cannot have more than your own role ({})", who.role),
                ));
            }
            (who.user_id, who.name.clone())
        }
        TokenOwner::CommandLine => (None, "command line".to_owned()),
    };
    let expires_at = expires_days.map(|d| now + chrono::Duration::days(i64::from(d)));
    let secret = format!("{TOKEN_PREFIX}{}", crate::secret::random_hex::<32>());
    let mut tx = AuditedTx::begin(pool, "create token").await?;
    let (role, hash) = (role.as_str(), secret_hash(&secret));
    let id = sqlx::query_scalar!(
        r#"INSERT INTO api_token (name, role, secret_hash, created_by, created_at, user_id, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id AS "id!: i64""#,
        name,
        role,
        hash,
        created_by,
        now,
        user_id,
        expires_at
    )
    .fetch_one(&mut *tx)
    .await?;
    let row = token_by_id(&mut tx, id).await?;
    tx.commit().await?;
    Ok((row.summary()?, secret))
}

/// The identity a bearer token acts as, or why it may not act at all.
pub async fn identity_for_token(
    pool: &SqlitePool,
    secret: &str,
) -> Result<Result<Identity, TokenRefusal>, AppError> {
    let hash = secret_hash(secret);
    let row = select_tokens!("WHERE t.secret_hash = ?", hash)
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else {
        return Ok(Err(TokenRefusal::Unknown));
    };
    let role = Role::parse(&row.role)
        .ok_or_else(|| AppError::internal("stored role is unknown", &row.role))?;
    if let Some(refusal) = row.refusal(role, Utc::now()) {
        return Ok(Err(refusal));
    }
    Ok(Ok(Identity {
        user_id: None,
        token_id: Some(row.id),
        name: format!("token {}", row.name),
        email: String::new(),
        role,
        credential: Credential::Token,
    }))
}

/// Notes that a token was used now (the caller throttles: at most once a minute per token).
pub async fn touch_token(pool: &SqlitePool, id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO api_token_use (token_id, last_used_at) VALUES (?, ?)
         ON CONFLICT (token_id) DO UPDATE SET last_used_at = excluded.last_used_at",
        id,
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn list_tokens(pool: &SqlitePool) -> Result<Vec<TokenSummary>, AppError> {
    let rows = select_tokens!("ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC")
        .fetch_all(pool)
        .await?;
    rows.into_iter().map(TokenRow::summary).collect()
}

/// Revokes a token; the next request that carries it is refused.
pub async fn revoke_token(
    pool: &SqlitePool,
    id: i64,
    now: DateTime<Utc>,
) -> Result<TokenSummary, AppError> {
    let mut tx = AuditedTx::begin(pool, "revoke token").await?;
    let done = sqlx::query!(
        "UPDATE api_token SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
        now,
        id
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("token {id}")));
    }
    let row = token_by_id(&mut tx, id).await?;
    tx.commit().await?;
    row.summary()
}

#[cfg(test)]
#[path = "accounts_tests.rs"]
mod tests;

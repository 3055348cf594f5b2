//! Passwords people change themselves or admins reset, the session epoch that ends someone's
//! other sessions when either happens (or their role changes, or they are disabled), and the
//! security events the audit log records beside the data changes (sign-ins, sign-outs,
//! refused tokens). See `migrations/*_account_security.sql` for the columns.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::accounts::{hash_password, password_matches};
use super::audit::AuditedTx;
use crate::domain::account::{check_password_of, Credential, Identity, Role};
use crate::error::AppError;

/// What a session needs from its user on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub identity: Identity,
    /// Set by an admin's reset: only the change-password page is open until it is done.
    pub must_change_password: bool,
}

struct Row {
    id: i64,
    email: String,
    name: String,
    role: String,
    must_change_password: bool,
}

/// The session's user, if it is active and the session was started at its current epoch
/// (a password change, reset, role change or disable since then ends the session).
pub async fn session_user(
    pool: &SqlitePool,
    user_id: i64,
    epoch: i64,
) -> Result<Option<SessionUser>, AppError> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id!", email, name, role, must_change_password AS "must_change_password: bool"
           FROM user WHERE id = ? AND session_epoch = ? AND disabled_at IS NULL"#,
        user_id,
        epoch
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        let role = Role::parse(&r.role)
            .ok_or_else(|| AppError::internal("stored role is unknown", &r.role))?;
        Ok(SessionUser {
            identity: Identity {
                user_id: Some(r.id),
                token_id: None,
                name: r.name,
                email: r.email,
                role,
                credential: Credential::Session,
            },
            must_change_password: r.must_change_password,
        })
    })
    .transpose()
}

/// The epoch a new session of this user starts at.
pub async fn epoch(pool: &SqlitePool, user_id: i64) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar!("SELECT session_epoch FROM user WHERE id = ?", user_id)
            .fetch_one(pool)
            .await?,
    )
}

/// Changes the signed-in person's password after checking the current one. Returns the new
/// epoch: the caller's own session moves to it, every other session of theirs ends.
pub async fn change_password(
    pool: &SqlitePool,
    user_id: i64,
    current: &str,
    new: &str,
) -> Result<i64, AppError> {
    let user = sqlx::query!(
        "SELECT password_hash, email, name FROM user WHERE id = ?",
        user_id
    )
    .fetch_one(pool)
    .await?;
    let (email, name) = (user.email, user.name);
    if current.chars().count() > crate::domain::account::MAX_PASSWORD_CHARS
        || !password_matches(current.to_owned(), user.password_hash).await?
    {
        return Err(AppError::invalid(
            "current",
            "that is not your current password",
        ));
    }
    check_password_of(new, &[&email, &name]).map_err(|mut e| {
        e.field = "new".into();
        AppError::Invalid(vec![e])
    })?;
    if new == current {
        return Err(AppError::invalid(
            "new",
            "choose a password different from the current one",
        ));
    }
    let hash = hash_password(new.to_owned()).await?;
    let mut tx = AuditedTx::begin(pool, "change password").await?;
    let epoch = sqlx::query_scalar!(
        "UPDATE user SET password_hash = ?, must_change_password = 0, \
         session_epoch = session_epoch + 1 WHERE id = ? RETURNING session_epoch",
        hash,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(epoch)
}

/// An admin's reset: a generated password (returned, to be shown once), a forced change at the
/// next sign-in, and every session of that person ended.
pub async fn reset_password(pool: &SqlitePool, user_id: i64) -> Result<String, AppError> {
    let password = crate::secret::generated_password();
    let hash = hash_password(password.clone()).await?;
    let mut tx = AuditedTx::begin(pool, "reset password").await?;
    let done = sqlx::query!(
        "UPDATE user SET password_hash = ?, must_change_password = 1, \
         session_epoch = session_epoch + 1 WHERE id = ?",
        hash,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("user {user_id}")));
    }
    tx.commit().await?;
    Ok(password)
}

/// A security event for the audit log: not a change to a row, so no trigger writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEvent {
    SignedIn,
    SignInFailed,
    SignedOut,
    TokenRefused,
}

impl SecurityEvent {
    fn action(self) -> &'static str {
        match self {
            SecurityEvent::SignedIn => "sign in",
            SecurityEvent::SignInFailed => "failed sign-in",
            SecurityEvent::SignedOut => "sign out",
            SecurityEvent::TokenRefused => "refused token",
        }
    }
}

/// Records a security event: `subject` is what an admin searches by (the email typed, or the
/// token's name or prefix), `detail` a short description (the address, the reason).
pub async fn record(
    pool: &SqlitePool,
    event: SecurityEvent,
    actor: Option<&Identity>,
    subject: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let subject: String = subject.chars().take(254).collect();
    let detail: String = detail.chars().take(500).collect();
    let after = serde_json::json!({ "event": event.action(), "detail": detail }).to_string();
    let at = now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let (name, user_id, token_id) = (
        actor.map_or("anonymous", |a| a.name.as_str()),
        actor.and_then(|a| a.user_id),
        actor.and_then(|a| a.token_id),
    );
    let action = event.action();
    sqlx::query!(
        "INSERT INTO audit_log (at, actor_name, actor_user_id, actor_token_id, action, \
         entity_type, entity_key, before, after) VALUES (?, ?, ?, ?, ?, 'security', ?, NULL, ?)",
        at,
        name,
        user_id,
        token_id,
        action,
        subject,
        after
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_passwords_are_long_varied_and_strong() {
        let a = crate::secret::generated_password();
        let b = crate::secret::generated_password();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, b);
        assert!(crate::domain::account::check_password(&a).is_ok(), "{a}");
    }
}

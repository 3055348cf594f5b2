//! How the domain's enums are stored: each as its `slug()` in a TEXT column.
//!
//! Why here and not a `derive(sqlx::Type)` on the enums: the domain stays free of storage
//! crates (a test in `app/tests/layers.rs` checks it), and the database spelling is the very
//! `slug()` the JSON, the forms and the URLs use, so the four can never disagree. Decoding an
//! unknown word is an error that names the type and the word, not a silent default.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{Sqlite, SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};

use crate::domain::lifecycle::Status;
use crate::domain::results::Source;
use crate::domain::review::record::TriageOutcome;
use crate::domain::signoff::SignOffRole;
use crate::domain::verdict::VerdictKind;

macro_rules! stored_as_slug {
    ($($ty:ty),+ $(,)?) => {$(
        impl sqlx::Type<Sqlite> for $ty {
            fn type_info() -> SqliteTypeInfo {
                <str as sqlx::Type<Sqlite>>::type_info()
            }
            fn compatible(ty: &SqliteTypeInfo) -> bool {
                <str as sqlx::Type<Sqlite>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, Sqlite> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut Vec<SqliteArgumentValue<'q>>,
            ) -> Result<IsNull, BoxDynError> {
                <&str as sqlx::Encode<'q, Sqlite>>::encode(self.slug(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, Sqlite> for $ty {
            fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                let word = <&str as sqlx::Decode<'r, Sqlite>>::decode(value)?;
                <$ty>::from_slug(word).ok_or_else(|| {
                    format!("'{word}' is not a {} in this version of Verdict", stringify!($ty)).into()
                })
            }
        }
    )+};
}

stored_as_slug!(Status, Source, TriageOutcome, SignOffRole, VerdictKind);

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::SqlitePool;

    /// The word in the database is the word in the JSON, for every variant, both ways.
    async fn round_trips<T>(pool: &SqlitePool, all: &[T])
    where
        T: Copy + std::fmt::Debug + PartialEq + serde::Serialize,
        T: for<'r> sqlx::Decode<'r, Sqlite> + for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite>,
        T: Send + Sync + Unpin,
    {
        for &value in all {
            let (stored, back): (String, T) = sqlx::query_as("SELECT ?1, ?1")
                .bind(value)
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(
                format!("\"{stored}\""),
                serde_json::to_string(&value).unwrap()
            );
            assert_eq!(back, value);
        }
    }

    #[sqlx::test(migrations = false)]
    async fn every_stored_enum_is_its_json_word(pool: SqlitePool) {
        round_trips(&pool, &Status::ALL).await;
        round_trips(&pool, &Source::ALL).await;
        round_trips(&pool, &TriageOutcome::ALL).await;
        round_trips(&pool, &SignOffRole::ALL).await;
        round_trips(&pool, &VerdictKind::ALL).await;
    }

    #[sqlx::test(migrations = false)]
    async fn an_unknown_word_is_an_error_naming_the_type(pool: SqlitePool) {
        let err = sqlx::query_scalar::<_, Status>("SELECT 'paused'")
            .fetch_one(&pool)
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("'paused' is not a Status"), "{message}");
    }
}

//! A unit's settings for its outside systems. Plain values are stored as
//! they are; secrets are sealed with XChaCha20-Poly1305 under a key derived
//! from `integrations.key`, the unit, system and field bound in as
//! associated data (a sealed value moved to another row does not open).
//! Secrets are opened only for an adapter, never for display.

use crate::model::{from_ms, to_ms};
use crate::{Result, Store, StoreError};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use motcua_domain::integrations as spec;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// One setting as a person may see it: a secret's value is never here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub unit_code: String,
    pub system: String,
    pub key: String,
    /// None for a secret.
    pub value: Option<String>,
    pub secret: bool,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    unit_code: String,
    system: String,
    key: String,
    value: String,
    secret: bool,
    updated_by: String,
    updated_at: i64,
}

const SEALED_PREFIX: &str = "x1:";

fn cipher(master: &[u8]) -> XChaCha20Poly1305 {
    let mut h = Sha256::new();
    h.update(b"motcua-integration-seal-v1\n");
    h.update(master);
    XChaCha20Poly1305::new(&h.finalize())
}

fn aad(unit: &str, system: &str, key: &str) -> String {
    format!("{unit}\n{system}\n{key}")
}

pub(crate) fn seal(
    master: &[u8],
    unit: &str,
    system: &str,
    key: &str,
    value: &str,
) -> Result<String> {
    let nonce_bytes = crate::random_bytes::<24>()?;
    let nonce = XNonce::from(nonce_bytes);
    let aad = aad(unit, system, key);
    let sealed = cipher(master)
        .encrypt(
            &nonce,
            Payload {
                msg: value.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| StoreError::Config("sealing failed".into()))?;
    let mut out = nonce_bytes.to_vec();
    out.extend_from_slice(&sealed);
    Ok(format!("{SEALED_PREFIX}{}", crate::hex(&out)))
}

pub(crate) fn open(
    master: &[u8],
    unit: &str,
    system: &str,
    key: &str,
    stored: &str,
) -> Result<String> {
    let wrong = || {
        StoreError::Config(format!(
            "không mở được khóa bí mật {system}.{key} của đơn vị {unit}: integrations.key không khớp (wrong integrations.key)"
        ))
    };
    let hex = stored.strip_prefix(SEALED_PREFIX).ok_or_else(wrong)?;
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect::<Option<_>>()
        .ok_or_else(wrong)?;
    if bytes.len() < 24 + 16 {
        return Err(wrong());
    }
    let (nonce, sealed) = bytes.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| wrong())?;
    let aad = aad(unit, system, key);
    let plain = cipher(master)
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: sealed,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| wrong())?;
    String::from_utf8(plain).map_err(|_| wrong())
}

macro_rules! integrations_sql {
    ($db:ty) => {
        use super::*;

        impl crate::Sql<$db> {
            pub(crate) async fn put_integration(
                &self,
                r: (&str, &str, &str, &str, bool, &str, i64),
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO integration_settings (unit_code, system, key, value, secret, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (unit_code, system, key) DO UPDATE SET \
                     value = excluded.value, secret = excluded.secret, updated_by = excluded.updated_by, \
                     updated_at = excluded.updated_at",
                )
                .bind(r.0)
                .bind(r.1)
                .bind(r.2)
                .bind(r.3)
                .bind(r.4)
                .bind(r.5)
                .bind(r.6)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            /// Note when a unit's online payment was first set up (kept once).
            pub(crate) async fn note_payment_enabled(&self, unit: &str, at: i64) -> Result<()> {
                sqlx::query(
                    "INSERT INTO payment_enabled (unit_code, since) VALUES ($1, $2) ON CONFLICT (unit_code) DO NOTHING",
                )
                .bind(unit)
                .bind(at)
                .execute(&self.write)
                .await?;
                Ok(())
            }

            pub(crate) async fn integration_rows(&self, unit: Option<&str>) -> Result<Vec<Row>> {
                Ok(sqlx::query_as(
                    "SELECT unit_code, system, key, value, secret, updated_by, updated_at FROM integration_settings \
                     WHERE ($1 IS NULL OR unit_code = $1) ORDER BY unit_code, system, key",
                )
                .bind(unit)
                .fetch_all(&self.read)
                .await?)
            }

            /// One stored secret, sealed as it is.
            pub(crate) async fn sealed_integration(&self, unit: &str, system: &str, key: &str) -> Result<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT value FROM integration_settings WHERE unit_code = $1 AND system = $2 AND key = $3 AND secret",
                )
                .bind(unit)
                .bind(system)
                .bind(key)
                .fetch_optional(&self.read)
                .await?)
            }
        }
    };
}

mod sqlite {
    integrations_sql!(sqlx::Sqlite);
}
mod postgres {
    integrations_sql!(sqlx::Postgres);
}

impl Store {
    /// Set one field of a unit's system (a secret is sealed).
    pub async fn set_integration(
        &self,
        unit: &str,
        system: &str,
        key: &str,
        value: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        if self.unit(unit).await?.is_none() {
            return Err(motcua_domain::Problem::invalid(
                "unknown_unit",
                "unit",
                format!("Không có đơn vị mã \"{unit}\""),
            )
            .into());
        }
        let value = spec::check_value(system, key, value)?;
        let secret = spec::system(system)
            .and_then(|s| s.field(key))
            .is_some_and(|f| f.secret);
        let stored = if secret {
            seal(&self.integration_key, unit, system, key, &value)?
        } else {
            value
        };
        on_db!(
            self,
            put_integration((unit, system, key, &stored, secret, by, to_ms(now)))
        )?;
        if motcua_domain::decide::ONLINE_METHODS.contains(&system) {
            on_db!(self, note_payment_enabled(unit, to_ms(now)))?;
        }
        Ok(())
    }

    /// The settings of one unit or all, secrets without their values.
    pub async fn integrations(&self, unit: Option<&str>) -> Result<Vec<Setting>> {
        let rows = on_db!(self, integration_rows(unit))?;
        Ok(rows
            .into_iter()
            .map(|r| Setting {
                value: (!r.secret).then_some(r.value),
                unit_code: r.unit_code,
                system: r.system,
                key: r.key,
                secret: r.secret,
                updated_by: r.updated_by,
                updated_at: from_ms(r.updated_at),
            })
            .collect())
    }

    /// A secret, opened for the adapter that needs it.
    pub async fn integration_secret(
        &self,
        unit: &str,
        system: &str,
        key: &str,
    ) -> Result<Option<String>> {
        match on_db!(self, sealed_integration(unit, system, key))? {
            Some(stored) => open(&self.integration_key, unit, system, key, &stored).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_in_its_row_and_with_its_key() {
        let s = seal(b"k1", "30112", "vnpay", "hash_secret", "BI-MAT").expect("seal");
        assert!(s.starts_with(SEALED_PREFIX) && !s.contains("BI-MAT"));
        assert_eq!(
            open(b"k1", "30112", "vnpay", "hash_secret", &s).expect("open"),
            "BI-MAT"
        );
        assert!(
            open(b"k2", "30112", "vnpay", "hash_secret", &s).is_err(),
            "another key"
        );
        assert!(
            open(b"k1", "28261", "vnpay", "hash_secret", &s).is_err(),
            "another unit's row"
        );
        assert_ne!(
            s,
            seal(b"k1", "30112", "vnpay", "hash_secret", "BI-MAT").expect("seal")
        );
    }
}

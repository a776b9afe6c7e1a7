//! Staff sign-in: Argon2id password hashes, random session tokens (only their
//! SHA-256 is stored), taken from a cookie or an `Authorization: Bearer` header.

use crate::AppState;
use crate::error::ApiError;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use motcua_domain::{Problem, ProblemKind};
use motcua_store::User;
use sha2::{Digest, Sha256};
use std::time::Duration;
use time::OffsetDateTime;

pub const SESSION_COOKIE: &str = "motcua_session";
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("no randomness: {0}")]
    Random(String),
}

/// Argon2id with the crate's default (OWASP) parameters and a random salt.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

pub fn new_token() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(motcua_store::hex(&bytes))
}

pub fn token_hash(token: &str) -> String {
    motcua_store::hex(&Sha256::digest(token.as_bytes()))
}

/// Compare secrets without an early exit that would leak their prefix.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn token_from(parts: &Parts) -> Option<String> {
    if let Some(v) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_string());
    }
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// A signed-in staff member.
pub struct Staff(pub User);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = || {
            Problem::new(
                ProblemKind::Unauthorized,
                "unauthorized",
                "Vui lòng đăng nhập",
            )
        };
        let token = token_from(parts).ok_or_else(unauthorized)?;
        let user = state
            .store
            .session_user(&token_hash(&token), OffsetDateTime::now_utc())
            .await?
            .ok_or_else(unauthorized)?;
        Ok(Staff(user))
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Staff {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match token_from(parts) {
            None => Ok(None),
            Some(token) => Ok(state
                .store
                .session_user(&token_hash(&token), OffsetDateTime::now_utc())
                .await?
                .map(Staff)),
        }
    }
}

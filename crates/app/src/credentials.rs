//! Staff credentials: Argon2id password hashes and random session tokens,
//! of which only the SHA-256 is stored. The server, the command line and
//! the demo create accounts through here.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("no randomness: {0}")]
    Random(String),
}

/// Argon2id with the crate's default (OWASP) parameters and a random salt.
pub fn hash_password(password: &str) -> Result<String, CredentialError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CredentialError::Hash(e.to_string()))
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

/// A new session token: 32 random bytes in hex.
pub fn new_token() -> Result<String, CredentialError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CredentialError::Random(e.to_string()))?;
    Ok(motcua_store::hex(&bytes))
}

/// What is stored of a token.
pub fn token_hash(token: &str) -> String {
    motcua_store::hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_password("mật khẩu đủ dài 2026").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu đủ dài 2026", &h));
        assert!(!verify_password("mật khẩu khác", &h));
        assert!(!verify_password("x", "not a hash"));
        let t = new_token().expect("token");
        assert_eq!(t.len(), 64);
        assert_ne!(token_hash(&t), t);
    }
}

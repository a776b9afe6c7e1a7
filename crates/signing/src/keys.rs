//! Private keys at rest: sealed as PKCS#8 `EncryptedPrivateKeyInfo` (PBES2,
//! PBKDF2-HMAC-SHA256, AES-256-CBC) under a 32-byte secret read from a file
//! that is created on first use, readable by its owner only.

use crate::{Result, SignError, random};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo, pkcs5::pbes2};
use std::path::Path;

/// The secret is random, so the key derivation only needs to be standard,
/// not slow; this count keeps opening a key cheap.
const PBKDF2_ITERATIONS: u32 = 10_000;

/// The secret that seals the unit keys (never stored in the database).
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Secret(bytes)
    }

    pub fn random() -> Result<Self> {
        Ok(Secret(random::<32>()?))
    }

    /// Read the secret at `path`, or create it (mode 0600) when missing.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        let err = |message: String| SignError::SecretFile {
            path: path.display().to_string(),
            message,
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let arr: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| err(format!("cần đúng 32 byte, tệp có {} byte", bytes.len())))?;
                Ok(Secret(arr))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
                }
                let secret = Secret::random()?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut file = match opts.open(path) {
                    Ok(f) => f,
                    // Another process made it first: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        return Secret::load_or_create(path);
                    }
                    Err(e) => return Err(err(e.to_string())),
                };
                std::io::Write::write_all(&mut file, &secret.0).map_err(|e| err(e.to_string()))?;
                file.sync_all().map_err(|e| err(e.to_string()))?;
                Ok(secret)
            }
            Err(e) => Err(err(e.to_string())),
        }
    }
}

/// A new P-256 key from the operating system's randomness.
pub fn generate() -> Result<SigningKey> {
    for _ in 0..8 {
        let bytes = random::<32>()?;
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return Ok(key);
        }
    }
    Err(SignError::Random("no valid scalar".into()))
}

/// Seal `key` under `secret`: DER of an `EncryptedPrivateKeyInfo`.
pub fn seal(key: &SigningKey, secret: &Secret) -> Result<Vec<u8>> {
    let plain = key
        .to_pkcs8_der()
        .map_err(|e| SignError::Crypto(e.to_string()))?;
    let info =
        PrivateKeyInfo::try_from(plain.as_bytes()).map_err(|e| SignError::Crypto(e.to_string()))?;
    let salt = random::<16>()?;
    let iv = random::<16>()?;
    let params = pbes2::Parameters::pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, &iv)
        .map_err(|e| SignError::Crypto(e.to_string()))?;
    let sealed = info
        .encrypt_with_params(params, secret.0)
        .map_err(|e| SignError::Crypto(e.to_string()))?;
    Ok(sealed.as_bytes().to_vec())
}

/// Open a key sealed by [`seal`]; a wrong secret is [`SignError::WrongSecret`].
pub fn open(sealed: &[u8], secret: &Secret) -> Result<SigningKey> {
    let info = EncryptedPrivateKeyInfo::try_from(sealed).map_err(|_| SignError::WrongSecret)?;
    let plain = info.decrypt(secret.0).map_err(|_| SignError::WrongSecret)?;
    SigningKey::from_pkcs8_der(plain.as_bytes()).map_err(|_| SignError::WrongSecret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_are_not_plain_pkcs8_and_need_the_secret() {
        let key = generate().expect("key");
        let secret = Secret::random().expect("secret");
        let sealed = seal(&key, &secret).expect("seal");
        assert!(
            SigningKey::from_pkcs8_der(&sealed).is_err(),
            "must not parse as a plain key"
        );
        let raw = key.to_bytes();
        assert!(
            !sealed.windows(raw.len()).any(|w| w == &raw[..]),
            "the private scalar must not appear in the sealed bytes"
        );
        assert_eq!(open(&sealed, &secret).expect("open").to_bytes(), raw);
        let other = Secret::random().expect("secret");
        assert!(matches!(open(&sealed, &other), Err(SignError::WrongSecret)));
        assert!(matches!(
            open(b"garbage", &secret),
            Err(SignError::WrongSecret)
        ));
    }

    #[test]
    fn secret_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("signing.key");
        let a = Secret::load_or_create(&path).expect("create");
        let b = Secret::load_or_create(&path).expect("read");
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"short").expect("write");
        assert!(matches!(
            Secret::load_or_create(&path),
            Err(SignError::SecretFile { .. })
        ));
    }
}

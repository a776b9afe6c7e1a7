//! Document bytes on disk, content-addressed by SHA-256: the same scan
//! uploaded twice is stored once, and a file's name is its integrity check.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl BlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, sha: &str) -> Option<PathBuf> {
        // Only well-formed hashes name files: no path tricks from input.
        (sha.len() == 64
            && sha
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| self.root.join(&sha[..2]).join(sha))
    }

    /// Write the bytes (if not already there) and return their hash.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = sha256_hex(bytes);
        let Some(path) = self.path_of(&sha) else {
            return Err(std::io::Error::other("bad hash"));
        };
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(sha);
        }
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await?;
        // Write then rename, so a crash never leaves a half file under a hash name.
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
        let tmp = dir.join(format!(".tmp-{}", u64::from_le_bytes(random)));
        tokio::fs::write(&tmp, bytes).await?;
        let file = tokio::fs::File::open(&tmp).await?;
        file.sync_all().await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(sha)
    }

    /// Delete the file of these bytes; whether there was one.
    pub async fn remove(&self, sha: &str) -> std::io::Result<bool> {
        let Some(path) = self.path_of(sha) else {
            return Ok(false);
        };
        match tokio::fs::remove_file(path).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn get(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        match self.path_of(sha) {
            Some(path) => tokio::fs::read(path).await,
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "bad hash",
            )),
        }
    }
}

//! Secrets of a data folder (32 random bytes in a file readable by its owner
//! only), created on first use. Backup and restore carry them: without
//! `lookup.key`, citizens' lookup keys no longer match; without `audit.key`,
//! the history can no longer be extended or its checkpoints verified.

use crate::{Result, StoreError};
use std::io::Write;
use std::path::Path;

/// The file of the secret lookup keys are hashed under.
pub const LOOKUP_KEY_FILE: &str = "lookup.key";

/// The file of the secret that keys the links of the history and signs its
/// checkpoints. Every process on one database must hold the same.
pub const AUDIT_KEY_FILE: &str = "audit.key";

/// The file of the secret that outside systems' credentials are derived
/// from (a webhook's signing secret): the database never holds them.
pub const INTEGRATION_KEY_FILE: &str = "integrations.key";

/// Read the secret at `path`, or create it (mode 0600). Two processes
/// starting at once agree: the second reads what the first wrote.
pub fn load_or_create(path: &Path) -> Result<Vec<u8>> {
    if let Ok(bytes) = std::fs::read(path)
        && !bytes.is_empty()
    {
        return Ok(bytes);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut secret = vec![0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
    // Written under a temporary name and linked into place, so nobody reads a half-written file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(&secret)?;
        f.sync_all()?;
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(std::fs::read(path)?),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("x.key");
        let a = load_or_create(&path).expect("create");
        assert_eq!(a.len(), 32);
        assert_eq!(load_or_create(&path).expect("read"), a);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

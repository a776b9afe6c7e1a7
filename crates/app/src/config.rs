//! One configuration, built by the binary from its flags and environment
//! and passed down. Libraries never read the environment: what a server
//! does is visible in this value (and in `motcua serve --help`).

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of the SQLite file, the documents and the key files.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The address citizens reach (behind a proxy), printed in QR codes;
    /// None: the address the request came to.
    pub public_url: Option<String>,
    pub limits: LimitSettings,
    /// Where Prometheus reads the metrics; None: no metrics listener.
    pub metrics_listen: Option<String>,
    /// How long a stopping server waits for requests and jobs in flight.
    pub shutdown_grace: Duration,
    /// How often the outbox is drained, and how long a claimed entry is
    /// held before another worker (or this one, restarted) may take it.
    pub outbox_every: Duration,
    pub outbox_lease: Duration,
    /// How long one webhook delivery may take.
    pub webhook_timeout: Duration,
}

impl Config {
    /// A configuration for a data folder, everything else by default.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        let database_url = format!("sqlite://{}", data_dir.join("motcua.sqlite").display());
        Config {
            data_dir,
            database_url,
            public_url: None,
            limits: LimitSettings::default(),
            metrics_listen: None,
            shutdown_grace: Duration::from_secs(20),
            outbox_every: Duration::from_secs(2),
            outbox_lease: Duration::from_secs(60),
            webhook_timeout: Duration::from_secs(10),
        }
    }

    /// The public base URL without its trailing slash, if one is set.
    pub fn public_base(&self) -> Option<String> {
        self.public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(|u| u.trim_end_matches('/').to_string())
    }
}

/// The limits a server applies to its clients. 0 switches a per-minute
/// limit or a cap off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitSettings {
    pub lookups_per_minute: u32,
    pub logins_per_minute: u32,
    pub uploads_per_minute: u32,
    pub submissions_per_minute: u32,
    pub submissions_per_day: u32,
    /// Megabytes of uploads not yet attached, per requester and in total.
    pub unattached_mb_per_client: u32,
    pub unattached_mb_total: u32,
    pub header_timeout_secs: u32,
    pub max_connections: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            lookups_per_minute: 60,
            logins_per_minute: 10,
            uploads_per_minute: 30,
            submissions_per_minute: 6,
            submissions_per_day: 20,
            unattached_mb_per_client: 100,
            unattached_mb_total: 4096,
            header_timeout_secs: 15,
            max_connections: 2048,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_base_is_trimmed_and_empty_means_none() {
        let mut c = Config::for_data_dir("/tmp/x".into());
        assert_eq!(c.database_url, "sqlite:///tmp/x/motcua.sqlite");
        assert_eq!(c.public_base(), None);
        c.public_url = Some(" https://motcua.example.vn/ ".into());
        assert_eq!(
            c.public_base().as_deref(),
            Some("https://motcua.example.vn")
        );
        c.public_url = Some("  ".into());
        assert_eq!(c.public_base(), None);
    }
}

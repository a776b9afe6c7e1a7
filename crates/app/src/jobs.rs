//! Background jobs and the one signal that stops a process. SIGTERM and
//! Ctrl-C trigger [`Shutdown`]; the server stops taking connections and
//! finishes the requests in flight, each job finishes the run it is in,
//! and the process waits for both (up to the configured grace).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::SharedClock;

/// A stop signal shared by the server and every job.
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
    rx: watch::Receiver<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        let (tx, rx) = watch::channel(false);
        Shutdown {
            tx: Arc::new(tx),
            rx,
        }
    }

    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once the signal is given (at once if it already was).
    pub async fn wait(&self) {
        let mut rx = self.rx.clone();
        // An error means every sender is gone: nobody can stop us any more.
        let _ = rx.wait_for(|stop| *stop).await;
    }

    /// Give the signal on SIGTERM (what service managers send) or Ctrl-C.
    pub fn on_signals(&self) {
        let me = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                            _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: stopping"),
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
            me.trigger();
        });
    }
}

/// How a job has fared, for the metrics and the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobStatus {
    pub runs: u64,
    pub failures: u64,
    pub last_run: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

/// The jobs of one process.
#[derive(Debug)]
pub struct Jobs {
    shutdown: Shutdown,
    clock: SharedClock,
    handles: Vec<(&'static str, JoinHandle<()>)>,
    status: Arc<Mutex<BTreeMap<&'static str, JobStatus>>>,
}

impl Jobs {
    pub fn new(shutdown: Shutdown, clock: SharedClock) -> Self {
        Jobs {
            shutdown,
            clock,
            handles: Vec::new(),
            status: Arc::default(),
        }
    }

    /// Run `job` now and then every `period` until the shutdown signal; a
    /// run in progress when the signal comes is finished, never cut.
    pub fn every<F, Fut>(&mut self, name: &'static str, period: Duration, mut job: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send,
    {
        let shutdown = self.shutdown.clone();
        let status = self.status.clone();
        let clock = self.clock.clone();
        status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, JobStatus::default());
        let handle = tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    _ = shutdown.wait() => break,
                    _ = every.tick() => {}
                }
                let result = job().await;
                let mut all = status.lock().unwrap_or_else(|p| p.into_inner());
                let s = all.entry(name).or_default();
                s.runs += 1;
                s.last_run = Some(clock.now());
                match result {
                    Ok(()) => s.last_error = None,
                    Err(e) => {
                        tracing::warn!(job = name, error = %e, "job failed");
                        s.failures += 1;
                        s.last_error = Some(e);
                    }
                }
            }
        });
        self.handles.push((name, handle));
    }

    /// The status of every job, by name.
    pub fn status(&self) -> JobsView {
        JobsView(self.status.clone())
    }

    /// Wait for every job to finish its run, at most `grace`; the jobs still
    /// running then are named in the log and abandoned.
    pub async fn drain(self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        for (name, handle) in self.handles {
            let abort = handle.abort_handle();
            if tokio::time::timeout_at(deadline, handle).await.is_err() {
                tracing::warn!(
                    job = name,
                    "job still running at the end of the grace period"
                );
                abort.abort();
            }
        }
    }
}

/// A read-only view of the jobs' status, shared with the metrics listener.
#[derive(Debug, Clone, Default)]
pub struct JobsView(Arc<Mutex<BTreeMap<&'static str, JobStatus>>>);

impl JobsView {
    pub fn snapshot(&self) -> Vec<(&'static str, JobStatus)> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_job_finishes_its_run_when_the_signal_comes() {
        let shutdown = Shutdown::new();
        let clock = Arc::new(ManualClock::new(
            time::macros::datetime!(2026-12-07 08:00 UTC),
        ));
        let mut jobs = Jobs::new(shutdown.clone(), clock);
        let finished = Arc::new(AtomicU32::new(0));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let mut started_tx = Some(started_tx);
        let f = finished.clone();
        jobs.every("slow", Duration::from_secs(3600), move || {
            let f = f.clone();
            let tx = started_tx.take();
            async move {
                if let Some(tx) = tx {
                    let _ = tx.send(());
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                f.fetch_add(1, Ordering::SeqCst);
                Err("first run fails on purpose".to_string())
            }
        });
        let view = jobs.status();
        started_rx.await.expect("the job starts at once");
        shutdown.trigger();
        jobs.drain(Duration::from_secs(5)).await;
        // The run in flight was finished, and no second run started.
        assert_eq!(finished.load(Ordering::SeqCst), 1);
        let (name, s) = view.snapshot().remove(0);
        assert_eq!((name, s.runs, s.failures), ("slow", 1, 1));
        assert_eq!(s.last_error.as_deref(), Some("first run fails on purpose"));
        assert!(shutdown.is_triggered());
    }
}

//! What Prometheus reads on the metrics listener (text exposition format
//! 0.0.4): requests by method and status class and their latencies, the
//! outbox's depth and oldest pending entry, and each job's runs, failures
//! and last run. Counters are atomics; nothing here blocks a request.

use crate::jobs::JobStatus;
use motcua_store::outbox::OutboxDepth;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use time::OffsetDateTime;

/// Upper bounds of the latency histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "OTHER"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Debug, Default)]
pub struct Metrics {
    /// By method × status class.
    requests: [[AtomicU64; 5]; 5],
    /// Cumulative counts per bucket, then +Inf.
    buckets: [AtomicU64; 11],
    latency_micros: AtomicU64,
}

fn method_index(method: &str) -> usize {
    METHODS
        .iter()
        .position(|m| *m == method)
        .unwrap_or(METHODS.len() - 1)
}

impl Metrics {
    /// Count one answered request.
    pub fn record(&self, method: &str, status: u16, took: Duration) {
        let class = usize::from((status / 100).clamp(1, 5) - 1);
        self.requests[method_index(method)][class].fetch_add(1, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.buckets[LATENCY_BUCKETS.len()].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The exposition, with the outbox and jobs as of `now`.
    pub fn render(
        &self,
        outbox: &OutboxDepth,
        jobs: &[(&'static str, JobStatus)],
        now: OffsetDateTime,
    ) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP motcua_http_requests_total HTTP requests answered."
        );
        let _ = writeln!(out, "# TYPE motcua_http_requests_total counter");
        for (m, method) in METHODS.iter().enumerate() {
            for (c, class) in CLASSES.iter().enumerate() {
                let n = self.requests[m][c].load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "motcua_http_requests_total{{method=\"{method}\",status=\"{class}\"}} {n}"
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP motcua_http_request_duration_seconds Time to answer a request."
        );
        let _ = writeln!(out, "# TYPE motcua_http_request_duration_seconds histogram");
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            let n = self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "motcua_http_request_duration_seconds_bucket{{le=\"{le}\"}} {n}"
            );
        }
        let count = self.buckets[LATENCY_BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "motcua_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.latency_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "motcua_http_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "motcua_http_request_duration_seconds_count {count}");

        let _ = writeln!(
            out,
            "# HELP motcua_outbox_pending Effects waiting to be delivered."
        );
        let _ = writeln!(out, "# TYPE motcua_outbox_pending gauge");
        let _ = writeln!(out, "motcua_outbox_pending {}", outbox.pending);
        let _ = writeln!(
            out,
            "# HELP motcua_outbox_dead Effects that failed every attempt."
        );
        let _ = writeln!(out, "# TYPE motcua_outbox_dead gauge");
        let _ = writeln!(out, "motcua_outbox_dead {}", outbox.dead);
        let _ = writeln!(
            out,
            "# HELP motcua_outbox_oldest_pending_seconds Age of the oldest waiting effect."
        );
        let _ = writeln!(out, "# TYPE motcua_outbox_oldest_pending_seconds gauge");
        let age = outbox
            .oldest_pending
            .map_or(0, |t| (now - t).whole_seconds().max(0));
        let _ = writeln!(out, "motcua_outbox_oldest_pending_seconds {age}");

        let _ = writeln!(
            out,
            "# HELP motcua_job_runs_total Runs of each background job."
        );
        let _ = writeln!(out, "# TYPE motcua_job_runs_total counter");
        for (name, s) in jobs {
            let _ = writeln!(out, "motcua_job_runs_total{{job=\"{name}\"}} {}", s.runs);
        }
        let _ = writeln!(
            out,
            "# HELP motcua_job_failures_total Failed runs of each background job."
        );
        let _ = writeln!(out, "# TYPE motcua_job_failures_total counter");
        for (name, s) in jobs {
            let _ = writeln!(
                out,
                "motcua_job_failures_total{{job=\"{name}\"}} {}",
                s.failures
            );
        }
        let _ = writeln!(
            out,
            "# HELP motcua_job_last_run_timestamp_seconds When each job last ran (0: not yet)."
        );
        let _ = writeln!(out, "# TYPE motcua_job_last_run_timestamp_seconds gauge");
        for (name, s) in jobs {
            let at = s.last_run.map_or(0, |t| t.unix_timestamp());
            let _ = writeln!(
                out,
                "motcua_job_last_run_timestamp_seconds{{job=\"{name}\"}} {at}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_into_their_class_and_buckets() {
        let m = Metrics::default();
        m.record("GET", 200, Duration::from_millis(3));
        m.record("GET", 404, Duration::from_millis(30));
        m.record("PATCH", 503, Duration::from_secs(20));
        let now = time::macros::datetime!(2026-12-07 08:00 UTC);
        let depth = OutboxDepth {
            pending: 2,
            oldest_pending: Some(now - time::Duration::seconds(90)),
            dead: 1,
        };
        let jobs = [(
            "outbox",
            JobStatus {
                runs: 5,
                failures: 1,
                last_run: Some(now),
                last_error: None,
            },
        )];
        let text = m.render(&depth, &jobs, now);
        for line in [
            "motcua_http_requests_total{method=\"GET\",status=\"2xx\"} 1",
            "motcua_http_requests_total{method=\"GET\",status=\"4xx\"} 1",
            "motcua_http_requests_total{method=\"OTHER\",status=\"5xx\"} 1",
            "motcua_http_request_duration_seconds_bucket{le=\"0.005\"} 1",
            "motcua_http_request_duration_seconds_bucket{le=\"0.05\"} 2",
            "motcua_http_request_duration_seconds_bucket{le=\"10\"} 2",
            "motcua_http_request_duration_seconds_bucket{le=\"+Inf\"} 3",
            "motcua_http_request_duration_seconds_count 3",
            "motcua_outbox_pending 2",
            "motcua_outbox_dead 1",
            "motcua_outbox_oldest_pending_seconds 90",
            "motcua_job_runs_total{job=\"outbox\"} 5",
            "motcua_job_failures_total{job=\"outbox\"} 1",
            "motcua_job_last_run_timestamp_seconds{job=\"outbox\"} 1796630400",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
    }
}

//! `motcua serve`: the configuration from flags and environment, the
//! server, its background jobs and the one shutdown signal (SIGTERM or
//! Ctrl-C) that stops them all after their work in flight.

use crate::{Settings, demo};
use anyhow::{Context, Result, bail};
use clap::Args;
use motcua_app::SharedClock;
use motcua_app::config::{Config, LimitSettings};
use motcua_app::jobs::{Jobs, Shutdown};
use motcua_app::outbox::{HttpWebhook, OutboxWorker};
use motcua_store::Store;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    #[arg(long, env = "MOTCUA_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Start on a fresh demo database of Đồng Tháp with staff and dossiers.
    #[arg(long)]
    demo: bool,
    /// The address citizens reach (behind a proxy), printed in QR codes.
    #[arg(long, env = "MOTCUA_PUBLIC_URL")]
    public_url: Option<String>,
    /// Seconds a stopping server waits for requests and jobs in flight.
    #[arg(long, env = "MOTCUA_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    shutdown_grace_secs: u64,
    /// Seconds a claimed outbox entry is held before it may be claimed again
    /// (a process that died mid-delivery leaves it for this long).
    #[arg(long, env = "MOTCUA_OUTBOX_LEASE_SECS", default_value_t = 60)]
    outbox_lease_secs: u64,
    /// Where Prometheus reads `/metrics` (e.g. 127.0.0.1:9464); none when unset.
    #[arg(long, env = "MOTCUA_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Seconds one webhook delivery may take.
    #[arg(long, env = "MOTCUA_WEBHOOK_TIMEOUT_SECS", default_value_t = 10)]
    webhook_timeout_secs: u64,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The limits on clients; 0 switches one off.
#[derive(Args, Debug, Clone)]
struct LimitArgs {
    #[arg(long, env = "MOTCUA_LOOKUP_PER_MINUTE", default_value_t = LimitSettings::default().lookups_per_minute)]
    lookups_per_minute: u32,
    #[arg(long, env = "MOTCUA_LOGIN_PER_MINUTE", default_value_t = LimitSettings::default().logins_per_minute)]
    logins_per_minute: u32,
    #[arg(long, env = "MOTCUA_UPLOADS_PER_MINUTE", default_value_t = LimitSettings::default().uploads_per_minute)]
    uploads_per_minute: u32,
    #[arg(long, env = "MOTCUA_SUBMISSIONS_PER_MINUTE", default_value_t = LimitSettings::default().submissions_per_minute)]
    submissions_per_minute: u32,
    #[arg(long, env = "MOTCUA_SUBMISSIONS_PER_DAY", default_value_t = LimitSettings::default().submissions_per_day)]
    submissions_per_day: u32,
    #[arg(long, env = "MOTCUA_UNATTACHED_MB_PER_CLIENT", default_value_t = LimitSettings::default().unattached_mb_per_client)]
    unattached_mb_per_client: u32,
    #[arg(long, env = "MOTCUA_UNATTACHED_MB_TOTAL", default_value_t = LimitSettings::default().unattached_mb_total)]
    unattached_mb_total: u32,
    #[arg(long, env = "MOTCUA_HEADER_TIMEOUT_SECS", default_value_t = LimitSettings::default().header_timeout_secs)]
    header_timeout_secs: u32,
    #[arg(long, env = "MOTCUA_MAX_CONNECTIONS", default_value_t = LimitSettings::default().max_connections)]
    max_connections: u32,
}

impl LimitArgs {
    fn settings(&self) -> LimitSettings {
        LimitSettings {
            lookups_per_minute: self.lookups_per_minute,
            logins_per_minute: self.logins_per_minute,
            uploads_per_minute: self.uploads_per_minute,
            submissions_per_minute: self.submissions_per_minute,
            submissions_per_day: self.submissions_per_day,
            unattached_mb_per_client: self.unattached_mb_per_client,
            unattached_mb_total: self.unattached_mb_total,
            header_timeout_secs: self.header_timeout_secs,
            max_connections: self.max_connections,
        }
    }
}

fn config(settings: &Settings, args: &ServeArgs) -> Config {
    let mut c = Config::for_data_dir(settings.data_dir.clone());
    c.database_url = settings.database_url();
    c.public_url = args.public_url.clone();
    c.limits = args.limits.settings();
    c.shutdown_grace = Duration::from_secs(args.shutdown_grace_secs);
    c.outbox_lease = Duration::from_secs(args.outbox_lease_secs.max(1));
    c.metrics_listen = args.metrics_listen.clone();
    c.webhook_timeout = Duration::from_secs(args.webhook_timeout_secs.max(1));
    c
}

pub async fn serve(mut settings: Settings, args: ServeArgs) -> Result<()> {
    let mut demo_dir = None;
    if args.demo {
        if settings
            .database
            .as_deref()
            .is_some_and(|d| !d.starts_with("sqlite"))
        {
            bail!("--demo uses its own SQLite database; leave --database unset");
        }
        // A data folder named by the user is used (it must hold no database);
        // otherwise a folder of its own in the temporary directory, removed on exit.
        let named = std::env::var_os("MOTCUA_DATA_DIR").is_some()
            || std::env::args().any(|a| a == "--data-dir" || a.starts_with("--data-dir="));
        if named {
            if settings.data_dir.join("motcua.sqlite").exists() {
                bail!(
                    "--demo cần một thư mục dữ liệu trống; {} đã có cơ sở dữ liệu (the demo needs an empty data folder)",
                    settings.data_dir.display()
                );
            }
        } else {
            let dir = std::env::temp_dir().join(format!("motcua-demo-{}", std::process::id()));
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            demo_dir = Some(dir.clone());
        }
        settings = Settings {
            data_dir: demo_dir.clone().unwrap_or(settings.data_dir),
            database: None,
        };
    }
    let result = serve_in(settings, args).await;
    if let Some(dir) = demo_dir {
        // The demo's keys and data do not outlive it.
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn serve_in(settings: Settings, args: ServeArgs) -> Result<()> {
    let config = config(&settings, &args);
    let clock = motcua_app::clock::system();
    let store = settings.open().await?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    if args.demo {
        let now = clock.now();
        println!("{}", demo::seed(&store, now).await?);
        println!(
            "{}",
            demo::seed_signing(&store, now, &format!("http://{addr}")).await?
        );
        println!("{}", demo::seed_payment(&store, now).await?);
        println!("{}", demo::index_history(&store, now).await?);
    }
    // The demo's province system: a SIMULATOR receiving the webhook of unit
    // 30112's dossier events, printing each delivery. It lives as long as the server.
    let _receiver = if args.demo {
        let sim = motcua_app::sim::webhook_receiver::WebhookReceiverSimulator::start("127.0.0.1:0")
            .await?;
        let (hook, secret) =
            motcua_app::webhooks::subscribe(&store, "30112", &sim.url(), "demo", clock.now())
                .await?;
        sim.set_secret(&secret);
        sim.echo(true);
        println!(
            "Webhook #{}: các bước của hồ sơ đơn vị 30112 được gửi tới {} (SIMULATOR hệ thống của tỉnh, in ra từng lần nhận)",
            hook.id,
            sim.url()
        );
        Some(sim)
    } else {
        None
    };
    // The demo's payment gateway: a SIMULATOR of VNPay for unit 30112,
    // calling this server's IPN. It lives as long as the server.
    let _vnpay = if args.demo {
        let sim = motcua_app::sim::vnpay::VnpaySimulator::start(
            demo::VNPAY_TMN,
            demo::VNPAY_SECRET,
            &format!("http://{addr}/thanh-toan/vnpay/ipn"),
        )
        .await?;
        println!("{}", demo::seed_vnpay(&store, &sim, clock.now()).await?);
        Some(sim)
    } else {
        None
    };
    // The demo's banks: a SIMULATOR of a citizen's banking app (paste a
    // VietQR code's text to transfer) notifying this server as a bank does.
    let _bank = if args.demo {
        let bank = std::sync::Arc::new(motcua_app::sim::bank::BankSimulator::new(
            &format!("http://{addr}/thanh-toan/vietqr/30112/thong-bao"),
            demo::BANK_KEY,
        ));
        let (bank_addr, task) = motcua_app::sim::bank::serve_app(bank.clone()).await?;
        println!(
            "{}",
            demo::seed_vietqr(&store, &bank, &format!("http://{bank_addr}/"), clock.now()).await?
        );
        Some(task)
    } else {
        None
    };
    println!(
        "motcua đang chạy tại http://{addr} (cơ sở dữ liệu: {}, thư mục: {})",
        store.backend_name(),
        settings.data_dir.display()
    );
    let shutdown = Shutdown::new();
    shutdown.on_signals();
    let mut jobs = Jobs::new(shutdown.clone(), clock.clone());
    housekeeping(&mut jobs, &store, &clock);
    let worker = OutboxWorker {
        store: store.clone(),
        clock: clock.clone(),
        webhooks: Arc::new(HttpWebhook::new(config.webhook_timeout)?),
        lease: config.outbox_lease,
        batch: 50,
    };
    jobs.every("outbox", config.outbox_every, move || {
        let w = worker.clone();
        async move {
            // Drain while there is work; the next tick comes back for the rest.
            loop {
                let pass = w.run_once().await.map_err(|e| e.to_string())?;
                if pass.delivered + pass.failed + pass.dead < w.batch as usize {
                    return Ok(());
                }
            }
        }
    });
    let grace = config.shutdown_grace;
    let metrics_listen = config.metrics_listen.clone();
    let state = motcua_web::AppState {
        store,
        clock,
        config: Arc::new(config),
        metrics: Arc::default(),
    };
    if let Some(addr) = metrics_listen {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .with_context(|| format!("cannot listen on {addr} for metrics"))?;
        println!(
            "Số liệu vận hành (metrics) tại http://{}/metrics",
            listener.local_addr()?
        );
        let app = motcua_web::metrics_router(state.clone(), jobs.status());
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let served = motcua_web::serve::run(listener, app, Default::default(), async move {
                stop.wait().await
            })
            .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "metrics listener stopped");
            }
        });
    }
    let stop = shutdown.clone();
    motcua_web::serve(listener, state, async move { stop.wait().await }).await?;
    // The server has drained its requests; the jobs finish their runs.
    jobs.drain(grace).await;
    println!("motcua đã dừng (stopped).");
    Ok(())
}

/// The jobs every server runs: signed checkpoints of the audit chain, and
/// forgetting what must not be kept (drafts, sign-in failures, uploads
/// never attached).
fn housekeeping(jobs: &mut Jobs, store: &Store, clock: &SharedClock) {
    let hour = Duration::from_secs(3600);
    // Sign the chain heads every hour, so a rewrite of history needs the key.
    let (s, c) = (store.clone(), clock.clone());
    jobs.every("audit_checkpoint", hour, move || {
        let (s, c) = (s.clone(), c.clone());
        async move {
            s.audit_checkpoint(c.now())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    });
    // Drafts of online submissions hold personal data: forgotten after a day.
    let (s, c) = (store.clone(), clock.clone());
    jobs.every("purge", hour, move || {
        let (s, c) = (s.clone(), c.clone());
        async move {
            let now = c.now();
            s.purge_drafts(now).await.map_err(|e| e.to_string())?;
            s.purge_sign_in_failures(now)
                .await
                .map_err(|e| e.to_string())?;
            // Uploads never attached within a day go, with their files.
            let r = s.purge_unattached(now).await.map_err(|e| e.to_string())?;
            if r.files > 0 {
                tracing::info!(
                    files = r.files,
                    bytes = r.bytes,
                    "unattached uploads purged"
                );
            }
            Ok(())
        }
    });
    // VNPay orders whose IPN never came are asked for (QueryDR) 15 minutes on.
    let (s, c) = (store.clone(), clock.clone());
    let http = motcua_app::vnpay::http_client();
    jobs.every("vnpay_querydr", Duration::from_secs(300), move || {
        let (s, c, http) = (s.clone(), c.clone(), http.clone());
        async move {
            let n =
                motcua_app::vnpay::query_pending(&s, &http, time::Duration::minutes(15), c.now())
                    .await
                    .map_err(|e| e.to_string())?;
            if n > 0 {
                tracing::info!(orders = n, "VNPay orders settled by querydr");
            }
            // Orders left pending a day past their expiry are closed.
            let closed = s.expire_orders(c.now()).await.map_err(|e| e.to_string())?;
            if closed > 0 {
                tracing::info!(orders = closed, "expired payment orders cancelled");
            }
            Ok(())
        }
    });
    // Unpaid pay-first dossiers stop when their days to pay are over; every
    // quarter of an hour, so a stop is never much later than due.
    let (s, c) = (store.clone(), clock.clone());
    jobs.every("expire_unpaid", Duration::from_secs(900), move || {
        let (s, c) = (s.clone(), c.clone());
        async move {
            let n = s.expire_unpaid(c.now()).await.map_err(|e| e.to_string())?;
            if n > 0 {
                tracing::info!(dossiers = n, "unpaid dossiers stopped");
            }
            Ok(())
        }
    });
}

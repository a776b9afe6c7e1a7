//! `motcua webhook` and `motcua outbox`: the subscriptions of a province's
//! systems to a unit's dossier events, and the effects waiting to go out.

use crate::Settings;
use anyhow::{Result, bail};
use clap::Subcommand;
use time::OffsetDateTime;

#[derive(Subcommand)]
pub enum WebhookCmd {
    /// Subscribe an address to the events of a unit's dossiers; prints the
    /// signing secret once (it is never shown again).
    Add {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        url: String,
        /// Who asks (recorded).
        #[arg(long, default_value = "admin")]
        by: String,
    },
    /// The subscriptions, of one unit or all.
    List {
        #[arg(long)]
        unit: Option<String>,
    },
    /// Stop a subscription.
    Stop { id: i64 },
}

#[derive(Subcommand)]
pub enum IntegrationsCmd {
    /// The systems a unit can connect and their fields.
    Systems,
    /// Set fields of a unit's system: `--field tmn_code=ABC` (repeat);
    /// `--secret hash_secret` reads that secret's value from standard input
    /// (one line), so it stays out of the shell's history.
    Set {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        system: String,
        #[arg(long = "field")]
        fields: Vec<String>,
        #[arg(long)]
        secret: Option<String>,
        #[arg(long, default_value = "admin")]
        by: String,
    },
    /// A unit's settings (secrets only as "đã đặt").
    Show {
        #[arg(long)]
        unit: Option<String>,
    },
    /// Every required field set, every secret opens, every webhook answers.
    Check {
        #[arg(long)]
        unit: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum OutboxCmd {
    /// Entries waiting, dead, and the oldest waiting.
    Status,
    /// Dead entries (every attempt failed), newest first.
    Dead {
        #[arg(long)]
        unit: Option<String>,
    },
    /// Try a dead entry again now.
    Retry { id: i64 },
}

pub async fn webhook(settings: &Settings, cmd: WebhookCmd) -> Result<()> {
    let store = settings.open().await?;
    match cmd {
        WebhookCmd::Add { unit, url, by } => {
            let (hook, secret) = motcua_app::webhooks::subscribe(
                &store,
                &unit,
                &url,
                &by,
                OffsetDateTime::now_utc(),
            )
            .await?;
            println!(
                "Đã đăng ký #{} cho đơn vị {}: {}",
                hook.id, hook.unit_code, hook.url
            );
            println!("Khóa ký (chỉ hiện một lần / shown once): {secret}");
        }
        WebhookCmd::List { unit } => {
            for h in store.webhooks(unit.as_deref()).await? {
                println!(
                    "#{}\t{}\t{}\t{}\t{}",
                    h.id,
                    h.unit_code,
                    if h.active {
                        "đang nhận"
                    } else {
                        "đã dừng"
                    },
                    h.url,
                    crate::vn_time(h.created_at)
                );
            }
        }
        WebhookCmd::Stop { id } => {
            if !store.stop_webhook(id).await? {
                bail!("không có đăng ký #{id} đang nhận (no active subscription #{id})");
            }
            println!("Đã dừng đăng ký #{id}.");
        }
    }
    Ok(())
}

pub async fn outbox(settings: &Settings, cmd: OutboxCmd) -> Result<()> {
    let store = settings.open().await?;
    match cmd {
        OutboxCmd::Status => {
            let d = store.outbox_depth(None).await?;
            println!("đang chờ (pending)\t{}", d.pending);
            println!("hỏng hẳn (dead)\t{}", d.dead);
            if let Some(t) = d.oldest_pending {
                println!("cũ nhất (oldest)\t{}", crate::vn_time(t));
            }
        }
        OutboxCmd::Dead { unit } => {
            for e in store.outbox_dead(unit.as_deref(), 200).await? {
                println!(
                    "#{}\t{}\t{}\t{} lần\t{}\t{}",
                    e.id,
                    e.unit_code,
                    e.kind,
                    e.attempts,
                    e.idempotency_key,
                    e.last_error.unwrap_or_default()
                );
            }
        }
        OutboxCmd::Retry { id } => {
            if !store
                .outbox_retry(id, None, OffsetDateTime::now_utc())
                .await?
            {
                bail!("không có mục hỏng #{id} (no dead entry #{id})");
            }
            println!("Mục #{id} sẽ được gửi lại.");
        }
    }
    Ok(())
}

pub async fn integrations(settings: &Settings, cmd: IntegrationsCmd) -> Result<()> {
    use motcua_domain::integrations::SYSTEMS;
    match cmd {
        IntegrationsCmd::Systems => {
            for s in SYSTEMS {
                println!("{}\t{}", s.code, s.name_vi);
                for f in s.fields {
                    println!(
                        "  {}\t{}{}{}",
                        f.key,
                        f.label_vi,
                        if f.secret { " (bí mật)" } else { "" },
                        if f.required {
                            ""
                        } else {
                            " (không bắt buộc)"
                        }
                    );
                }
            }
        }
        IntegrationsCmd::Set {
            unit,
            system,
            fields,
            secret,
            by,
        } => {
            let store = settings.open().await?;
            let now = OffsetDateTime::now_utc();
            let mut pairs = Vec::new();
            for f in &fields {
                let Some((k, v)) = f.split_once('=') else {
                    bail!("--field cần dạng khoa=gia-tri (key=value): {f}");
                };
                let is_secret = motcua_domain::integrations::system(&system)
                    .and_then(|s| s.field(k))
                    .is_some_and(|f| f.secret);
                if is_secret {
                    bail!(
                        "{k} là khóa bí mật: dùng --secret {k} và nhập giá trị qua đầu vào chuẩn (stdin)"
                    );
                }
                pairs.push((k.trim().to_string(), v.to_string()));
            }
            if let Some(k) = secret {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                pairs.push((
                    k.trim().to_string(),
                    line.trim_end_matches(['\r', '\n']).to_string(),
                ));
            }
            if pairs.is_empty() {
                bail!("không có trường nào để đặt (nothing to set)");
            }
            for (k, v) in &pairs {
                store
                    .set_integration(unit.trim(), &system, k, v, &by, now)
                    .await?;
            }
            println!(
                "Đã lưu {} trường của {system} cho đơn vị {}.",
                pairs.len(),
                unit.trim()
            );
        }
        IntegrationsCmd::Show { unit } => {
            let store = settings.open().await?;
            for s in store.integrations(unit.as_deref()).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{} {}",
                    s.unit_code,
                    s.system,
                    s.key,
                    s.value.as_deref().unwrap_or("••• (đã đặt)"),
                    s.updated_by,
                    crate::vn_time(s.updated_at)
                );
            }
        }
        IntegrationsCmd::Check { unit } => {
            let store = settings.open().await?;
            let http = motcua_app::outbox::HttpWebhook::new(std::time::Duration::from_secs(10))?;
            let clock = motcua_app::clock::system();
            let lines =
                motcua_app::integrations::check(&store, unit.as_deref(), &http, &clock).await?;
            if lines.is_empty() {
                println!("Chưa cấu hình kết nối nào (nothing configured).");
            }
            let mut failed = 0;
            for l in &lines {
                if !l.ok {
                    failed += 1;
                }
                println!(
                    "{}\t{}\t{}\t{}",
                    if l.ok { "ĐẠT" } else { "LỖI" },
                    l.unit_code,
                    l.system,
                    l.message
                );
            }
            if failed > 0 {
                bail!("{failed} kết nối chưa đạt (not all connections pass)");
            }
        }
    }
    Ok(())
}

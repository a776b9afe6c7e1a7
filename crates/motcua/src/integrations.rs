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
            let d = store.outbox_depth().await?;
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

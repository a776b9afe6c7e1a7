//! `motcua bench callbacks`: how many payment confirmations the server
//! handles a second. A unit is connected to a gateway whose secret only
//! this run knows; N certified copies wait for payment, each with an open
//! VNPay order; the benchmark plays VNPay and sends each order's signed IPN
//! over loopback with C clients (each records a payment with its receipt),
//! then every IPN again (each a replay, answered 02 without a write).

use super::client::{Client, Target};
use anyhow::{Context, Result, anyhow};
use motcua_domain::payment::vnpay;
use motcua_store::{Actor, DocumentRef, NewDossier, Store};
use serde_json::json;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

#[derive(clap::Args)]
pub struct CallbacksArgs {
    /// Orders to confirm.
    #[arg(long, default_value_t = 2000)]
    pub count: usize,
    /// Concurrent gateway connections.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// The unit whose dossiers are paid.
    #[arg(long, default_value = "30112")]
    pub unit: String,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One phase: (requests, seconds, answers not as expected, p50 ms, p99 ms).
async fn fire(
    target: &Target,
    paths: &[String],
    clients: usize,
    expect: &str,
) -> (usize, f64, usize, f64, f64) {
    let start = Instant::now();
    let chunks: Vec<Vec<String>> = (0..clients)
        .map(|i| paths.iter().skip(i).step_by(clients).cloned().collect())
        .collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let target = target.clone();
        let expect = expect.to_string();
        tasks.push(tokio::spawn(async move {
            let mut c = Client::new(target);
            let mut lat = Vec::with_capacity(chunk.len());
            let mut wrong = 0;
            for p in chunk {
                let t = Instant::now();
                let ok = match c.get(&p, None).await {
                    Ok(r) => r
                        .json()
                        .and_then(|v| {
                            v.get("RspCode")
                                .and_then(|c| c.as_str())
                                .map(str::to_string)
                        })
                        .is_some_and(|code| code == expect),
                    Err(_) => false,
                };
                lat.push(t.elapsed());
                wrong += usize::from(!ok);
            }
            (lat, wrong)
        }));
    }
    let mut all: Vec<Duration> = Vec::new();
    let mut wrong = 0;
    for t in tasks {
        if let Ok((lat, w)) = t.await {
            all.extend(lat);
            wrong += w;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |q: f64| {
        all.get(((all.len() as f64 * q).ceil() as usize).clamp(1, all.len().max(1)) - 1)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (all.len(), seconds, wrong, pct(0.5), pct(0.99))
}

pub async fn run(store: Store, args: &CallbacksArgs) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    let unit = args.unit.as_str();
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).map_err(|e| anyhow!("no randomness: {e}"))?;
    let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    for (key, value) in [
        ("tmn_code", "BENCH"),
        ("payment_url", "http://127.0.0.1:9/paymentv2/vpcpay.html"),
        (
            "api_url",
            "http://127.0.0.1:9/merchant_webapi/api/transaction",
        ),
        ("hash_secret", secret.as_str()),
    ] {
        store
            .set_integration(unit, "vnpay", key, value, "bench", now)
            .await?;
    }
    // A generated receptionist who never signs in (no usable password).
    let name = format!("{}callbacks.{unit}", super::BENCH_PREFIX);
    if store.user_by_username(&name).await?.is_none() {
        store
            .create_user(
                &motcua_store::NewUser {
                    username: name.clone(),
                    full_name: "Cán bộ tiếp nhận (bench)".into(),
                    password_hash: "!".into(),
                    roles: vec![motcua_domain::lifecycle::Role::Receptionist],
                    units: vec![unit.to_string()],
                    province_code: None,
                },
                now,
            )
            .await?;
    }
    let receptionist = store
        .user_by_username(&name)
        .await?
        .context("no bench receptionist")?;
    eprintln!("preparing {} orders…", args.count);
    let mut paths = Vec::with_capacity(args.count);
    for i in 0..args.count {
        let rec = store
            .create_dossier(
                NewDossier {
                    unit_code: unit.to_string(),
                    procedure_code: "CT-BSBC".into(),
                    channel: motcua_domain::lifecycle::Channel::Counter,
                    applicant: motcua_domain::dossier::ApplicantInput {
                        full_name: "Người Nộp Thử".into(),
                        id_number: "087188001234".into(),
                        date_of_birth: "1988-04-12".into(),
                        phone: "0912345678".into(),
                        email: None,
                        address: format!("Số {i}, ấp 2"),
                    },
                    fields: json!({}),
                    documents: vec![DocumentRef {
                        code: "ban-chinh".into(),
                        upload_id: None,
                        paper: true,
                    }],
                },
                &Actor::Staff(receptionist.clone()),
                now,
            )
            .await?;
        let order = store
            .open_payment_order(&rec.row.code, "vnpay", now)
            .await?;
        let mut p: Vec<(String, String)> = [
            (
                "vnp_Amount",
                (u128::from(order.amount_vnd) * 100).to_string(),
            ),
            ("vnp_BankCode", "NCB".to_string()),
            ("vnp_OrderInfo", "Thanh toan".to_string()),
            ("vnp_PayDate", "20261208093000".to_string()),
            ("vnp_ResponseCode", "00".to_string()),
            ("vnp_TmnCode", "BENCH".to_string()),
            ("vnp_TransactionNo", format!("{}", 30_000_000 + i)),
            ("vnp_TransactionStatus", "00".to_string()),
            ("vnp_TxnRef", order.reference.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let hash = vnpay::sign(&secret, &p);
        p.push(("vnp_SecureHash".into(), hash));
        let query: Vec<String> = p
            .iter()
            .map(|(k, v)| format!("{}={}", vnpay::form_encode(k), vnpay::form_encode(v)))
            .collect();
        paths.push(format!("/thanh-toan/vnpay/ipn?{}", query.join("&")));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(motcua_web::serve(
        listener,
        motcua_web::AppState::new(store.clone()),
        async {
            let _ = stopped.await;
        },
    ));
    let target = Target {
        addr,
        host: addr.to_string(),
    };
    let first = fire(&target, &paths, args.clients, "00").await;
    let replay = fire(&target, &paths, args.clients, "02").await;
    let _ = stop.send(());
    let _ = server.await;
    let line = |name: &str, (n, s, wrong, p50, p99): (usize, f64, usize, f64, f64)| {
        json!({
            "name": name, "count": n, "seconds": (s * 1000.0).round() / 1000.0,
            "per_second": ((n as f64 / s.max(1e-9)) * 10.0).round() / 10.0,
            "unexpected": wrong, "p50_ms": (p50 * 1000.0).round() / 1000.0,
            "p99_ms": (p99 * 1000.0).round() / 1000.0,
        })
    };
    let out = json!({
        "backend": store.backend_name(),
        "clients": args.clients,
        "phases": [line("IPN confirmed (payment + receipt written)", first), line("IPN replayed (answered 02)", replay)],
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for p in out["phases"].as_array().into_iter().flatten() {
            println!(
                "{}: {} in {} s = {}/s, p50 {} ms, p99 {} ms, unexpected answers {}",
                p["name"],
                p["count"],
                p["seconds"],
                p["per_second"],
                p["p50_ms"],
                p["p99_ms"],
                p["unexpected"]
            );
        }
    }
    Ok(())
}

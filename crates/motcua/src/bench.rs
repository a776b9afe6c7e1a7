//! `motcua bench`: a synthetic province (`generate`) and a bounded load on
//! the real HTTP server over loopback (`run`). The figures go to
//! BENCHMARKS.md; nothing here is a test, and nothing asserts on time.

mod callbacks;
mod client;
mod generate;
mod run;

use anyhow::{Context, Result};
use clap::Subcommand;
use motcua_domain::lifecycle::Role;
use motcua_store::{NewUser, Store};
use time::OffsetDateTime;

pub use generate::GenerateArgs;
pub use run::RunArgs;

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Load N synthetic dossiers of a province (real units and catalog), deterministic from --seed.
    Generate(GenerateArgs),
    /// Start the server in-process and measure intake, transitions, lookups and work lists.
    Run(RunArgs),
    /// Start the server in-process and measure VNPay payment confirmations (IPN) a second.
    Callbacks(callbacks::CallbacksArgs),
}

pub async fn main(store: Store, cmd: BenchCmd) -> Result<()> {
    match cmd {
        BenchCmd::Generate(args) => generate::generate(&store, &args).await.map(|_| ()),
        BenchCmd::Run(args) => run::run(store, &args).await,
        BenchCmd::Callbacks(args) => callbacks::run(store, &args).await,
    }
}

/// Generated staff accounts start with this; none of them is a real person.
pub const BENCH_PREFIX: &str = motcua_store::GENERATED_PREFIX;

/// A random password for the generated accounts (never written in the
/// source) and its Argon2id hash, made once.
pub fn new_password() -> Result<(String, String)> {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let password: String = b.iter().map(|x| format!("{x:02x}")).collect();
    let hash = motcua_app::credentials::hash_password(&password)
        .context("cannot hash the bench password")?;
    Ok((password, hash))
}

/// SplitMix64: tiny, fast, and good enough for synthetic data; every stream
/// is derived from the seed so the output does not depend on thread layout.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64, index: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.0 ^= r
            .next_u64()
            .wrapping_add(index.wrapping_mul(0xE703_7ED1_A0B4_28DB));
        r.next_u64();
        r
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }
    /// Uniform in [lo, hi].
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo).max(0) as u64 + 1) as i64
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Generated staff of one unit.
#[derive(Debug, Clone)]
pub struct UnitStaff {
    pub receptionists: Vec<String>,
    pub specialists: Vec<String>,
    pub leaders: Vec<String>,
}

impl UnitStaff {
    pub fn of(unit: &str) -> Self {
        let names = |role: &str, n: usize| -> Vec<String> {
            (1..=n).map(|i| format!("bench.{role}{i}.{unit}")).collect()
        };
        UnitStaff {
            receptionists: names("tiepnhan", 2),
            specialists: names("chuyenvien", 3),
            leaders: names("lanhdao", 1),
        }
    }
}

pub fn supervisor_name(province: &str) -> String {
    format!("bench.giamsat.{province}")
}

/// Create the generated staff accounts that are missing, with the password
/// hash `hash`. Returns how many were created.
pub async fn ensure_staff(
    store: &Store,
    province: &str,
    units: &[String],
    hash: &str,
) -> Result<usize> {
    let sup = supervisor_name(province);
    let mut missing: Vec<(String, Role, Vec<String>, Option<String>)> = Vec::new();
    if store.user_by_username(&sup).await?.is_none() {
        missing.push((
            sup,
            Role::ProvinceSupervisor,
            Vec::new(),
            Some(province.into()),
        ));
    }
    for unit in units {
        let staff = UnitStaff::of(unit);
        // Accounts of a unit are created together: the first tells.
        if store
            .user_by_username(&staff.receptionists[0])
            .await?
            .is_some()
        {
            continue;
        }
        for (names, role) in [
            (&staff.receptionists, Role::Receptionist),
            (&staff.specialists, Role::Specialist),
            (&staff.leaders, Role::Leader),
        ] {
            for n in names {
                missing.push((n.clone(), role, vec![unit.clone()], None));
            }
        }
    }
    if missing.is_empty() {
        return Ok(0);
    }
    let created = missing.len();
    let now = OffsetDateTime::now_utc();
    for (username, role, units, province_code) in missing {
        let new = NewUser {
            full_name: format!("{} (bench)", role.label_vi()),
            username,
            password_hash: hash.to_string(),
            roles: vec![role],
            units,
            province_code,
        };
        store.create_user(&new, now).await?;
    }
    Ok(created)
}

/// A tiny valid one-page PDF saying what it is: generated documents point to
/// such placeholders, so a document opened from a bench database is honest.
pub fn placeholder_pdf(text: &str) -> Vec<u8> {
    use std::fmt::Write;
    // Type1 Helvetica: ASCII only, and no characters that end a PDF string.
    let text: String = text
        .chars()
        .filter(|c| c.is_ascii() && !matches!(c, '(' | ')' | '\\'))
        .collect();
    let content = format!("BT /F1 11 Tf 48 780 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(tail, "{off:010} 00000 n ");
    }
    let _ = write!(
        tail,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    pdf.extend_from_slice(tail.as_bytes());
    pdf
}

/// "1.234.567": Vietnamese thousands separators, for people reading the output.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_streams_are_deterministic_and_distinct() {
        let a: Vec<u64> = (0..4).map(|i| Rng::new(7, 1, i).next_u64()).collect();
        let b: Vec<u64> = (0..4).map(|i| Rng::new(7, 1, i).next_u64()).collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
        assert_ne!(Rng::new(7, 2, 0).next_u64(), a[0]);
        let mut r = Rng::new(1, 0, 0);
        assert!((0..1000).all(|_| (3..=5).contains(&r.range(3, 5))));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1.000");
        assert_eq!(thousands(10_000_000), "10.000.000");
    }
}

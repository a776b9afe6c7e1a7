//! Guards of the workspace itself: the Rust version it declares is one
//! every crate it depends on builds with.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use serde_json::Value;

/// "1.94" and "1.94.0" alike.
fn version(s: &str) -> Vec<u64> {
    let mut v: Vec<u64> = s.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    v.resize(3, 0);
    v
}

#[test]
fn the_declared_rust_version_builds_every_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let packages = meta["packages"].as_array().expect("packages");
    let mut declared = None;
    let mut needed = (vec![0], String::new());
    for p in packages {
        let id = p["id"].as_str().unwrap_or("");
        let rv = p["rust_version"].as_str();
        if members.contains(&id) {
            let rv = rv.unwrap_or_else(|| panic!("{} declares no rust-version", p["name"]));
            match &declared {
                None => declared = Some(rv.to_string()),
                Some(d) => assert_eq!(d, rv, "{} declares another rust-version", p["name"]),
            }
        } else if let Some(rv) = rv
            && version(rv) > needed.0
        {
            needed = (version(rv), format!("{} {rv}", p["name"]));
        }
    }
    let declared = declared.expect("a workspace member");
    assert!(
        version(&declared) >= needed.0,
        "rust-version {declared} is older than what {} needs",
        needed.1
    );
}

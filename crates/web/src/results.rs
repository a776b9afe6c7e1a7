//! Electronic results as the web shows them; the use cases (certificates,
//! signing, verifying) are `motcua_app::signing`.

use motcua_signing::Report;

/// The verdict's words and whether the public may see this result's file.
pub fn verdict_json(r: &Report) -> serde_json::Value {
    serde_json::json!({
        "valid": r.verdict.is_valid(),
        "verdict": r.verdict.code(),
        "message": r.verdict.message(),
        "sha256": r.sha256,
        "signatures": r.signatures,
        "signer": r.signer.as_ref().map(|s| serde_json::json!({
            "name": s.name,
            "username": s.username,
            "unit_name": s.unit_name,
            "unit_code": s.unit_code,
            "serial": s.serial,
        })),
        "signed_at": r.signed_at.map(crate::view::instant),
    })
}

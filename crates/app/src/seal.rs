//! The unit's organisation ("seal") certificate: forms sent electronically
//! to an online applicant carry the organisation's digital signature, as a
//! printed form carries the seal (Circular 01/2018 forms; LAW.md). Printed
//! forms are not signed.

use crate::signing::{internal, secret, sign_problem};
use motcua_documents::Form;
use motcua_domain::Problem;
use motcua_signing::sign::{SignRequest, sign_pdf};
use motcua_signing::{SignError, ca, keys};
use motcua_store::signing::SigningCert;
use motcua_store::{Result, Store};
use time::OffsetDateTime;

/// The forms an online applicant receives electronically, in the order they
/// are listed; the control sheet (Mẫu 05) stays internal, and a counter
/// applicant gets the stamped paper in hand.
pub fn sent_to_applicant(channel: &str, events: &[motcua_domain::dossier::Event]) -> Vec<Form> {
    if channel != motcua_domain::lifecycle::Channel::Online.as_str() {
        return Vec::new();
    }
    [
        Form::Receipt,
        Form::SupplementRequest,
        Form::Refusal,
        Form::Apology,
    ]
    .into_iter()
    .filter(|f| f.applies_to(events))
    .collect()
}

/// What the organisation certificate says it is.
pub fn organisation_name(unit_name: &str) -> String {
    format!("Trung tâm Phục vụ hành chính công {unit_name}")
}

/// Issue the unit's organisation certificate, from its CA.
pub async fn issue_organisation(
    store: &Store,
    unit: &str,
    by: &str,
    not_before: OffsetDateTime,
    days: u32,
) -> Result<SigningCert> {
    let unit = unit.trim();
    let unit_row = store.unit(unit).await?.ok_or_else(|| {
        Problem::invalid(
            "unknown_unit",
            "unit",
            format!("Không có đơn vị hành chính mã \"{unit}\""),
        )
    })?;
    let ca_row = store.signing().unit_ca(unit).await?.ok_or_else(|| {
        Problem::conflict(
            "no_unit_ca",
            format!("Đơn vị {unit} chưa có tổ chức chứng thực: chạy `motcua signing ca --unit {unit}` trước"),
        )
    })?;
    let secret = secret(store)?;
    let ca_key = keys::open(&ca_row.sealed_key, &secret).map_err(sign_problem)?;
    // The organisational unit names what holds it: the center, not a person.
    let issued = ca::issue(
        &ca_key,
        &ca_row.cert_der,
        &organisation_name(&unit_row.name),
        &format!("to-chuc-{unit}"),
        None,
        not_before,
        days,
    )
    .map_err(internal)?;
    crate::signing::keep(store, issued, &secret, unit, None, by, not_before).await
}

/// The organisation certificate in force for `unit` at `now`, if any.
pub async fn organisation_cert(
    store: &Store,
    unit: &str,
    now: OffsetDateTime,
) -> Result<Option<SigningCert>> {
    Ok(store
        .signing()
        .certs(Some(unit))
        .await?
        .into_iter()
        .filter(|c| {
            !c.is_ca
                && c.username.is_none()
                && c.revoked_at.is_none()
                && c.not_before <= now
                && now <= c.not_after
        })
        .max_by_key(|c| c.issued_at))
}

/// Sign a rendered form for sending to the applicant, with the unit's
/// organisation certificate. None when the unit has none in force (the form
/// then goes unsigned and the page says so).
pub async fn seal_form(
    store: &Store,
    unit: &str,
    form: Form,
    pdf: Vec<u8>,
    now: OffsetDateTime,
) -> Result<Option<Vec<u8>>> {
    let Some(cert) = organisation_cert(store, unit, now).await? else {
        return Ok(None);
    };
    let Some(ca_row) = store.signing().unit_ca(unit).await? else {
        return Ok(None);
    };
    let unit_name = store.unit(unit).await?.map(|u| u.name).unwrap_or_default();
    let secret = secret(store)?;
    let signer = organisation_name(&unit_name);
    let signed = tokio::task::spawn_blocking(move || -> std::result::Result<Vec<u8>, SignError> {
        let key = keys::open(&cert.sealed_key, &secret)?;
        sign_pdf(
            &pdf,
            &SignRequest {
                key: &key,
                cert_der: &cert.cert_der,
                ca_cert_der: &ca_row.cert_der,
                signer_name: &signer,
                reason: form.title_vi(),
                location: &unit_name,
                at: now,
            },
        )
    })
    .await
    .map_err(internal)?
    .map_err(sign_problem)?;
    Ok(Some(signed))
}

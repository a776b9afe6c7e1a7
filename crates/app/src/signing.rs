//! Electronic results: the unit CAs and signer certificates (set up from the
//! command line), signing a dossier's result with the leader's key, and
//! verifying a file against the certificates the system issued. The pages,
//! the API, the command line and the demo all go through here.

use motcua_domain::lifecycle::ResultAction;
use motcua_domain::{Problem, ProblemKind};
use motcua_signing::sign::{SignRequest, sign_pdf};
use motcua_signing::{KnownCert, Report, Secret, SignError, ca, keys, stamp};
use motcua_store::signing::{NewCert, ResultDoc, Signature, SigningCert, check_result_action};
use motcua_store::{Store, StoreError, User};
use time::OffsetDateTime;

type Result<T> = std::result::Result<T, StoreError>;

/// Years a unit CA is valid; days a signer certificate is valid.
pub const CA_YEARS: u16 = 10;
pub const SIGNER_DAYS: u32 = 2 * 365;

pub(crate) fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Config(e.to_string())
}

/// A PDF or key problem as the user sees it.
pub(crate) fn sign_problem(e: SignError) -> StoreError {
    match e {
        SignError::Pdf(_) | SignError::XrefStream => {
            Problem::invalid("bad_pdf", "file", e.to_string()).into()
        }
        SignError::WrongSecret => Problem::conflict(
            "signing_key_locked",
            "Không mở được khóa ký: tệp signing.key trong thư mục dữ liệu không khớp (wrong secret)",
        )
        .into(),
        other => internal(other),
    }
}

/// The secret that seals the keys, from the store's data folder.
pub fn secret(store: &Store) -> Result<Secret> {
    let path = store.signing_key_file.as_ref().ok_or_else(|| {
        StoreError::from(Problem::conflict(
            "signing_not_configured",
            "Máy chủ chưa được cấu hình để ký số (signing not configured)",
        ))
    })?;
    Secret::load_or_create(path).map_err(internal)
}

/// Create the unit's CA (one in force per unit).
pub async fn create_ca(
    store: &Store,
    unit: &str,
    by: &str,
    now: OffsetDateTime,
) -> Result<SigningCert> {
    let u = store.unit(unit.trim()).await?.ok_or_else(|| {
        Problem::invalid(
            "unknown_unit",
            "unit",
            format!("Không có đơn vị mã \"{unit}\""),
        )
    })?;
    if store.signing().unit_ca(&u.code).await?.is_some() {
        return Err(Problem::conflict(
            "ca_exists",
            format!(
                "Đơn vị {} đã có tổ chức chứng thực đang hoạt động; thu hồi nó trước khi tạo mới",
                u.code
            ),
        )
        .into());
    }
    let secret = secret(store)?;
    let issued = ca::new_ca(&u.code, &u.name, now, CA_YEARS).map_err(internal)?;
    keep(store, issued, &secret, &u.code, None, by, now).await
}

/// Issue a signer certificate to a leader of the unit, valid from `not_before`.
pub async fn issue(
    store: &Store,
    unit: &str,
    username: &str,
    by: &str,
    title: Option<&str>,
    not_before: OffsetDateTime,
    days: u32,
) -> Result<SigningCert> {
    let unit = unit.trim();
    let user = store
        .user_by_username(username.trim())
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| {
            Problem::invalid(
                "unknown_user",
                "user",
                format!("Không có tài khoản \"{username}\" đang hoạt động"),
            )
        })?;
    let signs = motcua_domain::lifecycle::result_roles(ResultAction::Sign)
        .iter()
        .any(|r| user.has_role(*r));
    if !signs || !user.units.iter().any(|u| u == unit) {
        return Err(Problem::invalid(
            "not_a_leader",
            "user",
            format!("\"{}\" không phải lãnh đạo của đơn vị {unit}: chỉ lãnh đạo đơn vị được cấp chứng thư ký", user.username),
        )
        .into());
    }
    let ca_row = store.signing().unit_ca(unit).await?.ok_or_else(|| {
        Problem::conflict(
            "no_unit_ca",
            format!("Đơn vị {unit} chưa có tổ chức chứng thực: chạy `motcua signing ca --unit {unit}` trước"),
        )
    })?;
    let secret = secret(store)?;
    let ca_key = keys::open(&ca_row.sealed_key, &secret).map_err(sign_problem)?;
    let issued = ca::issue(
        &ca_key,
        &ca_row.cert_der,
        &user.full_name,
        &user.username,
        title,
        not_before,
        days,
    )
    .map_err(internal)?;
    keep(
        store,
        issued,
        &secret,
        unit,
        Some(user.username),
        by,
        not_before,
    )
    .await
}

/// Seal a freshly issued key under the signing secret and keep the
/// certificate; `holder` is the leader's username (None: a CA or the
/// organisation).
pub(crate) async fn keep(
    store: &Store,
    issued: ca::Issued,
    secret: &Secret,
    unit: &str,
    holder: Option<String>,
    by: &str,
    at: OffsetDateTime,
) -> Result<SigningCert> {
    let sealed = keys::seal(&issued.key, secret).map_err(internal)?;
    let new = NewCert {
        serial: issued.serial.clone(),
        unit_code: unit.to_string(),
        is_ca: issued.info.is_ca,
        username: holder,
        subject: issued.info.subject.clone(),
        not_before: issued.info.not_before,
        not_after: issued.info.not_after,
        cert_der: issued.cert_der,
        sealed_key: sealed,
    };
    store.signing().add_cert(&new, by, at).await?;
    store
        .signing()
        .cert(&issued.serial)
        .await?
        .ok_or_else(|| internal("certificate vanished"))
}

/// Every certificate the system issued, for verification.
pub async fn known(store: &Store) -> Result<Vec<KnownCert>> {
    Ok(store
        .signing()
        .certs(None)
        .await?
        .into_iter()
        .map(|c| KnownCert {
            serial: c.serial,
            unit_code: c.unit_code,
            cert_der: c.cert_der,
            is_ca: c.is_ca,
            revoked_at: c.revoked_at,
            revoke_reason: c.revoke_reason,
        })
        .collect())
}

/// Verify a file against the certificates the system issued.
pub async fn verify(store: &Store, bytes: &[u8], now: OffsetDateTime) -> Result<Report> {
    let known = known(store).await?;
    Ok(motcua_signing::verify::verify_pdf(bytes, &known, now))
}

fn public_id() -> Result<String> {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).map_err(internal)?;
    Ok(motcua_store::hex(&b))
}

/// The leader signs the dossier's attached result: a verification stamp (QR
/// to `{base_url}/xac-minh/{id}`) is drawn on the last page, then the file is
/// signed with the leader's key; the signed PDF is kept and the signing
/// recorded (who, when, which certificate).
pub async fn sign_result(
    store: &Store,
    code: &str,
    user: &User,
    base_url: &str,
    now: OffsetDateTime,
) -> Result<ResultDoc> {
    let (result, sig) = make_signature(store, code, user, base_url, now).await?;
    store
        .signing()
        .record_signature(&result, &sig, user, now)
        .await
}

/// "Ký và phê duyệt": sign the attached result with the leader's key and
/// approve, the signature and the approval event in one transaction. When
/// signing fails nothing is approved; when the approval is refused (a stale
/// page, another leader first) the signature is not kept.
pub async fn sign_and_approve(
    store: &Store,
    code: &str,
    req: &motcua_store::ActionRequest,
    user: &User,
    base_url: &str,
    now: OffsetDateTime,
) -> Result<motcua_store::DossierRecord> {
    let (result, signature) = make_signature(store, code, user, base_url, now).await?;
    let signed = motcua_store::signing::SignedResult {
        dossier_id: result.dossier_id,
        original_sha256: result.original_sha256.clone(),
        signature,
        by: user.username.clone(),
    };
    store
        .act_signed(
            code,
            req,
            &motcua_store::Actor::Staff(user.clone()),
            now,
            signed,
        )
        .await
}

/// Whether `user` can sign the result of `row` now: an electronic result
/// (`result`, as the caller read it) is attached and unsigned, and they hold
/// a certificate in force. What the approval card offers ("Ký và phê duyệt"
/// or plain "Phê duyệt").
pub async fn can_sign(
    store: &Store,
    row: &motcua_store::DossierRow,
    result: Option<&ResultDoc>,
    user: &User,
    now: OffsetDateTime,
) -> Result<bool> {
    if check_result_action(user, ResultAction::Sign, &row.unit_code, &row.status, None).is_err()
        || result.is_none_or(|r| r.signed_at.is_some())
    {
        return Ok(false);
    }
    Ok(store
        .signing()
        .signer_cert(&row.unit_code, &user.username, now)
        .await?
        .is_some())
}

async fn make_signature(
    store: &Store,
    code: &str,
    user: &User,
    base_url: &str,
    now: OffsetDateTime,
) -> Result<(ResultDoc, Signature)> {
    let not_found = || {
        StoreError::from(Problem::not_found(
            "dossier_not_found",
            "Không tìm thấy hồ sơ",
        ))
    };
    let row = store
        .dossier_row(code.trim())
        .await?
        .filter(|r| user.reads_dossiers_of(&r.unit_code))
        .ok_or_else(not_found)?;
    check_result_action(user, ResultAction::Sign, &row.unit_code, &row.status, None)?;
    let result = store.signing().result(&row.code).await?.ok_or_else(|| {
        Problem::conflict(
            "no_result",
            "Chưa có văn bản kết quả để ký: chuyên viên cần đính kèm trước",
        )
    })?;
    if result.signed_at.is_some() {
        return Err(
            Problem::conflict("result_already_signed", "Văn bản kết quả đã được ký số").into(),
        );
    }
    let cert = store
        .signing()
        .signer_cert(&row.unit_code, &user.username, now)
        .await?
        .ok_or_else(|| {
            Problem::new(
                ProblemKind::Conflict,
                "no_signing_certificate",
                "Bạn chưa có chứng thư số còn hiệu lực của đơn vị; quản trị cấp bằng `motcua signing issue`",
            )
        })?;
    let ca_row = store
        .signing()
        .unit_ca(&row.unit_code)
        .await?
        .ok_or_else(|| {
            Problem::conflict(
                "no_unit_ca",
                "Đơn vị chưa có tổ chức chứng thực đang hoạt động",
            )
        })?;
    let secret = secret(store)?;
    let original = store
        .blobs()
        .get(&result.original_sha256)
        .await
        .map_err(StoreError::from)?;
    let unit_name = store
        .unit(&row.unit_code)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let id = public_id()?;
    let url = format!("{}/xac-minh/{id}", base_url.trim_end_matches('/'));
    let sealed = cert.sealed_key.clone();
    let (cert_der, ca_der) = (cert.cert_der.clone(), ca_row.cert_der.clone());
    let signer_name = user.full_name.clone();
    // The stamp names the signer and their title as the certificate holds it.
    let title = ca::parse(&cert.cert_der)
        .map(|i| i.title)
        .unwrap_or_default();
    let signer_line = if title.is_empty() {
        format!("Người ký: {signer_name}")
    } else {
        format!("Người ký: {signer_name}, {title}")
    };
    let lines = [
        format!("Văn bản điện tử đã ký số – {unit_name}"),
        signer_line,
        format!(
            "Hồ sơ {} · ký lúc {}",
            row.code,
            motcua_domain::calendar::format_vn(now)
        ),
        "Xác minh tính xác thực tại:".to_string(),
    ];
    let signed = tokio::task::spawn_blocking(move || -> std::result::Result<Vec<u8>, SignError> {
        let key = keys::open(&sealed, &secret)?;
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let stamped = stamp::stamp(&original, &url, &refs)?;
        sign_pdf(
            &stamped,
            &SignRequest {
                key: &key,
                cert_der: &cert_der,
                ca_cert_der: &ca_der,
                signer_name: &signer_name,
                reason: "Phê duyệt kết quả giải quyết thủ tục hành chính",
                location: &unit_name,
                at: now,
            },
        )
    })
    .await
    .map_err(internal)?
    .map_err(sign_problem)?;
    let sha = store.blobs().put(&signed).await?;
    let sig = Signature {
        public_id: id,
        signed_sha256: sha,
        signed_size: signed.len() as i64,
        cert_serial: cert.serial.clone(),
        signer_name: user.full_name.clone(),
    };
    Ok((result, sig))
}

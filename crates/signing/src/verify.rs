//! Verifying a signed PDF offline: every `/ByteRange` signature is checked
//! for coverage (the whole file but its own `/Contents`), digest, CMS
//! signature, chain to a unit CA the system knows, validity at signing time
//! and revocation. The first problem found is the verdict, in plain words.

use crate::pdf::Lexer;
use crate::sign::{ATTR_MESSAGE_DIGEST, ATTR_SIGNING_TIME, ID_SHA256, ID_SIGNED_DATA};
use crate::{ca, sha256_hex};
use cms::cert::CertificateChoices;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{OctetString, UtcTime};
use der::{Decode, Encode};

use p256::ecdsa::DerSignature;
use p256::ecdsa::signature::Verifier;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::Certificate;

/// A certificate the system issued (from the database).
#[derive(Debug, Clone)]
pub struct KnownCert {
    pub serial: String,
    pub unit_code: String,
    pub cert_der: Vec<u8>,
    pub is_ca: bool,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoke_reason: Option<String>,
}

/// What the verification concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    NoSignature,
    Malformed(String),
    /// The signed bytes differ from what was signed.
    Modified,
    /// The signature value or the signature container was altered.
    BadSignature,
    /// Bytes were added after the last signature.
    Appended,
    UnknownIssuer,
    Revoked {
        at: OffsetDateTime,
        reason: String,
    },
    Expired {
        not_after: OffsetDateTime,
    },
    NotYetValid {
        not_before: OffsetDateTime,
    },
}

fn vn(t: OffsetDateTime) -> String {
    let t = t.to_offset(motcua_domain::calendar::VN_OFFSET);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}

impl Verdict {
    pub fn is_valid(&self) -> bool {
        *self == Verdict::Valid
    }

    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::NoSignature => "no_signature",
            Verdict::Malformed(_) => "malformed_signature",
            Verdict::Modified => "modified",
            Verdict::BadSignature => "bad_signature",
            Verdict::Appended => "appended",
            Verdict::UnknownIssuer => "unknown_issuer",
            Verdict::Revoked { .. } => "revoked",
            Verdict::Expired { .. } => "expired",
            Verdict::NotYetValid { .. } => "not_yet_valid",
        }
    }

    /// The verdict in Vietnamese, then English.
    pub fn message(&self) -> String {
        match self {
            Verdict::Valid => "hợp lệ (valid)".into(),
            Verdict::NoSignature => "tệp không có chữ ký số (no signature)".into(),
            Verdict::Malformed(why) => {
                format!("chữ ký số không đọc được: {why} (malformed signature)")
            }
            Verdict::Modified => "tệp đã bị sửa đổi sau khi ký (modified after signing)".into(),
            Verdict::BadSignature => {
                "chữ ký số không hợp lệ: tệp đã bị sửa đổi sau khi ký (invalid signature)".into()
            }
            Verdict::Appended => {
                "tệp có dữ liệu được thêm vào sau khi ký (bytes appended after the signature)"
                    .into()
            }
            Verdict::UnknownIssuer => {
                "chứng thư không do đơn vị nào trên hệ thống cấp (unknown issuer)".into()
            }
            Verdict::Revoked { at, reason } => format!(
                "chứng thư đã bị thu hồi ngày {}, lý do: {reason} (certificate revoked)",
                vn(*at)
            ),
            Verdict::Expired { not_after } => format!(
                "chứng thư hết hạn ngày {} trước thời điểm ký (certificate expired)",
                vn(*not_after)
            ),
            Verdict::NotYetValid { not_before } => format!(
                "chứng thư chưa có hiệu lực tại thời điểm ký (hiệu lực từ {}) (not yet valid)",
                vn(*not_before)
            ),
        }
    }
}

/// The signer as the certificate names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub name: String,
    pub username: String,
    pub unit_name: String,
    /// The unit whose CA issued the certificate, when known.
    pub unit_code: Option<String>,
    pub serial: String,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub verdict: Verdict,
    /// SHA-256 of the whole file.
    pub sha256: String,
    pub signatures: usize,
    pub signer: Option<Signer>,
    pub signed_at: Option<OffsetDateTime>,
}

struct Found {
    ranges: [usize; 4],
}

fn find_signatures(data: &[u8]) -> Vec<Result<Found, String>> {
    let needle = b"/ByteRange";
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = data[i..].windows(needle.len()).position(|w| w == needle) {
        let at = i + p + needle.len();
        i = at;
        let mut lx = Lexer::new(data, at);
        let parsed = match lx.object() {
            Ok(crate::pdf::Obj::Array(a)) if a.len() == 4 => {
                let nums: Vec<usize> = a
                    .iter()
                    .filter_map(|o| match o {
                        crate::pdf::Obj::Int(n) => usize::try_from(*n).ok(),
                        _ => None,
                    })
                    .collect();
                match nums[..] {
                    [a, b, c, d] => Ok(Found {
                        ranges: [a, b, c, d],
                    }),
                    _ => Err("ByteRange phải gồm 4 số không âm".to_string()),
                }
            }
            _ => Err("ByteRange không hợp lệ".to_string()),
        };
        out.push(parsed);
    }
    out
}

struct Checked {
    verdict: Verdict,
    signer: Option<Signer>,
    signed_at: Option<OffsetDateTime>,
    end: usize,
}

fn malformed(why: &str) -> Checked {
    Checked {
        verdict: Verdict::Malformed(why.into()),
        signer: None,
        signed_at: None,
        end: 0,
    }
}

fn check_one(data: &[u8], f: &Found, known: &[KnownCert], now: OffsetDateTime) -> Checked {
    let [a, b, c, d] = f.ranges;
    let Some(end) = c.checked_add(d) else {
        return malformed("ByteRange vượt quá tệp");
    };
    if a != 0 || b >= c || end > data.len() || c - b < 2 {
        return malformed("ByteRange không bao trọn tệp");
    }
    let gap = &data[b..c];
    if gap[0] != b'<' || gap[gap.len() - 1] != b'>' {
        return Checked {
            verdict: Verdict::BadSignature,
            signer: None,
            signed_at: None,
            end,
        };
    }
    let hexdigits = &gap[1..gap.len() - 1];
    if hexdigits.len() % 2 == 1 || !hexdigits.iter().all(u8::is_ascii_hexdigit) {
        return Checked {
            verdict: Verdict::BadSignature,
            signer: None,
            signed_at: None,
            end,
        };
    }
    let bytes: Vec<u8> = hexdigits
        .chunks(2)
        .map(|p| {
            let v = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            (v(p[0]) << 4) | v(p[1])
        })
        .collect();
    let mut checked = verify_cms(&bytes, &data[..b], &data[c..end], known, now);
    checked.end = end;
    checked
}

fn verify_cms(
    bytes: &[u8],
    part1: &[u8],
    part2: &[u8],
    known: &[KnownCert],
    now: OffsetDateTime,
) -> Checked {
    let bad = |v: Verdict| Checked {
        verdict: v,
        signer: None,
        signed_at: None,
        end: 0,
    };
    // The reserved space is padded with zeros after the DER; anything else
    // there means the container was altered.
    let len = match der::SliceReader::new(bytes)
        .ok()
        .and_then(|mut r| der::Header::decode(&mut r).ok())
        .and_then(|h| h.encoded_len().ok().map(|hl| (h, hl)))
        .and_then(|(h, hl)| (hl + h.length).ok())
        .and_then(|l| usize::try_from(l).ok())
    {
        Some(l) if l <= bytes.len() => l,
        _ => return bad(Verdict::BadSignature),
    };
    if bytes[len..].iter().any(|b| *b != 0) {
        return bad(Verdict::BadSignature);
    }
    let Ok(info) = ContentInfo::from_der(&bytes[..len]) else {
        return bad(Verdict::BadSignature);
    };
    if info.content_type != ID_SIGNED_DATA {
        return bad(Verdict::Malformed("không phải CMS SignedData".into()));
    }
    let Ok(sd) = info.content.decode_as::<SignedData>() else {
        return bad(Verdict::BadSignature);
    };
    // Parts of a CMS structure are outside the signature (version numbers,
    // the digest algorithm list, the certificate set); what this system
    // writes is exact, so anything else means the container was altered.
    let canonical = info.to_der().ok().is_some_and(|d| d == bytes[..len]);
    let digest_algs: Vec<_> = sd.digest_algorithms.iter().map(|a| a.oid).collect();
    if !canonical
        || sd.version != CmsVersion::V1
        || digest_algs != [ID_SHA256]
        || sd.encap_content_info.econtent_type != crate::sign::ID_DATA
        || sd.encap_content_info.econtent.is_some()
        || sd.crls.is_some()
        || sd.signer_infos.0.len() != 1
    {
        return bad(Verdict::BadSignature);
    }
    let Some(si) = sd.signer_infos.0.iter().next() else {
        return bad(Verdict::Malformed("không có người ký".into()));
    };
    if si.digest_alg.oid != ID_SHA256 || si.signature_algorithm.oid != ca::ECDSA_WITH_SHA256 {
        return bad(Verdict::Malformed(
            "thuật toán không được hỗ trợ (cần ECDSA P-256 với SHA-256)".into(),
        ));
    }
    let certs: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let SignerIdentifier::IssuerAndSerialNumber(isn) = &si.sid else {
        return bad(Verdict::Malformed(
            "kiểu định danh người ký không hỗ trợ".into(),
        ));
    };
    let Some(cert) = certs.iter().find(|c| {
        c.tbs_certificate.issuer == isn.issuer
            && c.tbs_certificate.serial_number == isn.serial_number
    }) else {
        return bad(Verdict::Malformed("thiếu chứng thư của người ký".into()));
    };
    let info = ca::info(cert);
    if si.version != CmsVersion::V1 || si.unsigned_attrs.is_some() {
        return bad(Verdict::BadSignature);
    }
    let Some(attrs) = &si.signed_attrs else {
        return bad(Verdict::Malformed("thiếu thuộc tính ký".into()));
    };
    let attr = |oid| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let Some(digest) = attr(ATTR_MESSAGE_DIGEST).and_then(|v| v.decode_as::<OctetString>().ok())
    else {
        return bad(Verdict::Malformed("thiếu mã băm trong chữ ký".into()));
    };
    let signed_at = attr(ATTR_SIGNING_TIME)
        .and_then(|v| v.decode_as::<UtcTime>().ok())
        .and_then(|t| {
            OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64).ok()
        });
    let mut signer = Signer {
        name: info.subject.clone(),
        username: info.org_unit.clone(),
        unit_name: info.organization.clone(),
        unit_code: None,
        serial: info.serial.clone(),
    };
    let with = |verdict: Verdict, signer: &Signer| Checked {
        verdict,
        signer: Some(signer.clone()),
        signed_at,
        end: 0,
    };
    let mut h = Sha256::new();
    h.update(part1);
    h.update(part2);
    if h.finalize()[..] != *digest.as_bytes() {
        return with(Verdict::Modified, &signer);
    }
    let ok_sig = (|| {
        let key = ca::verifying_key(cert)?;
        let sig = DerSignature::try_from(si.signature.as_bytes()).ok()?;
        let msg = attrs.to_der().ok()?;
        key.verify(&msg, &sig).ok()
    })();
    if ok_sig.is_none() {
        return with(Verdict::BadSignature, &signer);
    }
    // A certificate the system issued must be carried unchanged.
    for c in &certs {
        let serial = crate::hex(c.tbs_certificate.serial_number.as_bytes());
        if let Some(k) = known.iter().find(|k| k.serial == serial)
            && c.to_der().ok().as_ref() != Some(&k.cert_der)
        {
            return with(Verdict::BadSignature, &signer);
        }
    }
    // Chain: the signer certificate must be issued by a unit CA we know.
    let cas: Vec<(&KnownCert, Certificate)> = known
        .iter()
        .filter(|k| k.is_ca)
        .filter_map(|k| Certificate::from_der(&k.cert_der).ok().map(|c| (k, c)))
        .collect();
    let Some((ca_known, ca_cert)) = cas.iter().find(|(_, c)| ca::issued_by(cert, c)) else {
        return with(Verdict::UnknownIssuer, &signer);
    };
    signer.unit_code = Some(ca_known.unit_code.clone());
    // Any other certificate carried must be one the system issued.
    for c in certs.iter().filter(|c| !std::ptr::eq(*c, cert)) {
        let der = c.to_der().unwrap_or_default();
        if !known.iter().any(|k| k.cert_der == der) {
            return with(Verdict::BadSignature, &signer);
        }
    }
    for k in [
        Some(*ca_known),
        known.iter().find(|k| k.serial == info.serial),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(at) = k.revoked_at {
            return with(
                Verdict::Revoked {
                    at,
                    reason: k.revoke_reason.clone().unwrap_or_default(),
                },
                &signer,
            );
        }
    }
    // Without a signing time, validity is judged at the time of checking.
    let when = signed_at.unwrap_or(now);
    let ca_info = ca::info(ca_cert);
    for i in [&info, &ca_info] {
        if when > i.not_after {
            return with(
                Verdict::Expired {
                    not_after: i.not_after,
                },
                &signer,
            );
        }
        if when < i.not_before {
            return with(
                Verdict::NotYetValid {
                    not_before: i.not_before,
                },
                &signer,
            );
        }
    }
    with(Verdict::Valid, &signer)
}

/// Verify every signature of `data` against the certificates the system knows.
pub fn verify_pdf(data: &[u8], known: &[KnownCert], now: OffsetDateTime) -> Report {
    let sha256 = sha256_hex(data);
    let found = find_signatures(data);
    let mut report = Report {
        verdict: Verdict::NoSignature,
        sha256,
        signatures: found.len(),
        signer: None,
        signed_at: None,
    };
    if !data.starts_with(b"%PDF-") {
        report.verdict = Verdict::Malformed("tệp không phải PDF".into());
        return report;
    }
    let mut last_end = 0;
    for f in found {
        let checked = match f {
            Ok(f) => check_one(data, &f, known, now),
            Err(why) => malformed(&why),
        };
        report.signer = checked.signer.or(report.signer.take());
        report.signed_at = checked.signed_at.or(report.signed_at);
        if !checked.verdict.is_valid() {
            report.verdict = checked.verdict;
            return report;
        }
        last_end = last_end.max(checked.end);
        report.verdict = Verdict::Valid;
    }
    // Readers show a later incremental update as "changed after signing";
    // only a final "%%EOF" line end may follow.
    if report.verdict.is_valid() {
        let rest = &data[last_end..];
        if rest.iter().any(|b| !b" \r\n\0".contains(b)) {
            report.verdict = Verdict::Appended;
        }
    }
    report
}

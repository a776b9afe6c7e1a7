//! A unit's certificate authority: a self-signed CA certificate per unit, and
//! signer certificates it issues to the unit's leaders. ECDSA P-256 with
//! SHA-256 throughout.

use crate::{Result, SignError, hex, random};
use der::asn1::{Any, BitString, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode, Tag};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use std::time::Duration;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const C: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const O: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const OU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
/// The holder's title ("Chủ tịch UBND xã"): the stamp names it beside the signer.
const TITLE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.12");

/// A new certificate with its private key.
pub struct Issued {
    pub serial: String,
    pub cert_der: Vec<u8>,
    pub key: SigningKey,
    pub info: CertInfo,
}

/// What people read on a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub serial: String,
    /// Common name: the signer's full name, or the CA's name.
    pub subject: String,
    /// Organization: the unit's name.
    pub organization: String,
    /// Organizational unit: the unit code (CA) or the username (signer).
    pub org_unit: String,
    /// The signer's title, when the certificate names one.
    pub title: String,
    pub issuer: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub is_ca: bool,
}

pub(crate) fn algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA256,
        parameters: None,
    }
}

fn clean(s: &str) -> String {
    motcua_domain::text::nfc(s)
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect()
}

fn name(parts: &[(ObjectIdentifier, &str)]) -> Result<Name> {
    let mut rdns = Vec::new();
    for (oid, value) in parts {
        let tag = if *oid == C {
            Tag::PrintableString
        } else {
            Tag::Utf8String
        };
        let atv = AttributeTypeAndValue {
            oid: *oid,
            value: Any::new(tag, clean(value).as_bytes())?,
        };
        rdns.push(RelativeDistinguishedName(SetOfVec::try_from(vec![atv])?));
    }
    Ok(RdnSequence(rdns))
}

fn name_part(name: &Name, oid: ObjectIdentifier) -> String {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == oid)
        .and_then(|atv| std::str::from_utf8(atv.value.value()).ok())
        .unwrap_or("")
        .to_string()
}

fn cert_time(t: OffsetDateTime) -> Result<Time> {
    let secs = u64::try_from(t.unix_timestamp())
        .map_err(|_| SignError::Certificate("time before 1970".into()))?;
    // RFC 5280: UTCTime up to 2049, GeneralizedTime after.
    if t.year() < 2050 {
        Ok(Time::UtcTime(UtcTime::from_unix_duration(
            Duration::from_secs(secs),
        )?))
    } else {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_unix_duration(Duration::from_secs(secs))?,
        ))
    }
}

fn from_cert_time(t: &Time) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(spki.subject_public_key.raw_bytes())[..20].to_vec()
}

fn ext<T: Encode + der::oid::AssociatedOid>(value: &T, critical: bool) -> Result<Extension> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn spki_of(key: &VerifyingKey) -> Result<SubjectPublicKeyInfoOwned> {
    let der = key
        .to_public_key_der()
        .map_err(|e| SignError::Crypto(e.to_string()))?;
    Ok(SubjectPublicKeyInfoOwned::from_der(der.as_bytes())?)
}

fn new_serial() -> Result<(SerialNumber, String)> {
    let mut b = random::<16>()?;
    // Positive and without a leading zero octet: 16 bytes exactly.
    b[0] = (b[0] & 0x7f) | 0x10;
    Ok((SerialNumber::new(&b)?, hex(&b)))
}

#[allow(clippy::too_many_arguments)]
fn build(
    issuer_key: &SigningKey,
    issuer: Name,
    issuer_spki: &SubjectPublicKeyInfoOwned,
    subject: Name,
    subject_key: SigningKey,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    is_ca: bool,
) -> Result<Issued> {
    let (serial_number, serial) = new_serial()?;
    let spki = spki_of(subject_key.verifying_key())?;
    let usage = if is_ca {
        KeyUsages::KeyCertSign | KeyUsages::CRLSign
    } else {
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
    };
    let mut extensions = vec![
        ext(
            &BasicConstraints {
                ca: is_ca,
                path_len_constraint: is_ca.then_some(0),
            },
            true,
        )?,
        ext(&KeyUsage(usage), true)?,
        ext(
            &SubjectKeyIdentifier(OctetString::new(key_id(&spki))?),
            false,
        )?,
    ];
    if !is_ca {
        extensions.push(ext(
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(key_id(issuer_spki))?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
            false,
        )?);
    }
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number,
        signature: algorithm(),
        issuer,
        validity: Validity {
            not_before: cert_time(not_before)?,
            not_after: cert_time(not_after)?,
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let sig: DerSignature = issuer_key.sign(&tbs.to_der()?);
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm(),
        signature: BitString::from_bytes(sig.as_bytes())?,
    };
    let cert_der = cert.to_der()?;
    let info = info(&cert);
    Ok(Issued {
        serial,
        cert_der,
        key: subject_key,
        info,
    })
}

/// A unit's CA: a new key and a self-signed certificate valid `years` years.
pub fn new_ca(unit_code: &str, unit_name: &str, now: OffsetDateTime, years: u16) -> Result<Issued> {
    let key = crate::keys::generate()?;
    let subject = name(&[
        (C, "VN"),
        (O, unit_name),
        (OU, unit_code),
        (CN, &format!("CA {unit_name}")),
    ])?;
    let spki = spki_of(key.verifying_key())?;
    let not_after = now + time::Duration::days(365 * i64::from(years.max(1)));
    build(
        &key.clone(),
        subject.clone(),
        &spki,
        subject,
        key,
        now - time::Duration::minutes(5),
        not_after,
        true,
    )
}

/// A signer certificate for a leader of the unit, issued by the unit's CA and
/// valid from `not_before` for `days` days.
pub fn issue(
    ca_key: &SigningKey,
    ca_cert_der: &[u8],
    full_name: &str,
    username: &str,
    title: Option<&str>,
    not_before: OffsetDateTime,
    days: u32,
) -> Result<Issued> {
    let ca = Certificate::from_der(ca_cert_der)?;
    let ca_tbs = &ca.tbs_certificate;
    if spki_of(ca_key.verifying_key())? != ca_tbs.subject_public_key_info {
        return Err(SignError::Certificate(
            "khóa của CA không khớp chứng thư CA".into(),
        ));
    }
    let unit_name = name_part(&ca_tbs.subject, O);
    let mut parts = vec![(C, "VN"), (O, unit_name.as_str()), (OU, username)];
    if let Some(t) = title.map(str::trim).filter(|t| !t.is_empty()) {
        parts.push((TITLE, t));
    }
    parts.push((CN, full_name));
    let subject = name(&parts)?;
    build(
        ca_key,
        ca_tbs.subject.clone(),
        &ca_tbs.subject_public_key_info,
        subject,
        crate::keys::generate()?,
        not_before,
        not_before + time::Duration::days(i64::from(days.max(1))),
        false,
    )
}

/// What a certificate says.
pub fn info(cert: &Certificate) -> CertInfo {
    let tbs = &cert.tbs_certificate;
    let is_ca = tbs
        .get::<BasicConstraints>()
        .ok()
        .flatten()
        .is_some_and(|(_, bc)| bc.ca);
    CertInfo {
        serial: hex(tbs.serial_number.as_bytes()),
        subject: name_part(&tbs.subject, CN),
        organization: name_part(&tbs.subject, O),
        org_unit: name_part(&tbs.subject, OU),
        title: name_part(&tbs.subject, TITLE),
        issuer: name_part(&tbs.issuer, CN),
        not_before: from_cert_time(&tbs.validity.not_before),
        not_after: from_cert_time(&tbs.validity.not_after),
        is_ca,
    }
}

/// Parse a DER certificate and say what it says.
pub fn parse(cert_der: &[u8]) -> Result<CertInfo> {
    Ok(info(&Certificate::from_der(cert_der)?))
}

/// Whether `cert` was signed by the holder of `issuer`'s key and names it as issuer.
pub fn issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject
        || cert.signature_algorithm.oid != ECDSA_WITH_SHA256
    {
        return false;
    }
    let Ok(spki_der) = issuer.tbs_certificate.subject_public_key_info.to_der() else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_public_key_der(&spki_der) else {
        return false;
    };
    let Some(sig_bytes) = cert.signature.as_bytes() else {
        return false;
    };
    let Ok(sig) = DerSignature::try_from(sig_bytes) else {
        return false;
    };
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    key.verify(&tbs, &sig).is_ok()
}

/// The public key of a certificate.
pub(crate) fn verifying_key(cert: &Certificate) -> Option<VerifyingKey> {
    let spki_der = cert.tbs_certificate.subject_public_key_info.to_der().ok()?;
    VerifyingKey::from_public_key_der(&spki_der).ok()
}

/// A certificate as PEM: what PDF readers import to trust a unit's CA, so that
/// they show its leaders' signatures as trusted instead of "unknown issuer".
pub fn certificate_pem(cert_der: &[u8]) -> Result<String> {
    der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, cert_der)
        .map_err(|e| SignError::Certificate(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_issues_a_signer_certificate_it_can_check() {
        let now = OffsetDateTime::now_utc();
        let ca = new_ca("30112", "Xã Mỹ Hiệp", now, 10).expect("ca");
        assert!(ca.info.is_ca);
        assert_eq!(ca.info.organization, "Xã Mỹ Hiệp");
        assert_eq!(ca.info.org_unit, "30112");
        let signer = issue(
            &ca.key,
            &ca.cert_der,
            "Nguyễn Văn Lãnh",
            "lanhdao",
            Some("Chủ tịch UBND xã Mỹ Hiệp"),
            now,
            730,
        )
        .expect("issue");
        assert!(!signer.info.is_ca);
        assert_eq!(signer.info.subject, "Nguyễn Văn Lãnh");
        assert_eq!(signer.info.title, "Chủ tịch UBND xã Mỹ Hiệp");
        assert_eq!(ca.info.title, "");
        assert_eq!(signer.info.organization, "Xã Mỹ Hiệp");
        assert_eq!(signer.serial.len(), 32);
        let c = Certificate::from_der(&signer.cert_der).expect("der");
        let ca_cert = Certificate::from_der(&ca.cert_der).expect("der");
        assert!(issued_by(&c, &ca_cert));
        assert!(issued_by(&ca_cert, &ca_cert));
        let other = new_ca("28261", "Phường Khác", now, 10).expect("ca");
        let other_cert = Certificate::from_der(&other.cert_der).expect("der");
        assert!(!issued_by(&c, &other_cert));
        assert!(issue(&other.key, &ca.cert_der, "X", "x", None, now, 1).is_err());
    }
}

//! Signing a PDF: an incremental update adds an invisible signature field on
//! the first page and a `/Sig` dictionary (`/Adobe.PPKLite`,
//! `/adbe.pkcs7.detached`) whose `/Contents` holds a CMS SignedData over the
//! whole file except that hexadecimal string (`/ByteRange`), with the
//! signing time, the signer's certificate and the unit CA's certificate.

use crate::ca::algorithm;
use crate::pdf::{Dict, Document, Obj, Update, get, name, set, text};
use crate::{Result, SignError};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
pub const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const ATTR_CONTENT_TYPE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
pub const ATTR_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
pub const ATTR_SIGNING_TIME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");

/// Bytes reserved for the CMS structure (two certificates and a P-256
/// signature take about 1.3 KB).
pub const CONTENTS_BYTES: usize = 8192;
const BYTE_RANGE_PLACEHOLDER: &str = "[0 0000000000 0000000000 0000000000]";

/// Who signs, and the words shown in readers' signature panels.
pub struct SignRequest<'a> {
    pub key: &'a SigningKey,
    pub cert_der: &'a [u8],
    pub ca_cert_der: &'a [u8],
    pub signer_name: &'a str,
    pub reason: &'a str,
    pub location: &'a str,
    pub at: OffsetDateTime,
}

fn attr(oid: ObjectIdentifier, value: Any) -> Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    }
}

/// A detached CMS SignedData over `parts` (concatenated), DER.
pub fn cms_detached(parts: &[&[u8]], req: &SignRequest<'_>) -> Result<Vec<u8>> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let digest = h.finalize();
    let cert = Certificate::from_der(req.cert_der)?;
    let ca = Certificate::from_der(req.ca_cert_der)?;
    let secs = u64::try_from(req.at.unix_timestamp())
        .map_err(|_| SignError::Crypto("thời điểm ký trước 1970".into()))?;
    let signing_time = UtcTime::from_unix_duration(std::time::Duration::from_secs(secs))?;
    let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
        attr(ATTR_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?,
        attr(ATTR_SIGNING_TIME, Any::encode_from(&signing_time)?)?,
        attr(
            ATTR_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec())?)?,
        )?,
    ])?;
    let sig: DerSignature = req.key.sign(&signed_attrs.to_der()?);
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate.issuer.clone(),
            serial_number: cert.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256_alg(),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: algorithm(),
        signature: OctetString::new(sig.as_bytes())?,
        unsigned_attrs: None,
    };
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_alg()])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(vec![
            CertificateChoices::Certificate(cert),
            CertificateChoices::Certificate(ca),
        ])?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    let info = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed)?,
    };
    Ok(info.to_der()?)
}

fn pdf_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(motcua_domain::calendar::VN_OFFSET);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}+07'00'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn array_of(doc: &Document<'_>, obj: Option<&Obj>) -> Result<Vec<Obj>> {
    match obj {
        None => Ok(Vec::new()),
        Some(o) => match doc.resolve(o)? {
            Obj::Array(a) => Ok(a),
            _ => Err(SignError::Pdf("cần một mảng".into())),
        },
    }
}

/// Sign `pdf`; returns the signed file.
pub fn sign_pdf(pdf: &[u8], req: &SignRequest<'_>) -> Result<Vec<u8>> {
    let doc = Document::parse(pdf)?;
    let (root_id, root_gen) = doc.root_ref()?;
    let mut catalog = doc.catalog()?;
    let pages = doc.pages()?;
    let (pid, pgen) = pages[0];
    let mut page = doc.dict(&Obj::Ref(pid, pgen))?;
    let mut acro = match get(&catalog, "AcroForm") {
        Some(a) => doc.dict(a)?,
        None => Dict::new(),
    };
    let mut fields = array_of(&doc, get(&acro, "Fields"))?;
    let mut annots = array_of(&doc, get(&page, "Annots"))?;

    let mut up = Update::new(&doc);
    let sig_id = up.alloc();
    let field_id = up.alloc();

    let mut field = Dict::new();
    set(&mut field, "Type", name("Annot"));
    set(&mut field, "Subtype", name("Widget"));
    set(&mut field, "FT", name("Sig"));
    set(
        &mut field,
        "T",
        text(&format!("Chu ky {}", fields.len() + 1)),
    );
    set(&mut field, "V", Obj::Ref(sig_id, 0));
    // Print + Locked; an invisible widget (empty rectangle).
    set(&mut field, "F", Obj::Int(132));
    set(
        &mut field,
        "Rect",
        Obj::Array(vec![Obj::Int(0), Obj::Int(0), Obj::Int(0), Obj::Int(0)]),
    );
    set(&mut field, "P", Obj::Ref(pid, pgen));
    up.put(field_id, 0, &Obj::Dict(field));

    fields.push(Obj::Ref(field_id, 0));
    set(&mut acro, "Fields", Obj::Array(fields));
    set(&mut acro, "SigFlags", Obj::Int(3));
    set(&mut catalog, "AcroForm", Obj::Dict(acro));
    up.put(root_id, root_gen, &Obj::Dict(catalog));
    annots.push(Obj::Ref(field_id, 0));
    set(&mut page, "Annots", Obj::Array(annots));
    up.put(pid, pgen, &Obj::Dict(page));

    let mut tail = Vec::new();
    for (k, v) in [
        ("Name", text(req.signer_name)),
        ("Reason", text(req.reason)),
        ("Location", text(req.location)),
        ("M", Obj::Str(pdf_date(req.at).into_bytes())),
    ] {
        crate::pdf::write(&mut tail, &Obj::Name(k.as_bytes().to_vec()));
        tail.push(b' ');
        crate::pdf::write(&mut tail, &v);
    }
    let mut body = format!(
        "<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange {BYTE_RANGE_PLACEHOLDER} /Contents <"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'0', CONTENTS_BYTES * 2));
    body.extend_from_slice(b"> ");
    body.extend_from_slice(&tail);
    body.extend_from_slice(b">>");
    up.put_raw(sig_id, body);
    let (mut out, where_) = up.finish()?;

    let sig_at = *where_
        .get(&sig_id)
        .ok_or_else(|| SignError::Pdf("mất vị trí chữ ký".into()))?;
    let find = |needle: &[u8]| {
        out[sig_at..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + sig_at)
    };
    let br_at = find(BYTE_RANGE_PLACEHOLDER.as_bytes())
        .ok_or_else(|| SignError::Pdf("mất chỗ ByteRange".into()))?;
    let lt = find(b"/Contents <")
        .map(|p| p + b"/Contents ".len())
        .ok_or_else(|| SignError::Pdf("mất chỗ Contents".into()))?;
    let gt = lt + 1 + CONTENTS_BYTES * 2 + 1;
    let ranges = [0, lt, gt, out.len() - gt];
    let text_br = format!("[0 {:<10} {:<10} {:<10}]", ranges[1], ranges[2], ranges[3]);
    if text_br.len() != BYTE_RANGE_PLACEHOLDER.len() {
        return Err(SignError::Pdf("tệp quá lớn để ký".into()));
    }
    out[br_at..br_at + text_br.len()].copy_from_slice(text_br.as_bytes());
    let der = cms_detached(&[&out[..lt], &out[gt..]], req)?;
    if der.len() > CONTENTS_BYTES {
        return Err(SignError::Crypto("chữ ký vượt chỗ dành sẵn".into()));
    }
    let hex = crate::hex(&der);
    out[lt + 1..lt + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

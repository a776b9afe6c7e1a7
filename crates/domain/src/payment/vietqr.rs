//! VietQR (NAPAS 247): the EMVCo merchant-presented QR payload of one
//! payment. Each field is `ID(2) LEN(2) VALUE`; the last, `63`, carries a
//! CRC-16/CCITT-FALSE over everything before it, `6304` included.

use crate::Problem;

/// NAPAS's application identifier in field 38.
const NAPAS_GUID: &str = "A000000727";
/// Transfer to an account (the service code of field 38).
const TO_ACCOUNT: &str = "QRIBFTTA";

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for b in bytes {
        crc ^= u16::from(*b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

fn field(id: &str, value: &str) -> Result<String, Problem> {
    let len = value.len();
    if len > 99 {
        return Err(Problem::invalid(
            "qr_field_too_long",
            "vietqr",
            format!("Trường {id} của mã QR dài {len} ký tự (tối đa 99)"),
        ));
    }
    Ok(format!("{id}{len:02}{value}"))
}

/// What one QR code asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer<'a> {
    /// The bank's BIN (6 digits, e.g. 970415 VietinBank).
    pub bin: &'a str,
    pub account: &'a str,
    /// A fixed amount makes the code dynamic (one payment); none, static.
    pub amount_vnd: Option<u64>,
    /// Field 62.01, the bill number.
    pub bill: Option<&'a str>,
    /// Field 62.08, the purpose (≤ 25 characters): the payment code.
    pub purpose: Option<&'a str>,
}

/// A purpose a bank's app shows and sends back in the transfer's content:
/// ASCII letters, digits and spaces, at most 25 characters.
pub fn valid_purpose(p: &str) -> bool {
    !p.is_empty() && p.len() <= 25 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
}

/// The QR payload of `t`.
pub fn payload(t: &Transfer<'_>) -> Result<String, Problem> {
    if t.bin.len() != 6 || !t.bin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::invalid(
            "bad_bank_bin",
            "bin",
            "Mã BIN ngân hàng gồm 6 chữ số",
        ));
    }
    if t.account.is_empty() || !t.account.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Problem::invalid(
            "bad_account",
            "account",
            "Số tài khoản chỉ gồm chữ và số",
        ));
    }
    if let Some(p) = t.purpose.filter(|p| !valid_purpose(p)) {
        return Err(Problem::invalid(
            "bad_purpose",
            "purpose",
            format!("Nội dung chuyển khoản \"{p}\": tối đa 25 chữ, số hoặc dấu cách"),
        ));
    }
    let beneficiary = field("00", t.bin)? + &field("01", t.account)?;
    let account_info =
        field("00", NAPAS_GUID)? + &field("01", &beneficiary)? + &field("02", TO_ACCOUNT)?;
    let mut out = field("00", "01")?;
    out += &field("01", if t.amount_vnd.is_some() { "12" } else { "11" })?;
    out += &field("38", &account_info)?;
    out += &field("53", "704")?;
    if let Some(a) = t.amount_vnd {
        out += &field("54", &a.to_string())?;
    }
    out += &field("58", "VN")?;
    let mut extra = String::new();
    if let Some(b) = t.bill {
        extra += &field("01", b)?;
    }
    if let Some(p) = t.purpose {
        extra += &field("08", p)?;
    }
    if !extra.is_empty() {
        out += &field("62", &extra)?;
    }
    out += "6304";
    let crc = crc16(out.as_bytes());
    out += &format!("{crc:04X}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published vectors of INTEGRATIONS.md, rebuilt from their parts.
    #[test]
    fn the_published_vectors_are_reproduced_byte_for_byte() {
        let cases = [
            (
                Transfer {
                    bin: "970415",
                    account: "0011001932418",
                    amount_vnd: Some(120_000),
                    bill: None,
                    purpose: Some("ung ho lu lut"),
                },
                "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C",
            ),
            (
                Transfer {
                    bin: "970423",
                    account: "0099999999",
                    amount_vnd: None,
                    bill: None,
                    purpose: None,
                },
                "00020101021138540010A00000072701240006970423011000999999990208QRIBFTTA53037045802VN6304CBB4",
            ),
            (
                Transfer {
                    bin: "970422",
                    account: "0023457923442ASDFLJ",
                    amount_vnd: Some(40_123),
                    bill: None,
                    purpose: Some("chuyen khoan alsdkf laksj"),
                },
                "00020101021238630010A0000007270133000697042201190023457923442ASDFLJ0208QRIBFTTA53037045405401235802VN62290825chuyen khoan alsdkf laksj6304E5DB",
            ),
        ];
        for (t, expected) in cases {
            assert_eq!(payload(&t).expect("payload"), expected);
        }
    }

    #[test]
    fn bad_parts_are_refused_with_the_field() {
        let t = Transfer {
            bin: "97041",
            account: "1",
            amount_vnd: Some(1),
            bill: None,
            purpose: None,
        };
        assert_eq!(payload(&t).expect_err("bin").code, "bad_bank_bin");
        let long = "A".repeat(26);
        let t = Transfer {
            bin: "970415",
            purpose: Some(&long),
            ..t
        };
        assert_eq!(payload(&t).expect_err("purpose").code, "bad_purpose");
    }

    #[test]
    fn crc_of_the_standard_check_string() {
        // CRC-16/CCITT-FALSE of "123456789" is 0x29B1 (the catalogue's check value).
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }
}

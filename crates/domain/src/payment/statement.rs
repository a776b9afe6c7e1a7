//! A bank statement the accountant imports (CSV) for days when the bank's
//! notifications did not arrive: one credit per line, matched like a
//! notification. Columns, with a header line: `ma_giao_dich` (the bank's
//! transaction id), `ngay`, `so_tien` (whole đồng; "150.000" is read),
//! `noi_dung`. UTF-8, a byte-order mark allowed, fields quoted as needed.

use crate::Problem;

/// One credit of the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub id: String,
    pub day: String,
    pub amount_vnd: u64,
    pub content: String,
}

/// The most lines one statement may hold.
pub const MAX_LINES: usize = 5_000;

const COLUMNS: [&str; 4] = ["ma_giao_dich", "ngay", "so_tien", "noi_dung"];

/// Split one CSV line: commas, double quotes around a field, `""` inside.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn err(line: usize, field: &str, message: String) -> Problem {
    Problem::invalid("bad_statement", format!("dòng {line}, {field}"), message)
}

/// Read a statement: every line, or every fault with its line.
pub fn parse(text: &str) -> Result<Vec<StatementLine>, Vec<Problem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(vec![err(1, "tiêu đề", "Tệp sao kê trống".into())]);
    };
    let names: Vec<String> = fields(header)
        .iter()
        .map(|f| f.trim().to_lowercase())
        .collect();
    if names != COLUMNS {
        return Err(vec![err(
            1,
            "tiêu đề",
            format!("Dòng tiêu đề phải là: {}", COLUMNS.join(",")),
        )]);
    }
    let mut out = Vec::new();
    let mut faults = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        if out.len() + faults.len() >= MAX_LINES {
            faults.push(err(n, "tệp", format!("Tối đa {MAX_LINES} dòng mỗi tệp")));
            break;
        }
        let f = fields(line);
        if f.len() != COLUMNS.len() {
            faults.push(err(
                n,
                "dòng",
                format!("Cần {} cột, có {}", COLUMNS.len(), f.len()),
            ));
            continue;
        }
        let id = f[0].trim().to_string();
        if id.is_empty() || id.chars().count() > 64 {
            faults.push(err(
                n,
                "ma_giao_dich",
                "Thiếu mã giao dịch (tối đa 64 ký tự)".into(),
            ));
            continue;
        }
        let digits: String = f[2]
            .split(',')
            .next()
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let amount = digits
            .parse::<u64>()
            .ok()
            .filter(|a| *a > 0 && *a <= crate::fees::MAX_VND);
        let Some(amount_vnd) = amount else {
            faults.push(err(
                n,
                "so_tien",
                format!("Số tiền \"{}\" không hợp lệ", f[2].trim()),
            ));
            continue;
        };
        out.push(StatementLine {
            id,
            day: f[1].trim().to_string(),
            amount_vnd,
            content: crate::text::nfc(f[3].trim()),
        });
    }
    if faults.is_empty() {
        Ok(out)
    } else {
        Err(faults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_reads_with_quotes_a_bom_and_amounts_as_people_write_them() {
        let text = "\u{feff}ma_giao_dich,ngay,so_tien,noi_dung\nFT1,08/12/2026,\"2.000\",\"MC274B9Q4YHN, nop phi\"\nFT2,08/12/2026,35000,ung ho\n";
        let lines = parse(text).expect("read");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].amount_vnd, 2000);
        assert_eq!(lines[0].content, "MC274B9Q4YHN, nop phi");
    }

    #[test]
    fn every_bad_line_is_named() {
        let text = "ma_giao_dich,ngay,so_tien,noi_dung\n,08/12,100,x\nFT2,08/12,abc,x\nFT3,08/12\n";
        let faults = parse(text).expect_err("bad");
        let fields: Vec<&str> = faults.iter().filter_map(|p| p.field.as_deref()).collect();
        assert_eq!(
            fields,
            vec!["dòng 2, ma_giao_dich", "dòng 3, so_tien", "dòng 4, dòng"]
        );
        assert!(parse("a,b\n").is_err(), "wrong header");
    }
}

//! A procedure's declaration (tờ khai) as answered, printed for the
//! citizen's signature and kept with the dossier: the national title, the
//! declaration's own title, its sections question by question, the
//! commitment and the signature, and the template it follows.

use crate::DocumentError;
use crate::forms::{DossierInfo, MOTTO, NATION, centered, lv, p};
use crate::layout::{Align, Block, Paper, Para, Style, layout};
use motcua_domain::calendar::Date;
use motcua_domain::declaration::{Answers, Declaration};

/// The declaration of `info`'s dossier with `answers`, dated `date`, as a PDF.
pub fn render(
    info: &DossierInfo<'_>,
    decl: &Declaration,
    answers: &Answers,
    date: Date,
) -> Result<Vec<u8>, DocumentError> {
    let bold = Style::bold(12.0);
    let mut blocks = vec![
        centered(NATION, bold),
        centered(MOTTO, bold),
        Block::Rule(120.0),
        Block::Space(12.0),
        centered(decl.title.to_uppercase(), Style::bold(14.0)),
        Block::Space(8.0),
        p(format!("Kính gửi: Ủy ban nhân dân {}", info.unit_name)),
        p(format!("Mã hồ sơ: {}", info.code)),
        Block::Space(6.0),
    ];
    for (title, lines) in decl.answered(answers) {
        blocks.push(Block::Para(Para::text(title, bold, Align::Left)));
        for (q, a) in lines {
            blocks.push(lv(&q, if a.is_empty() { "—" } else { &a }));
        }
        blocks.push(Block::Space(4.0));
    }
    blocks.extend([
        Block::Space(6.0),
        p("Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật về cam đoan của mình."),
        Block::Space(10.0),
        Block::Columns(vec![
            (0.45, vec![]),
            (
                0.55,
                vec![
                    centered(
                        format!(
                            "Làm tại {}, ngày {} tháng {} năm {}",
                            info.unit_name,
                            date.day(),
                            u8::from(date.month()),
                            date.year()
                        ),
                        Style::italic(12.0),
                    ),
                    centered("Người yêu cầu", bold),
                    centered("(Ký, ghi rõ họ, chữ đệm, tên)", Style::italic(11.0)),
                    Block::Space(48.0),
                    centered(&info.applicant_name, bold),
                ],
            ),
        ]),
        Block::Space(16.0),
        Block::Para(Para::text(
            format!(
                "Theo {}{}",
                decl.template,
                if decl.verified == motcua_domain::catalog::Verification::Verified {
                    String::new()
                } else {
                    " — mẫu chưa được đối chiếu đầy đủ với văn bản gốc".to_string()
                }
            ),
            Style::italic(9.0),
            Align::Left,
        )),
    ]);
    let pages = layout(Paper::A4Portrait, &blocks)?;
    crate::pdf::write(&pages, &format!("{} — {}", decl.title, info.code))
}

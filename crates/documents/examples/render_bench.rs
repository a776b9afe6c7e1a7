//! Time to render Mẫu 01 (receipt and appointment, A4) for a dossier with a
//! full history: `cargo run --release -p motcua-documents --example render_bench`.

#[path = "../tests/sample/mod.rs"]
mod sample;

use motcua_documents::Form;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let procedure = sample::procedure();
    let cal = sample::calendar();
    let events = sample::events();
    let info = sample::info(&procedure, &cal, &events);
    // The first render parses the embedded fonts; measure it apart.
    let t = Instant::now();
    let first = Form::Receipt.render(&info)?;
    println!(
        "first render (fonts parsed): {:.2} ms, {} bytes",
        t.elapsed().as_secs_f64() * 1e3,
        first.len()
    );
    for form in Form::ALL.into_iter().filter(|f| f.applies(&info)) {
        let n = 200;
        let t = Instant::now();
        let mut bytes = 0;
        for _ in 0..n {
            bytes = form.render(&info)?.len();
        }
        let per = t.elapsed().as_secs_f64() * 1e3 / f64::from(n);
        println!(
            "Mẫu {:8} {per:7.3} ms per render ({n} renders), {bytes} bytes",
            form.slug()
        );
    }
    if let Some(dir) = std::env::args().nth(1) {
        for form in Form::ALL.into_iter().filter(|f| f.applies(&info)) {
            std::fs::write(
                format!("{dir}/mau-{}.pdf", form.slug()),
                form.render(&info)?,
            )?;
        }
    }
    Ok(())
}

//! The quality bar of the pages: weight on the wire, the language and
//! text-size switches, and the policy that keeps scripts our own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may stop at what it did not expect

use motcua_store::testing::{databases, open_seeded};
use motcua_web::AppState;

struct Srv {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn server() -> Srv {
    let dir = tempfile::tempdir().expect("dir");
    let db = databases(dir.path())
        .await
        .expect("db")
        .into_iter()
        .next()
        .expect("sqlite");
    let store = open_seeded(&db).await.expect("store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(motcua_web::serve(listener, AppState::new(store), async {
        let _ = stopped.await;
    }));
    Srv {
        base,
        http: reqwest::Client::new(),
        _dir: dir,
        _stop: stop,
    }
}

async fn get(
    s: &Srv,
    path: &str,
    cookie: Option<&str>,
) -> (u16, String, reqwest::header::HeaderMap) {
    let mut req = s.http.get(format!("{}{path}", s.base));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let resp = req.send().await.expect("get");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.text().await.expect("body"), headers)
}

#[tokio::test]
async fn every_page_with_its_assets_stays_under_150_kb() {
    let s = server().await;
    let assets: usize = {
        let (_, css, _) = get(&s, "/static/app.css", None).await;
        let (_, js, _) = get(&s, "/static/app.js", None).await;
        css.len() + js.len()
    };
    for path in [
        "/",
        "/?q=khai+sinh",
        "/thu-tuc/HT-KS",
        "/tra-cuu",
        "/dang-nhap",
    ] {
        let (status, body, headers) = get(&s, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            body.len() + assets < 150 * 1024,
            "{path}: {} bytes",
            body.len() + assets
        );
        // Only our own scripts and styles; no CDN anywhere.
        let csp = headers
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
            "{path}: {csp}"
        );
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path} loads something from elsewhere"
        );
        assert!(
            body.starts_with("<!doctype html>") && body.contains("<html lang=\"vi\">"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn english_and_larger_text_by_a_link() {
    let s = server().await;
    let (_, vi, _) = get(&s, "/", None).await;
    assert!(vi.contains("Tìm thủ tục") && vi.contains("href=\"/cai-dat?lang=en&amp;back=/\""));
    // Every page cites the decree in force, not the ones it replaced as if current.
    assert!(
        vi.contains("Thực hiện theo Nghị định 118/2025/NĐ-CP"),
        "legal basis in the footer"
    );
    // The switch sets a cookie and comes back; no off-site redirect is possible.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = no_redirect
        .get(format!("{}/cai-dat?lang=en&back=//evil.example/", s.base))
        .send()
        .await
        .expect("switch");
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/")
    );
    assert!(
        r.headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("lang=en"))
    );
    let (_, en, _) = get(&s, "/", Some("lang=en")).await;
    assert!(
        en.contains("<html lang=\"en\">")
            && en.contains("Find a procedure")
            && !en.contains("Tìm thủ tục")
    );
    let (_, large, _) = get(&s, "/thu-tuc/HT-KS", Some("size=large")).await;
    assert!(large.contains("<body class=\"large\">"));
    let (_, en_proc, _) = get(&s, "/thu-tuc/HT-KS", Some("lang=en")).await;
    assert!(en_proc.contains("Processing time"));
    // The catalog's fixed words in English too: the fields.
    assert!(en_proc.contains("Civil status ·") && !en_proc.contains("Hộ tịch ·"));
    assert!(en.contains("<strong>Civil status</strong>") && en.contains("<strong>Land</strong>"));
}

#[tokio::test]
async fn a_procedure_page_says_where_its_facts_come_from_and_whether_they_were_checked() {
    let s = server().await;
    // Checked against the texts: no warning, the national code beside ours.
    let (status, ks, _) = get(&s, "/thu-tuc/HT-KS", None).await;
    assert_eq!(status, 200);
    assert!(ks.contains("id=\"national-code\">1.001193<"), "{ks}");
    assert!(!ks.contains("id=\"to-verify\""));
    assert!(ks.contains("id=\"sources\""));
    // Taken from a copy of the national database: said so on screen.
    let (status, social, _) = get(&s, "/thu-tuc/BTXH-TCXH", None).await;
    assert_eq!(status, 200);
    assert!(social.contains("id=\"to-verify\""), "{social}");
    assert!(social.contains("chưa được đối chiếu"));
}

#[tokio::test]
async fn an_unknown_address_answers_a_page_with_a_way_back_or_the_apis_json() {
    let s = server().await;
    let (status, body, headers) = get(&s, "/khong-co-trang-nay", None).await;
    assert_eq!(status, 404);
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    );
    assert!(body.contains("Không tìm thấy trang") && body.contains("href=\"/\""));
    assert!(body.contains("<header class=\"site\""), "the site's header");
    assert!(!body.contains("Not found"), "one language at a time");
    let (_, body, _) = get(&s, "/khong-co-trang-nay", Some("lang=en")).await;
    assert!(body.contains("Not found") && !body.contains("Không tìm thấy trang"));
    let (status, body, headers) = get(&s, "/api/v1/khong-co", None).await;
    assert_eq!(status, 404);
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"))
    );
    assert!(body.contains("\"not_found\""), "{body}");
}

#[tokio::test]
async fn a_procedure_page_shows_its_real_result_and_says_each_form_once() {
    let s = server().await;
    let (status, body, _) = get(&s, "/thu-tuc/HT-KS", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("Giấy khai sinh (bản chính)"), "{body}");
    assert!(!body.contains("Giấy tờ/kết quả theo thủ tục"));
    // The declaration is answered online: no form to fetch at the counter.
    assert!(body.contains("khai trực tuyến ngay khi nộp"));
    for row in body.split("<tr>") {
        assert!(row.matches("theo mẫu").count() <= 1, "said twice: {row}");
    }
    // Searching as people type lands on it first.
    for q in [
        "giay+khai+sinh",
        "dang+ki+khai+sinh",
        "khaisinh",
        "lam+khai+sinh",
    ] {
        let (_, body, _) = get(&s, &format!("/?q={q}"), None).await;
        let first = body
            .split("id=\"ket-qua\"")
            .nth(1)
            .and_then(|t| t.split("href=\"/thu-tuc/").nth(1))
            .and_then(|t| t.split('"').next());
        assert_eq!(first, Some("HT-KS"), "{q}");
    }
}

//! Officers sign in and out (`/dang-nhap`, `/dang-xuat`).

use super::*;

#[derive(Template)]
#[template(path = "office_login.html")]
pub(super) struct LoginPage {
    pub(super) c: Ctx,
    pub(super) username: String,
    pub(super) next: String,
    pub(super) error: Option<ErrorLine>,
}

#[derive(Deserialize)]
pub(super) struct NextQuery {
    pub(super) next: Option<String>,
}

pub(super) fn next_or_default(next: Option<&str>) -> String {
    match next.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => local_path(n).to_string(),
        None => "/can-bo".to_string(),
    }
}

pub(super) async fn login_form(c: Ctx, Query(q): Query<NextQuery>) -> PageResult {
    let next = next_or_default(q.next.as_deref());
    // Signed in already: the form stays, to sign in as someone else at a shared counter.
    render(&LoginPage {
        c,
        username: String::new(),
        next,
        error: None,
    })
}

pub(super) async fn login(
    c: Ctx,
    State(s): State<AppState>,
    Extension(limits): Extension<Arc<Limits>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> PageResult {
    let lang = c.lang;
    let previous =
        crate::pages::cookie(req.headers(), SESSION_COOKIE).map(|t| token_hash(t.trim()));
    let form = read_form(&s, lang, req).await?;
    let username = form.get("username").trim().to_string();
    let password = form.get("password").to_string();
    let next = next_or_default(Some(form.get("next")));
    // The same sign-in as the API: rate limit, lockout, Argon2id, decoy hash.
    let result = if username.is_empty() {
        Err(None)
    } else {
        crate::auth::sign_in(&s.store, &limits, peer.ip(), &username, password, s.now())
            .await
            .map_err(Some)
    };
    let mut retry_after = None;
    let (status, href, message) = match result {
        Ok((_, token)) => {
            // Switching user at a shared counter: the previous session ends.
            if let Some(old) = previous {
                s.store
                    .delete_session(&old)
                    .await
                    .map_err(store_err(lang))?;
            }
            let mut resp = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&crate::auth::session_cookie(&token)) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            return Ok(resp);
        }
        Err(None) => (
            StatusCode::UNAUTHORIZED,
            "#username",
            c.tr("Nhập tên đăng nhập", "Enter your username")
                .to_string(),
        ),
        Err(Some(ApiError::Problem(p))) if p.kind == motcua_domain::ProblemKind::RateLimited => {
            retry_after = p.retry_after;
            (StatusCode::TOO_MANY_REQUESTS, "#password", p.message)
        }
        Err(Some(ApiError::Problem(_))) => (
            StatusCode::UNAUTHORIZED,
            "#password",
            c.tr(
                "Tên đăng nhập hoặc mật khẩu không đúng",
                "The username or password is wrong",
            )
            .to_string(),
        ),
        Err(Some(e)) => return Err(PageError::new(lang, e)),
    };
    let error = Some(ErrorLine {
        href: href.to_string(),
        message,
    });
    let page = render_status(
        status,
        &LoginPage {
            c,
            username,
            next,
            error,
        },
    )?;
    Ok(match retry_after {
        Some(seconds) => crate::limits::with_retry(seconds, page),
        None => page,
    })
}

pub(super) async fn logout(State(s): State<AppState>, headers: HeaderMap) -> PageResult {
    if let Some(token) = crate::pages::cookie(&headers, SESSION_COOKIE) {
        s.store.delete_session(&token_hash(token.trim())).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("motcua_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    );
    Ok(resp)
}

//! The owner console's session and its CSRF check.
//!
//! - **Sign-in.** `promo token --owner ID --login` prints a link to
//!   `/console/login?token=<owner JWT>`. That page verifies the token and keeps
//!   it in the cookie [`SESSION_COOKIE`]: `HttpOnly` (page scripts cannot read
//!   it), `SameSite=Lax` (other sites' forms and fetches do not carry it),
//!   `Path=/`, `Max-Age` = the token's remaining lifetime, and `Secure` when
//!   `PUBLIC_BASE_URL` is https. The token's `exp` ends the session; nothing is
//!   stored on the server. [`ConsoleOwner`] reads the cookie; without a valid
//!   one a console page redirects to the sign-in page (clearing a stale cookie).
//! - **CSRF.** Every console page embeds a token derived from the session:
//!   `HMAC-SHA256(JWT secret, "console-csrf" ‖ 0 ‖ session token)`. Each form
//!   sends it back in the hidden `csrf` field, and [`ConsoleForm`], the
//!   extractor of every console POST, refuses (403 page) a field that does not
//!   match the cookie's session, compared in constant time. Another site can
//!   neither read the cookie nor compute the HMAC without the secret. On top,
//!   a POST whose `Origin` names another origin, or whose `Sec-Fetch-Site` says
//!   it came from another site, is refused before its body is read.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::pages::{render_with_status, MessagePage};
use crate::routes::extract::form_fields;
use crate::state::AppState;

/// The cookie holding the owner's session token.
pub const SESSION_COOKIE: &str = "promo_console";

/// Where a signed-out visitor is sent.
pub const SIGN_IN_PATH: &str = "/console/login";

const CSRF_PURPOSE: &str = "console-csrf";

/// The signed-in owner of a console request, from the session cookie.
#[derive(Debug, Clone)]
pub struct ConsoleOwner {
    pub owner: String,
    /// The CSRF token the page's forms carry in their hidden `csrf` field.
    pub csrf: String,
    token: String,
}

impl ConsoleOwner {
    /// Whether `sent` is this session's CSRF token.
    fn csrf_matches(&self, state: &AppState, sent: &str) -> bool {
        state
            .auth
            .verify_mac(CSRF_PURPOSE, self.token.as_bytes(), sent)
    }
}

/// The session of a valid owner token (what `/console/login` checks too).
pub fn session_of(state: &AppState, token: &str) -> Option<ConsoleOwner> {
    let claims = state.auth.verify_claims(token).ok()?;
    Some(ConsoleOwner {
        owner: claims.sub,
        csrf: state.auth.mac(CSRF_PURPOSE, token.as_bytes()),
        token: token.to_string(),
    })
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// `Set-Cookie` for a session token valid `max_age_secs` more seconds.
pub fn session_cookie(token: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    // A verified JWT is base64url and dots: always a valid header value.
    .unwrap_or_else(|_| cleared_cookie(false))
}

/// `Set-Cookie` that removes the session.
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("a static cookie is a valid header value")
}

/// A 303 to `location` (after a form post, and to sign in).
pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (
                LOCATION,
                HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/console")),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ),
        ],
    )
        .into_response()
}

/// No valid session: to the sign-in page, clearing a stale cookie.
#[derive(Debug)]
pub struct SignedOut {
    stale_cookie: bool,
    secure: bool,
}

impl IntoResponse for SignedOut {
    fn into_response(self) -> Response {
        if !self.stale_cookie {
            return see_other(SIGN_IN_PATH);
        }
        let mut response = see_other(&format!("{SIGN_IN_PATH}?expired=1"));
        response
            .headers_mut()
            .insert(SET_COOKIE, cleared_cookie(self.secure));
        response
    }
}

impl FromRequestParts<AppState> for ConsoleOwner {
    type Rejection = SignedOut;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty());
        token
            .and_then(|token| session_of(state, token))
            .ok_or(SignedOut {
                stale_cookie: token.is_some(),
                secure: state.is_https(),
            })
    }
}

/// Whether a POST comes from our own pages, as far as the browser says:
/// `Sec-Fetch-Site` (when sent) is `same-origin` or `none` (typed by the user),
/// and `Origin` (when sent) is the public base URL or this request's own host.
pub fn same_origin(headers: &HeaderMap, state: &AppState) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.to_str(), Ok("same-origin" | "none")) {
            return false;
        }
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if origin == &*state.public_base_url {
        return true;
    }
    headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| {
            origin == format!("http://{host}") || origin == format!("https://{host}")
        })
}

/// The 403 page for a console POST that failed the CSRF or origin check.
pub fn refused() -> Response {
    render_with_status(
        StatusCode::FORBIDDEN,
        &MessagePage {
            title: "요청을 처리하지 못했어요".into(),
            detail: "페이지가 오래되었거나 다른 사이트에서 보낸 요청이에요. 콘솔에서 다시 시도해 주세요.".into(),
            next: Some(("/console".into(), "콘솔로 돌아가기".into())),
        },
    )
}

/// A console form post: the signed-in owner and the form's fields, after the
/// origin and CSRF checks passed.
#[derive(Debug)]
pub struct ConsoleForm {
    pub session: ConsoleOwner,
    pub fields: Vec<(String, String)>,
}

impl ConsoleForm {
    /// The first value of field `name`, or `""`.
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .unwrap_or("")
    }
}

impl FromRequest<AppState> for ConsoleForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let session = ConsoleOwner::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !same_origin(&parts.headers, state) {
            return Err(refused());
        }
        let request = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| refused())?;
        let fields = form_fields(&bytes);
        let sent = fields
            .iter()
            .find(|(key, _)| key == "csrf")
            .map(|(_, value)| value.as_str())
            .unwrap_or("");
        if !session.csrf_matches(state, sent) {
            return Err(refused());
        }
        Ok(ConsoleForm { session, fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            HeaderValue::from_static("a=1; promo_console=tok.en"),
        );
        headers.append(COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("tok.en"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "promo"), None);
    }

    #[test]
    fn session_cookies_are_http_only_and_same_site() {
        let set = session_cookie("a.b.c", 600, false);
        let set = set.to_str().unwrap();
        assert!(set.starts_with("promo_console=a.b.c; "));
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=600"] {
            assert!(set.contains(attribute), "{set}");
        }
        assert!(!set.contains("Secure"));
        assert!(session_cookie("a.b.c", 1, true)
            .to_str()
            .unwrap()
            .ends_with("; Secure"));
        assert!(cleared_cookie(false)
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
    }
}

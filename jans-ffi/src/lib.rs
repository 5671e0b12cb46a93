//! libjans: the C ABI over the jans-rs engine, the second host next to `jans-http`.
//!
//! A C or Go program creates engines (addressed by opaque 64-bit ids), hands them HTTP
//! requests as JSON through [`jans_handle`] — Janssen's paths work exactly as over HTTP,
//! because both hosts go through `Engine::handle` and the same request translation — and
//! calls the typed operations embedders use most: [`jans_token_verify`],
//! [`jans_introspect`], [`jans_client_register`], and the interaction API
//! ([`jans_interaction_get`], [`jans_interaction_submit`]) with which a program that serves
//! its own login pages finishes a browser login.
//!
//! Every export runs inside a guard: no panic unwinds into C, NULL pointers, invalid UTF-8
//! or JSON, unknown ids and oversized inputs return a status code and leave a message in
//! [`jans_last_error`]. The ownership rules are in the header (`include/jans.h`).

mod buf;
mod ciba;
mod interaction;
mod registry;
mod status;
mod wire;

use std::ffi::{CStr, c_char};

use jans_core::Config;
use jans_core::repo::client::ClientMetadata;

pub use buf::JansBuf;
use buf::{give, give_json, out_buf, read_opt_str, read_str};
pub use status::JansStatus;
use status::{Failure, guard};

/// Longest `config_json` accepted by `jans_engine_new`, in bytes.
pub const JANS_MAX_CONFIG_LEN: usize = 1024 * 1024;
/// Longest `data_dir` accepted by `jans_engine_new`, in bytes.
pub const JANS_MAX_PATH_LEN: usize = 4096;
/// Longest `request_json` accepted by `jans_handle`, in bytes (the body inside is limited
/// to 64 KiB, as `jans serve` limits it).
pub const JANS_MAX_REQUEST_LEN: usize = 1024 * 1024;
/// Longest token accepted by `jans_token_verify` and `jans_introspect`, in bytes.
pub const JANS_MAX_TOKEN_LEN: usize = 64 * 1024;
/// Longest `metadata_json` accepted by `jans_client_register`, in bytes.
pub const JANS_MAX_METADATA_LEN: usize = 64 * 1024;

static VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => c"unknown",
    };

/// The library version (e.g. "0.1.0") as a NUL-terminated string with static lifetime.
/// Never free it.
#[unsafe(no_mangle)]
pub extern "C" fn jans_version() -> *const c_char {
    VERSION.as_ptr()
}

/// The message of the last call on this thread that did not return `JANS_STATUS_OK`
/// ("" after a successful call). The string belongs to the library and stays valid until
/// the next `jans_*` call on the same thread; copy it to keep it. Never NULL; never free it.
#[unsafe(no_mangle)]
pub extern "C" fn jans_last_error() -> *const c_char {
    status::last_error_ptr()
}

/// Free a buffer the library filled, and set it to `{NULL, 0}`. `buf` may be NULL, and the
/// buffer may be empty (`{NULL, 0}`): both do nothing, so freeing twice is harmless.
///
/// # Safety
/// `buf` must be NULL or point to a `JansBuf` that is empty or was filled by a `jans_*`
/// call and not modified since.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_buf_free(buf: *mut JansBuf) {
    if buf.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: per this function's contract.
        unsafe { (*buf).release() }
    });
}

/// Create an engine and start it (signing keys are loaded, or generated on first use).
///
/// - `config_json`: the server configuration as a JSON object with Janssen's property names
///   (`{"issuer": "https://id.example.com", "accessTokenLifetime": 600}`); `"{}"` takes
///   every default. Required. The process environment (`JANS_*`) is not read, except
///   `JANS_MASTER_KEY` for a data directory, as `jans serve` reads it.
/// - `data_dir`: a directory for the embedded database, keys and master key, in the layout
///   `jans serve --data-dir` uses (created if missing). One process may open a directory at
///   a time. NULL: everything in memory, gone when the engine is freed.
/// - `out_id`: receives the engine's id (never 0) on success.
///
/// # Safety
/// `config_json` and `data_dir` must be NULL or NUL-terminated strings; `out_id` must be
/// NULL or point to writable memory for a `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_engine_new(
    config_json: *const c_char,
    data_dir: *const c_char,
    out_id: *mut u64,
) -> JansStatus {
    guard(|| {
        if out_id.is_null() {
            return Err(Failure::new(JansStatus::NullArgument, "out_id is NULL"));
        }
        // SAFETY: non-NULL, writable per the contract.
        unsafe { out_id.write(0) };
        // SAFETY: per the contract.
        let text = unsafe { read_str(config_json, JANS_MAX_CONFIG_LEN, "config_json") }?;
        // SAFETY: per the contract.
        let dir = unsafe { read_opt_str(data_dir, JANS_MAX_PATH_LEN, "data_dir") }?;
        if !matches!(
            serde_json::from_str::<serde_json::Value>(text),
            Ok(serde_json::Value::Object(_))
        ) {
            return Err(Failure::new(
                JansStatus::InvalidJson,
                "config_json must be a JSON object",
            ));
        }
        let config = Config::load(Some((text, false)), std::iter::empty())
            .map_err(|e| Failure::new(JansStatus::InvalidArgument, format!("config_json: {e}")))?;
        let id = registry::create(config, dir)?;
        // SAFETY: as above.
        unsafe { out_id.write(id) };
        Ok(())
    })
}

/// Free an engine. Calls already running on other threads finish first; afterwards the id
/// is unknown to every function, and its data directory (if any) can be opened again once
/// those calls have returned.
#[unsafe(no_mangle)]
pub extern "C" fn jans_engine_free(id: u64) -> JansStatus {
    guard(|| registry::remove(id))
}

/// Serve one HTTP request.
///
/// `request_json` is an object:
/// `{"method": "POST", "path": "/jans-auth/restv1/token", "query": "a=b",
///   "headers": {"authorization": "Basic ...", "content-type": "application/x-www-form-urlencoded"},
///   "body": "grant_type=client_credentials", "peer_addr": "192.0.2.1:50000",
///   "client_cert_der": "<base64>", "client_cert_chain_der": ["<base64>"]}`: the client's
///   mutual-TLS certificate (RFC 8705) and the intermediates it sent, when the caller
///   terminated TLS.
/// Only `method` and `path` are required; `path` may carry the query after `?` instead of
/// `query`; `headers` may also be a list of `[name, value]` pairs, and a header's value a
/// list of strings; `body_base64` (standard base64) replaces `body` for bytes that are not
/// UTF-8.
///
/// On success `out` holds the response:
/// `{"status": 200, "headers": [["content-type", "application/json"], ...], "body": "..."}`
/// (or `"body_base64"` when the body is not UTF-8; neither for HEAD). A page for the
/// browser (the error page of the authorization and logout endpoints) comes as
/// `"page": {"template": "error.html", "context": {...}}` in place of a body, with the
/// status and headers (`content-security-policy` included) the HTTP host sends with the
/// page it renders from the same template. Protocol errors are successful calls: their
/// status is 4xx and their body the protocol's JSON error, exactly as over HTTP. A status code other than `JANS_STATUS_OK` means the request document
/// itself was unusable, and `out` is `{NULL, 0}`.
///
/// # Safety
/// `request_json` must be NULL or a NUL-terminated string; `out` must be NULL or point to a
/// writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_handle(
    id: u64,
    request_json: *const c_char,
    out: *mut JansBuf,
) -> JansStatus {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_buf(out, "out") }?;
        // SAFETY: per the contract.
        let json = unsafe { read_str(request_json, JANS_MAX_REQUEST_LEN, "request_json") }?;
        let hosted = registry::get(id)?;
        let parsed = wire::parse(json)?;
        let ctx = hosted.ctx(parsed.request_id);
        let resp = match parsed.request {
            Ok(req) => hosted.block_on(hosted.engine.handle(req, &ctx)),
            Err(e) => jans_core::Response::error(e),
        };
        let bytes = wire::render(&resp, &ctx.request_id, parsed.head)?;
        // SAFETY: `out` checked above.
        unsafe { give(out, bytes) };
        Ok(())
    })
}

/// Verify a JWT access token (RFC 9068, `typ: at+jwt`) or ID token issued by this engine,
/// locally: signature against the engine's published keys, `typ`, `iss`, `exp`/`nbf`/`iat`
/// (with `clockSkewSeconds` of leeway), and `aud` when `expected_audience` is not NULL.
/// No store is read, so a revoked but unexpired token still verifies (use
/// `jans_introspect` when revocation matters).
///
/// On success `out_claims_json` holds the token's claims as a JSON object. An invalid
/// token returns `JANS_STATUS_TOKEN_INVALID` and `jans_last_error()` says which check
/// failed.
///
/// # Safety
/// `jwt` and `expected_audience` must be NULL or NUL-terminated strings; `out_claims_json`
/// must be NULL or point to a writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_token_verify(
    id: u64,
    jwt: *const c_char,
    expected_audience: *const c_char,
    out_claims_json: *mut JansBuf,
) -> JansStatus {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_buf(out_claims_json, "out_claims_json") }?;
        // SAFETY: per the contract.
        let token = unsafe { read_str(jwt, JANS_MAX_TOKEN_LEN, "jwt") }?;
        // SAFETY: per the contract.
        let audience =
            unsafe { read_opt_str(expected_audience, JANS_MAX_TOKEN_LEN, "expected_audience") }?;
        let hosted = registry::get(id)?;
        let verified = hosted
            .engine
            .verify_token(token, audience, jans_http::now())
            .map_err(|e| Failure::new(JansStatus::TokenInvalid, e.to_string()))?;
        // SAFETY: `out` checked above.
        unsafe { give_json(out, &verified.claims) }
    })
}

/// Verify a DPoP-bound JWT access token (RFC 9449 §7.1) presented with the `DPoP` scheme
/// and the proof `dpop_proof` (the request's `DPoP` header) on a request `method` (`GET`,
/// `POST`, ...) to `url` (without query or fragment): the token passes every check of
/// `jans_token_verify` and is bound to a key (`cnf.jkt`); the proof is a valid `dpop+jwt`
/// of that key for this method, URL and token (`ath`), recent, and used for the first
/// time (its `jti` is remembered in the engine's store). `jans_token_verify` refuses
/// DPoP-bound tokens: they pass only here, with their proof.
///
/// On success `out_claims_json` holds the token's claims. A refused token or proof
/// returns `JANS_STATUS_TOKEN_INVALID` and `jans_last_error()` says which check failed.
///
/// # Safety
/// `jwt`, `dpop_proof`, `method`, `url` and `expected_audience` must be NULL or
/// NUL-terminated strings; `out_claims_json` must be NULL or point to a writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_token_verify_dpop(
    id: u64,
    jwt: *const c_char,
    dpop_proof: *const c_char,
    method: *const c_char,
    url: *const c_char,
    expected_audience: *const c_char,
    out_claims_json: *mut JansBuf,
) -> JansStatus {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_buf(out_claims_json, "out_claims_json") }?;
        // SAFETY: per the contract.
        let token = unsafe { read_str(jwt, JANS_MAX_TOKEN_LEN, "jwt") }?;
        // SAFETY: per the contract.
        let proof = unsafe { read_str(dpop_proof, JANS_MAX_TOKEN_LEN, "dpop_proof") }?;
        // SAFETY: per the contract.
        let method = unsafe { read_str(method, 16, "method") }?;
        // SAFETY: per the contract.
        let url = unsafe { read_str(url, JANS_MAX_TOKEN_LEN, "url") }?;
        // SAFETY: per the contract.
        let audience =
            unsafe { read_opt_str(expected_audience, JANS_MAX_TOKEN_LEN, "expected_audience") }?;
        let hosted = registry::get(id)?;
        let ctx = hosted.ctx(None);
        let verified = hosted
            .block_on(
                hosted
                    .engine
                    .verify_token_dpop(token, proof, method, url, None, audience, &ctx),
            )
            .map_err(|e| Failure::new(JansStatus::TokenInvalid, e.to_string()))?;
        // SAFETY: `out` checked above.
        unsafe { give_json(out, &verified.claims) }
    })
}

/// Verify a certificate-bound JWT access token (RFC 8705 §3) presented over a mutual-TLS
/// connection whose client certificate is `client_cert_der` (DER, `client_cert_len`
/// bytes): the token passes every check of `jans_token_verify` and its `cnf.x5t#S256` is
/// the SHA-256 thumbprint of that certificate. `jans_token_verify` refuses
/// certificate-bound tokens: they pass only here, with their certificate.
///
/// On success `out_claims_json` holds the token's claims. A refused token returns
/// `JANS_STATUS_TOKEN_INVALID` and `jans_last_error()` says which check failed.
///
/// # Safety
/// `jwt` and `expected_audience` must be NULL or NUL-terminated strings; `client_cert_der`
/// must be NULL or point to `client_cert_len` readable bytes; `out_claims_json` must be
/// NULL or point to a writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_token_verify_mtls(
    id: u64,
    jwt: *const c_char,
    client_cert_der: *const u8,
    client_cert_len: usize,
    expected_audience: *const c_char,
    out_claims_json: *mut JansBuf,
) -> JansStatus {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_buf(out_claims_json, "out_claims_json") }?;
        // SAFETY: per the contract.
        let token = unsafe { read_str(jwt, JANS_MAX_TOKEN_LEN, "jwt") }?;
        if client_cert_der.is_null() || client_cert_len == 0 {
            return Err(Failure::new(
                JansStatus::InvalidArgument,
                "client_cert_der is NULL or empty",
            ));
        }
        if client_cert_len > jans_core::x509::MAX_CERT_LEN {
            return Err(Failure::new(
                JansStatus::TooLarge,
                "client_cert_der is larger than a certificate can be",
            ));
        }
        // SAFETY: per the contract, `client_cert_len` readable bytes (checked non-NULL).
        let cert = unsafe { std::slice::from_raw_parts(client_cert_der, client_cert_len) };
        // SAFETY: per the contract.
        let audience =
            unsafe { read_opt_str(expected_audience, JANS_MAX_TOKEN_LEN, "expected_audience") }?;
        let hosted = registry::get(id)?;
        let verified = hosted
            .engine
            .verify_token_certificate(token, cert, audience, jans_http::now())
            .map_err(|e| Failure::new(JansStatus::TokenInvalid, e.to_string()))?;
        // SAFETY: `out` checked above.
        unsafe { give_json(out, &verified.claims) }
    })
}

/// Introspect a token as the engine itself (RFC 7662 §2.2 members), with no calling client
/// to authenticate: `{"active": true, "client_id": ..., "scope": ..., "exp": ...}` for a
/// live access or refresh token, `{"active": false}` for anything else (unknown, expired,
/// revoked). Unlike `jans_token_verify`, this reads the store and sees revocation.
///
/// # Safety
/// `token` must be NULL or a NUL-terminated string; `out_json` must be NULL or point to a
/// writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_introspect(
    id: u64,
    token: *const c_char,
    out_json: *mut JansBuf,
) -> JansStatus {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_buf(out_json, "out_json") }?;
        // SAFETY: per the contract.
        let token = unsafe { read_str(token, JANS_MAX_TOKEN_LEN, "token") }?;
        let hosted = registry::get(id)?;
        let ctx = hosted.ctx(None);
        let answer = hosted
            .block_on(hosted.engine.introspect(token, &ctx))
            .map_err(engine_failure)?;
        // SAFETY: `out` checked above.
        unsafe { give_json(out, &answer) }
    })
}

/// Register a client from RFC 7591 metadata (`{"client_name": "api", "grant_types":
/// ["client_credentials"], "scope": "read"}`), as `jans client add` does: the admin path,
/// with no registration access token and no dynamic-registration policy. On success
/// `out_json` holds the RFC 7591 §3.2.1 client information, including `client_secret` in
/// clear when the authentication method uses one: it is shown this once and stored only
/// encrypted. Metadata the engine refuses returns `JANS_STATUS_INVALID_ARGUMENT` with
/// `jans_last_error()` = "invalid_redirect_uri: ..." (the RFC 7591 §3.2.2 error code first).
///
/// # Safety
/// `metadata_json` must be NULL or a NUL-terminated string; `out_json` must be NULL or point
/// to a writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_client_register(
    id: u64,
    metadata_json: *const c_char,
    out_json: *mut JansBuf,
) -> JansStatus {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_buf(out_json, "out_json") }?;
        // SAFETY: per the contract.
        let text = unsafe { read_str(metadata_json, JANS_MAX_METADATA_LEN, "metadata_json") }?;
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Failure::new(JansStatus::InvalidJson, format!("metadata_json: {e}")))?;
        if !value.is_object() {
            return Err(Failure::new(
                JansStatus::InvalidJson,
                "metadata_json must be a JSON object",
            ));
        }
        let metadata = ClientMetadata::from_json(value).map_err(oauth_failure)?;
        let hosted = registry::get(id)?;
        let ctx = hosted.ctx(None);
        let registered = hosted
            .block_on(hosted.engine.register_client(metadata, &ctx))
            .map_err(engine_failure)?;
        // SAFETY: `out` checked above.
        unsafe { give_json(out, &registered.to_json()) }
    })
}

/// Longest `password` accepted by `jans_user_add`, in bytes (as the engine accepts).
pub const JANS_MAX_PASSWORD_LEN: usize = 1024;

/// Add a person who can sign in (as `jans user add` does): `user_json` holds Janssen's
/// person attributes (`{"uid": "alice", "mail": "alice@example.com", "given_name":
/// "Alice"}`; `inum` is assigned), `password` is hashed with argon2id. On success
/// `out_json` holds the stored user without its hash. A taken `uid` returns
/// `JANS_STATUS_STORE` ("already exists"); refused attributes or a password outside 8–1024
/// bytes return `JANS_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `user_json` and `password` must be NULL or NUL-terminated strings; `out_json` must be
/// NULL or point to a writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_user_add(
    id: u64,
    user_json: *const c_char,
    password: *const c_char,
    out_json: *mut JansBuf,
) -> JansStatus {
    guard(|| {
        // SAFETY: per the contract.
        let out = unsafe { out_buf(out_json, "out_json") }?;
        // SAFETY: per the contract.
        let text = unsafe { read_str(user_json, JANS_MAX_METADATA_LEN, "user_json") }?;
        // SAFETY: per the contract.
        let password = unsafe { read_str(password, JANS_MAX_PASSWORD_LEN, "password") }?;
        let mut doc: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Failure::new(JansStatus::InvalidJson, format!("user_json: {e}")))?;
        let Some(fields) = doc.as_object_mut() else {
            return Err(Failure::new(
                JansStatus::InvalidJson,
                "user_json must be a JSON object",
            ));
        };
        // Assigned by the engine.
        fields.insert("inum".to_owned(), "".into());
        let user: jans_core::repo::user::User = serde_json::from_value(doc)
            .map_err(|e| Failure::new(JansStatus::InvalidJson, format!("user_json: {e}")))?;
        let hosted = registry::get(id)?;
        let ctx = hosted.ctx(None);
        let added = hosted
            .block_on(hosted.engine.add_user(user, password, &ctx))
            .map_err(|e| match e {
                jans_core::Error::User(u) => {
                    Failure::new(JansStatus::InvalidArgument, u.to_string())
                }
                jans_core::Error::Password(p) => {
                    Failure::new(JansStatus::InvalidArgument, p.to_string())
                }
                other => engine_failure(other),
            })?;
        // SAFETY: `out` checked above.
        unsafe { give_json(out, &added.to_public_json()) }
    })
}

/// Longest `request_json` accepted by `jans_interaction_get` and `jans_interaction_submit`.
pub const JANS_MAX_INTERACTION_LEN: usize = 16 * 1024;

/// The pending step of a browser login, for an embedder that serves its own pages (set the
/// configuration's `interactionUri` to your page: the authorization endpoint redirects the
/// browser there with `?interaction=ID`).
///
/// `request_json`: `{"interaction": "ID", "sessions": ["session cookie value", ...]}`;
/// `sessions` (optional) are the browser's signed-in sessions, listed back as `accounts`
/// when the step is `select_account`. On success `out_json` holds `{"stage": "login" |
/// "second_factor" | "consent" | "select_account", "client_id", "client_name", "scopes":
/// [...], "authorization_details": [the types asked, RFC 9396], "csrf", "login_hint", "accounts": [{"index", "uid", "name"}], "acr", "webauthn", "factors"}`;
/// the page must post `csrf` back. `acr` is the sign-in method asked (`simple_password_auth`,
/// `passkey`, `fido2`, `otp`, `casa`); `webauthn`, when not null, is the WebAuthn request
/// options (`PublicKeyCredentialRequestOptionsJSON`) for `navigator.credentials.get()`: a
/// passkey at `login`, the user's security key at `second_factor`. `factors`, at
/// `second_factor`, are the second factors offered, the one asked for first: `fido2` (a
/// security key: answer with `webauthn`), `otp` (a code of an authenticator app) or
/// `recovery_code` (both answered with `otp`).
/// An unknown or expired interaction returns `JANS_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `request_json` must be NULL or a NUL-terminated string; `out_json` must be NULL or point
/// to a writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_interaction_get(
    id: u64,
    request_json: *const c_char,
    out_json: *mut JansBuf,
) -> JansStatus {
    // SAFETY: per the contract.
    unsafe {
        interaction::call(
            id,
            request_json,
            out_json,
            async |engine, req: interaction::GetRequest, ctx| {
                interaction::get(engine, &req, ctx).await
            },
        )
    }
}

/// Answer the pending step of a browser login: the form an embedder's page posted.
///
/// `request_json`: `{"interaction": "ID", "csrf": "...", "action": "login" | "webauthn" |
/// "otp" | "factor" | "consent" | "select" | "create", ...}` with, for `login`,
/// `"username"` and `"password"`; for `otp`, `"code"`: the one-time password or recovery
/// code the second factor asks for; for `factor`, `"factor"`: another of the `factors`
/// offered ("try another way", answered `{"outcome": "changed"}`: get the step again);
/// for `create` (the `prompt=create` step), `"username"`, `"email"`, `"given_name"`,
/// `"family_name"` (optional) and `"password"`; for
/// `webauthn`, `"response"`: the browser's `PublicKeyCredential.toJSON()`; for `consent`,
/// `"allow": true|false` and `"remember": true|false`; for `select`, `"session"`: the chosen
/// account's session cookie value, or null to sign in as another account. On success
/// `out_json` holds one of:
/// - `{"outcome": "done", "response": {...}}`: send `response` (a `jans_handle` response
///   document: a redirect with `location` and the session's `set-cookie` headers) to the
///   browser;
/// - `{"outcome": "retry", "remaining": N}`: wrong credentials, or a passkey or security
///   key that was not accepted; show the form again;
/// - `{"outcome": "wait", "seconds": N}`: the user's brute-force delay applies (Janssen's
///   `authenticationProtectionConfiguration`); nothing was checked;
/// - `{"outcome": "refused", "message": "..."}`: the account was not created (a username
///   taken, a field not acceptable); show the form again with the message.
///
/// A forged `csrf`, a wrong stage or an unknown interaction returns
/// `JANS_STATUS_INVALID_ARGUMENT` (the interaction, if any, stays as it was).
///
/// # Safety
/// `request_json` must be NULL or a NUL-terminated string; `out_json` must be NULL or point
/// to a writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_interaction_submit(
    id: u64,
    request_json: *const c_char,
    out_json: *mut JansBuf,
) -> JansStatus {
    // SAFETY: per the contract.
    unsafe {
        interaction::call(
            id,
            request_json,
            out_json,
            async |engine, req: interaction::Submission, ctx| {
                interaction::submit(engine, req, ctx).await
            },
        )
    }
}

/// An authentication device answers backchannel requests (OpenID CIBA Core 1.0) for a
/// person it has authenticated itself: `{"action": "pending", "uid": "alice"}` gives
/// `{"requests": [{"reference", "client_id", "client_name", "scopes", "binding_message",
/// "expires_at"}]}` (none for an unknown person); `{"action": "decide", "uid": "alice",
/// "reference": "...", "approve": true}` gives `{"answered": true}`, or `false` when that is
/// not a pending request of theirs. The client is then told (ping), sent its tokens (push)
/// or finds them at its next poll. A document not understood returns
/// `JANS_STATUS_INVALID_JSON`.
///
/// # Safety
/// `request_json` must be NULL or a NUL-terminated string; `out_json` must be NULL or point
/// to a writable `JansBuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn jans_ciba(
    id: u64,
    request_json: *const c_char,
    out_json: *mut JansBuf,
) -> JansStatus {
    // SAFETY: per the contract.
    unsafe {
        interaction::call(
            id,
            request_json,
            out_json,
            async |engine, req: ciba::CibaCall, ctx| ciba::run(engine, req, ctx).await,
        )
    }
}

/// Fuzzing entry point (`fuzz/fuzz_targets/ffi_handle.rs`): any bytes as a request
/// document to one in-memory engine, then as a token to `jans_token_verify`. The call must return a status, never panic (a caught
/// panic is reported as a failure), and a successful call must give a JSON response.
#[doc(hidden)]
pub fn fuzz_handle(data: &[u8]) {
    static ENGINE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let id = *ENGINE.get_or_init(|| {
        let mut id = 0;
        let config = c"{\"keyAlgsAllowedForGeneration\":[\"ES256\"],\"defaultSignatureAlgorithm\":\"ES256\"}";
        // SAFETY: a static C string and a local out pointer.
        let status = unsafe { jans_engine_new(config.as_ptr(), std::ptr::null(), &mut id) };
        assert_eq!(status, JansStatus::Ok);
        id
    });
    let mut doc = data.to_vec();
    doc.retain(|b| *b != 0);
    doc.push(0);
    let mut out = JansBuf::EMPTY;
    // SAFETY: a NUL-terminated copy and a local out buffer.
    let status = unsafe { jans_handle(id, doc.as_ptr().cast(), &mut out) };
    if status == JansStatus::Panic {
        // SAFETY: jans_last_error is never NULL.
        let why = unsafe { CStr::from_ptr(jans_last_error()) };
        panic!("jans_handle panicked: {}", why.to_string_lossy());
    }
    if status == JansStatus::Ok {
        // SAFETY: a filled buffer holds `len` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(out.data, out.len) };
        assert!(serde_json::from_slice::<serde_json::Value>(bytes).is_ok());
    } else {
        assert!(out.data.is_null());
    }
    // SAFETY: `out` as the call left it.
    unsafe { jans_buf_free(&mut out) };
    // The same bytes as a token for local verification: raw, and (split at the first 0xff)
    // as a header and a payload inside a compact JWS, so the header checks are reached.
    let (header, payload) = match data.iter().position(|b| *b == 0xff) {
        Some(i) => (
            data.get(..i).unwrap_or_default(),
            data.get(i + 1..).unwrap_or_default(),
        ),
        None => (data, &b"{}"[..]),
    };
    use base64::Engine as _;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let structured = format!("{}.{}.{}", b64(header), b64(payload), b64(&[0; 64]));
    for token in [data.to_vec(), structured.into_bytes()] {
        let mut token = token;
        token.retain(|b| *b != 0);
        token.push(0);
        let mut out = JansBuf::EMPTY;
        // SAFETY: a NUL-terminated copy, NULL audience, a local out buffer.
        let status =
            unsafe { jans_token_verify(id, token.as_ptr().cast(), std::ptr::null(), &mut out) };
        assert_ne!(status, JansStatus::Panic, "jans_token_verify panicked");
        // SAFETY: `out` as the call left it.
        unsafe { jans_buf_free(&mut out) };
    }
}

pub(crate) fn oauth_failure(e: jans_core::error::oauth::OAuthError) -> Failure {
    let message = match &e.description {
        Some(d) => format!("{}: {d}", e.code.as_str()),
        None => e.code.as_str().to_owned(),
    };
    Failure::new(JansStatus::InvalidArgument, message)
}

pub(crate) fn engine_failure(e: jans_core::Error) -> Failure {
    match e {
        jans_core::Error::OAuth(o) => oauth_failure(o),
        jans_core::Error::Store(s) => Failure::new(JansStatus::Store, s.to_string()),
        other => Failure::new(JansStatus::Internal, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_the_crate_version() {
        // SAFETY: jans_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(super::jans_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}

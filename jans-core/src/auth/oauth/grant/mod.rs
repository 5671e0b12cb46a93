//! Token endpoint grants (RFC 6749 §4, §6). Each grant loads what it needs, decides with
//! pure checks over it, commits what must change (a code taken, a refresh token rotated)
//! and answers what it granted ([`Granted`]); the token endpoint alone issues tokens
//! ([`crate::auth::oauth::token`]).

pub mod authorization_code;
pub mod client_credentials;
pub mod jwt_bearer;
pub mod password;
pub mod refresh_token;
pub mod token_exchange;

use crate::auth::authn::session::Session;
use crate::auth::oauth::authorize::AuthorizationRequest;
use crate::error::Error;
use crate::error::oauth::OAuthError;
use crate::params::Params;
use crate::repo::user::User;
use crate::response::Response;

/// What a grant granted: the token endpoint issues an access token for it, and the ID token
/// and refresh token it names.
#[derive(Clone, Debug)]
pub struct Granted {
    /// `grant_type`, for the response's metrics label.
    pub grant_type: &'static str,
    /// The resource owner (none for `client_credentials`).
    pub subject: Option<User>,
    /// The access token's scope.
    pub scope: String,
    /// The family everything issued joins (empty: none).
    pub family: String,
    /// The OIDC `claims` request the tokens carry (Core §5.5).
    pub claims: Option<String>,
    /// An ID token goes with the access token (OIDC Core §3.1.3.3).
    pub id_token: Option<IdTokenBasis>,
    /// A refresh token goes with it, with this scope (a narrowed refresh keeps the original).
    pub refresh: Option<String>,
    /// The grant took a code or refresh token a racing replay may revoke the family for:
    /// the issued tokens are checked against that once stored (`family::settle`).
    pub settle: bool,
    /// Audience, actor and authorization details the tokens carry.
    pub extras: crate::auth::oauth::access_token::Extras,
}

/// What an ID token is made from: the authentication and the authorization request.
#[derive(Clone, Debug)]
pub struct IdTokenBasis {
    /// The authentication (`auth_time`, `acr`, `amr`, `sid`).
    pub session: Session,
    /// The request (`nonce`, the claims asked for).
    pub request: AuthorizationRequest,
}

/// A grant's answer: what it granted, or a response of its own (a refusal that carries
/// headers, such as `Retry-After` while a user's password guesses are delayed).
#[derive(Clone, Debug)]
pub enum Decision {
    /// Issue tokens for this.
    Granted(Box<Granted>),
    /// Answer this.
    Answer(Response),
}

impl From<Granted> for Decision {
    fn from(g: Granted) -> Decision {
        Decision::Granted(Box::new(g))
    }
}

/// The token request's parameter `name`, which the grant requires: `invalid_request` naming
/// it when absent (RFC 6749 §5.2), and when repeated (§3.2).
pub(crate) fn required<'p>(params: &'p Params, name: &str) -> Result<&'p str, Error> {
    Ok(params
        .get(name)?
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))?)
}

/// `invalid_grant` with a description, as an [`Error`].
pub(crate) fn invalid_grant(d: &'static str) -> Error {
    OAuthError::invalid_grant(d).into()
}

//! The seams through which one component uses another without importing it (DESIGN.md
//! §3): traits a component implements and the engine installs in [`super::Services`].

use crate::config::Config;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::client::{Client, ClientMetadata};

/// A sign-in with a passkey or security key, verified by the FIDO2 component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySignIn {
    /// The user's `inum`.
    pub user_inum: String,
    /// The authenticator verified the user (flag UV: a PIN or a biometric).
    pub user_verified: bool,
    /// The credential may be synced between devices (flag BE): software-secured rather
    /// than bound to one piece of hardware.
    pub backup_eligible: bool,
}

/// The WebAuthn ceremonies the auth-server's sign-in runs, served by the FIDO2 component:
/// the seam through which one component uses another without importing it (DESIGN.md §3).
/// The engine installs it when it has the FIDO2 component.
#[async_trait::async_trait]
pub trait KeyCeremonies: Send + Sync {
    /// Request options (`PublicKeyCredentialRequestOptionsJSON`) for a sign-in: any
    /// discoverable credential when `username` is `None`, else that user's credentials
    /// (`None` when they have none). `user_verification` is `required`, `preferred` or
    /// `discouraged`.
    async fn start_sign_in(
        &self,
        username: Option<&str>,
        user_verification: &str,
        ctx: &Ctx,
    ) -> Result<Option<serde_json::Value>, Error>;

    /// Verify the browser's `AuthenticationResponseJSON` for a ceremony started above; the
    /// user signed in is an active one.
    async fn finish_sign_in(&self, response: &[u8], ctx: &Ctx) -> Result<KeySignIn, Error>;

    /// The security keys and passkeys of `username`, oldest first (Casa's dashboard).
    async fn keys_of(
        &self,
        username: &str,
    ) -> Result<Vec<crate::repo::fido2::Fido2Registration>, Error>;

    /// Rename (`None`: unname) the credential `credential_id` (base64url) of `username`;
    /// `false` when they have no such credential. A FIDO2 error for a nickname refused.
    async fn rename_key(
        &self,
        username: &str,
        credential_id: &str,
        nickname: Option<&str>,
    ) -> Result<bool, Error>;

    /// Remove the credential `credential_id` of `username`; whether they had it.
    async fn remove_key(&self, username: &str, credential_id: &str) -> Result<bool, Error>;
}

/// How a password check went, the auth-server's brute-force protection applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordVerdict {
    /// The password is the active person's.
    Valid,
    /// Wrong password, unknown or inactive person.
    Invalid,
    /// Not checked: the person's delay applies for this many seconds.
    Wait(u64),
}

/// The auth-server's judgement of a bearer token, served to the components whose endpoints
/// it protects (SCIM, the config API): the seam through which they use the auth-server
/// without importing it (DESIGN.md §3). The engine installs it.
#[async_trait::async_trait]
pub trait BearerTokens: Send + Sync {
    /// The token's state as introspection tells it (RFC 7662 §2.2: `active`, `scope`,
    /// `client_id`, `sub`, `exp`, ...): `{"active": false}` for a token that is unknown,
    /// expired, revoked, or not an access token.
    async fn introspect(&self, token: &str, ctx: &Ctx) -> Result<serde_json::Value, Error>;
}

/// The auth-server's rules for clients, served to the config API: the seam through which
/// it makes and changes clients without importing the auth-server (DESIGN.md §3). The
/// engine installs it. Nothing here is stored: the caller writes what it gets.
pub trait ClientRegistry: Send + Sync {
    /// Check `metadata` by the rules registration applies (RFC 7591 §2, OIDC Dynamic Client
    /// Registration §2) and fill its defaults; the OAuth error `invalid_client_metadata` (or
    /// `invalid_redirect_uri`) naming the fault.
    fn check(&self, metadata: &mut ClientMetadata) -> Result<(), Error>;

    /// A new client with checked `metadata`: the id `client_id` or a fresh one, and when
    /// its method uses a secret, `secret` or else a fresh one, sealed, and in clear beside it.
    fn new_client(
        &self,
        client_id: Option<&str>,
        metadata: ClientMetadata,
        secret: Option<&str>,
        ctx: &Ctx,
    ) -> Result<(Client, Option<String>), Error>;

    /// `client` with checked `metadata`: its secret kept, replaced by `secret` when given,
    /// made when its new method needs one it lacks, dropped when the method needs none;
    /// the secret in clear when it is new.
    fn revise(
        &self,
        client: Client,
        metadata: ClientMetadata,
        secret: Option<&str>,
        ctx: &Ctx,
    ) -> Result<(Client, Option<String>), Error>;
}

/// The auth-server's sign-in, served to components whose browser endpoints need the
/// person (UMA's claims gathering): the seam through which they use its sessions and
/// login pages without importing it (DESIGN.md §3). The engine installs it.
#[async_trait::async_trait]
pub trait SignIn: Send + Sync {
    /// The claims of the person the browser of `req` is signed in as (its session cookie),
    /// as `client` sees them: `sub` (the client's subject for them) and their standard
    /// claims; `None` when no live session of an active person.
    async fn signed_in_claims(
        &self,
        req: &crate::request::Request,
        client: &Client,
        ctx: &Ctx,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, Error>;

    /// Send the browser through the login pages for `client_id`, then to `return_to` (a
    /// URL of this server) once signed in; a sign-in abandoned (too many failures) goes
    /// to `redirect_uri` (registered for the client) with `error=access_denied` and
    /// `state`.
    async fn sign_in(
        &self,
        client_id: &str,
        redirect_uri: &str,
        state: Option<&str>,
        return_to: &str,
        ctx: &Ctx,
    ) -> Result<crate::response::Response, Error>;

    /// The token endpoint's answer to the form `params` (RFC 6749 §3.2), as over HTTP: for
    /// a component that is an OpenID Connect client of this server (Casa redeems its
    /// authorization codes here).
    async fn token_endpoint(
        &self,
        params: crate::params::Params,
        ctx: &Ctx,
    ) -> Result<crate::response::Response, Error>;

    /// Check the password of the person `uid` as the login page does, counted by the same
    /// brute-force protection (Casa's password change asks for the current one).
    async fn check_password(
        &self,
        uid: &str,
        password: &str,
        ctx: &Ctx,
    ) -> Result<PasswordVerdict, Error>;
}

/// A grant type another component serves at the auth-server's token endpoint (UMA's
/// `urn:ietf:params:oauth:grant-type:uma-ticket`): the seam through which the token
/// endpoint hands it the request without importing that component (DESIGN.md §3). The
/// component installs it; the token endpoint has authenticated the client and checked
/// that the grant type is supported and registered for it.
#[async_trait::async_trait]
pub trait TokenGrant: Send + Sync {
    /// Whether the grant answers under `config` (its feature flag); when it does not, the
    /// token endpoint answers `unsupported_grant_type`.
    fn enabled(&self, config: &Config) -> bool;

    /// Answer the token request `params` of the authenticated `client`.
    async fn grant(
        &self,
        client: &Client,
        params: &crate::params::Params,
        ctx: &Ctx,
    ) -> Result<crate::response::Response, Error>;
}

/// What a protected resource endpoint learns of its request's bearer token
/// ([`super::Services::bearer`]); each component answers the refusals in its own error form.
#[derive(Clone, Debug, PartialEq)]
pub enum Bearer {
    /// No `Authorization: Bearer` token (one non-empty token68, RFC 6750 §2.1): RFC 6750
    /// §3.1's bare challenge.
    Missing,
    /// A token that is not a live access token of this server: `invalid_token`.
    Inactive,
    /// A live access token.
    Active(ActiveToken),
}

/// A live access token, as introspection describes it (RFC 7662 §2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveToken {
    /// The client it was issued to.
    pub client_id: String,
    /// Its subject (a user's `inum`), when a user granted it rather than a client itself.
    pub subject: Option<String>,
    /// Its scopes.
    pub scopes: Vec<String>,
}

/// A component with sessions of its own joined to the auth-server's browser sessions (the
/// SAML IdP's SP sessions): told when one ends, it answers the URLs the logout page loads
/// in hidden frames to end its own (its front-channel logout, as OIDC Front-Channel Logout
/// 1.0 §3 does for clients). The component installs it; the auth-server calls every one
/// when a session ends by logout.
#[async_trait::async_trait]
pub trait SessionEnded: Send + Sync {
    /// The session `sid` of the person `user` ended: the frame URLs ending this
    /// component's sessions joined to it (none when it has none).
    async fn session_ended(&self, sid: &str, user: &str, ctx: &Ctx) -> Result<Vec<String>, Error>;
}

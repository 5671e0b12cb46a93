//! The engine: the shared [`Services`] plus one value per component, behind one
//! `handle(Request, &Ctx)` ([`dispatch`]). Construction is in [`builder`]; what the engine
//! does for the whole process and across nodes (first start, shared configuration, key
//! rotation, sweeping) in [`cluster`]. The typed operations of the components are
//! re-exported here as methods, so an embedder holds one value.

pub mod builder;
pub mod cluster;
pub mod dispatch;

use std::sync::Arc;

use crate::auth::AuthServer;
use crate::auth::authn::interaction::{Account, InteractionView, LoginResult, PasswordCheck};
use crate::auth::oauth::verify::{VerifiedToken, VerifyError};
use crate::auth::oidc::backchannel::DeliveryReport;
use crate::auth::oidc::logout::LogoutRequest;
use crate::config::Config;
use crate::crypto::CryptoProvider;
use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::keys::KeyManager;
use crate::password::pool::Hasher;
use crate::repo::Stores;
use crate::repo::client::{Client, ClientMetadata};
use crate::repo::scope::Scope;
use crate::repo::user::{User, UserStatus};
use crate::response::Response;
use crate::services::Services;

pub use crate::auth::clients::RegisteredClient;
pub use crate::services::{LEASE_SECONDS, Wake};
pub use builder::EngineBuilder;
pub use cluster::{TickReport, key_reload_bound, shared_doc};

pub(crate) struct Inner {
    pub(crate) services: Arc<Services>,
    pub(crate) auth: Arc<AuthServer>,
    pub(crate) fido2: Arc<crate::fido2::Fido2Server>,
    pub(crate) scim: crate::scim::ScimServer,
    pub(crate) admin: crate::admin::AdminServer,
    pub(crate) uma: Arc<crate::uma::UmaServer>,
    pub(crate) casa: crate::casa::CasaServer,
    pub(crate) saml: Arc<crate::saml::SamlServer>,
    /// The master key's check value (a PRF of it: says which key, reveals nothing of it).
    pub(crate) master_key_check: String,
}

/// The jans-rs engine. Cheap to clone; every clone shares state.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("issuer", &self.config().issuer)
            .field("provider", &self.provider().name())
            .finish()
    }
}

impl Engine {
    /// Start building an engine with this configuration.
    pub fn builder(config: Config) -> EngineBuilder {
        EngineBuilder::new(config)
    }

    /// The services every component shares.
    pub fn services(&self) -> &Arc<Services> {
        &self.inner.services
    }

    /// The auth-server component.
    pub fn auth(&self) -> &AuthServer {
        &self.inner.auth
    }

    /// The FIDO2 component.
    pub fn fido2(&self) -> &crate::fido2::Fido2Server {
        &self.inner.fido2
    }

    /// The Casa component.
    pub fn casa(&self) -> &crate::casa::CasaServer {
        &self.inner.casa
    }

    /// The SAML IdP component.
    pub fn saml(&self) -> &crate::saml::SamlServer {
        &self.inner.saml
    }

    /// The UMA component (its policies are loaded here).
    pub fn uma(&self) -> &crate::uma::UmaServer {
        &self.inner.uma
    }

    /// The current configuration.
    pub fn config(&self) -> Arc<Config> {
        self.services().config()
    }

    /// The stores.
    pub fn stores(&self) -> &Stores {
        self.services().stores()
    }

    /// The key manager.
    pub fn keys(&self) -> &KeyManager {
        self.services().keys()
    }

    /// The crypto provider.
    pub fn provider(&self) -> &Arc<dyn CryptoProvider> {
        self.services().provider()
    }

    /// The password hashing pool.
    pub fn hasher(&self) -> &Hasher {
        self.services().hasher()
    }

    /// The scopes this server knows (Janssen's `jansScope` entries), as last loaded.
    pub fn scopes(&self) -> Arc<Vec<Scope>> {
        self.services().scopes()
    }
}

/// The FIDO2 component's typed operations ([`crate::fido2::Fido2Server`]).
impl Engine {
    /// [`crate::fido2::Fido2Server::registrations`]
    pub async fn fido2_registrations(
        &self,
        username: &str,
    ) -> Result<Vec<crate::repo::fido2::Fido2Registration>, Error> {
        self.fido2().registrations(username).await
    }

    /// [`crate::fido2::Fido2Server::rename_registration`]
    pub async fn rename_fido2_registration(
        &self,
        username: &str,
        credential_id: &str,
        nickname: Option<&str>,
    ) -> Result<bool, Error> {
        self.fido2()
            .rename_registration(username, credential_id, nickname)
            .await
    }

    /// [`crate::fido2::Fido2Server::remove_registration`]
    pub async fn remove_fido2_registration(
        &self,
        username: &str,
        credential_id: &str,
    ) -> Result<bool, Error> {
        self.fido2()
            .remove_registration(username, credential_id)
            .await
    }
}

/// The auth-server's typed operations ([`AuthServer`]), for embedders and hosts.
impl Engine {
    /// The host serves these components (`--components`: `auth`, `fido2`, `scim`,
    /// `config-api`, `casa`, `saml`), as the config API's `health/service-status` reports.
    pub fn set_served(&self, components: &[&str]) {
        self.services()
            .set_served(components.iter().map(|c| (*c).to_owned()).collect());
    }

    /// [`AuthServer::register_client`]
    pub async fn register_client(
        &self,
        metadata: ClientMetadata,
        ctx: &Ctx,
    ) -> Result<RegisteredClient, Error> {
        self.auth().register_client(metadata, ctx).await
    }

    /// [`AuthServer::update_client_metadata`]
    pub async fn update_client_metadata(
        &self,
        client: Client,
        metadata: ClientMetadata,
        ctx: &Ctx,
    ) -> Result<RegisteredClient, Error> {
        self.auth()
            .update_client_metadata(client, metadata, ctx)
            .await
    }

    /// [`AuthServer::client`]
    pub async fn client(&self, client_id: &str) -> Result<Option<Client>, Error> {
        self.auth().client(client_id).await
    }

    /// [`AuthServer::clients`]
    pub async fn clients(&self) -> Result<Vec<Client>, Error> {
        self.auth().clients().await
    }

    /// [`AuthServer::remove_client`]
    pub async fn remove_client(&self, client_id: &str) -> Result<bool, Error> {
        self.auth().remove_client(client_id).await
    }

    /// [`AuthServer::add_user`]
    pub async fn add_user(&self, user: User, password: &str, ctx: &Ctx) -> Result<User, Error> {
        self.auth().add_user(user, password, ctx).await
    }

    /// [`AuthServer::user`]
    pub async fn user(&self, uid: &str) -> Result<Option<User>, Error> {
        self.auth().user(uid).await
    }

    /// [`AuthServer::users`]
    pub async fn users(&self) -> Result<Vec<User>, Error> {
        self.auth().users().await
    }

    /// [`AuthServer::set_password`]
    pub async fn set_password(&self, uid: &str, password: &str, ctx: &Ctx) -> Result<(), Error> {
        self.auth().set_password(uid, password, ctx).await
    }

    /// [`AuthServer::set_user_status`]
    pub async fn set_user_status(
        &self,
        uid: &str,
        status: UserStatus,
        ctx: &Ctx,
    ) -> Result<(), Error> {
        self.auth().set_user_status(uid, status, ctx).await
    }

    /// [`AuthServer::check_password`]
    pub async fn check_password(&self, uid: &str, password: &str) -> Result<Option<User>, Error> {
        self.auth().check_password(uid, password).await
    }

    /// [`AuthServer::check_password_counted`]
    pub async fn check_password_counted(
        &self,
        uid: &str,
        password: &str,
        ctx: &Ctx,
    ) -> Result<PasswordCheck, Error> {
        self.auth().check_password_counted(uid, password, ctx).await
    }

    /// [`AuthServer::subject_for`]
    pub fn subject_for(&self, client: &Client, user_inum: &str) -> String {
        self.auth().subject_for(client, user_inum)
    }

    /// [`AuthServer::verify_token`]
    pub fn verify_token(
        &self,
        token: &str,
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<VerifiedToken, VerifyError> {
        self.auth().verify_token(token, audience, now)
    }

    /// [`AuthServer::verify_token_dpop`]
    #[allow(clippy::too_many_arguments)]
    pub async fn verify_token_dpop(
        &self,
        token: &str,
        proof: &str,
        method: &str,
        url: &str,
        certificate: Option<&[u8]>,
        audience: Option<&str>,
        ctx: &Ctx,
    ) -> Result<VerifiedToken, VerifyError> {
        self.auth()
            .verify_token_dpop(token, proof, method, url, certificate, audience, ctx)
            .await
    }

    /// [`AuthServer::verify_token_certificate`]
    pub fn verify_token_certificate(
        &self,
        token: &str,
        certificate: &[u8],
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<VerifiedToken, VerifyError> {
        self.auth()
            .verify_token_certificate(token, certificate, audience, now)
    }

    /// [`AuthServer::introspect`]
    pub async fn introspect(&self, token: &str, ctx: &Ctx) -> Result<serde_json::Value, Error> {
        self.auth().introspect(token, ctx).await
    }

    /// [`AuthServer::interaction`]
    pub async fn interaction(&self, id: &str, ctx: &Ctx) -> Result<Option<InteractionView>, Error> {
        self.auth().interaction(id, ctx).await
    }

    /// [`AuthServer::interaction_login`]
    pub async fn interaction_login(
        &self,
        id: &str,
        csrf: &str,
        uid: &str,
        password: &str,
        ctx: &Ctx,
    ) -> Result<LoginResult, Error> {
        self.auth()
            .interaction_login(id, csrf, uid, password, ctx)
            .await
    }

    /// [`AuthServer::interaction_webauthn`]
    pub async fn interaction_webauthn(
        &self,
        id: &str,
        csrf: &str,
        response: &[u8],
        ctx: &Ctx,
    ) -> Result<LoginResult, Error> {
        self.auth()
            .interaction_webauthn(id, csrf, response, ctx)
            .await
    }

    /// [`AuthServer::interaction_otp`]
    pub async fn interaction_otp(
        &self,
        id: &str,
        csrf: &str,
        code: &str,
        ctx: &Ctx,
    ) -> Result<LoginResult, Error> {
        self.auth().interaction_otp(id, csrf, code, ctx).await
    }

    /// [`AuthServer::interaction_choose_factor`]
    pub async fn interaction_choose_factor(
        &self,
        id: &str,
        csrf: &str,
        factor: &str,
        ctx: &Ctx,
    ) -> Result<(), Error> {
        self.auth()
            .interaction_choose_factor(id, csrf, factor, ctx)
            .await
    }

    /// [`AuthServer::ciba_pending`]
    pub async fn ciba_pending(
        &self,
        uid: &str,
        ctx: &Ctx,
    ) -> Result<Vec<crate::auth::oauth::ciba::Pending>, Error> {
        self.auth().ciba_pending(uid, ctx).await
    }

    /// [`AuthServer::ciba_decide`]
    pub async fn ciba_decide(
        &self,
        reference: &str,
        uid: &str,
        approve: bool,
        ctx: &Ctx,
    ) -> Result<bool, Error> {
        self.auth().ciba_decide(reference, uid, approve, ctx).await
    }

    /// [`AuthServer::signed_in_user`]
    pub async fn signed_in_user(&self, cookie: &str, ctx: &Ctx) -> Result<Option<User>, Error> {
        self.auth().signed_in_user(cookie, ctx).await
    }

    /// [`AuthServer::accounts`]
    pub async fn accounts(&self, cookies: &[String], ctx: &Ctx) -> Result<Vec<Account>, Error> {
        self.auth().accounts(cookies, ctx).await
    }

    /// [`AuthServer::interaction_select`]
    pub async fn interaction_select(
        &self,
        id: &str,
        csrf: &str,
        chosen: Option<&str>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        self.auth().interaction_select(id, csrf, chosen, ctx).await
    }

    /// [`AuthServer::interaction_consent`]
    pub async fn interaction_consent(
        &self,
        id: &str,
        csrf: &str,
        allow: bool,
        remember: bool,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        self.auth()
            .interaction_consent(id, csrf, allow, remember, ctx)
            .await
    }

    /// [`AuthServer::interaction_create`]
    pub async fn interaction_create(
        &self,
        id: &str,
        csrf: &str,
        account: crate::auth::authn::create::NewAccount,
        ctx: &Ctx,
    ) -> Result<crate::auth::authn::create::CreateResult, Error> {
        self.auth().interaction_create(id, csrf, account, ctx).await
    }

    /// [`AuthServer::logout_request`]
    pub async fn logout_request(
        &self,
        id: &str,
        ctx: &Ctx,
    ) -> Result<Option<LogoutRequest>, Error> {
        self.auth().logout_request(id, ctx).await
    }

    /// [`AuthServer::confirm_logout`]
    pub async fn confirm_logout(
        &self,
        id: &str,
        csrf: &str,
        confirmed: bool,
        cookie: Option<&str>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        self.auth()
            .confirm_logout(id, csrf, confirmed, cookie, ctx)
            .await
    }

    /// [`AuthServer::deliver_logouts`]
    pub async fn deliver_logouts(&self, ctx: &Ctx) -> Result<Option<DeliveryReport>, Error> {
        self.auth().deliver_logouts(ctx).await
    }
}

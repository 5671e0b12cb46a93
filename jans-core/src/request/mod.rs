//! Transport-free requests: what a host hands to [`crate::Engine::handle`].

mod saml;

pub use saml::SamlEndpoint;

use crate::params::Params;

/// The HTTP method, as far as the core cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET (and HEAD, answered like GET without a body by the host).
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// PATCH (RFC 5789; SCIM's partial updates, RFC 7644 §3.5.2)
    Patch,
    /// Anything else.
    Other,
}

impl Method {
    /// Parse an HTTP method name.
    pub fn parse(m: &str) -> Method {
        match m {
            "GET" | "HEAD" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "PATCH" => Method::Patch,
            _ => Method::Other,
        }
    }

    /// Its name (`OTHER` for any other).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Other => "OTHER",
        }
    }

    /// Whether an `Allow` list (`"GET, PUT"`, RFC 9110 §10.2.1) names it.
    pub fn is_in(self, allowed: &str) -> bool {
        self != Method::Other && allowed.split(", ").any(|m| m == self.as_str())
    }
}

/// Every endpoint the engine serves: one variant per component, each holding that
/// component's endpoints (DESIGN.md §2). The path tables are the components' own
/// (`auth::paths`); [`Endpoint::from_path`] consults every one of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// The auth-server (OAuth 2.0, OpenID Connect).
    Auth(AuthEndpoint),
    /// The FIDO2 server (WebAuthn).
    Fido2(Fido2Endpoint),
    /// The SCIM 2.0 server.
    Scim(ScimEndpoint),
    /// The config API (Janssen's jans-config-api).
    Admin(AdminEndpoint),
    /// The UMA 2.0 authorization server.
    Uma(UmaEndpoint),
    /// Casa, the self-service portal.
    Casa(CasaEndpoint),
    /// The SAML 2.0 identity provider.
    Saml(SamlEndpoint),
}

/// Casa's pages, under `/jans-casa/` (DESIGN.md §3; `casa::paths`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CasaEndpoint {
    /// `/jans-casa/`: the person's credentials and two-factor settings.
    Dashboard,
    /// `/jans-casa/callback`: back from the auth-server with an authorization code.
    Callback,
    /// `/jans-casa/logout`: sign out of Casa and of the auth-server.
    Logout,
    /// `/jans-casa/otp`: enrol an authenticator app.
    Otp,
    /// `/jans-casa/otp/{id}`: rename or remove one.
    OtpDevice(String),
    /// `/jans-casa/passkeys/{credential id}`: rename or remove a passkey or security key.
    Passkey(String),
    /// `/jans-casa/recovery-codes`: a new set of recovery codes.
    RecoveryCodes,
    /// `/jans-casa/2fa`: turn two-factor authentication on or off, choose the preferred
    /// method.
    TwoFactor,
    /// `/jans-casa/password`: change the password.
    Password,
    /// `/jans-casa/consents/{client id}`: withdraw the consent given to an application.
    Consent(String),
    /// `/jans-casa/devices/{id}`: stop trusting a device.
    TrustedDevice(String),
    /// `/jans-casa/admin`: the admin console.
    Admin,
}

impl From<CasaEndpoint> for Endpoint {
    fn from(e: CasaEndpoint) -> Endpoint {
        Endpoint::Casa(e)
    }
}

/// The UMA 2.0 server's endpoints, at Janssen's paths (DESIGN.md §3; `uma::paths`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UmaEndpoint {
    /// `/.well-known/uma2-configuration` and `/jans-auth/restv1/uma2-configuration`.
    Configuration,
    /// `/jans-auth/restv1/host/rsrc/resource_set`: register a resource, list them.
    ResourceSets,
    /// `/jans-auth/restv1/host/rsrc/resource_set/{rsid}`: one resource.
    ResourceSet(String),
    /// `/jans-auth/restv1/host/rsrc_pr`: the permission endpoint (tickets).
    Permission,
    /// `/jans-auth/restv1/rpt/status`: what an RPT grants.
    RptStatus,
    /// `/jans-auth/restv1/host/rsrc/requests`: the permission requests left to the PAT's
    /// resource owner.
    PermissionRequests,
    /// `/jans-auth/restv1/host/rsrc/requests/{id}`: one, and the owner's decisions.
    PermissionRequest(String),
    /// `/jans-auth/restv1/uma/gather_claims`: interactive claims gathering (a browser's).
    GatherClaims,
    /// `/.well-known/authzen-configuration`: AuthZEN's metadata.
    AuthzenConfiguration,
    /// `/jans-auth/restv1/access/v1/evaluation`: one AuthZEN access evaluation.
    Evaluation,
    /// `/jans-auth/restv1/access/v1/evaluations`: a batch of them.
    Evaluations,
}

impl From<UmaEndpoint> for Endpoint {
    fn from(e: UmaEndpoint) -> Endpoint {
        Endpoint::Uma(e)
    }
}

/// The config API's endpoints, at Janssen's paths (`admin::paths`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AdminEndpoint {
    /// `/jans-config-api/api/v1/health`: liveness and readiness together.
    Health,
    /// `/jans-config-api/api/v1/health/live`.
    HealthLive,
    /// `/jans-config-api/api/v1/health/ready`: whether the stores answer.
    HealthReady,
    /// `/jans-config-api/api/v1/health/app-version`.
    AppVersion,
    /// `/jans-config-api/api/v1/jans-auth-server/health`: the auth-server's state.
    AuthServerHealth,
    /// `/jans-config-api/api/v1/scopes`: the scopes, listed.
    Scopes,
    /// `/jans-config-api/api/v1/scopes/{inum}`: one scope.
    Scope(String),
    /// `/jans-config-api/api/v1/openapi.json`: the API's OpenAPI document.
    OpenApi,
    /// `/jans-config-api/api/v1/jans-auth-server/config`: the auth-server's configuration.
    AuthConfig,
    /// `/jans-config-api/api/v1/openid/clients`: the OpenID Connect clients, listed.
    Clients,
    /// `/jans-config-api/api/v1/openid/clients/{inum}`: one client.
    Client(String),
    /// `/jans-config-api/api/v1/mgt/configuser`: people, listed.
    Users,
    /// `/jans-config-api/api/v1/mgt/configuser/{inum}`: one person.
    User(String),
    /// `/jans-config-api/api/v1/config/jwks`: the signing keys.
    Jwks,
    /// `/jans-config-api/api/v1/config/jwks/rotate`: rotate them now.
    JwksRotate,
    /// `/jans-config-api/api/v1/config/jwks/{kid}`: one key.
    JwksKey(String),
    /// `/jans-config-api/api/v1/health/service-status`: the services this process serves.
    ServiceStatus,
    /// `/jans-config-api/api/v1/logging`: how the server logs.
    Logging,
    /// `/jans-config-api/api/v1/clients/authorizations/{userId}`: a person's consents.
    ClientAuthorizations(String),
    /// `/jans-config-api/api/v1/clients/authorizations/{userId}/{clientId}/{username}`: one
    /// of them.
    ClientAuthorization {
        /// The person's `inum`.
        user: String,
        /// The client's id.
        client: String,
        /// The person's login name.
        username: String,
    },
    /// `/jans-config-api/api/v1/jans-auth-server/session`: every live session.
    Sessions,
    /// `/jans-config-api/api/v1/jans-auth-server/session/search`: sessions, paged.
    SessionSearch,
    /// `/jans-config-api/api/v1/jans-auth-server/session/sid/{sid}`: one session.
    Session(String),
    /// `/jans-config-api/api/v1/jans-auth-server/session/user/{userDn}`: a person's.
    UserSessions(String),
    /// `/jans-config-api/api/v1/attributes`: the person attributes, listed.
    Attributes,
    /// `/jans-config-api/api/v1/attributes/{inum}`: one attribute.
    Attribute(String),
    /// `/jans-config-api/api/v1/acrs`: the default authentication method.
    Acrs,
    /// `/jans-config-api/api/v1/audit`: the writes made through the API.
    Audit,
    /// `/jans-config-api/api/v1/org`: the organization's name and branding.
    Org,
    /// `/jans-config-api/api/v1/stat`: tokens issued and active users, by month.
    Stat,
    /// `/jans-config-api/api/v1/token/search`: live tokens, paged and filtered.
    TokenSearch,
    /// `/jans-config-api/api/v1/token/tknCde/{tknCde}`: one token by its code.
    Token(String),
    /// `/jans-config-api/api/v1/token/client/{clientId}`: a client's tokens.
    ClientTokens(String),
    /// `/jans-config-api/api/v1/token/revoke/{tknCde}`: revoke one.
    TokenRevoke(String),
    /// `/jans-config-api/api/v1/uma/resources`: the registered UMA resources.
    UmaResources,
    /// `/jans-config-api/api/v1/uma/resources/{id}`: one of them.
    UmaResource(String),
    /// `/jans-config-api/api/v1/uma/resources/clientId/{clientId}`: a client's.
    ClientUmaResources(String),
}

impl From<AdminEndpoint> for Endpoint {
    fn from(e: AdminEndpoint) -> Endpoint {
        Endpoint::Admin(e)
    }
}

/// The SCIM server's endpoints, at Janssen's paths (DESIGN.md §3; `scim::paths`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScimEndpoint {
    /// `/.well-known/scim-configuration` (Janssen's endpoint directory).
    Configuration,
    /// `/jans-config-api/scim/scim-config`: the SCIM configuration, through the admin route
    /// this component contributes to the config API (Janssen's scim plugin).
    AdminConfig,
    /// `/jans-scim/restv1/v2/ServiceProviderConfig` (RFC 7644 §4).
    ServiceProviderConfig,
    /// `/jans-scim/restv1/v2/ResourceTypes` (RFC 7644 §4).
    ResourceTypes,
    /// `/jans-scim/restv1/v2/ResourceTypes/{id}`.
    ResourceType(String),
    /// `/jans-scim/restv1/v2/Schemas` (RFC 7644 §4).
    Schemas,
    /// `/jans-scim/restv1/v2/Schemas/{urn}`.
    Schema(String),
    /// `/jans-scim/restv1/v2/.search` (RFC 7644 §3.4.3: a query across resource types).
    Search,
    /// `/jans-scim/restv1/v2/Bulk` (RFC 7644 §3.7).
    Bulk,
    /// `/jans-scim/restv1/v2/Me` (RFC 7644 §3.11: the token's user).
    Me,
    /// `/jans-scim/restv1/v2/UpdatedUsers` (Janssen's incremental sync).
    UpdatedUsers,
    /// `/jans-scim/restv1/v2/Users` (RFC 7644 §3.4.2: query).
    Users,
    /// `/jans-scim/restv1/v2/Users/{id}` (§3.4.1).
    User(String),
    /// `/jans-scim/restv1/v2/Users/.search` (§3.4.3).
    UsersSearch,
    /// `/jans-scim/restv1/v2/Groups` (RFC 7644 §3.4.2: query).
    Groups,
    /// `/jans-scim/restv1/v2/Groups/{id}` (§3.4.1).
    Group(String),
    /// `/jans-scim/restv1/v2/Groups/.search` (§3.4.3).
    GroupsSearch,
    /// `/jans-scim/restv1/v2/FidoDevices` (Janssen: the U2F registrations).
    FidoDevices,
    /// `/jans-scim/restv1/v2/FidoDevices/{id}`.
    FidoDevice(String),
    /// `/jans-scim/restv1/v2/FidoDevices/.search`.
    FidoDevicesSearch,
    /// `/jans-scim/restv1/v2/Fido2Devices` (Janssen: the FIDO2 registrations).
    Fido2Devices,
    /// `/jans-scim/restv1/v2/Fido2Devices/{id}`.
    Fido2Device(String),
    /// `/jans-scim/restv1/v2/Fido2Devices/.search`.
    Fido2DevicesSearch,
}

impl From<ScimEndpoint> for Endpoint {
    fn from(e: ScimEndpoint) -> Endpoint {
        Endpoint::Scim(e)
    }
}

/// The FIDO2 server's endpoints, at Janssen's paths (DESIGN.md §3; `fido2::paths`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fido2Endpoint {
    /// `/jans-fido2/restv1/configuration` and `/.well-known/fido2-configuration`.
    Configuration,
    /// `/jans-fido2/restv1/attestation/options`: start a registration (WebAuthn Level 3
    /// §5.4 creation options).
    AttestationOptions,
    /// `/jans-fido2/restv1/attestation/result`: finish it (§7.1).
    AttestationResult,
    /// `/jans-fido2/restv1/assertion/options`: start an authentication (§5.5 request
    /// options).
    AssertionOptions,
    /// `/jans-fido2/restv1/assertion/result`: finish it (§7.2).
    AssertionResult,
    /// `/jans-fido2/restv1/trust/mds/health`: the metadata in force (Janssen's trust
    /// diagnostics).
    MdsHealth,
    /// `/jans-fido2/restv1/trust/attestation/config`: the attestation policy in force.
    AttestationTrustConfig,
    /// `/jans-fido2/restv1/fido/u2f/registration`: FIDO U2F registration (GET starts, POST
    /// finishes).
    U2fRegistration,
    /// `/jans-fido2/restv1/fido/u2f/authentication`: FIDO U2F authentication.
    U2fAuthentication,
    /// `/jans-fido2/restv1/fido-configuration` and `/.well-known/fido-configuration`: the
    /// U2F discovery document.
    U2fConfiguration,
    /// `/jans-config-api/fido2/fido2-config`: the FIDO2 configuration, through the admin
    /// route this component contributes to the config API (Janssen's fido2 plugin).
    AdminConfig,
    /// `/jans-config-api/fido2/registration`: every registration, paged (admin route).
    AdminRegistrations,
    /// `/jans-config-api/fido2/registration/entries/{username}`: a person's registrations.
    AdminRegistrationsOf(String),
    /// `/jans-config-api/fido2/registration/device/{uuid}`: one registration, to delete.
    AdminDevice(String),
}

impl From<Fido2Endpoint> for Endpoint {
    fn from(e: Fido2Endpoint) -> Endpoint {
        Endpoint::Fido2(e)
    }
}

/// The auth-server's endpoints, at Janssen's paths (DESIGN.md §3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthEndpoint {
    /// `/.well-known/openid-configuration` (OIDC Discovery 1.0 §4)
    Discovery,
    /// `/.well-known/jans-configuration`: Janssen's own discovery document.
    JansConfiguration,
    /// `/jans-auth/restv1/par`: pushed authorization requests (RFC 9126).
    Par,
    /// `/jans-auth/restv1/session_status`: Janssen's session status of the browser.
    SessionStatus,
    /// `/jans-auth/restv1/clientinfo`: Janssen's client info of an access token's client.
    ClientInfo,
    /// `/jans-auth/restv1/global-token-revocation`: every token of a person, revoked.
    GlobalTokenRevocation,
    /// `/jans-auth/restv1/device_authorization`: a device asks for codes (RFC 8628 §3.1).
    DeviceAuthorization,
    /// `/jans-auth/device-code`: where the user enters a device's code (RFC 8628 §3.3).
    DeviceVerification,
    /// `/jans-auth/restv1/bc-authorize`: a client asks to authenticate a person on their
    /// own device (OpenID CIBA Core §7).
    BackchannelAuthentication,
    /// `/jans-auth/ciba`: where a signed-in person answers backchannel requests.
    CibaApproval,
    /// `/jans-auth/restv1/ssa`: Janssen's software statement assertions.
    Ssa,
    /// `/jans-auth/restv1/ssa/validation`: whether an SSA is usable.
    SsaValidation,
    /// `/jans-auth/restv1/ssa/jwt`: an SSA's JWT again.
    SsaJwt,
    /// `/.well-known/webfinger` (OIDC Discovery 1.0 §2, RFC 7033)
    Webfinger,
    /// `/jans-auth/restv1/jwks` (RFC 7517 §5)
    Jwks,
    /// `/jans-auth/restv1/jwks/archived/{kid}`: a retired key, no longer in the JWKS.
    JwksArchived(String),
    /// `/jans-auth/restv1/authorize` (RFC 6749 §3.1, OIDC Core §3.1.2)
    Authorize,
    /// `/jans-auth/restv1/token` (RFC 6749 §3.2)
    Token,
    /// `/jans-auth/restv1/userinfo` (OIDC Core §5.3)
    Userinfo,
    /// `/jans-auth/restv1/end_session` (OIDC RP-Initiated Logout 1.0)
    EndSession,
    /// `/jans-auth/restv1/register` (RFC 7591, RFC 7592)
    Register,
    /// `/jans-auth/restv1/introspection` (RFC 7662)
    Introspection,
    /// `/jans-auth/restv1/revoke` (RFC 7009)
    Revocation,
    /// `/jans-auth/opiframe.htm`: the check-session iframe (OIDC Session Management 1.0 §3.1)
    CheckSession,
}

impl From<AuthEndpoint> for Endpoint {
    fn from(e: AuthEndpoint) -> Endpoint {
        Endpoint::Auth(e)
    }
}

/// A request as the engine sees it: already routed, decoded and bounded by the host.
#[derive(Clone, Debug)]
pub struct Request {
    /// Which endpoint.
    pub endpoint: Endpoint,
    /// HTTP method.
    pub method: Method,
    /// URL query parameters.
    pub query: Params,
    /// The URL query as sent (without `?`): what the SAML HTTP-Redirect binding's
    /// signature covers (SAML Bindings §3.4.4.1).
    pub raw_query: String,
    /// `application/x-www-form-urlencoded` body parameters (empty for other bodies).
    pub form: Params,
    /// The raw `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `If-None-Match` header, if any (RFC 9110 §13.1.2; SCIM versions, RFC 7644 §3.14).
    pub if_none_match: Option<String>,
    /// The `If-Match` header, if any (RFC 9110 §13.1.1; SCIM versions, RFC 7644 §3.14).
    pub if_match: Option<String>,
    /// The body for non-form requests (bounded by the host).
    pub body: Vec<u8>,
    /// Cookies sent by a browser (name, value).
    pub cookies: Vec<(String, String)>,
    /// The peer's address as the host saw it (`ip:port`), for logs of failed requests.
    pub peer_addr: Option<std::net::SocketAddr>,
    /// The client's TLS certificate (DER) when the host terminated mutual TLS, or a trusted
    /// proxy forwarded it: what RFC 8705 client authentication and certificate-bound tokens
    /// read (`auth::oauth::mtls`). The TLS layer checked that the client holds its key.
    pub client_certificate: Option<Vec<u8>>,
    /// The intermediate certificates (DER) the client sent after its own, in order.
    pub client_certificate_chain: Vec<Vec<u8>>,
    /// The `DPoP` header: a proof of possession (RFC 9449 §4.1). A request carrying more
    /// than one is refused before it reaches an endpoint (§4.3 item 1).
    pub dpop: Option<String>,
    /// The `jti` header: the SSA whose validity Janssen's `/ssa/validation` is asked.
    pub jti: Option<String>,
    /// The `User-Agent` header, if any (the first, when repeated), cut at
    /// [`MAX_USER_AGENT`] bytes: what a trusted device is named by.
    pub user_agent: Option<String>,
}

/// The cookie that names a browser as one of its people's trusted devices: a random id,
/// sealed under the master key (so a forged or altered one does not open).
pub const DEVICE_COOKIE: &str = "jans_device";

/// Longest `User-Agent` kept.
pub const MAX_USER_AGENT: usize = 512;

/// The browser behind a request, as a sign-in policy sees it: its device cookie, its
/// `User-Agent` and its address.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Browser {
    /// The [`DEVICE_COOKIE`] it sent, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_cookie: Option<String>,
    /// Its `User-Agent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The address the request came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<std::net::IpAddr>,
}

/// A header value as HTTP carries it: visible ASCII, spaces and tabs (RFC 9110 §5.5);
/// anything else makes the value unreadable.
fn header_text(value: &[u8]) -> Option<&str> {
    value
        .iter()
        .all(|b| *b == b'\t' || (0x20..0x7f).contains(b))
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
}

/// The one value of header `name` among `headers` (names compared case-insensitively):
/// `None` when absent, an error when repeated or unreadable.
fn single_header<'a>(
    headers: &[(&str, &'a [u8])],
    name: &str,
) -> Result<Option<&'a str>, crate::error::oauth::OAuthError> {
    use crate::error::oauth::OAuthError;
    let mut found = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v);
    let Some(first) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(OAuthError::invalid_request(format!(
            "repeated {name} header"
        )));
    }
    header_text(first)
        .map(Some)
        .ok_or_else(|| OAuthError::invalid_request(format!("malformed {name} header")))
}

fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    })
}

/// A caller's `x-request-id` (an upstream proxy's, an embedder's) when it is short and plain
/// enough to log as is (1–64 of `A-Za-z0-9-_`); every host applies this one check.
pub fn caller_request_id(value: Option<&[u8]>) -> Option<String> {
    value
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        })
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

impl Request {
    /// The engine request for an HTTP request's parts, the one translation every host uses
    /// (the HTTP host from its header map, the C ABI from its request document), so a
    /// request means the same whichever way it arrives: `authorization`, `accept`,
    /// `content-type`, `if-none-match`, `if-match`, `dpop` and `jti` taken once (repeated: `invalid_request`), cookies
    /// from every `Cookie`
    /// header, a form body parsed (RFC 6749 §3.1: repeated parameters kept for the
    /// endpoints to refuse), any other body kept as bytes.
    pub fn from_http(
        endpoint: Endpoint,
        method: &str,
        query: Option<&str>,
        headers: &[(&str, &[u8])],
        body: Vec<u8>,
    ) -> Result<Request, crate::error::oauth::OAuthError> {
        let mut req = Request::new(endpoint, Method::parse(method));
        if let Some(q) = query {
            req.query = Params::parse(q.as_bytes())?;
            q.clone_into(&mut req.raw_query);
        }
        req.authorization = single_header(headers, "authorization")?.map(str::to_owned);
        req.accept = single_header(headers, "accept")?.map(str::to_owned);
        req.content_type = single_header(headers, "content-type")?.map(str::to_owned);
        req.if_none_match = single_header(headers, "if-none-match")?.map(str::to_owned);
        req.if_match = single_header(headers, "if-match")?.map(str::to_owned);
        req.jti = single_header(headers, "jti")?.map(str::to_owned);
        req.dpop = single_header(headers, "dpop")
            .map_err(|_| {
                crate::error::oauth::OAuthError::new(
                    crate::error::oauth::ErrorCode::InvalidDpopProof,
                    "one DPoP header, of visible ASCII, is allowed",
                )
            })?
            .map(str::to_owned);
        req.user_agent = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("user-agent"))
            .and_then(|(_, v)| header_text(v))
            // Visible ASCII (`header_text`): any byte is a boundary.
            .map(|ua| ua.get(..MAX_USER_AGENT).unwrap_or(ua).to_owned());
        for (_, value) in headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        {
            if let Some(v) = header_text(value) {
                req.cookies.extend(Request::parse_cookie_header(v));
            }
        }
        if is_form(req.content_type.as_deref()) {
            req.form = Params::parse(&body)?;
        } else {
            req.body = body;
        }
        Ok(req)
    }

    /// A request to `endpoint` with `method` and nothing else.
    pub fn new(endpoint: impl Into<Endpoint>, method: Method) -> Self {
        Request {
            endpoint: endpoint.into(),
            method,
            query: Params::new(),
            raw_query: String::new(),
            form: Params::new(),
            authorization: None,
            accept: None,
            content_type: None,
            if_none_match: None,
            if_match: None,
            body: Vec::new(),
            cookies: Vec::new(),
            peer_addr: None,
            client_certificate: None,
            client_certificate_chain: Vec::new(),
            dpop: None,
            jti: None,
            user_agent: None,
        }
    }

    /// The browser that sent it ([`Browser`]).
    pub fn browser(&self) -> Browser {
        Browser {
            device_cookie: self.cookie(DEVICE_COOKIE).map(str::to_owned),
            user_agent: self.user_agent.clone(),
            ip: self.peer_addr.map(|a| a.ip()),
        }
    }

    /// The credentials of an `Authorization: Bearer` header (RFC 6750 §2.1; the scheme
    /// case-insensitive), trimmed.
    pub fn bearer(&self) -> Option<&str> {
        let (scheme, rest) = self.authorization.as_deref()?.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
    }

    /// The value of a cookie; `None` when absent or sent more than once.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        let mut found = self.cookies.iter().filter(|(n, _)| n == name);
        let first = found.next()?;
        found.next().is_none().then_some(first.1.as_str())
    }

    /// Parse a `Cookie` header (RFC 6265 §5.4) into pairs, keeping at most 50.
    pub fn parse_cookie_header(header: &str) -> Vec<(String, String)> {
        header
            .split(';')
            .filter_map(|p| {
                let (n, v) = p.trim().split_once('=')?;
                Some((n.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
            })
            .take(50)
            .collect()
    }

    /// Set the form body.
    pub fn with_form(mut self, form: Params) -> Self {
        self.content_type = Some("application/x-www-form-urlencoded".to_owned());
        self.form = form;
        self
    }

    /// Set the `Authorization` header.
    pub fn with_authorization(mut self, value: impl Into<String>) -> Self {
        self.authorization = Some(value.into());
        self
    }

    /// Set the `DPoP` header (RFC 9449 §4.1).
    pub fn with_dpop(mut self, proof: impl Into<String>) -> Self {
        self.dpop = Some(proof.into());
        self
    }

    /// Set the `Accept` header.
    pub fn with_accept(mut self, value: impl Into<String>) -> Self {
        self.accept = Some(value.into());
        self
    }

    /// The parameters of this request: the form for POST, the query for GET.
    pub fn params(&self) -> &Params {
        match self.method {
            Method::Post | Method::Put => &self.form,
            _ => &self.query,
        }
    }
}

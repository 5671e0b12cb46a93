//! Responses encrypted to the client (OIDC Core §10.2, OIDC DCR §2): ID tokens, userinfo
//! responses, RFC 9701 introspection responses and JARM responses, each per the client's
//! `*_encrypted_response_alg` / `_enc`. A signed JWT is nested (`cty: JWT`, RFC 7519 §5.2);
//! asymmetric algorithms go to a key of the client's `jwks` / `jwks_uri`, symmetric ones to a
//! key derived from its secret.

use crate::auth::AuthServer;
use crate::auth::clients::secret_aad;
use crate::auth::oauth::client_auth::client_jwks;
use crate::config::Config;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::jose::jwe::{self, Enc, KeyAlg, Options, Recipient};
use crate::repo::client::{Client, ClientMetadata};

/// What is being encrypted: which pair of client metadata applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `id_token_encrypted_response_*`
    IdToken,
    /// `userinfo_encrypted_response_*`
    Userinfo,
    /// `introspection_encrypted_response_*` (RFC 9701 §6)
    Introspection,
    /// `authorization_encrypted_response_*` (JARM §3)
    Authorization,
}

/// OIDC DCR §2: `A128CBC-HS256` when a client names an `alg` and no `enc`.
pub const DEFAULT_ENC: Enc = Enc::A128CbcHs256;

impl Purpose {
    /// The client's `(alg, enc)` for this purpose, when it asked for encryption.
    pub fn of(self, m: &ClientMetadata) -> Option<(KeyAlg, Enc)> {
        let (alg, enc) = match self {
            Purpose::IdToken => (
                m.id_token_encrypted_response_alg,
                m.id_token_encrypted_response_enc,
            ),
            Purpose::Userinfo => (
                m.userinfo_encrypted_response_alg,
                m.userinfo_encrypted_response_enc,
            ),
            Purpose::Introspection => (
                m.introspection_encrypted_response_alg,
                m.introspection_encrypted_response_enc,
            ),
            Purpose::Authorization => (
                m.authorization_encrypted_response_alg,
                m.authorization_encrypted_response_enc,
            ),
        };
        alg.map(|a| (a, enc.unwrap_or(DEFAULT_ENC)))
    }
}

/// A client metadata pair and the server's supported values, for registration checks.
struct Pair<'a> {
    alg_name: &'static str,
    alg: &'a mut Option<KeyAlg>,
    enc: &'a mut Option<Enc>,
    algs: &'a [KeyAlg],
    encs: &'a [Enc],
    /// Encrypted to the client (responses), not by it to us (request objects).
    to_client: bool,
}

/// Registration rules for every `*_encrypted_response_*` and `request_object_encryption_*`
/// pair (OIDC DCR §2): an `enc` needs its `alg`, which defaults the `enc`; both must be
/// supported; symmetric algorithms need a client secret, and asymmetric responses the
/// client's keys (with an encryption key for the `alg`, when given inline).
pub(crate) fn normalize(m: &mut ClientMetadata, config: &Config) -> Result<(), OAuthError> {
    let has_secret = m.token_endpoint_auth_method.uses_secret();
    let jwks = m.jwks.clone();
    let has_keys = jwks.is_some() || m.jwks_uri.is_some();
    let pairs = [
        Pair {
            alg_name: "id_token_encrypted_response_alg",
            alg: &mut m.id_token_encrypted_response_alg,
            enc: &mut m.id_token_encrypted_response_enc,
            algs: &config.id_token_encryption_alg_values_supported,
            encs: &config.id_token_encryption_enc_values_supported,
            to_client: true,
        },
        Pair {
            alg_name: "userinfo_encrypted_response_alg",
            alg: &mut m.userinfo_encrypted_response_alg,
            enc: &mut m.userinfo_encrypted_response_enc,
            algs: &config.user_info_encryption_alg_values_supported,
            encs: &config.user_info_encryption_enc_values_supported,
            to_client: true,
        },
        Pair {
            alg_name: "introspection_encrypted_response_alg",
            alg: &mut m.introspection_encrypted_response_alg,
            enc: &mut m.introspection_encrypted_response_enc,
            algs: &config.introspection_encryption_alg_values_supported,
            encs: &config.introspection_encryption_enc_values_supported,
            to_client: true,
        },
        Pair {
            alg_name: "authorization_encrypted_response_alg",
            alg: &mut m.authorization_encrypted_response_alg,
            enc: &mut m.authorization_encrypted_response_enc,
            algs: &config.authorization_encryption_alg_values_supported,
            encs: &config.authorization_encryption_enc_values_supported,
            to_client: true,
        },
        Pair {
            alg_name: "request_object_encryption_alg",
            alg: &mut m.request_object_encryption_alg,
            enc: &mut m.request_object_encryption_enc,
            algs: &config.request_object_encryption_alg_values_supported,
            encs: &config.request_object_encryption_enc_values_supported,
            to_client: false,
        },
    ];
    let err = |msg: String| OAuthError::new(ErrorCode::InvalidClientMetadata, msg);
    for p in pairs {
        let name = p.alg_name;
        let Some(alg) = *p.alg else {
            if p.enc.is_some() {
                return Err(err(format!("an enc needs {name}")));
            }
            continue;
        };
        let enc = *p.enc.get_or_insert(DEFAULT_ENC);
        if !p.algs.contains(&alg) {
            return Err(err(format!("{name} {alg} is not supported")));
        }
        if !p.encs.contains(&enc) {
            return Err(err(format!("the enc {enc} of {name} is not supported")));
        }
        if alg.is_symmetric() {
            if !has_secret {
                return Err(err(format!("{name} {alg} needs a client secret")));
            }
        } else if !p.to_client {
            // Request objects are encrypted to the server's keys.
        } else if !has_keys {
            return Err(err(format!("{name} {alg} needs jwks or jwks_uri")));
        } else if let Some(set) = &jwks
            && jwe::recipient_key(set, alg).is_none()
        {
            return Err(err(format!("jwks has no encryption key for {name} {alg}")));
        }
    }
    Ok(())
}

/// `payload` encrypted to `client` for `purpose`, or `None` when it did not ask. `cty` is
/// `JWT` for a signed JWT inside (OIDC Core §10.2 nests sign-then-encrypt).
///
/// A client whose key cannot be found (its `jwks_uri` unreachable, or no key for the
/// `alg`) gets `invalid_client`: the response cannot be made for it as registered.
pub async fn for_client(
    auth: &AuthServer,
    client: &Client,
    purpose: Purpose,
    payload: &[u8],
    cty: Option<&str>,
    ctx: &Ctx,
) -> Result<Option<String>, Error> {
    let Some((alg, enc)) = purpose.of(&client.metadata) else {
        return Ok(None);
    };
    let options = Options {
        cty,
        ..Options::default()
    };
    let provider = auth.provider();
    let token = if alg.is_symmetric() {
        let sealed = client
            .client_secret_sealed
            .as_deref()
            .ok_or_else(|| no_key(alg))?;
        let secret = auth
            .secret_box()
            .open(sealed, &secret_aad(&client.client_id))?;
        let secret = String::from_utf8(secret).map_err(|_| no_key(alg))?;
        let key = jwe::secret_key(&secret, alg, enc);
        jwe::encrypt(
            payload,
            alg,
            enc,
            Recipient::Secret(&key),
            &options,
            provider.as_ref(),
            ctx.rng.as_ref(),
        )?
    } else {
        let mut jwks = client_jwks(auth, client, ctx, false).await?;
        if jwe::recipient_key(&jwks, alg).is_none() && client.metadata.jwks_uri.is_some() {
            // The client may have added the key since it was cached.
            jwks = client_jwks(auth, client, ctx, true).await?;
        }
        let jwk = jwe::recipient_key(&jwks, alg).ok_or_else(|| no_key(alg))?;
        let options = Options {
            kid: jwk.kid.as_deref(),
            ..options
        };
        jwe::encrypt(
            payload,
            alg,
            enc,
            Recipient::Public(jwk),
            &options,
            provider.as_ref(),
            ctx.rng.as_ref(),
        )?
    };
    Ok(Some(token))
}

fn no_key(alg: KeyAlg) -> Error {
    OAuthError::invalid_client(format!("the client has no key to encrypt to with {alg}")).into()
}

//! The config API's operations on what the auth-server granted: tokens (Janssen's
//! `token`), the usage statistics (`stat`) and the UMA resources (`uma/resources`); the
//! rest of the table is [`super::operations`].

use crate::request::Method;

use super::operations::{Answer, Operation, Payload, Query, op};
use super::scope_sets::*;

const TOKENS: &str = "Token";
const STATS: &str = "Statistics - User";
const UMA: &str = "OAuth - UMA Resources";

/// The operations on tokens, statistics and UMA resources.
pub const GRANTS: [Operation; 9] = {
    use Method::{Delete, Get};
    [
        op(
            "/jans-config-api/api/v1/token/search",
            Get,
            "search-token",
            "Live access and refresh tokens, paged and filtered",
            TOKENS,
            &TOKENS_READ,
            (Query::List, Payload::None, Answer::Paged("TokenEntity")),
        ),
        op(
            "/jans-config-api/api/v1/token/client/{clientId}",
            Get,
            "get-token-by-client",
            "A client's live tokens",
            TOKENS,
            &TOKENS_READ,
            (Query::List, Payload::None, Answer::Paged("TokenEntity")),
        ),
        op(
            "/jans-config-api/api/v1/token/tknCde/{tknCde}",
            Get,
            "get-token-by-id",
            "A live token by its code",
            TOKENS,
            &TOKENS_READ,
            (Query::None, Payload::None, Answer::Json("TokenEntity")),
        ),
        op(
            "/jans-config-api/api/v1/token/revoke/{tknCde}",
            Delete,
            "revoke-token",
            "Revoke a token (a refresh token with its grant)",
            TOKENS,
            &TOKENS_DELETE,
            (Query::None, Payload::None, Answer::NoContent),
        ),
        op(
            "/jans-config-api/api/v1/stat",
            Get,
            "get-stat",
            "Monthly active users and tokens issued per grant type",
            STATS,
            &STATS_READ,
            (Query::Stat, Payload::None, Answer::Array("StatItem")),
        ),
        op(
            "/jans-config-api/api/v1/uma/resources",
            Get,
            "get-oauth-uma-resources",
            "The registered UMA resources, paged",
            UMA,
            &UMA_READ,
            (Query::List, Payload::None, Answer::Paged("UmaResource")),
        ),
        op(
            "/jans-config-api/api/v1/uma/resources/{id}",
            Get,
            "get-oauth-uma-resources-by-id",
            "One registered UMA resource",
            UMA,
            &UMA_READ,
            (Query::None, Payload::None, Answer::Json("UmaResource")),
        ),
        op(
            "/jans-config-api/api/v1/uma/resources/clientId/{clientId}",
            Get,
            "get-oauth-uma-resources-by-clientid",
            "The UMA resources a client registered",
            UMA,
            &UMA_READ,
            (Query::None, Payload::None, Answer::Array("UmaResource")),
        ),
        op(
            "/jans-config-api/api/v1/uma/resources/{id}",
            Delete,
            "delete-oauth-uma-resources-by-id",
            "Delete a registered UMA resource",
            UMA,
            &UMA_DELETE,
            (Query::None, Payload::None, Answer::NoContent),
        ),
    ]
};

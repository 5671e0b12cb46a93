//! The schemas of the config API's resources as it shows them (Janssen's `SessionId`,
//! `CustomUser`, `TokenEntity`, ...), for its OpenAPI document ([`super::openapi`]).

use utoipa::openapi::schema::{ObjectBuilder, Type};

use super::openapi::{any, list_of, text, typed};
use super::users;

/// Janssen's `SessionId`, as sessions are shown.
pub(super) fn session_id() -> ObjectBuilder {
    let mut o = ObjectBuilder::new().schema_type(Type::Object);
    for name in [
        "dn",
        "id",
        "outsideSid",
        "userDn",
        "authenticationTime",
        "creationDate",
        "expirationDate",
    ] {
        o = o.property(name, text());
    }
    o.property(
        "state",
        text().enum_values(Some(["unauthenticated", "authenticated"])),
    )
    .property(
        "sessionAttributes",
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(text())),
    )
    .required("id")
}

/// A public JWK (RFC 7517) with its life-cycle beside it.
pub(super) fn json_web_key() -> ObjectBuilder {
    let mut o = ObjectBuilder::new().schema_type(Type::Object);
    for name in ["kid", "kty", "alg", "use", "crv", "x", "y", "n", "e"] {
        o = o.property(name, text());
    }
    o.property(
        "status",
        text().enum_values(Some(["next", "active", "retired"])),
    )
    .property("created_at", typed(Type::Integer))
    .property("activated_at", typed(Type::Integer))
    .property("retired_at", typed(Type::Integer))
    .property("publish_until", typed(Type::Integer))
    .property("exp", typed(Type::Integer))
    .required("kid")
    .required("kty")
    .required("status")
}

/// Janssen's `CustomObjectAttribute`, as people carry their other claims.
pub(super) fn custom_attribute() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("name", text().enum_values(Some(users::CUSTOM)))
        .property("multiValued", typed(Type::Boolean))
        .property("values", list_of(any()))
        .property("value", any())
        .required("name")
}

/// Janssen's `CustomUser`, from the member lists the API reads and writes people by.
pub(super) fn custom_user() -> ObjectBuilder {
    let mut o = ObjectBuilder::new().schema_type(Type::Object);
    for name in users::MEMBERS {
        o = o.property(
            name,
            match name {
                "jansStatus" => text().enum_values(Some(["active", "inactive"])),
                "userPassword" => text().description(Some("Written, never shown")),
                _ => text(),
            },
        );
    }
    for name in ["dn", "createdAt", "updatedAt"] {
        o = o.property(name, text());
    }
    o.property("customAttributes", list_of(custom_attribute()))
}

/// Janssen's `TokenEntity`, as tokens are shown (by their code: never the token).
pub(super) fn token_entity() -> ObjectBuilder {
    // From the member table the token resource shows, filters and sorts by.
    let mut o = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("dn", text());
    for name in super::tokens::MEMBERS {
        o = o.property(
            name,
            match name {
                "tokenType" => text().enum_values(Some(super::tokens::TYPE_NAMES)),
                _ => text(),
            },
        );
    }
    o.property("deletable", typed(Type::Boolean))
        .property("ttl", typed(Type::Integer))
        .required("tokenCode")
        .required("tokenType")
}

/// One month of Janssen's statistics.
pub(super) fn stat_item() -> ObjectBuilder {
    let counts = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(typed(Type::Integer)));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("month", typed(Type::Integer).description(Some("YYYYMM")))
        .property("monthly_active_users", typed(Type::Integer))
        .property(
            "token_count_per_granttype",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(counts)),
        )
        .required("month")
        .required("monthly_active_users")
        .required("token_count_per_granttype")
}

/// Janssen's `UmaResource`, as registered resources are shown.
pub(super) fn uma_resource() -> ObjectBuilder {
    let mut o = ObjectBuilder::new().schema_type(Type::Object);
    for name in [
        "dn",
        "id",
        "name",
        "iconUri",
        "scopeExpression",
        "creator",
        "description",
        "type",
        "creationDate",
        "expirationDate",
    ] {
        o = o.property(name, text());
    }
    o.property("scopes", list_of(text()))
        .property("clients", list_of(text()))
        .property("deletable", typed(Type::Boolean))
        .required("id")
}

//! SCIM schemas (RFC 7643): attribute definitions with their characteristics (§2.2, §7),
//! the core `User` (§4.1) and `Group` (§4.2) schemas, the `EnterpriseUser` extension
//! (§4.3), Janssen's `gluu` user extension with its configurable custom attributes, and the
//! common attributes every resource carries (§3.1). Filters, PATCH paths and attribute
//! selection resolve names through [`ResourceSchemas`].

use serde_json::{Value, json};

/// The core User schema (RFC 7643 §4.1).
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema (RFC 7643 §4.2).
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The Enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Janssen's user extension: the custom attributes an operator configures.
pub const GLUU_USER: &str = "urn:ietf:params:scim:schemas:extension:gluu:2.0:User";

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    /// `string` (§2.3.1).
    String,
    /// `boolean` (§2.3.2).
    Boolean,
    /// `decimal` (§2.3.3).
    Decimal,
    /// `integer` (§2.3.4).
    Integer,
    /// `dateTime`, an xsd:dateTime (§2.3.5).
    DateTime,
    /// `binary`, base64 (§2.3.6): always case-exact.
    Binary,
    /// `reference`, a URI (§2.3.7).
    Reference,
    /// `complex`, with sub-attributes (§2.3.8).
    Complex,
}

impl AttrType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }

    /// The type named `s` (as a schema or a configuration spells it).
    pub fn parse(s: &str) -> Option<AttrType> {
        [
            AttrType::String,
            AttrType::Boolean,
            AttrType::Decimal,
            AttrType::Integer,
            AttrType::DateTime,
            AttrType::Binary,
            AttrType::Reference,
            AttrType::Complex,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

/// Whether and how an attribute may be written (RFC 7643 §7 `mutability`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    /// Set by the service provider only; ignored on input.
    ReadOnly,
    /// Written freely.
    ReadWrite,
    /// Written once (at creation, or while it has no value), never changed.
    Immutable,
    /// Written, never returned (a password).
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §7 `returned`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returned {
    /// Always, even when `attributes` does not name it.
    Always,
    /// Never.
    Never,
    /// Unless `attributes` names others or `excludedAttributes` names it.
    Default,
    /// Only when `attributes` names it.
    Request,
}

/// How unique a value must be (RFC 7643 §7 `uniqueness`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uniqueness {
    /// No constraint.
    None,
    /// Unique within this service provider.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition (RFC 7643 §7).
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The name, spelled as the schema spells it (names compare case-insensitively).
    pub name: String,
    /// The data type.
    pub ty: AttrType,
    /// Whether it holds a list of values.
    pub multi_valued: bool,
    /// Whether a resource must have it.
    pub required: bool,
    /// Whether string comparisons respect case.
    pub case_exact: bool,
    /// `mutability`.
    pub mutability: Mutability,
    /// `returned`.
    pub returned: Returned,
    /// `uniqueness`.
    pub uniqueness: Uniqueness,
    /// The sub-attributes of a complex attribute.
    pub sub_attributes: Vec<Attribute>,
    /// Suggested values (`canonicalValues`).
    pub canonical_values: Vec<String>,
    /// What a reference may point at (`referenceTypes`).
    pub reference_types: Vec<String>,
    /// What it is.
    pub description: String,
}

impl Attribute {
    /// A single-valued, optional, case-insensitive, read-write attribute of type `ty`,
    /// returned by default.
    pub fn new(name: &str, ty: AttrType, description: &str) -> Attribute {
        Attribute {
            name: name.to_owned(),
            ty,
            multi_valued: false,
            required: false,
            case_exact: ty == AttrType::Binary,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            sub_attributes: Vec::new(),
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            description: description.to_owned(),
        }
    }

    pub(crate) fn string(name: &str, description: &str) -> Attribute {
        Attribute::new(name, AttrType::String, description)
    }

    fn complex(name: &str, description: &str, subs: Vec<Attribute>) -> Attribute {
        Attribute {
            sub_attributes: subs,
            ..Attribute::new(name, AttrType::Complex, description)
        }
    }

    fn reference(name: &str, description: &str, types: &[&str]) -> Attribute {
        Attribute {
            reference_types: types.iter().map(|t| (*t).to_owned()).collect(),
            ..Attribute::new(name, AttrType::Reference, description)
        }
    }

    fn multi(mut self) -> Attribute {
        self.multi_valued = true;
        self
    }

    pub(crate) fn required(mut self) -> Attribute {
        self.required = true;
        self
    }

    pub(crate) fn case_exact(mut self) -> Attribute {
        self.case_exact = true;
        self
    }

    pub(crate) fn mutability(mut self, m: Mutability) -> Attribute {
        self.mutability = m;
        self
    }

    fn returned(mut self, r: Returned) -> Attribute {
        self.returned = r;
        self
    }

    fn unique(mut self) -> Attribute {
        self.uniqueness = Uniqueness::Server;
        self
    }

    pub(crate) fn canonical(mut self, values: &[&str]) -> Attribute {
        self.canonical_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }

    /// The sub-attribute `name` (case-insensitive).
    pub fn sub(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The definition as `/Schemas` serves it (RFC 7643 §7).
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("name".into(), self.name.clone().into());
        m.insert("type".into(), self.ty.as_str().into());
        if self.ty == AttrType::Complex {
            m.insert(
                "subAttributes".into(),
                self.sub_attributes.iter().map(Attribute::to_json).collect(),
            );
        }
        m.insert("multiValued".into(), self.multi_valued.into());
        m.insert("description".into(), self.description.clone().into());
        m.insert("required".into(), self.required.into());
        if !self.canonical_values.is_empty() {
            m.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if self.ty != AttrType::Complex {
            m.insert("caseExact".into(), self.case_exact.into());
        }
        let mutability = match self.mutability {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        };
        m.insert("mutability".into(), mutability.into());
        let returned = match self.returned {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        };
        m.insert("returned".into(), returned.into());
        if self.ty != AttrType::Complex {
            let uniqueness = match self.uniqueness {
                Uniqueness::None => "none",
                Uniqueness::Server => "server",
                Uniqueness::Global => "global",
            };
            m.insert("uniqueness".into(), uniqueness.into());
        }
        if self.ty == AttrType::Reference {
            m.insert("referenceTypes".into(), json!(self.reference_types));
        }
        Value::Object(m)
    }
}

/// A schema: its URN, name and attributes (RFC 7643 §7).
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    /// The URN.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it describes.
    pub description: String,
    /// The attributes.
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// The attribute `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The schema as `/Schemas/{id}` serves it (RFC 7643 §7; `meta` per §8.7.1).
    pub fn to_json(&self, location: &str) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attribute::to_json).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": location},
        })
    }
}

/// `value`, `display`, `type` (with canonical values) and `primary`: the sub-attributes of
/// most multi-valued attributes (RFC 7643 §2.4).
fn plural(name: &str, description: &str, value: Attribute, types: &[&str]) -> Attribute {
    Attribute::complex(
        name,
        description,
        vec![
            value,
            Attribute::string(
                "display",
                "A human-readable name, primarily used for display.",
            ),
            Attribute::string("type", "A label indicating the attribute's function.")
                .canonical(types),
            Attribute::new(
                "primary",
                AttrType::Boolean,
                "Whether this is the primary value; at most one value is primary.",
            ),
        ],
    )
    .multi()
}

/// The core User schema (RFC 7643 §4.1, attribute characteristics as in §8.7.1).
pub fn user() -> Schema {
    use Attribute as A;
    let name = A::complex(
        "name",
        "The components of the user's real name.",
        [
            "formatted",
            "familyName",
            "givenName",
            "middleName",
            "honorificPrefix",
            "honorificSuffix",
        ]
        .iter()
        .map(|n| A::string(n, "A component of the user's name."))
        .collect(),
    );
    let address = A::complex(
        "addresses",
        "Physical mailing addresses.",
        vec![
            A::string(
                "formatted",
                "The full mailing address, formatted for display.",
            ),
            A::string("streetAddress", "The street address."),
            A::string("locality", "The city or locality."),
            A::string("region", "The state or region."),
            A::string("postalCode", "The zip code or postal code."),
            A::string("country", "The country, ISO 3166-1 alpha-2."),
            A::string("type", "A label indicating the address's function.")
                .canonical(&["work", "home", "other"]),
            A::new(
                "primary",
                AttrType::Boolean,
                "Whether this is the primary address.",
            ),
        ],
    )
    .multi();
    let groups = A::complex(
        "groups",
        "The groups the user belongs to, directly or through a nested group.",
        vec![
            A::string("value", "The group's id.").mutability(Mutability::ReadOnly),
            A::reference("$ref", "The group's URI.", &["User", "Group"])
                .mutability(Mutability::ReadOnly),
            A::string("display", "The group's display name.").mutability(Mutability::ReadOnly),
            A::string("type", "How the membership is held.")
                .canonical(&["direct", "indirect"])
                .mutability(Mutability::ReadOnly),
        ],
    )
    .multi()
    .mutability(Mutability::ReadOnly);
    Schema {
        id: USER.into(),
        name: "User".into(),
        description: "User Account".into(),
        attributes: vec![
            A::string("userName", "The unique identifier the user signs in with.")
                .required()
                .unique(),
            name,
            A::string("displayName", "The name of the user, suitable for display."),
            A::string("nickName", "The casual way to address the user."),
            A::reference(
                "profileUrl",
                "A URI of the user's online profile.",
                &["external"],
            ),
            A::string("title", "The user's title."),
            A::string(
                "userType",
                "The relationship between the organization and the user.",
            ),
            A::string(
                "preferredLanguage",
                "The user's preferred language (RFC 7231 §5.3.5).",
            ),
            A::string(
                "locale",
                "The user's default location, for localizing (BCP 47).",
            ),
            A::string(
                "timezone",
                "The user's time zone (IANA Time Zone database).",
            ),
            A::new("active", AttrType::Boolean, "Whether the user may sign in."),
            A::string("password", "The user's cleartext password, to set it.")
                .mutability(Mutability::WriteOnly)
                .returned(Returned::Never),
            plural(
                "emails",
                "Email addresses.",
                A::string("value", "The email address."),
                &["work", "home", "other"],
            ),
            plural(
                "phoneNumbers",
                "Phone numbers.",
                A::string("value", "The phone number (RFC 3966)."),
                &["work", "home", "mobile", "fax", "pager", "other"],
            ),
            plural(
                "ims",
                "Instant messaging addresses.",
                A::string("value", "The instant messaging address."),
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
            ),
            plural(
                "photos",
                "URLs of images of the user.",
                A::reference("value", "The URL of an image.", &["external"]),
                &["photo", "thumbnail"],
            ),
            address,
            groups,
            plural(
                "entitlements",
                "Entitlements of the user.",
                A::string("value", "The entitlement."),
                &[],
            ),
            plural(
                "roles",
                "Roles of the user.",
                A::string("value", "The role."),
                &[],
            ),
            plural(
                "x509Certificates",
                "X.509 certificates of the user.",
                A::new("value", AttrType::Binary, "The DER certificate, base64."),
                &[],
            ),
        ],
    }
}

/// The core Group schema (RFC 7643 §4.2, §8.7.1).
pub fn group() -> Schema {
    use Attribute as A;
    Schema {
        id: GROUP.into(),
        name: "Group".into(),
        description: "Group".into(),
        attributes: vec![
            A::string("displayName", "A human-readable name for the group.").required(),
            A::complex(
                "members",
                "The members of the group.",
                vec![
                    A::string("value", "The member's id.").mutability(Mutability::Immutable),
                    A::reference("$ref", "The member's URI.", &["User", "Group"])
                        .mutability(Mutability::Immutable),
                    A::string("display", "The member's display name.")
                        .mutability(Mutability::ReadOnly),
                    A::string("type", "The kind of member.")
                        .canonical(&["User", "Group"])
                        .mutability(Mutability::Immutable),
                ],
            )
            .multi(),
        ],
    }
}

/// The Enterprise User extension (RFC 7643 §4.3, §8.7.1).
pub fn enterprise_user() -> Schema {
    use Attribute as A;
    Schema {
        id: ENTERPRISE_USER.into(),
        name: "EnterpriseUser".into(),
        description: "Enterprise User".into(),
        attributes: vec![
            A::string(
                "employeeNumber",
                "The identifier the organization gives the user.",
            ),
            A::string("costCenter", "The name of a cost center."),
            A::string("organization", "The name of an organization."),
            A::string("division", "The name of a division."),
            A::string("department", "The name of a department."),
            A::complex(
                "manager",
                "The user's manager.",
                vec![
                    A::string("value", "The manager's id."),
                    A::reference("$ref", "The manager's URI.", &["User"]),
                    A::string("displayName", "The manager's display name.")
                        .mutability(Mutability::ReadOnly),
                ],
            ),
        ],
    }
}

pub use crate::config::scim::CustomAttribute;

/// Janssen's user extension with the configured custom attributes; an attribute of an
/// unknown or complex type is refused with its name.
pub fn gluu_user(custom: &[CustomAttribute]) -> Result<Schema, String> {
    let attributes = custom
        .iter()
        .map(|c| {
            let ty = AttrType::parse(&c.ty)
                .filter(|t| *t != AttrType::Complex)
                .ok_or_else(|| format!("custom attribute {}: unknown type {}", c.name, c.ty))?;
            if !is_attr_name(&c.name) {
                return Err(format!(
                    "custom attribute {:?}: not an attribute name",
                    c.name
                ));
            }
            Ok(Attribute {
                multi_valued: c.multi_valued,
                required: c.required,
                ..Attribute::new(&c.name, ty, "A custom attribute of this deployment.")
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Schema {
        id: GLUU_USER.into(),
        name: "GluuUserCustomExtension".into(),
        description: "Janssen's user extension: this deployment's custom attributes".into(),
        attributes,
    })
}

/// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA` (RFC 7643 §2.1),
/// and `$ref`.
pub fn is_attr_name(s: &str) -> bool {
    let mut chars = s.chars();
    s == "$ref"
        || chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The attributes every resource has (RFC 7643 §3.1): `id`, `externalId`, `meta`.
pub fn common_attributes() -> Vec<Attribute> {
    use Attribute as A;
    let read_only = |a: Attribute| a.mutability(Mutability::ReadOnly);
    vec![
        read_only(A::string(
            "id",
            "The service provider's identifier of the resource.",
        ))
        .case_exact()
        .returned(Returned::Always)
        .unique(),
        A::string(
            "externalId",
            "The provisioning client's identifier of the resource.",
        )
        .case_exact(),
        read_only(A::complex(
            "meta",
            "The resource's metadata.",
            vec![
                read_only(A::string("resourceType", "The resource type.")).case_exact(),
                read_only(A::new(
                    "created",
                    AttrType::DateTime,
                    "When it was created.",
                )),
                read_only(A::new(
                    "lastModified",
                    AttrType::DateTime,
                    "When it last changed.",
                )),
                read_only(A::reference("location", "Its URI.", &["uri"])).case_exact(),
                read_only(A::string("version", "Its version (a weak ETag).")).case_exact(),
            ],
        )),
    ]
}

/// The schemas of one resource type: its core schema, its extensions and the common
/// attributes; names resolve through it.
#[derive(Clone, Debug)]
pub struct ResourceSchemas {
    /// The core schema.
    pub core: Schema,
    /// The extensions, by URN.
    pub extensions: Vec<Schema>,
    /// `id`, `externalId`, `meta`.
    pub common: Vec<Attribute>,
}

/// Where an attribute lives: in the core schema (top-level members of a resource) or an
/// extension (members of the object under the extension's URN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Home<'a> {
    /// The core schema or the common attributes.
    Core,
    /// The extension with this URN.
    Extension(&'a str),
}

impl ResourceSchemas {
    /// Users: the core User schema, the Enterprise extension and Janssen's.
    pub fn users(custom: &[CustomAttribute]) -> Result<ResourceSchemas, String> {
        Ok(ResourceSchemas {
            core: user(),
            extensions: vec![enterprise_user(), gluu_user(custom)?],
            common: common_attributes(),
        })
    }

    /// Groups: the core Group schema.
    pub fn groups() -> ResourceSchemas {
        ResourceSchemas {
            core: group(),
            extensions: Vec::new(),
            common: common_attributes(),
        }
    }

    /// The attribute `name` of the schema `urn` (the core schema when `None`): where it
    /// lives and its definition. URNs and names compare case-insensitively.
    pub fn resolve(&self, urn: Option<&str>, name: &str) -> Option<(Home<'_>, &Attribute)> {
        let core = |name: &str| {
            self.core
                .attribute(name)
                .or_else(|| {
                    self.common
                        .iter()
                        .find(|a| a.name.eq_ignore_ascii_case(name))
                })
                .map(|a| (Home::Core, a))
        };
        match urn {
            None => core(name),
            Some(u) if u.eq_ignore_ascii_case(&self.core.id) => core(name),
            Some(u) => {
                let ext = self.extension(u)?;
                Some((Home::Extension(&ext.id), ext.attribute(name)?))
            }
        }
    }

    /// The extension `urn` (case-insensitive).
    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_schema_characteristics() {
        let u = user();
        let user_name = u.attribute("USERNAME").unwrap();
        assert!(user_name.required);
        assert_eq!(user_name.uniqueness, Uniqueness::Server);
        assert!(!user_name.case_exact);
        let password = u.attribute("password").unwrap();
        assert_eq!(password.returned, Returned::Never);
        assert_eq!(password.mutability, Mutability::WriteOnly);
        let emails = u.attribute("emails").unwrap();
        assert!(emails.multi_valued);
        assert_eq!(emails.sub("Primary").unwrap().ty, AttrType::Boolean);
        assert_eq!(
            u.attribute("groups").unwrap().mutability,
            Mutability::ReadOnly
        );
        let x509 = u.attribute("x509Certificates").unwrap();
        assert!(
            x509.sub("value").unwrap().case_exact,
            "binary is case-exact"
        );
    }

    #[test]
    fn wire_form_of_an_attribute() {
        let a = user().attribute("userName").unwrap().to_json();
        assert_eq!(
            a,
            json!({
                "name": "userName", "type": "string", "multiValued": false,
                "description": "The unique identifier the user signs in with.",
                "required": true, "caseExact": false, "mutability": "readWrite",
                "returned": "default", "uniqueness": "server",
            })
        );
        let emails = user().attribute("emails").unwrap().to_json();
        assert_eq!(emails["type"], "complex");
        assert_eq!(emails["subAttributes"].as_array().unwrap().len(), 4);
        assert!(emails.get("caseExact").is_none());
    }

    #[test]
    fn resolution_through_urns_and_common_attributes() {
        let s = ResourceSchemas::users(&[]).unwrap();
        assert_eq!(s.resolve(None, "userName").unwrap().0, Home::Core);
        assert_eq!(
            s.resolve(
                Some("urn:ietf:params:scim:schemas:core:2.0:user"),
                "username"
            )
            .unwrap()
            .1
            .name,
            "userName"
        );
        assert_eq!(s.resolve(None, "meta").unwrap().1.ty, AttrType::Complex);
        let (home, manager) = s.resolve(Some(ENTERPRISE_USER), "manager").unwrap();
        assert_eq!(home, Home::Extension(ENTERPRISE_USER));
        assert!(manager.sub("value").is_some());
        assert!(
            s.resolve(None, "employeeNumber").is_none(),
            "extension attrs need the URN"
        );
        assert!(s.resolve(Some("urn:x:unknown"), "a").is_none());
    }

    #[test]
    fn custom_attributes() {
        let custom = vec![
            CustomAttribute {
                name: "badgeNumber".into(),
                ty: "integer".into(),
                multi_valued: false,
                required: true,
            },
            CustomAttribute {
                name: "nicknames".into(),
                ty: "String".into(),
                multi_valued: true,
                required: false,
            },
        ];
        let s = gluu_user(&custom).unwrap();
        let badge = s.attribute("badgenumber").unwrap();
        assert_eq!(badge.ty, AttrType::Integer);
        assert!(badge.required);
        assert!(s.attribute("nicknames").unwrap().multi_valued);
        let bad = |name: &str, ty: &str| {
            gluu_user(&[CustomAttribute {
                name: name.into(),
                ty: ty.into(),
                multi_valued: false,
                required: false,
            }])
            .unwrap_err()
        };
        assert!(bad("x", "complex").contains("unknown type"));
        assert!(bad("x", "float").contains("unknown type"));
        assert!(bad("1x", "string").contains("not an attribute name"));
        assert!(bad("a.b", "string").contains("not an attribute name"));
    }
}

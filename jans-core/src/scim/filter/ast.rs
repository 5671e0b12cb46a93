//! The filter syntax tree (RFC 7644 §3.4.2.2), as parsed: names as the client spelled them,
//! not yet resolved against a schema.

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN, when the path names one.
    pub urn: Option<String>,
    /// The attribute.
    pub name: String,
    /// The sub-attribute.
    pub sub: Option<String>,
}

/// `compareOp` (RFC 7644 §3.4.2.2, Table 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    /// The operator named `s` (case-insensitive, §3.4.2.2).
    pub fn parse(s: &str) -> Option<CompareOp> {
        use CompareOp::*;
        [Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le]
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(s))
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        use CompareOp::*;
        match self {
            Eq => "eq",
            Ne => "ne",
            Co => "co",
            Sw => "sw",
            Ew => "ew",
            Gt => "gt",
            Ge => "ge",
            Lt => "lt",
            Le => "le",
        }
    }

    /// `gt`, `ge`, `lt`, `le`.
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    /// `co`, `sw`, `ew`.
    pub fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

/// `compValue = false / null / true / number / string` (JSON literals).
#[derive(Clone, Debug, PartialEq)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A JSON string, unescaped.
    String(String),
}

/// A filter (RFC 7644 §3.4.2.2). `and` and `or` chains are kept flat (n-ary), so a long
/// chain is a wide node, not a deep one.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `attrPath pr`.
    Present(AttrPath),
    /// `attrPath compareOp compValue`.
    Compare(AttrPath, CompareOp, CompValue),
    /// `not ( filter )`.
    Not(Box<Filter>),
    /// `filter and filter [and ...]`.
    And(Vec<Filter>),
    /// `filter or filter [or ...]`.
    Or(Vec<Filter>),
    /// `attrPath [ valFilter ]`: the inner filter's paths name sub-attributes of the
    /// values of `attrPath` (which has no sub-attribute of its own).
    ValuePath(AttrPath, Box<Filter>),
}

impl std::fmt::Display for AttrPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(u) = &self.urn {
            write!(f, "{u}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(s) = &self.sub {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for CompValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
        }
    }
}

/// The filter in the RFC's syntax, fully parenthesized: parsing it again gives the same tree.
impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let chain = |f: &mut std::fmt::Formatter<'_>, parts: &[Filter], op: &str| {
            f.write_str("(")?;
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                write!(f, "{p}")?;
            }
            f.write_str(")")
        };
        match self {
            Filter::Present(p) => write!(f, "{p} pr"),
            Filter::Compare(p, op, v) => write!(f, "{p} {} {v}", op.as_str()),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::And(parts) => chain(f, parts, "and"),
            Filter::Or(parts) => chain(f, parts, "or"),
            Filter::ValuePath(p, inner) => write!(f, "{p}[{inner}]"),
        }
    }
}

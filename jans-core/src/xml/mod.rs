//! XML for the SAML IdP: a reader that builds a small namespace-resolved tree from outside
//! input ([`parse`]), the tree, exclusive canonicalization ([`c14n`]) and XML signatures
//! ([`dsig`]). Our own documents are built as the same tree and written out canonically,
//! so what is signed is exactly what is sent.
//!
//! The reader is strict where SAML's attacks live (the OWASP XML Security Cheat Sheet,
//! SAML 2.0 Security and Privacy Considerations §6):
//! - a document type declaration — and so every entity but the five predefined ones and
//!   character references — is refused: no XXE, no billion laughs;
//! - size, depth, element, attribute and namespace counts are bounded ([`Limits`]);
//! - comments are dropped and the text around them joined, so a comment cannot cut a
//!   value short (the 2018 `NameID` comment-injection attacks) and canonicalization is the
//!   without-comments kind;
//! - processing instructions other than the XML declaration are refused;
//! - every prefix must be declared (Namespaces in XML 1.0 §5), attribute names are unique,
//!   and text and attribute values hold only XML 1.0 characters (§2.2).
//!
//! Text and attribute values are stored decoded (references resolved, line ends and
//! attribute whitespace normalized as XML 1.0 §2.11 and §3.3.3 say), which is the data
//! model canonicalization starts from.

pub mod c14n;
pub mod dsig;
pub mod enc;

use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// The namespace the `xml` prefix is bound to (Namespaces in XML 1.0 §3).
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` declarations, never declared.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Why a document was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// Not well-formed, or namespace-invalid.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// A construct this reader refuses (a DTD, an entity, a processing instruction).
    #[error("refused XML: {0}")]
    Refused(&'static str),
    /// Over one of the [`Limits`].
    #[error("XML too large: {0}")]
    TooLarge(&'static str),
}

/// The bounds a document must keep.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes of the whole document.
    pub max_bytes: usize,
    /// Nesting depth of elements.
    pub max_depth: usize,
    /// Elements in the document.
    pub max_elements: usize,
    /// Attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Namespace declarations in the whole document: each element that declares one keeps
    /// its own copy of every namespace in scope, so this bounds those copies too.
    pub max_namespaces: usize,
}

impl Default for Limits {
    /// Room for SAML messages and SP metadata with a few certificates.
    fn default() -> Self {
        Limits {
            max_bytes: 256 * 1024,
            max_depth: 32,
            max_elements: 4096,
            max_attributes: 64,
            max_namespaces: 128,
        }
    }
}

/// A namespace-qualified attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Its prefix, if it has one.
    pub prefix: Option<String>,
    /// Its local name.
    pub name: String,
    /// Its namespace: its prefix's (an unprefixed attribute has none).
    pub ns: Option<String>,
    /// Its normalized value.
    pub value: String,
}

/// A child of an element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// An element.
    Element(Element),
    /// Character data (adjacent runs joined).
    Text(String),
}

/// In-scope namespaces: (prefix, namespace), `""` the default namespace; shared between an
/// element and its descendants until one of them declares something.
pub type Scope = Arc<Vec<(String, String)>>;

/// An element with its attributes, the namespaces it declares and its children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Its prefix, if it has one.
    pub prefix: Option<String>,
    /// Its local name.
    pub name: String,
    /// Its namespace (from its prefix, or the default namespace).
    pub ns: Option<String>,
    /// The namespaces declared on it, in document order: (prefix or `""`, namespace).
    pub declared: Vec<(String, String)>,
    /// Its attributes (declarations excluded), in document order.
    pub attributes: Vec<Attribute>,
    /// Its children.
    pub children: Vec<Node>,
    /// Every namespace in scope on it (its ancestors' declarations and its own).
    pub scope: Scope,
}

impl Element {
    /// A new element `prefix:name` in `ns` (declare the prefix with [`Element::declare`]
    /// on it or an ancestor, then [`Element::rescope`] the finished tree).
    pub fn new(prefix: &str, name: &str, ns: &str) -> Element {
        Element {
            prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
            name: name.to_owned(),
            ns: (!ns.is_empty()).then(|| ns.to_owned()),
            declared: Vec::new(),
            attributes: Vec::new(),
            children: Vec::new(),
            scope: Scope::default(),
        }
    }

    /// This element declaring `prefix` (`""`: the default namespace) as `ns`.
    pub fn declare(mut self, prefix: &str, ns: &str) -> Element {
        self.declared.push((prefix.to_owned(), ns.to_owned()));
        self
    }

    /// This element with the unprefixed attribute `name="value"`.
    pub fn attr(mut self, name: &str, value: &str) -> Element {
        self.attributes.push(Attribute {
            prefix: None,
            name: name.to_owned(),
            ns: None,
            value: value.to_owned(),
        });
        self
    }

    /// This element with the attribute `prefix:name="value"` of namespace `ns`.
    pub fn attr_ns(mut self, prefix: &str, name: &str, ns: &str, value: &str) -> Element {
        self.attributes.push(Attribute {
            prefix: Some(prefix.to_owned()),
            name: name.to_owned(),
            ns: Some(ns.to_owned()),
            value: value.to_owned(),
        });
        self
    }

    /// This element with `child` appended.
    pub fn child(mut self, child: Element) -> Element {
        self.children.push(Node::Element(child));
        self
    }

    /// This element with the text `text` appended.
    pub fn text(mut self, text: &str) -> Element {
        self.children.push(Node::Text(text.to_owned()));
        self
    }

    /// Recompute every element's [`Element::scope`] from the declarations, starting from
    /// `parent` (what encloses this element; empty for a document's root).
    pub fn rescope(&mut self, parent: &Scope) {
        self.scope = if self.declared.is_empty() {
            parent.clone()
        } else {
            let mut s: Vec<(String, String)> = parent
                .iter()
                .filter(|(p, _)| !self.declared.iter().any(|(d, _)| d == p))
                .cloned()
                .collect();
            s.extend(self.declared.iter().cloned());
            Arc::new(s)
        };
        let scope = self.scope.clone();
        for c in &mut self.children {
            if let Node::Element(e) = c {
                e.rescope(&scope);
            }
        }
    }

    /// Whether this is `name` in namespace `ns`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.name == name && self.ns.as_deref() == Some(ns)
    }

    /// The value of the unprefixed attribute `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.ns.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The value of the attribute `name` of namespace `ns`.
    pub fn get_ns(&self, ns: &str, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.ns.as_deref() == Some(ns) && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The child elements `name` of namespace `ns`.
    pub fn all<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.is(ns, name))
    }

    /// The first child element `name` of namespace `ns`.
    pub fn first(&self, ns: &str, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, name))
    }

    /// The only child element `name` of namespace `ns`: `None` when there is none or more
    /// than one (so a duplicate cannot hide behind the one a check looked at).
    pub fn only(&self, ns: &str, name: &str) -> Option<&Element> {
        let mut it = self.elements().filter(|e| e.is(ns, name));
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }

    /// All the character data directly inside this element, joined.
    pub fn text_content(&self) -> String {
        self.children
            .iter()
            .filter_map(|c| match c {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    /// The namespace `prefix` (`""`: the default) is bound to here.
    pub fn lookup(&self, prefix: &str) -> Option<&str> {
        self.scope
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, ns)| ns.as_str())
            .filter(|ns| !ns.is_empty())
    }

    /// Every element of the tree, this one first, depth first.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = vec![self];
        let mut i = 0;
        while let Some(e) = out.get(i).copied() {
            out.extend(e.elements());
            i += 1;
        }
        out
    }

    /// The document written out: its exclusive canonical form (which is well-formed XML).
    pub fn to_xml(&self) -> String {
        c14n::canonicalize(self, None, &[])
    }
}

/// Whether `c` may appear in an XML 1.0 document (§2.2 `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

fn checked(s: &str) -> Result<&str, XmlError> {
    if s.chars().all(is_xml_char) {
        Ok(s)
    } else {
        Err(XmlError::Malformed("a character XML does not allow".into()))
    }
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

/// An element being read: what [`Element`] becomes once its end tag comes.
struct Open {
    element: Element,
    /// Its attributes' qualified names, resolved when the element is.
    raw_attributes: Vec<(String, String)>,
}

/// Read the document `input` into its root element, within `limits`.
pub fn parse(input: &str, limits: &Limits) -> Result<Element, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge("document"));
    }
    let mut reader = Reader::from_str(input);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    let mut namespaces = 0usize;
    let mut seen_decl = false;
    loop {
        let event = reader.read_event().map_err(malformed)?;
        let closes = matches!(event, Event::Empty(_));
        match event {
            Event::Decl(_) if !seen_decl && stack.is_empty() && root.is_none() => {
                seen_decl = true;
            }
            Event::Decl(_) | Event::PI(_) => {
                return Err(XmlError::Refused("processing instruction"));
            }
            Event::DocType(_) => return Err(XmlError::Refused("document type declaration")),
            Event::Comment(_) => {}
            Event::Start(start) | Event::Empty(start) => {
                if root.is_some() {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                elements += 1;
                if elements > limits.max_elements {
                    return Err(XmlError::TooLarge("elements"));
                }
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooLarge("depth"));
                }
                let parent = stack
                    .last()
                    .map_or_else(Scope::default, |o| o.element.scope.clone());
                let open = open(&start, &parent, limits)?;
                namespaces += open.element.declared.len();
                if namespaces > limits.max_namespaces {
                    return Err(XmlError::TooLarge("namespace declarations"));
                }
                stack.push(open);
                if closes {
                    close(&mut stack, &mut root)?;
                }
            }
            Event::End(_) => close(&mut stack, &mut root)?,
            Event::Text(t) => {
                let text = t.xml_content(XmlVersion::Implicit1_0);
                push_text(&mut stack, checked(&text)?)?;
            }
            Event::CData(c) => {
                let text = c.xml_content(XmlVersion::Implicit1_0);
                push_text(&mut stack, checked(&text)?)?;
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c,
                    None => predefined(&r).ok_or(XmlError::Refused("entity reference"))?,
                };
                if !is_xml_char(c) {
                    return Err(XmlError::Malformed("a character XML does not allow".into()));
                }
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]))?;
            }
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    root.ok_or_else(|| XmlError::Malformed("no root element".into()))
}

/// The five predefined entities (XML 1.0 §4.6).
fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

fn push_text(stack: &mut [Open], text: &str) -> Result<(), XmlError> {
    let Some(top) = stack.last_mut() else {
        return if text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
            Ok(())
        } else {
            Err(XmlError::Malformed("text outside the root element".into()))
        };
    };
    match top.element.children.last_mut() {
        Some(Node::Text(t)) => t.push_str(text),
        _ => top.element.children.push(Node::Text(text.to_owned())),
    }
    Ok(())
}

/// Whether `s` is an `NCName` (Namespaces in XML 1.0 §3): an XML `Name` (XML 1.0 §2.3,
/// fifth edition) without a colon. The tokenizer takes a tag's name to be whatever comes
/// before blank space, so `<a,/>` would otherwise open an element named `a,/`.
fn is_ncname(s: &str) -> bool {
    let start = |c: char| {
        matches!(c, 'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
            | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
            | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
            | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
            | '\u{10000}'..='\u{EFFFF}')
    };
    let rest = |c: char| {
        start(c)
            || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}'
                | '\u{203F}'..='\u{2040}')
    };
    let mut chars = s.chars();
    chars.next().is_some_and(start) && chars.all(rest)
}

/// A qualified name (Namespaces in XML 1.0 §4): its prefix, if any, and local part, each an
/// `NCName`.
fn split(qname: &str) -> Result<(Option<&str>, &str), XmlError> {
    let (prefix, local) = match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    };
    if !is_ncname(local) || !prefix.is_none_or(is_ncname) {
        return Err(XmlError::Malformed(format!("bad name {qname:?}")));
    }
    Ok((prefix, local))
}

/// The element a start tag opens, its declarations applied to `parent`'s scope.
fn open(start: &BytesStart<'_>, parent: &Scope, limits: &Limits) -> Result<Open, XmlError> {
    let mut declared: Vec<(String, String)> = Vec::new();
    let mut raw_attributes: Vec<(String, String)> = Vec::new();
    for (i, a) in start.attributes().enumerate() {
        if i >= limits.max_attributes {
            return Err(XmlError::TooLarge("attributes"));
        }
        let a = a.map_err(malformed)?;
        let key = a.key.0.to_owned();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|_| XmlError::Refused("entity reference"))?;
        let value = checked(&value)?.to_owned();
        let prefix = if key == "xmlns" {
            Some(String::new())
        } else {
            match key.strip_prefix("xmlns:") {
                Some(p) if !is_ncname(p) => {
                    return Err(XmlError::Malformed(format!("bad prefix {p:?}")));
                }
                other => other.map(str::to_owned),
            }
        };
        match prefix {
            Some(p) => {
                let reserved = p == "xmlns"
                    || (p == "xml") != (value == XML_NS)
                    || value == XMLNS_NS
                    || (!p.is_empty() && value.is_empty());
                if reserved || declared.iter().any(|(d, _)| *d == p) {
                    return Err(XmlError::Malformed(format!("bad declaration of {p:?}")));
                }
                declared.push((p, value));
            }
            None => raw_attributes.push((key, value)),
        }
    }
    let name = std::str::from_utf8(start.name().0.as_bytes())
        .map_err(malformed)?
        .to_owned();
    let (prefix, local) = split(&name)?;
    let mut element = Element::new(prefix.unwrap_or(""), local, "");
    element.declared = declared;
    element.rescope(parent);
    element.ns = match prefix {
        Some(p) => Some(resolve(&element, p)?),
        None => element.lookup("").map(str::to_owned),
    };
    Ok(Open {
        element,
        raw_attributes,
    })
}

fn resolve(e: &Element, prefix: &str) -> Result<String, XmlError> {
    if prefix == "xml" {
        return Ok(XML_NS.to_owned());
    }
    e.lookup(prefix)
        .map(str::to_owned)
        .ok_or_else(|| XmlError::Malformed(format!("undeclared prefix {prefix:?}")))
}

/// The element on top of the stack is complete: resolve its attributes and hang it under
/// its parent (or make it the root).
fn close(stack: &mut Vec<Open>, root: &mut Option<Element>) -> Result<(), XmlError> {
    let Open {
        mut element,
        raw_attributes,
    } = stack
        .pop()
        .ok_or_else(|| XmlError::Malformed("unmatched end tag".into()))?;
    for (qname, value) in raw_attributes {
        let (prefix, local) = split(&qname)?;
        let ns = prefix.map(|p| resolve(&element, p)).transpose()?;
        if element
            .attributes
            .iter()
            .any(|a| a.name == local && a.ns == ns)
        {
            return Err(XmlError::Malformed(format!("attribute {qname:?} twice")));
        }
        element.attributes.push(Attribute {
            prefix: prefix.map(str::to_owned),
            name: local.to_owned(),
            ns,
            value,
        });
    }
    match stack.last_mut() {
        Some(parent) => parent.element.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
    Ok(())
}

#[cfg(test)]
mod tests;

//! Exclusive XML Canonicalization 1.0, without comments (W3C REC xml-exc-c14n,
//! 2002-07-18), over the [`Element`] tree: what XML signatures digest and sign. Comments
//! are already gone (the reader drops them), and the reader refuses processing
//! instructions, so the element, attribute, namespace and text rules are the whole of it.

use super::{Element, Node};

/// The algorithm's URI (xml-exc-c14n §3).
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// The canonical form of `apex` and its descendants, leaving out the element `omit` (by
/// identity: the enveloped signature, XML-DSig §6.6.4) and rendering the namespaces whose
/// prefixes are in `inclusive` (the `InclusiveNamespaces PrefixList`, `#default` for the
/// default namespace) as inclusive canonicalization would (xml-exc-c14n §3).
pub fn canonicalize(apex: &Element, omit: Option<&Element>, inclusive: &[String]) -> String {
    let mut out = String::new();
    let mut rendered = Vec::new();
    render(apex, omit, inclusive, &mut rendered, &mut out);
    out
}

/// The namespace a rendered ancestor last gave `prefix` (the default namespace, `""`, is
/// empty until one renders it).
fn rendered_value<'a>(rendered: &'a [(String, String)], prefix: &str) -> Option<&'a str> {
    rendered
        .iter()
        .rev()
        .find(|(p, _)| p == prefix)
        .map(|(_, v)| v.as_str())
}

fn render(
    e: &Element,
    omit: Option<&Element>,
    inclusive: &[String],
    rendered: &mut Vec<(String, String)>,
    out: &mut String,
) {
    if omit.is_some_and(|o| std::ptr::eq(o, e)) {
        return;
    }
    // The prefixes the element visibly utilizes (xml-exc-c14n §3): its own, its
    // attributes' (never `xml`), and those the PrefixList names that are in scope.
    // The `xml` prefix is bound by definition and never rendered (C14N 1.0 §2.3).
    let mut prefixes: Vec<&str> = vec![e.prefix.as_deref().unwrap_or("")];
    prefixes.retain(|p| *p != "xml");
    prefixes.extend(
        e.attributes
            .iter()
            .filter_map(|a| a.prefix.as_deref())
            .filter(|p| *p != "xml"),
    );
    for p in inclusive {
        let p = if p == "#default" { "" } else { p.as_str() };
        if p != "xml" && e.scope.iter().any(|(s, _)| s == p) {
            prefixes.push(p);
        }
    }
    prefixes.sort_unstable();
    prefixes.dedup();

    let mut decls: Vec<(String, String)> = Vec::new();
    for p in prefixes {
        let value = e
            .scope
            .iter()
            .rev()
            .find(|(s, _)| s == p)
            .map_or("", |(_, v)| v.as_str());
        let before = rendered_value(rendered, p).unwrap_or("");
        let already = if p.is_empty() {
            before == value
        } else {
            rendered_value(rendered, p) == Some(value)
        };
        if !already {
            decls.push((p.to_owned(), value.to_owned()));
        }
    }

    let qname = |prefix: &Option<String>, name: &str| match prefix {
        Some(p) => format!("{p}:{name}"),
        None => name.to_owned(),
    };
    let tag = qname(&e.prefix, &e.name);
    out.push('<');
    out.push_str(&tag);
    for (p, v) in &decls {
        if p.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(p);
            out.push_str("=\"");
        }
        escape_attribute(v, out);
        out.push('"');
    }
    let mut attributes: Vec<_> = e.attributes.iter().collect();
    attributes.sort_by(|a, b| {
        (a.ns.as_deref().unwrap_or(""), a.name.as_str())
            .cmp(&(b.ns.as_deref().unwrap_or(""), b.name.as_str()))
    });
    for a in attributes {
        out.push(' ');
        out.push_str(&qname(&a.prefix, &a.name));
        out.push_str("=\"");
        escape_attribute(&a.value, out);
        out.push('"');
    }
    out.push('>');

    let pushed = decls.len();
    rendered.extend(decls);
    for c in &e.children {
        match c {
            Node::Element(child) => render(child, omit, inclusive, rendered, out),
            Node::Text(t) => escape_text(t, out),
        }
    }
    rendered.truncate(rendered.len().saturating_sub(pushed));
    out.push_str("</");
    out.push_str(&tag);
    out.push('>');
}

/// Text nodes (C14N 1.0 §2.3).
fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Attribute values (C14N 1.0 §2.3).
fn escape_attribute(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

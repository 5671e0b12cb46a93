#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

fn doc(s: &str) -> Result<Element, XmlError> {
    parse(s, &Limits::default())
}

/// Documents, the path to the apex (child element indexes), the canonical form lxml 6.1
/// (libxml2's exclusive canonicalization) writes, and the PrefixList.
#[rustfmt::skip]
const VECTORS: [(&str, &[usize], &str, &[&str]); 8] = [
("<n0:local xmlns:n0=\"foo:bar\" xmlns:n3=\"ftp://example.org\">\n  <n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\">\n    <n3:stuff xmlns:n3=\"ftp://example.org\"/>\n  </n1:elem2>\n</n0:local>", &[0], "<n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\">\n    <n3:stuff xmlns:n3=\"ftp://example.org\"></n3:stuff>\n  </n1:elem2>", &[]),
    ("<doc xmlns=\"urn:d\" xmlns:a=\"urn:a\" b=\"2\" a:z=\"1\" a=\"3\"><a:x xmlns=\"\" c=\"&lt;&amp;&quot;&#9;&#10;&#13;\">t&gt;&amp;&#13;x<![CDATA[<cd>]]><!-- gone -->y</a:x><e xmlns:q=\"urn:q\">  </e></doc>", &[], "<doc xmlns=\"urn:d\" xmlns:a=\"urn:a\" a=\"3\" b=\"2\" a:z=\"1\"><a:x c=\"&lt;&amp;&quot;&#x9;&#xA;&#xD;\">t&gt;&amp;&#xD;x&lt;cd&gt;y</a:x><e>  </e></doc>", &[]),
    ("<r xmlns=\"urn:r\"><s xmlns=\"\"><t xmlns=\"urn:r\"/></s></r>", &[0], "<s><t xmlns=\"urn:r\"></t></s>", &[]),
    ("<p:r xmlns:p=\"urn:p\" xmlns:u=\"urn:u\" xmlns:v=\"urn:v\"><p:s u:a=\"1\" v:b=\"2\" c=\"3\"><p:t/></p:s></p:r>", &[0], "<p:s xmlns:p=\"urn:p\" xmlns:u=\"urn:u\" xmlns:v=\"urn:v\" c=\"3\" u:a=\"1\" v:b=\"2\"><p:t></p:t></p:s>", &[]),
    ("<r xmlns=\"urn:one\"><x xmlns=\"urn:two\" xmlns:k=\"urn:one\"><k:y/></x></r>", &[], "<r xmlns=\"urn:one\"><x xmlns=\"urn:two\"><k:y xmlns:k=\"urn:one\"></k:y></x></r>", &[]),
    ("<a xmlns:x=\"urn:x\"><b xmlns:x=\"urn:y\"><x:c/></b><x:d/></a>", &[], "<a><b><x:c xmlns:x=\"urn:y\"></x:c></b><x:d xmlns:x=\"urn:x\"></x:d></a>", &[]),
    ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<a attr=\"  sp\taced\r\nnl \">line1\r\nline2\rline3 é ☃ 𝄞</a>", &[], "<a attr=\"  sp aced nl \">line1\nline2\nline3 é ☃ 𝄞</a>", &[]),
    ("<p:r xmlns:p=\"urn:p\" xmlns:u=\"urn:u\" xmlns=\"urn:d\"><p:s><p:t/></p:s></p:r>", &[0], "<p:s xmlns:p=\"urn:p\" xmlns:u=\"urn:u\"><p:t></p:t></p:s>", &["u"]),
];

#[test]
fn canonical_forms_match_libxml2() {
    for (i, (src, path, expected, inclusive)) in VECTORS.iter().enumerate() {
        let root = doc(src).unwrap();
        let mut apex = &root;
        for &n in *path {
            apex = apex.elements().nth(n).unwrap();
        }
        let inclusive: Vec<String> = inclusive.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            c14n::canonicalize(apex, None, &inclusive),
            *expected,
            "vector {i}"
        );
        // The canonical form is itself a document with the same canonical form.
        if path.is_empty() {
            assert_eq!(
                doc(expected).unwrap().to_xml(),
                *expected,
                "vector {i} again"
            );
        }
    }
}

#[test]
fn namespaces_are_resolved_and_text_is_joined_across_comments() {
    let root = doc(
        r#"<?xml version="1.0"?><p:a xmlns:p="urn:p" xmlns="urn:d" p:x="1" y="2"><b>user@example.com<!---->.evil.test</b></p:a>"#,
    )
    .unwrap();
    assert!(root.is("urn:p", "a"));
    assert_eq!(root.get_ns("urn:p", "x"), Some("1"));
    assert_eq!(root.get("y"), Some("2"));
    let b = root.first("urn:d", "b").unwrap();
    assert_eq!(b.text_content(), "user@example.com.evil.test");
    assert_eq!(b.children.len(), 1);
}

#[test]
fn dtds_entities_and_instructions_are_refused() {
    let xxe =
        r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
    assert_eq!(
        doc(xxe),
        Err(XmlError::Refused("document type declaration"))
    );
    let laughs = r#"<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>"#;
    assert!(matches!(doc(laughs), Err(XmlError::Refused(_))));
    assert_eq!(
        doc("<r>&nbsp;</r>"),
        Err(XmlError::Refused("entity reference"))
    );
    assert_eq!(
        doc(r#"<r a="&x;"/>"#),
        Err(XmlError::Refused("entity reference"))
    );
    assert_eq!(
        doc("<r><?php x?></r>"),
        Err(XmlError::Refused("processing instruction"))
    );
    assert_eq!(doc("<r>&#x41;&lt;</r>").unwrap().text_content(), "A<");
}

#[test]
fn malformed_documents_are_refused() {
    for bad in [
        "",
        "text",
        "<a>",
        "<a></b>",
        "<a/><b/>",
        "<a/>tail",
        "<p:a/>",
        "<a p:x='1'/>",
        r#"<a x="1" x="2"/>"#,
        r#"<a xmlns:p="urn:x" xmlns:q="urn:x" p:x="1" q:x="2"/>"#,
        r#"<a xmlns:p=""/>"#,
        r#"<a xmlns:xml="urn:not-xml"/>"#,
        r#"<a xmlns:="urn:empty-prefix"/>"#,
        "<a>\u{1}</a>",
        "<a>&#0;</a>",
        "<a>&#x1;</a>",
    ] {
        assert!(doc(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn limits_hold() {
    let small = Limits {
        max_bytes: 200,
        max_depth: 3,
        max_elements: 5,
        max_attributes: 2,
        max_namespaces: 3,
    };
    let p = |s: &str| parse(s, &small);
    assert!(p("<a><b><c/></b></a>").is_ok());
    assert_eq!(
        p("<a><b><c><d/></c></b></a>"),
        Err(XmlError::TooLarge("depth"))
    );
    assert_eq!(
        p("<a><b/><b/><b/><b/><b/></a>"),
        Err(XmlError::TooLarge("elements"))
    );
    assert_eq!(
        p(r#"<a x="1" y="2" z="3"/>"#),
        Err(XmlError::TooLarge("attributes"))
    );
    assert_eq!(
        p(&format!("<a>{}</a>", "x".repeat(300))),
        Err(XmlError::TooLarge("document"))
    );
}

/// Found by the `saml_xml` fuzz target: the tokenizer takes a tag's name to be all that
/// comes before blank space, so `<sertionsSigne,//>` opened an element `sertionsSigne,/`
/// whose canonical form (`<sertionsSigne,/></sertionsSigne,/>`) is another document.
/// Element, attribute and prefix names must be XML names.
#[test]
fn names_are_xml_names() {
    for bad in [
        "<sertionsSigne,//>",
        "<a//>",
        "<a,/>",
        "<1a/>",
        "<-a/>",
        "<a:/>",
        "<:a/>",
        r#"<a xmlns:p="urn:p"><p:b:c/></a>"#,
        r#"<a b,="1"/>"#,
        r#"<a 1b="1"/>"#,
        r#"<a xmlns:1p="urn:p"/>"#,
        r#"<a xmlns:p:q="urn:p"/>"#,
    ] {
        assert!(doc(bad).is_err(), "{bad:?} was accepted");
    }
    let good = r#"<é_1.-·a xmlns:p-2="urn:p" p-2:x.y="1" _z="2"><p-2:b/></é_1.-·a>"#;
    let root = doc(good).unwrap();
    assert_eq!(root.name, "é_1.-·a");
    let out = root.to_xml();
    assert_eq!(doc(&out).unwrap().to_xml(), out);
}

/// Found by the `saml_xml` fuzz target: an element in the `xml` namespace wrote out an
/// `xmlns:xml` declaration its own reader refuses.
#[test]
fn the_xml_prefix_is_never_declared_in_the_canonical_form() {
    let root = doc(r#"<a xml:lang="en"><xml:b/></a>"#).unwrap();
    let out = c14n::canonicalize(&root, None, &["xml".to_owned()]);
    assert_eq!(out, r#"<a xml:lang="en"><xml:b></xml:b></a>"#);
    assert_eq!(doc(&out).unwrap().to_xml(), out);
}

#[test]
fn built_trees_write_out_canonically() {
    let mut e = Element::new("s", "Root", "urn:s")
        .declare("s", "urn:s")
        .attr("ID", "_1")
        .child(Element::new("s", "Name", "urn:s").text("a < b & \"c\""));
    e.rescope(&Scope::default());
    assert_eq!(
        e.to_xml(),
        r#"<s:Root xmlns:s="urn:s" ID="_1"><s:Name>a &lt; b &amp; "c"</s:Name></s:Root>"#
    );
    assert_eq!(doc(&e.to_xml()).unwrap(), e);
}

//! The filter parser (RFC 7644 §3.4.2.2, Figure 1, with erratum 4690: a value filter holds
//! no value path of its own) and the PATCH path parser (§3.5.2, Figure 7). Keywords and
//! operators are case-insensitive; `not` binds tighter than `and`, `and` tighter than `or`;
//! parentheses group. Input is bounded: a filter over [`MAX_FILTER_LEN`] bytes or nested
//! deeper than [`MAX_DEPTH`] is refused with `invalidFilter`, so neither the parser nor the
//! tree it returns recurses without bound.

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::error::scim::{ScimError, ScimType};
use crate::scim::schema::is_attr_name;

/// The longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 8 * 1024;

/// The deepest nesting accepted: parentheses, `not` and value paths each add a level.
pub const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// An attribute path, an operator, a keyword or a literal name.
    Word(String),
    Str(String),
    Num(serde_json::Number),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Word(w) => format!("`{w}`"),
            Tok::Str(s) => format!("the string {}", serde_json::Value::String(s.clone())),
            Tok::Num(n) => format!("the number {n}"),
        }
    }

    fn is_word(&self, keyword: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '$')
}

/// Split `input` into tokens; `err` makes the error of this grammar.
fn tokens(input: &str, err: fn(String) -> ScimError) -> Result<Vec<Tok>, ScimError> {
    let mut out = Vec::new();
    let mut it = input.char_indices().peekable();
    while let Some(&(start, c)) = it.peek() {
        match c {
            c if c.is_ascii_whitespace() => {
                it.next();
            }
            '(' | ')' | '[' | ']' => {
                it.next();
                out.push(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBracket,
                    _ => Tok::RBracket,
                });
            }
            '"' => {
                it.next();
                let mut escaped = false;
                let mut end = None;
                for (i, c) in it.by_ref() {
                    match (escaped, c) {
                        (true, _) => escaped = false,
                        (false, '\\') => escaped = true,
                        (false, '"') => {
                            end = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                let literal = end
                    .and_then(|e| input.get(start..=e))
                    .ok_or_else(|| err("a string is not closed".into()))?;
                let s: String = serde_json::from_str(literal)
                    .map_err(|_| err(format!("{literal} is not a JSON string")))?;
                out.push(Tok::Str(s));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let mut end = start;
                while let Some(&(i, c)) = it.peek() {
                    if !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) {
                        break;
                    }
                    end = i + c.len_utf8();
                    it.next();
                }
                let literal = input.get(start..end).unwrap_or_default();
                out.push(Tok::Num(number(literal).ok_or_else(|| {
                    err(format!("`{literal}` is not a JSON number"))
                })?));
            }
            c if is_word_char(c) => {
                let mut end = start;
                while let Some(&(i, c)) = it.peek() {
                    if !is_word_char(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    it.next();
                }
                out.push(Tok::Word(
                    input.get(start..end).unwrap_or_default().to_owned(),
                ));
            }
            other => return Err(err(format!("unexpected character {other:?}"))),
        }
    }
    Ok(out)
}

/// The JSON number `literal` (RFC 8259 §6 grammar), its value correctly rounded: a
/// decimal is read by the standard library's parser, so the shortest form it prints back
/// reads as the same number.
fn number(literal: &str) -> Option<serde_json::Number> {
    serde_json::from_str::<serde_json::Number>(literal).ok()?;
    if let Ok(i) = literal.parse::<i64>() {
        return Some(i.into());
    }
    if let Ok(u) = literal.parse::<u64>() {
        return Some(u.into());
    }
    serde_json::Number::from_f64(literal.parse::<f64>().ok()?)
}

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`; `relative` paths (inside a value filter) name
/// a sub-attribute and carry no URN.
fn attr_path(word: &str, relative: bool) -> Result<AttrPath, String> {
    let (urn, rest) = match word.rsplit_once(':') {
        Some((urn, rest)) if !relative && !urn.is_empty() => (Some(urn.to_owned()), rest),
        Some(_) => return Err(format!("`{word}` is not an attribute path")),
        None => (None, word),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    if !is_attr_name(name) || sub.is_some_and(|s| !is_attr_name(s)) || (relative && sub.is_some()) {
        return Err(format!("`{word}` is not an attribute path"));
    }
    Ok(AttrPath {
        urn,
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

fn invalid(detail: String) -> ScimError {
    ScimError::invalid_filter(detail)
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: &Tok) -> Result<(), ScimError> {
        match self.next() {
            Some(t) if t == *want => Ok(()),
            Some(t) => Err(invalid(format!(
                "expected {} but found {}",
                want.describe(),
                t.describe()
            ))),
            None => Err(invalid(format!("expected {} at the end", want.describe()))),
        }
    }

    fn enter(&mut self) -> Result<(), ScimError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(invalid(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    /// `filter (or filter)*`.
    fn or(&mut self, relative: bool) -> Result<Filter, ScimError> {
        let mut parts = vec![self.and(relative)?];
        while self.peek().is_some_and(|t| t.is_word("or")) {
            self.pos += 1;
            parts.push(self.and(relative)?);
        }
        Ok(match parts.len() {
            1 => parts.remove(0),
            _ => Filter::Or(parts),
        })
    }

    /// `unary (and unary)*`.
    fn and(&mut self, relative: bool) -> Result<Filter, ScimError> {
        let mut parts = vec![self.unary(relative)?];
        while self.peek().is_some_and(|t| t.is_word("and")) {
            self.pos += 1;
            parts.push(self.unary(relative)?);
        }
        Ok(match parts.len() {
            1 => parts.remove(0),
            _ => Filter::And(parts),
        })
    }

    /// A parenthesized filter, `not ( filter )`, a value path or an attribute expression.
    fn unary(&mut self, relative: bool) -> Result<Filter, ScimError> {
        let is_not = self.peek().is_some_and(|t| t.is_word("not"))
            && self.toks.get(self.pos + 1) == Some(&Tok::LParen);
        if is_not {
            self.pos += 1;
        }
        if is_not || self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            self.enter()?;
            let inner = self.or(relative)?;
            self.expect(&Tok::RParen)?;
            self.depth -= 1;
            return Ok(if is_not {
                Filter::Not(Box::new(inner))
            } else {
                inner
            });
        }
        let path = match self.next() {
            Some(Tok::Word(w)) => attr_path(&w, relative).map_err(invalid)?,
            Some(t) => {
                return Err(invalid(format!(
                    "expected an attribute path but found {}",
                    t.describe()
                )));
            }
            None => return Err(invalid("the filter ends too early".into())),
        };
        match self.next() {
            Some(Tok::LBracket) if !relative && path.sub.is_none() => {
                self.enter()?;
                let inner = self.or(true)?;
                self.expect(&Tok::RBracket)?;
                self.depth -= 1;
                Ok(Filter::ValuePath(path, Box::new(inner)))
            }
            Some(Tok::LBracket) => {
                Err(invalid(format!("`{path}` cannot take a value filter here")))
            }
            Some(Tok::Word(op)) if op.eq_ignore_ascii_case("pr") => Ok(Filter::Present(path)),
            Some(Tok::Word(op)) => {
                let op = CompareOp::parse(&op)
                    .ok_or_else(|| invalid(format!("`{op}` is not an operator")))?;
                let value = match self.next() {
                    Some(Tok::Str(s)) => CompValue::String(s),
                    Some(Tok::Num(n)) => CompValue::Number(n),
                    // ABNF literals are case-insensitive (RFC 5234 §2.3).
                    Some(t) if t.is_word("true") => CompValue::Bool(true),
                    Some(t) if t.is_word("false") => CompValue::Bool(false),
                    Some(t) if t.is_word("null") => CompValue::Null,
                    Some(t) => {
                        return Err(invalid(format!(
                            "expected a value after `{path} {}` but found {}",
                            op.as_str(),
                            t.describe()
                        )));
                    }
                    None => {
                        return Err(invalid(format!(
                            "expected a value after `{path} {}`",
                            op.as_str()
                        )));
                    }
                };
                Ok(Filter::Compare(path, op, value))
            }
            Some(t) => Err(invalid(format!(
                "expected an operator after `{path}` but found {}",
                t.describe()
            ))),
            None => Err(invalid(format!("expected an operator after `{path}`"))),
        }
    }
}

/// Parse a filter (RFC 7644 §3.4.2.2); any refusal is `invalidFilter`.
pub fn parse(input: &str) -> Result<Filter, ScimError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(invalid(format!(
            "the filter is longer than {MAX_FILTER_LEN} bytes"
        )));
    }
    let mut p = Parser {
        toks: tokens(input, invalid)?,
        pos: 0,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err(invalid("the filter is empty".into()));
    }
    let f = p.or(false)?;
    match p.peek() {
        None => Ok(f),
        Some(t) => Err(invalid(format!("unexpected {}", t.describe()))),
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2: `PATH = attrPath / valuePath [subAttr]`).
#[derive(Clone, Debug, PartialEq)]
pub struct PatchPath {
    /// The attribute (with its sub-attribute when the path has no value filter).
    pub attr: AttrPath,
    /// The value filter selecting values of a multi-valued attribute.
    pub filter: Option<Filter>,
    /// With a value filter: the sub-attribute of the selected values (`emails[...].value`).
    pub sub: Option<String>,
}

fn invalid_path(detail: String) -> ScimError {
    ScimError::new(ScimType::InvalidPath, detail)
}

/// Parse a PATCH path; any refusal is `invalidPath`.
pub fn parse_patch_path(input: &str) -> Result<PatchPath, ScimError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(invalid_path(format!(
            "the path is longer than {MAX_FILTER_LEN} bytes"
        )));
    }
    // `emails[type eq "work"].value`: the value filter ends at the last `]`, and what follows
    // it is `.subAttr`.
    let (head, sub) = match input.rfind(']') {
        Some(close) => {
            let after = input.get(close + 1..).unwrap_or_default();
            let sub = match after.strip_prefix('.') {
                Some(s) if is_attr_name(s) => Some(s.to_owned()),
                None if after.is_empty() => None,
                _ => return Err(invalid_path(format!("`{input}` is not a path"))),
            };
            (input.get(..=close).unwrap_or_default(), sub)
        }
        None => (input, None),
    };
    let Some(open) = head.find('[') else {
        let attr = attr_path(head.trim(), false).map_err(invalid_path)?;
        return Ok(PatchPath {
            attr,
            filter: None,
            sub: None,
        });
    };
    let attr = attr_path(head.get(..open).unwrap_or_default(), false).map_err(invalid_path)?;
    if attr.sub.is_some() {
        return Err(invalid_path(format!("`{input}` is not a path")));
    }
    let inner = head
        .get(open + 1..head.len().saturating_sub(1))
        .unwrap_or_default();
    let mut p = Parser {
        toks: tokens(inner, invalid_path)?,
        pos: 0,
        depth: 1,
    };
    if p.toks.is_empty() {
        return Err(invalid_path(format!("`{input}` has an empty value filter")));
    }
    let filter = p
        .or(true)
        .map_err(|e| invalid_path(format!("`{input}`: {}", e.detail)))?;
    if let Some(t) = p.peek() {
        return Err(invalid_path(format!(
            "`{input}`: unexpected {}",
            t.describe()
        )));
    }
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(urn: Option<&str>, name: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            urn: urn.map(str::to_owned),
            name: name.into(),
            sub: sub.map(str::to_owned),
        }
    }

    fn s(v: &str) -> CompValue {
        CompValue::String(v.into())
    }

    #[test]
    fn the_rfc_examples_parse() {
        // RFC 7644 §3.4.2.2, the examples after Table 4.
        for f in [
            r#"userName Eq "john""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            "title pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified lt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ] {
            let parsed = parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            // The printed form parses to the same tree.
            assert_eq!(parse(&parsed.to_string()).unwrap(), parsed, "{f}");
        }
    }

    #[test]
    fn trees() {
        assert_eq!(
            parse(r#"userName Eq "john""#).unwrap(),
            Filter::Compare(path(None, "userName", None), CompareOp::Eq, s("john"))
        );
        assert_eq!(
            parse(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26""#)
                .unwrap(),
            Filter::Compare(
                path(
                    Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
                    "manager",
                    Some("value")
                ),
                CompareOp::Eq,
                s("26")
            )
        );
        // `not` binds tighter than `and`, `and` than `or`.
        let a = || Filter::Present(path(None, "a", None));
        let b = || Filter::Present(path(None, "b", None));
        let c = || Filter::Present(path(None, "c", None));
        assert_eq!(
            parse("a pr or b pr and c pr").unwrap(),
            Filter::Or(vec![a(), Filter::And(vec![b(), c()])])
        );
        assert_eq!(
            parse("(a pr or b pr) and c pr").unwrap(),
            Filter::And(vec![Filter::Or(vec![a(), b()]), c()])
        );
        assert_eq!(
            parse("not (a pr) and b pr OR c pr").unwrap(),
            Filter::Or(vec![
                Filter::And(vec![Filter::Not(Box::new(a())), b()]),
                c()
            ])
        );
        assert_eq!(
            parse(r#"emails[type eq "work" and value co "@x"]"#).unwrap(),
            Filter::ValuePath(
                path(None, "emails", None),
                Box::new(Filter::And(vec![
                    Filter::Compare(path(None, "type", None), CompareOp::Eq, s("work")),
                    Filter::Compare(path(None, "value", None), CompareOp::Co, s("@x")),
                ]))
            )
        );
        assert_eq!(
            parse("active eq true and x.y lt 1.5e3 and z ne null").unwrap(),
            Filter::And(vec![
                Filter::Compare(
                    path(None, "active", None),
                    CompareOp::Eq,
                    CompValue::Bool(true)
                ),
                Filter::Compare(
                    path(None, "x", Some("y")),
                    CompareOp::Lt,
                    CompValue::Number(serde_json::Number::from_f64(1500.0).unwrap())
                ),
                Filter::Compare(path(None, "z", None), CompareOp::Ne, CompValue::Null),
            ])
        );
        // JSON string escapes; `]` and `)` inside strings are data.
        assert_eq!(
            parse(r#"displayName eq "a \"q\" ] ) \u00e9""#).unwrap(),
            Filter::Compare(
                path(None, "displayName", None),
                CompareOp::Eq,
                s("a \"q\" ] ) é")
            )
        );
        assert_eq!(
            parse("a eq TRUE").unwrap(),
            Filter::Compare(path(None, "a", None), CompareOp::Eq, CompValue::Bool(true))
        );
        // `not` not followed by `(` is an attribute name.
        assert_eq!(
            parse("not pr").unwrap(),
            Filter::Present(path(None, "not", None))
        );
    }

    #[test]
    fn refusals_are_invalid_filter() {
        for f in [
            "",
            "   ",
            "userName",
            "userName eq",
            r#"userName xx "a""#,
            r#"userName eq "a"#,
            r#"userName eq 'a'"#,
            r#"userName eq "a" and"#,
            r#"userName eq "a" extra"#,
            "(a pr",
            "a pr)",
            "not a pr",
            r#"emails[type eq "work""#,
            r#"emails[type[value eq "x"] pr]"#,
            r#"emails.value[type eq "x"]"#,
            r#"emails[urn:x:type eq "x"]"#,
            r#"emails[type.value eq "x"]"#,
            "a.b.c pr",
            "1abc pr",
            "a eq yes",
            "a eq 01x",
            "a eq -",
            r#"a eq "\x""#,
            "a eq \"tab\tin\"",
            "a pr & b pr",
            ":a pr",
            "a..b pr",
        ] {
            let e = parse(f).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{f:?}");
            assert_eq!(e.status, 400, "{f:?}");
        }
    }

    #[test]
    fn bounds() {
        let deep = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
        assert!(parse(&deep(MAX_DEPTH)).is_ok());
        let e = parse(&deep(MAX_DEPTH + 1)).unwrap_err();
        assert!(e.detail.contains("deeper"), "{e}");
        let nots = |n: usize| format!("{}a pr{}", "not (".repeat(n), ")".repeat(n));
        assert!(parse(&nots(MAX_DEPTH)).is_ok());
        assert!(parse(&nots(MAX_DEPTH + 1)).is_err());
        // Deeper than anything the stack could take: refused, not overflowed.
        assert!(parse(&"(".repeat(MAX_FILTER_LEN)).is_err());
        // Numbers read back as printed (found by the fuzzer: 1.5e34 once printed as
        // 1.4999999999999999e+34, which read as another number).
        let f = parse("a lt 1.5e34 and b gt -2.5E-300 and c eq 123456789012345678901").unwrap();
        assert_eq!(parse(&f.to_string()).unwrap(), f);
        // Long flat chains are wide, not deep.
        let chain = vec!["a pr"; 800].join(" and ");
        assert!(chain.len() <= MAX_FILTER_LEN);
        let Filter::And(parts) = parse(&chain).unwrap() else {
            panic!("an and-chain")
        };
        assert_eq!(parts.len(), 800);
        let long = format!(r#"userName eq "{}""#, "x".repeat(MAX_FILTER_LEN));
        let e = parse(&long).unwrap_err();
        assert!(e.detail.contains("longer"), "{e}");
        // Multi-byte characters anywhere are cut on their boundaries.
        assert!(parse("é").is_err());
        assert!(parse("userName eq \"é\" and ü pr").is_err());
        assert!(parse("userName eq \"日本\"").is_ok());
    }

    #[test]
    fn patch_paths() {
        assert_eq!(
            parse_patch_path("name.familyName").unwrap(),
            PatchPath {
                attr: path(None, "name", Some("familyName")),
                filter: None,
                sub: None
            }
        );
        let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.attr, path(None, "emails", None));
        assert_eq!(p.sub.as_deref(), Some("value"));
        assert_eq!(
            p.filter,
            Some(Filter::Compare(
                path(None, "type", None),
                CompareOp::Eq,
                s("work")
            ))
        );
        let p = parse_patch_path(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#)
            .unwrap();
        assert!(p.filter.is_some() && p.sub.is_none());
        let p = parse_patch_path(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        )
        .unwrap();
        assert_eq!(p.attr.name, "employeeNumber");
        // A `]` inside a string of the value filter is data.
        let p = parse_patch_path(r#"emails[type eq "a]"].display"#).unwrap();
        assert_eq!(p.sub.as_deref(), Some("display"));
        for bad in [
            "",
            "emails[",
            "emails]",
            r#"emails[type eq "work"]value"#,
            r#"emails[type eq "work"]."#,
            r#"emails.value[type eq "work"]"#,
            "emails[]",
            r#"emails[type eq "work" extra]"#,
            "a b",
        ] {
            let e = parse_patch_path(bad).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{bad:?}");
        }
    }
}

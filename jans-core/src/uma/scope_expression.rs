//! Janssen's `scope_expression`: a rule over scopes a resource may be accessed with, as
//! JsonLogic — `{"rule": R, "data": [scope, ...]}` where `R` is `{"and": [R, ...]}`,
//! `{"or": [R, ...]}` or `{"var": i}` (the scope `data[i]`). Checked whole at registration:
//! a malformed rule is refused with where it is wrong. Evaluated as a [`Policy`] over
//! another ([`ScopeExpression`]).

use serde_json::Value;

use super::policy::{Policy, Query, Verdict};

/// Deepest rule accepted.
const MAX_DEPTH: usize = 32;

/// Most scopes an expression names.
const MAX_SCOPES: usize = 100;

/// The scopes of a well-formed expression (`data`), or what is wrong with it.
pub fn check(expression: &Value) -> Result<Vec<String>, String> {
    let obj = expression
        .as_object()
        .ok_or("scope_expression is an object with rule and data")?;
    let data: Vec<String> = obj
        .get("data")
        .and_then(Value::as_array)
        .ok_or("scope_expression.data is an array of scopes")?
        .iter()
        .map(|v| {
            v.as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or("scope_expression.data holds non-empty strings")
        })
        .collect::<Result<_, _>>()?;
    if data.is_empty() || data.len() > MAX_SCOPES {
        return Err(format!(
            "scope_expression.data names 1 to {MAX_SCOPES} scopes"
        ));
    }
    let rule = obj.get("rule").ok_or("scope_expression.rule is missing")?;
    check_rule(rule, data.len(), "scope_expression.rule", 0)?;
    Ok(data)
}

fn check_rule(rule: &Value, scopes: usize, at: &str, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{at}: nested deeper than {MAX_DEPTH}"));
    }
    let obj = rule
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or_else(|| format!("{at}: one of and, or, var"))?;
    match obj.iter().next() {
        Some((op, Value::Array(parts))) if op == "and" || op == "or" => {
            if parts.is_empty() {
                return Err(format!("{at}.{op}: an empty list"));
            }
            for (i, p) in parts.iter().enumerate() {
                check_rule(p, scopes, &format!("{at}.{op}[{i}]"), depth + 1)?;
            }
            Ok(())
        }
        Some((op, Value::Number(n))) if op == "var" => {
            let index = n.as_u64().and_then(|i| usize::try_from(i).ok());
            match index {
                Some(i) if i < scopes => Ok(()),
                _ => Err(format!("{at}.var: {n} is not an index of data")),
            }
        }
        Some((op, _)) => Err(format!(
            "{at}: {op:?} is not and (a list), or (a list) or var (an index)"
        )),
        None => Err(format!("{at}: one of and, or, var")),
    }
}

/// The value of a checked `rule` over `results` (the verdict on each scope of `data`, in
/// order); anything unchecked is false.
pub fn evaluate(rule: &Value, results: &[bool]) -> bool {
    let Some((op, arg)) = rule.as_object().and_then(|o| o.iter().next()) else {
        return false;
    };
    match (op.as_str(), arg) {
        ("and", Value::Array(parts)) => {
            !parts.is_empty() && parts.iter().all(|p| evaluate(p, results))
        }
        ("or", Value::Array(parts)) => parts.iter().any(|p| evaluate(p, results)),
        ("var", Value::Number(n)) => n
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| results.get(i))
            .copied()
            .unwrap_or(false),
        _ => false,
    }
}

/// A resource's `scope_expression` as a [`Policy`], as Janssen evaluates it
/// (`UmaExpressionService`): each scope of `data` is put to `inner`, the rule combines
/// the answers; when it holds, each scope is granted as `inner` granted it, and when it
/// does not, none is. A scope the expression does not name is `inner`'s to decide.
pub struct ScopeExpression<'p> {
    rule: Value,
    data: Vec<String>,
    inner: &'p dyn Policy,
    /// `umaGrantAccessIfNoPolicies`: the answer on a scope no policy is bound to.
    if_none: bool,
}

impl std::fmt::Debug for ScopeExpression<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeExpression")
            .field("rule", &self.rule)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl<'p> ScopeExpression<'p> {
    /// The expression `expression` (checked) over `inner`; `None` when it is malformed.
    pub fn new(expression: &Value, inner: &'p dyn Policy, if_none: bool) -> Option<Self> {
        let data = check(expression).ok()?;
        Some(ScopeExpression {
            rule: expression.get("rule")?.clone(),
            data,
            inner,
            if_none,
        })
    }
}

impl Policy for ScopeExpression<'_> {
    fn decide(&self, q: &Query<'_>) -> Verdict {
        if !self.data.iter().any(|s| s == q.action) {
            return self.inner.decide(q);
        }
        let verdicts: Vec<Verdict> = self
            .data
            .iter()
            .map(|scope| {
                self.inner.decide(&Query {
                    action: scope,
                    ..*q
                })
            })
            .collect();
        let results: Vec<bool> = verdicts.iter().map(|v| v.allows(self.if_none)).collect();
        let own = self
            .data
            .iter()
            .position(|s| s == q.action)
            .and_then(|i| verdicts.get(i));
        if evaluate(&self.rule, &results) && own.is_some_and(|v| v.allows(self.if_none)) {
            return Verdict::Permit;
        }
        // Left to the owner: what the rule would give were the owner to approve.
        let approved: Vec<bool> = verdicts
            .iter()
            .map(|v| v.allows(self.if_none) || *v == Verdict::AskOwner)
            .collect();
        if own == Some(&Verdict::AskOwner) && evaluate(&self.rule, &approved) {
            return Verdict::AskOwner;
        }
        Verdict::refused(
            verdicts
                .into_iter()
                .filter_map(|v| match v {
                    Verdict::NeedInfo(c) => Some(c),
                    _ => None,
                })
                .flatten(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Permits the scopes it holds, needs `email` for `ask`, knows no policy for `none`,
    /// leaves `owner` to the owner.
    struct Fixed(&'static [&'static str]);

    impl Policy for Fixed {
        fn decide(&self, q: &Query<'_>) -> Verdict {
            match q.action {
                "ask" => Verdict::NeedInfo(vec!["email".into()]),
                "none" => Verdict::NoPolicy,
                "owner" => Verdict::AskOwner,
                a if self.0.contains(&a) => Verdict::Permit,
                _ => Verdict::Deny,
            }
        }
    }

    fn verdict(expr: &Value, inner: &Fixed, if_none: bool, action: &str) -> Verdict {
        let e = ScopeExpression::new(expr, inner, if_none).unwrap();
        let subject = crate::uma::policy::Subject::default();
        let resource = crate::uma::policy::Target::default();
        e.decide(&Query {
            subject: &subject,
            action,
            resource: &resource,
            context: &serde_json::Map::new(),
        })
    }

    #[test]
    fn expressions_combine_the_verdicts_per_scope() {
        let expr = json!({"rule": {"and": [{"or": [{"var": 0}, {"var": 1}]}, {"var": 2}]},
                          "data": ["read", "write", "admin"]});
        let some = Fixed(&["read", "admin"]);
        assert_eq!(verdict(&expr, &some, false, "read"), Verdict::Permit);
        assert_eq!(verdict(&expr, &some, false, "admin"), Verdict::Permit);
        assert_eq!(
            verdict(&expr, &some, false, "write"),
            Verdict::Deny,
            "the rule holds, but write itself was refused: Janssen drops it"
        );
        let no_admin = Fixed(&["read", "write"]);
        assert_eq!(verdict(&expr, &no_admin, false, "read"), Verdict::Deny);
        assert_eq!(
            verdict(&expr, &no_admin, false, "other"),
            Verdict::Deny,
            "a scope the expression does not name is the inner policy's"
        );
        let ask = json!({"rule": {"or": [{"var": 0}, {"var": 1}]}, "data": ["ask", "x"]});
        assert_eq!(
            verdict(&ask, &some, false, "ask"),
            Verdict::NeedInfo(vec!["email".into()])
        );
        let none = json!({"rule": {"and": [{"var": 0}, {"var": 1}]}, "data": ["none", "read"]});
        assert_eq!(verdict(&none, &some, false, "read"), Verdict::Deny);
        assert_eq!(verdict(&none, &some, true, "read"), Verdict::Permit);
        let owner = json!({"rule": {"and": [{"var": 0}, {"var": 1}]}, "data": ["owner", "read"]});
        assert_eq!(verdict(&owner, &some, false, "owner"), Verdict::AskOwner);
        assert_eq!(
            verdict(&owner, &some, false, "read"),
            Verdict::Deny,
            "read waits on the owner's scope"
        );
        assert!(!evaluate(&json!({"and": []}), &[]));
        assert!(!evaluate(&json!({"var": 7}), &[true]));
    }

    #[test]
    fn expressions_are_checked_whole() {
        let ok = json!({"rule": {"and": [{"or": [{"var": 0}, {"var": 1}]}, {"var": 2}]},
                        "data": ["read", "write", "admin"]});
        assert_eq!(check(&ok).unwrap(), ["read", "write", "admin"]);
        for (bad, says) in [
            (json!([]), "object"),
            (json!({"rule": {"var": 0}}), "data"),
            (json!({"rule": {"var": 0}, "data": []}), "1 to"),
            (json!({"rule": {"var": 1}, "data": ["a"]}), "rule.var"),
            (
                json!({"rule": {"not": [{"var": 0}]}, "data": ["a"]}),
                "\"not\"",
            ),
            (json!({"rule": {"and": []}, "data": ["a"]}), "rule.and"),
            (
                json!({"rule": {"or": [{"var": 0}, {"var": -1}]}, "data": ["a"]}),
                "rule.or[1].var",
            ),
            (json!({"data": ["a"]}), "rule is missing"),
            (
                json!({"rule": {"var": 0, "and": []}, "data": ["a"]}),
                "one of",
            ),
        ] {
            let why = check(&bad).unwrap_err();
            assert!(why.contains(says), "{bad}: {why}");
        }
        let mut deep = json!({"var": 0});
        for _ in 0..40 {
            deep = json!({"and": [deep]});
        }
        let why = check(&json!({"rule": deep, "data": ["a"]})).unwrap_err();
        assert!(why.contains("deeper"), "{why}");
    }
}

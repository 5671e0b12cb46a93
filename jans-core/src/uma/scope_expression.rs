//! Janssen's `scope_expression`: a rule over scopes a resource may be accessed with, as
//! JsonLogic — `{"rule": R, "data": [scope, ...]}` where `R` is `{"and": [R, ...]}`,
//! `{"or": [R, ...]}` or `{"var": i}` (the scope `data[i]`). Checked whole at registration:
//! a malformed rule is refused with where it is wrong.

use serde_json::Value;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

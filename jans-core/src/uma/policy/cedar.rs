//! Cedar policies (the `cedar-policy` crate, the language of Janssen's Cedarling) as a
//! [`Policy`]: each question becomes a Cedar request of
//! - principal `Jans::Subject::"<id>"` with `type`, `claims` (a record) and `client_id`;
//! - action `Jans::Action::"<scope or action name>"`;
//! - resource `Jans::Resource::"<id>"` with `type`, `owner`, `name`, `scopes` (a set) and
//!   `properties` (a record);
//! - context: AuthZEN's `context` (UMA: empty).
//!
//! A policy is bound to scopes by its action constraint and to resources by its resource
//! constraint; a question no policy is bound to is [`Verdict::NoPolicy`]. A policy may name
//! the claims it needs, `@required_claims("email country")`: a refusal while a bound
//! policy's claims are missing is [`Verdict::NeedInfo`]; a permit annotated `@ask_owner`
//! holds only once the resource owner approves: a question only such permits allow is
//! [`Verdict::AskOwner`]. Policies are sorted by action at
//! load, so a question evaluates only the policies of its action; and a verdict is
//! remembered by its whole question ([`CACHED_VERDICTS`] of them), so a question asked
//! again is answered without evaluating.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

use cedar_policy::{
    ActionConstraint, Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName,
    EntityUid, Policy as CedarPolicy, PolicyId, PolicySet, Request, ResourceConstraint,
    RestrictedExpression,
};
use miette::Diagnostic;
use serde_json::{Map, Value};

use super::{Policy, Query, Verdict};

/// The annotation naming the claims a policy needs.
pub const REQUIRED_CLAIMS: &str = "required_claims";

/// The annotation of a permit that holds only once the resource owner approves.
pub const ASK_OWNER: &str = "ask_owner";

/// Deepest JSON turned into a Cedar value; deeper parts are kept as their JSON text.
const MAX_DEPTH: usize = 8;

/// Largest policy file read.
pub const MAX_FILE_BYTES: usize = 4 << 20;

/// Most policies loaded.
pub const MAX_POLICIES: usize = 100_000;

/// A policy file as the host read it.
#[derive(Clone, Debug)]
pub struct PolicyFile {
    /// Its name, for errors (the path).
    pub name: String,
    /// Its text.
    pub text: String,
}

/// A file that does not load: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct LoadError {
    /// The file.
    pub file: String,
    /// The line (from 1) of the fault.
    pub line: usize,
    /// Its column (from 1).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// The policies of one action (and those of every action).
#[derive(Clone, Debug, Default)]
struct Slice {
    set: PolicySet,
    /// Each policy's resource constraint and required claims.
    bound: Vec<(ResourceConstraint, Vec<String>)>,
    /// The permits that leave the decision to the resource owner.
    ask_owner: HashSet<PolicyId>,
}

impl Slice {
    fn add(&mut self, p: &CedarPolicy, required: &[String]) -> Result<(), String> {
        self.set.add(p.clone()).map_err(|e| e.to_string())?;
        self.bound
            .push((p.resource_constraint(), required.to_vec()));
        if p.annotation(ASK_OWNER).is_some() {
            self.ask_owner.insert(p.id().clone());
        }
        Ok(())
    }
}

/// Most verdicts remembered; the memory is emptied when it is full.
pub const CACHED_VERDICTS: usize = 65_536;

/// A loaded policy set.
#[derive(Debug, Default)]
pub struct CedarPolicies {
    /// The policies bound to each action named in an action constraint.
    by_action: HashMap<String, Slice>,
    /// The policies bound to every action (no action constraint): what an action no
    /// policy names gets.
    any: Slice,
    count: usize,
    /// Verdicts already reached, by the whole question: a verdict depends on nothing but
    /// the question and the policies, which never change (a reload makes a new set).
    cache: Mutex<HashMap<String, Verdict>>,
}

fn type_name(name: &str) -> Result<EntityTypeName, String> {
    EntityTypeName::from_str(name).map_err(|e| e.to_string())
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, String> {
    Ok(EntityUid::from_type_name_and_id(
        type_name(kind)?,
        EntityId::new(id),
    ))
}

/// The line and column (from 1) of byte `offset` of `text`.
fn locate(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// JSON as a Cedar value: numbers that are not 64-bit integers and nesting below
/// [`MAX_DEPTH`] become strings; `null` members are left out.
fn to_cedar(v: &Value, depth: usize) -> Option<RestrictedExpression> {
    if depth > MAX_DEPTH {
        return Some(RestrictedExpression::new_string(v.to_string()));
    }
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => RestrictedExpression::new_bool(*b),
        Value::String(s) => RestrictedExpression::new_string(s.clone()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => RestrictedExpression::new_long(i),
            None => RestrictedExpression::new_string(n.to_string()),
        },
        Value::Array(items) => {
            RestrictedExpression::new_set(items.iter().filter_map(|i| to_cedar(i, depth + 1)))
        }
        Value::Object(m) => record(m, depth + 1)?,
    })
}

fn record(m: &Map<String, Value>, depth: usize) -> Option<RestrictedExpression> {
    RestrictedExpression::new_record(
        m.iter()
            .filter_map(|(k, v)| to_cedar(v, depth).map(|c| (k.clone(), c))),
    )
    .ok()
}

fn empty_record() -> RestrictedExpression {
    record(&Map::new(), 0).unwrap_or_else(|| RestrictedExpression::new_set([]))
}

/// Whether a policy's resource constraint can hold for `resource` (resources have no
/// parents, so `in` is `==`).
fn admits(c: &ResourceConstraint, resource: &EntityUid) -> bool {
    match c {
        ResourceConstraint::Any => true,
        ResourceConstraint::Eq(u) | ResourceConstraint::In(u) => u == resource,
        ResourceConstraint::Is(t) => t == resource.type_name(),
        ResourceConstraint::IsIn(t, u) => t == resource.type_name() && u == resource,
    }
}

impl CedarPolicies {
    /// Parse `files`: every policy of every file, or the first fault located.
    pub fn load(files: &[PolicyFile]) -> Result<CedarPolicies, LoadError> {
        let mut out = CedarPolicies::default();
        let mut seen_ids = HashSet::new();
        for f in files {
            let fault = |offset: usize, message: String| {
                let (line, column) = locate(&f.text, offset);
                LoadError {
                    file: f.name.clone(),
                    line,
                    column,
                    message,
                }
            };
            if f.text.len() > MAX_FILE_BYTES {
                return Err(fault(0, format!("larger than {MAX_FILE_BYTES} bytes")));
            }
            let set = PolicySet::from_str(&f.text).map_err(|errs| {
                let offset = errs
                    .labels()
                    .and_then(|mut l| l.next())
                    .map_or(0, |l| l.offset());
                fault(offset, errs.to_string())
            })?;
            if set.templates().next().is_some() {
                return Err(fault(0, "templates are not supported".into()));
            }
            for (n, p) in set.policies().enumerate() {
                let name = p
                    .annotation("id")
                    .map_or_else(|| format!("{}#{n}", f.name), str::to_owned);
                if !seen_ids.insert(name.clone()) {
                    return Err(fault(0, format!("two policies are named {name:?}")));
                }
                let p = p.new_id(PolicyId::new(&name));
                out.add(&p).map_err(|e| fault(0, e))?;
            }
        }
        if out.count > MAX_POLICIES {
            return Err(LoadError {
                file: String::new(),
                line: 0,
                column: 0,
                message: format!("more than {MAX_POLICIES} policies"),
            });
        }
        Ok(out)
    }

    fn add(&mut self, p: &CedarPolicy) -> Result<(), String> {
        let required: Vec<String> = p
            .annotation(REQUIRED_CLAIMS)
            .map(|a| {
                a.split([',', ' '])
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let actions = match p.action_constraint() {
            ActionConstraint::Any => {
                self.any.add(p, &required)?;
                for slice in self.by_action.values_mut() {
                    slice.add(p, &required)?;
                }
                self.count += 1;
                return Ok(());
            }
            ActionConstraint::Eq(a) => vec![a],
            ActionConstraint::In(list) => list,
        };
        for a in actions {
            let name = a.id().unescaped().to_owned();
            let slice = match self.by_action.entry(name) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(self.any.clone()),
            };
            slice.add(p, &required)?;
        }
        self.count += 1;
        Ok(())
    }

    /// How many policies are loaded.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn request(q: &Query<'_>) -> Result<(Request, Entities, EntityUid), String> {
        let principal = uid("Jans::Subject", &q.subject.id)?;
        let resource = uid("Jans::Resource", &q.resource.id)?;
        let action = uid("Jans::Action", q.action)?;
        let subject = Entity::new(
            principal.clone(),
            HashMap::from([
                (
                    "type".to_owned(),
                    RestrictedExpression::new_string(q.subject.kind.clone()),
                ),
                (
                    "claims".to_owned(),
                    record(&q.subject.claims, 1).unwrap_or_else(empty_record),
                ),
                (
                    "client_id".to_owned(),
                    RestrictedExpression::new_string(q.subject.client_id.clone()),
                ),
            ]),
            HashSet::new(),
        )
        .map_err(|e| e.to_string())?;
        let target = Entity::new(
            resource.clone(),
            HashMap::from([
                (
                    "type".to_owned(),
                    RestrictedExpression::new_string(q.resource.kind.clone()),
                ),
                (
                    "owner".to_owned(),
                    RestrictedExpression::new_string(q.resource.owner.clone()),
                ),
                (
                    "name".to_owned(),
                    RestrictedExpression::new_string(q.resource.name.clone()),
                ),
                (
                    "scopes".to_owned(),
                    RestrictedExpression::new_set(
                        q.resource
                            .scopes
                            .iter()
                            .map(|s| RestrictedExpression::new_string(s.clone())),
                    ),
                ),
                (
                    "properties".to_owned(),
                    record(&q.resource.properties, 1).unwrap_or_else(empty_record),
                ),
            ]),
            HashSet::new(),
        )
        .map_err(|e| e.to_string())?;
        let context = Context::from_pairs(
            q.context
                .iter()
                .filter_map(|(k, v)| to_cedar(v, 1).map(|c| (k.clone(), c))),
        )
        .map_err(|e| e.to_string())?;
        let entities =
            Entities::from_entities([subject, target], None).map_err(|e| e.to_string())?;
        let request = Request::new(principal, action, resource.clone(), context, None)
            .map_err(|e| e.to_string())?;
        Ok((request, entities, resource))
    }
}

impl CedarPolicies {
    fn cache(&self) -> MutexGuard<'_, HashMap<String, Verdict>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The question, whole and unambiguous (each part JSON-encoded).
    fn key(q: &Query<'_>) -> Option<String> {
        let s = q.subject;
        let r = q.resource;
        serde_json::to_string(&(
            q.action,
            (&s.id, &s.kind, &s.client_id, &s.claims),
            (&r.id, &r.kind, &r.owner, &r.name, &r.scopes, &r.properties),
            q.context,
        ))
        .ok()
    }

    /// The verdict, evaluated.
    fn evaluate(&self, q: &Query<'_>) -> Verdict {
        let slice = self.by_action.get(q.action).unwrap_or(&self.any);
        let (request, entities, resource) = match Self::request(q) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, action = q.action, "a policy question could not be put to Cedar");
                return Verdict::Deny;
            }
        };
        let bound: Vec<&Vec<String>> = slice
            .bound
            .iter()
            .filter(|(c, _)| admits(c, &resource))
            .map(|(_, r)| r)
            .collect();
        if bound.is_empty() {
            return Verdict::NoPolicy;
        }
        let answer = Authorizer::new().is_authorized(&request, &slice.set, &entities);
        for e in answer.diagnostics().errors() {
            tracing::debug!(error = %e, action = q.action, "a Cedar policy erred on this request");
        }
        if answer.decision() == Decision::Allow {
            let owner_only = answer
                .diagnostics()
                .reason()
                .all(|id| slice.ask_owner.contains(id));
            return if owner_only {
                Verdict::AskOwner
            } else {
                Verdict::Permit
            };
        }
        Verdict::refused(
            bound
                .into_iter()
                .flatten()
                .filter(|c| !q.subject.claims.contains_key(c.as_str()))
                .cloned(),
        )
    }
}

impl Policy for CedarPolicies {
    fn decide(&self, q: &Query<'_>) -> Verdict {
        let Some(key) = Self::key(q) else {
            return self.evaluate(q);
        };
        if let Some(v) = self.cache().get(&key) {
            return v.clone();
        }
        let verdict = self.evaluate(q);
        let mut cache = self.cache();
        if cache.len() >= CACHED_VERDICTS {
            cache.clear();
        }
        cache.insert(key, verdict.clone());
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uma::policy::{Subject, Target};

    fn file(text: &str) -> PolicyFile {
        PolicyFile {
            name: "p.cedar".into(),
            text: text.into(),
        }
    }

    fn ask(p: &CedarPolicies, claims: Value, action: &str, resource: &str) -> Verdict {
        let subject = Subject {
            id: "alice".into(),
            kind: "requesting_party".into(),
            claims: claims.as_object().cloned().unwrap_or_default(),
            client_id: "c1".into(),
        };
        let target = Target {
            id: resource.into(),
            kind: "photo".into(),
            owner: "bob".into(),
            name: "album".into(),
            scopes: vec!["read".into(), "write".into()],
            properties: Map::new(),
        };
        p.decide(&Query {
            subject: &subject,
            action,
            resource: &target,
            context: &Map::new(),
        })
    }

    const POLICIES: &str = r#"
        @id("readers")
        @required_claims("country")
        permit(principal, action == Jans::Action::"read", resource is Jans::Resource)
        when { principal.claims has country && principal.claims.country == "NZ" };

        @id("no-minors")
        forbid(principal, action in [Jans::Action::"read", Jans::Action::"write"], resource)
        when { principal.claims has age && principal.claims.age < 18 };

        @id("owner-writes")
        permit(principal, action == Jans::Action::"write", resource == Jans::Resource::"r1")
        when { principal.claims has sub && principal.claims.sub == resource.owner };
    "#;

    #[test]
    fn permits_forbids_and_asks_per_claim() {
        let p = CedarPolicies::load(&[file(POLICIES)]).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(
            ask(&p, json!({"country": "NZ"}), "read", "r9"),
            Verdict::Permit
        );
        assert_eq!(
            ask(&p, json!({"country": "FR"}), "read", "r9"),
            Verdict::Deny
        );
        assert_eq!(
            ask(&p, json!({"country": "NZ", "age": 12}), "read", "r9"),
            Verdict::Deny,
            "a forbid wins"
        );
        assert_eq!(
            ask(&p, json!({}), "read", "r9"),
            Verdict::NeedInfo(vec!["country".into()])
        );
        assert_eq!(
            ask(&p, json!({"sub": "bob"}), "write", "r1"),
            Verdict::Permit
        );
        assert_eq!(ask(&p, json!({"sub": "eve"}), "write", "r1"), Verdict::Deny);
        // `write` on r2: only the forbid is bound (its resource is any), so it is decided.
        assert_eq!(ask(&p, json!({"sub": "bob"}), "write", "r2"), Verdict::Deny);
        assert_eq!(ask(&p, json!({}), "delete", "r1"), Verdict::NoPolicy);
        // Asked again, from the memory of verdicts: the same answers.
        assert_eq!(
            ask(&p, json!({"country": "NZ"}), "read", "r9"),
            Verdict::Permit
        );
        assert_eq!(
            ask(&p, json!({"country": "FR"}), "read", "r9"),
            Verdict::Deny
        );
        assert_eq!(
            ask(&p, json!({"country": "NZ", "age": 12}), "read", "r9"),
            Verdict::Deny
        );
        assert_eq!(ask(&p, json!({"sub": "eve"}), "write", "r1"), Verdict::Deny);
    }

    #[test]
    fn odd_claims_do_not_break_a_request() {
        let p = CedarPolicies::load(&[file(POLICIES)]).unwrap();
        let claims = json!({"country": "NZ", "f": 1.5, "n": null, "big": u64::MAX,
            "deep": [[[[[[[[[[[1]]]]]]]]]]], "mixed": [1, "a", {"x": null}]});
        assert_eq!(ask(&p, claims, "read", "r9"), Verdict::Permit);
    }

    #[test]
    fn faults_are_located() {
        let e = CedarPolicies::load(&[file(
            "permit(principal, action, resource);\n\npermit(principal, action resource);",
        )])
        .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("p.cedar", 3), "{e}");
        let e = CedarPolicies::load(&[file(
            "@id(\"a\") permit(principal, action, resource);\n@id(\"a\") forbid(principal, action, resource);",
        )])
        .unwrap_err();
        assert!(e.message.contains("two policies"), "{e}");
        let e = CedarPolicies::load(&[file("permit(principal == ?principal, action, resource);")])
            .unwrap_err();
        assert!(e.message.contains("templates"), "{e}");
    }

    #[test]
    fn policies_of_every_action_join_each_action() {
        let p = CedarPolicies::load(&[file(
            "permit(principal, action == Jans::Action::\"read\", resource) when { false };\n\
             permit(principal, action, resource) when { principal.claims has vip };",
        )])
        .unwrap();
        assert_eq!(ask(&p, json!({"vip": true}), "read", "r"), Verdict::Permit);
        assert_eq!(ask(&p, json!({"vip": true}), "other", "r"), Verdict::Permit);
        assert_eq!(ask(&p, json!({}), "other", "r"), Verdict::Deny);
    }

    use serde_json::json;
}

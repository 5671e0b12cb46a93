//! What decides access (issue 15 item 6): the [`Policy`] seam, asked one question at a
//! time — may this party, through this client, act (a scope) on this resource — with two
//! implementations: Cedar policies ([`cedar::CedarPolicies`], loaded from the files named
//! by `umaCedarPolicies`) and Janssen's `scope_expression`
//! ([`crate::uma::scope_expression::ScopeExpression`], a rule over the verdicts of
//! another policy on each scope). The UMA grant and AuthZEN evaluation ask the same
//! questions of the same policies.

pub mod cedar;

use serde_json::{Map, Value};

/// Who asks: the requesting party (UMA) or the AuthZEN subject.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Subject {
    /// Its id: the `sub` of its claims (UMA), or AuthZEN's `subject.id`; empty for a
    /// requesting party of whom nothing is known yet.
    pub id: String,
    /// Its type (AuthZEN's `subject.type`; `requesting_party` for UMA).
    pub kind: String,
    /// Its claims (UMA: from the claim token, the PCT and claims gathering) or AuthZEN's
    /// `subject.properties`.
    pub claims: Map<String, Value>,
    /// The client asking for it (UMA); empty for AuthZEN.
    pub client_id: String,
}

/// What is asked about: an UMA resource or AuthZEN's `resource`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Target {
    /// Its id (`_id` of a registered resource).
    pub id: String,
    /// Its type (the resource's `type`, AuthZEN's `resource.type`).
    pub kind: String,
    /// Its owner: the resource owner's `inum`, or the client of a client's own resource.
    pub owner: String,
    /// Its name.
    pub name: String,
    /// The scopes it was registered with.
    pub scopes: Vec<String>,
    /// AuthZEN's `resource.properties` (empty for UMA).
    pub properties: Map<String, Value>,
}

/// One question: may `subject` do `action` to `resource`?
#[derive(Clone, Copy, Debug)]
pub struct Query<'a> {
    /// Who.
    pub subject: &'a Subject,
    /// What: the scope (UMA) or AuthZEN's `action.name`.
    pub action: &'a str,
    /// To what.
    pub resource: &'a Target,
    /// AuthZEN's `context` (UMA: empty).
    pub context: &'a Map<String, Value>,
}

/// A policy's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed.
    Permit,
    /// Refused.
    Deny,
    /// Refused for now: the policies bound to the question need these claims of the
    /// party, which it has not presented (UMA's `need_info`).
    NeedInfo(Vec<String>),
    /// No policy is bound to the question (Janssen's `umaGrantAccessIfNoPolicies` then
    /// decides).
    NoPolicy,
    /// Allowed once the resource owner approves: only policies that leave it to the owner
    /// permit it (UMA's `request_submitted`).
    AskOwner,
}

impl Verdict {
    /// A refusal: `NeedInfo` with the claims `missing` (sorted, once each) when there are
    /// any, else `Deny`.
    pub fn refused(missing: impl IntoIterator<Item = String>) -> Verdict {
        let mut missing: Vec<String> = missing.into_iter().collect();
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            Verdict::Deny
        } else {
            Verdict::NeedInfo(missing)
        }
    }

    /// The verdict with no policy resolved by `if_none` (`umaGrantAccessIfNoPolicies`).
    pub fn allows(&self, if_none: bool) -> bool {
        match self {
            Verdict::Permit => true,
            Verdict::NoPolicy => if_none,
            Verdict::Deny | Verdict::NeedInfo(_) | Verdict::AskOwner => false,
        }
    }
}

/// A source of verdicts.
pub trait Policy: Send + Sync {
    /// The verdict on `query`. Never fails: what cannot be evaluated (a policy whose
    /// condition errs on this request) does not permit.
    fn decide(&self, query: &Query<'_>) -> Verdict;
}

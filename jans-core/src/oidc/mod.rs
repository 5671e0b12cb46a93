//! OpenID Connect: discovery (this issue); ID tokens, userinfo, sessions and logout follow.

pub mod discovery;

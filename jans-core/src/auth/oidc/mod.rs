//! OpenID Connect: discovery (this issue); ID tokens, userinfo, sessions and logout follow.

pub mod backchannel;
pub mod claims;
pub mod clientinfo;
pub mod discovery;
pub mod encryption;
pub mod id_token;
pub mod logout;
pub mod registration;
pub mod session_management;
pub mod subject;
pub mod userinfo;
pub mod webfinger;

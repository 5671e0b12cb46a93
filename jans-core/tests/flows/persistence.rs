use jans_core::store::Stores;

use super::harness::*;

#[test]
fn sled_engine_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (client, kids, token) = {
        let h = Harness::with(config(), Stores::sled(dir.path()).unwrap(), [5; 32]);
        let c = h.register(serde_json::json!({"scope": "read"}));
        let at = h.cc_token(&c);
        let kids: Vec<String> = h.jwks().keys.iter().filter_map(|k| k.kid.clone()).collect();
        (c, kids, at)
    };
    let h = Harness::with(config(), Stores::sled(dir.path()).unwrap(), [5; 32]);
    let kids_after: Vec<String> = h.jwks().keys.iter().filter_map(|k| k.kid.clone()).collect();
    assert_eq!(kids, kids_after, "keys persisted, not regenerated");
    // The client still authenticates with its secret, and its token is still active.
    let i = h.introspect(&client, &token);
    assert_eq!(i["active"], true);
    assert_eq!(h.cc_token(&client).len(), token.len());
}

use jans_core::repo::user::{User, UserStatus};
use jans_core::store::StoreError;
use jans_core::testing::block_on;

use super::harness::*;

fn alice() -> User {
    User {
        uid: "alice".into(),
        mail: Some("alice@example.com".into()),
        given_name: Some("Alice".into()),
        family_name: Some("Liddell".into()),
        ..User::default()
    }
}

#[test]
fn users_passwords_and_status() {
    let h = Harness::new();
    let e = &h.engine;
    let u = block_on(e.add_user(alice(), "correct horse battery", &h.ctx())).unwrap();
    assert_eq!(u.inum.len(), 36);
    assert_eq!(u.created_at, T0);
    assert!(
        u.password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$")
    );
    // The right password logs in; case of the uid does not matter.
    let ok = block_on(e.check_password("ALICE", "correct horse battery")).unwrap();
    assert_eq!(ok.map(|u| u.inum), Some(u.inum.clone()));
    assert!(
        block_on(e.check_password("alice", "wrong password"))
            .unwrap()
            .is_none()
    );
    assert!(
        block_on(e.check_password("nobody", "correct horse battery"))
            .unwrap()
            .is_none()
    );
    // Duplicates and bad input are refused and store nothing.
    let dup = block_on(e.add_user(
        User {
            uid: "Alice".into(),
            ..alice()
        },
        "another password",
        &h.ctx(),
    ));
    assert!(matches!(
        dup,
        Err(jans_core::Error::Store(StoreError::Conflict))
    ));
    assert!(matches!(
        block_on(e.add_user(
            User {
                uid: "bad uid".into(),
                ..alice()
            },
            "long enough",
            &h.ctx()
        )),
        Err(jans_core::Error::User(_))
    ));
    assert!(matches!(
        block_on(e.add_user(
            User {
                uid: "bob".into(),
                ..alice()
            },
            "short",
            &h.ctx()
        )),
        Err(jans_core::Error::Password(_))
    ));
    assert_eq!(block_on(e.users()).unwrap().len(), 1);
    // Password change.
    h.clock.advance(10);
    block_on(e.set_password("alice", "a brand new password", &h.ctx())).unwrap();
    assert!(
        block_on(e.check_password("alice", "correct horse battery"))
            .unwrap()
            .is_none()
    );
    assert!(
        block_on(e.check_password("alice", "a brand new password"))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        block_on(e.user("alice")).unwrap().unwrap().updated_at,
        T0 + 10
    );
    // A disabled user cannot log in, even with the right password.
    block_on(e.set_user_status("alice", UserStatus::Inactive, &h.ctx())).unwrap();
    assert!(
        block_on(e.check_password("alice", "a brand new password"))
            .unwrap()
            .is_none()
    );
    block_on(e.set_user_status("alice", UserStatus::Active, &h.ctx())).unwrap();
    assert!(
        block_on(e.check_password("alice", "a brand new password"))
            .unwrap()
            .is_some()
    );
    assert!(matches!(
        block_on(e.set_password("nobody", "whatever long", &h.ctx())),
        Err(jans_core::Error::Store(StoreError::NotFound))
    ));
    // The public view never carries the hash.
    let public = block_on(e.user("alice")).unwrap().unwrap().to_public_json();
    assert!(public.get("password_hash").is_none());
    assert_eq!(public["given_name"], "Alice");
}

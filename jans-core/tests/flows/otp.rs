//! One-time-password devices (issue 17 item 2, the store's part): a code of an
//! authenticator app is accepted once per time step — raced by eight logins on memory, sled
//! and PostgreSQL, exactly one wins — never for an earlier step, and only for its owner, who
//! alone renames or deletes the device.

use jans_core::otp::{OtpAlgorithm, Totp};
use jans_core::repo::otp::{OtpDevice, OtpDevices, OtpKind};
use jans_core::testing::block_on;

const SECRET: &[u8] = b"12345678901234567890";

fn device(id: &str, user: &str, added_on: u64) -> OtpDevice {
    OtpDevice {
        id: id.into(),
        user: user.into(),
        nickname: format!("{id}'s phone"),
        kind: OtpKind::Totp,
        // The test keeps the secret itself; the engine seals it.
        secret_sealed: "sealed".into(),
        alg: OtpAlgorithm::Sha1,
        digits: 6,
        period: 30,
        last_step: None,
        added_on,
        last_used: None,
    }
}

#[test]
fn a_code_is_accepted_once_per_step_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let devices = OtpDevices::new(backend.stores.documents.clone());
        block_on(devices.insert(&device("d1", "alice", 1))).unwrap();
        let totp = Totp::default();
        let now = 1_800_000_000;
        let code = format!("{:06}", totp.code(SECRET, now));
        let step = totp.verify(SECRET, &code, now, 1).unwrap();
        let won: Vec<bool> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8)
                .map(|_| s.spawn(|| block_on(devices.spend("alice", "d1", step, now)).unwrap()))
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "{name}");
        // The same step again, an earlier one: refused; the next one: accepted.
        assert!(
            !block_on(devices.spend("alice", "d1", step, now)).unwrap(),
            "{name}"
        );
        assert!(
            !block_on(devices.spend("alice", "d1", step - 1, now)).unwrap(),
            "{name}"
        );
        assert!(
            block_on(devices.spend("alice", "d1", step + 1, now + 30)).unwrap(),
            "{name}"
        );
        let d = block_on(devices.get("alice", "d1")).unwrap().unwrap();
        assert_eq!((d.last_step, d.last_used), (Some(step + 1), Some(now + 30)));
        // Another person's code of it is not theirs to spend.
        assert!(
            !block_on(devices.spend("mallory", "d1", step + 2, now)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn only_the_owner_lists_renames_and_deletes_a_device() {
    let devices = OtpDevices::new(jans_core::repo::Stores::memory().documents);
    for (id, user, at) in [("d2", "alice", 20), ("d1", "alice", 10), ("d3", "bob", 5)] {
        block_on(devices.insert(&device(id, user, at))).unwrap();
    }
    let ids = |user: &str| -> Vec<String> {
        block_on(devices.of_user(user))
            .unwrap()
            .into_iter()
            .map(|d| d.id)
            .collect()
    };
    assert_eq!(ids("alice"), ["d1", "d2"], "oldest first");
    assert_eq!(ids("bob"), ["d3"]);
    assert!(block_on(devices.get("bob", "d1")).unwrap().is_none());
    assert!(!block_on(devices.rename("bob", "d1", "mine now")).unwrap());
    assert!(!block_on(devices.delete("bob", "d1")).unwrap());
    assert_eq!(
        block_on(devices.get("alice", "d1"))
            .unwrap()
            .unwrap()
            .nickname,
        "d1's phone",
        "nothing changed"
    );
    assert!(block_on(devices.rename("alice", "d1", "work phone")).unwrap());
    assert_eq!(
        block_on(devices.get("alice", "d1"))
            .unwrap()
            .unwrap()
            .nickname,
        "work phone"
    );
    assert!(block_on(devices.delete("alice", "d1")).unwrap());
    assert_eq!(ids("alice"), ["d2"]);
    assert!(!block_on(devices.delete("alice", "d1")).unwrap());
}

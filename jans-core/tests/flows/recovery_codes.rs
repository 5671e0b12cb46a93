//! Recovery codes (issue 17 item 3, the store's part): each code of a person's current set
//! works once — raced by eight sign-ins on memory, sled and PostgreSQL, exactly one wins —,
//! typed in any case with or without dashes; a new set ends the old one; nobody else's code
//! works for a person.

use jans_core::repo::recovery_codes::{RecoveryCodes, generate};
use jans_core::testing::{SeededRandom, block_on};

#[test]
fn each_code_works_once_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let codes = RecoveryCodes::new(backend.stores.documents.clone());
        let rng = SeededRandom::new(7);
        let (shown, set) = generate("alice", 100, &rng);
        block_on(codes.put(&set)).unwrap();
        let first = shown[0].clone();
        let won: Vec<bool> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8)
                .map(|_| s.spawn(|| block_on(codes.spend("alice", &first, 200)).unwrap()))
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "{name}");
        assert!(
            !block_on(codes.spend("alice", &first, 201)).unwrap(),
            "{name}: used"
        );
        // Another code, as typed from paper: upper case, spaces for dashes.
        let typed = shown[1].to_uppercase().replace('-', " ");
        assert!(
            block_on(codes.spend("alice", &typed, 202)).unwrap(),
            "{name}"
        );
        let set = block_on(codes.get("alice")).unwrap().unwrap();
        assert_eq!(set.remaining(), 8, "{name}");
        // Not bob's, and nothing for someone without a set.
        let (bobs, bob_set) = generate("bob", 100, &rng);
        block_on(codes.put(&bob_set)).unwrap();
        assert!(
            !block_on(codes.spend("alice", &bobs[0], 203)).unwrap(),
            "{name}"
        );
        assert!(
            !block_on(codes.spend("carol", &shown[2], 203)).unwrap(),
            "{name}"
        );
        assert!(
            !block_on(codes.spend("alice", "not a code", 203)).unwrap(),
            "{name}"
        );
        // A new set: the old codes stop working, the new ones work.
        let (fresh, new_set) = generate("alice", 300, &rng);
        block_on(codes.put(&new_set)).unwrap();
        assert!(
            !block_on(codes.spend("alice", &shown[2], 301)).unwrap(),
            "{name}"
        );
        assert!(
            block_on(codes.spend("alice", &fresh[0], 301)).unwrap(),
            "{name}"
        );
        // Removed (an administrator's reset): none works.
        assert!(block_on(codes.remove("alice")).unwrap());
        assert!(
            !block_on(codes.spend("alice", &fresh[1], 302)).unwrap(),
            "{name}"
        );
    }
}

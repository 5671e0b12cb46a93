//! The users' and groups' index keys over each backend (`Users::keys`, `Groups::keys`,
//! `Stores::reindex`).

use super::user;
use crate::repo::Stores;
use crate::repo::user::User;
use crate::store::conformance::{CaseResult, block_on, e, ensure};

/// The users' and groups' index keys answer queries, move with each write, and are given to
/// documents stored without them by `Stores::reindex` (once).
pub(super) fn users_and_groups_indexed(s: &Stores) -> CaseResult {
    use crate::repo::group::{Group, Groups, Member, MemberKind};
    use crate::repo::user::Users;
    use crate::store::document::{Filter, Key, Test};
    let eq = |name: &str, v: &str| Filter::key(name, Test::Eq(v.to_owned()));
    let ids = |found: Vec<User>| found.into_iter().map(|u| u.inum).collect::<Vec<_>>();
    block_on(async {
        let mut alice = user("i1", "alice");
        alice.scim = serde_json::json!({
            "emails": [{"value": "Alice@Work.example", "type": "work"}],
            "externalId": "Ext-1",
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        alice.updated_at = 100;
        e(s.users.insert(&alice).await)?;
        e(s.users.insert(&user("i2", "bob")).await)?;
        for (filter, want) in [
            (eq(Users::EMAIL, "alice@work.example"), vec!["i1"]),
            (eq(Users::EMAIL, "bob@example.com"), vec!["i2"]),
            (eq(Users::EXTERNAL_ID, "Ext-1"), vec!["i1"]),
            (eq(Users::EXTERNAL_ID, "ext-1"), vec![]),
            (
                Filter::key(Users::UPDATED, Test::Ge(Users::time_key(50))),
                vec!["i1"],
            ),
            (
                Filter::key(Users::UID, Test::StartsWith("b".into())),
                vec!["i2"],
            ),
        ] {
            let got = ids(e(s.users.query(&filter, 10).await)?);
            ensure!(got == want, "{filter:?}: {got:?}");
        }
        alice.scim.clear();
        e(s.users.update(&alice).await)?;
        ensure!(
            e(s.users
                .query(&eq(Users::EMAIL, "alice@work.example"), 10)
                .await)?
            .is_empty(),
            "a changed user leaves its old emails"
        );
        let group = |inum: &str, name: &str, members: &[&str]| Group {
            inum: inum.to_owned(),
            display_name: name.to_owned(),
            members: members
                .iter()
                .map(|m| Member {
                    value: (*m).to_owned(),
                    kind: MemberKind::User,
                })
                .collect(),
            ..Group::default()
        };
        e(s.groups.insert(&group("g1", "Admins", &["i1", "i2"])).await)?;
        e(s.groups.insert(&group("g2", "Staff", &["i2"])).await)?;
        let of = |found: Vec<Group>| found.into_iter().map(|g| g.inum).collect::<Vec<_>>();
        ensure!(
            of(e(s.groups.of_member("i2").await)?) == ["g1", "g2"],
            "i2's groups"
        );
        ensure!(
            of(e(s.groups.of_member("i1").await)?) == ["g1"],
            "i1's groups"
        );
        ensure!(
            of(e(s.groups.of_member("I1").await)?).is_empty(),
            "an inum is exact"
        );
        let named = e(s
            .groups
            .query(&eq(Groups::DISPLAY_NAME, "admins"), 10)
            .await)?;
        ensure!(
            named
                .iter()
                .map(|(_, g)| g.inum.as_str())
                .collect::<Vec<_>>()
                == ["g1"],
            "{named:?}"
        );
        // Users with their groups, in one read where the store joins.
        let with = |found: Vec<(User, Vec<Group>)>| {
            found
                .into_iter()
                .map(|(u, g)| (u.inum, of(g)))
                .collect::<Vec<_>>()
        };
        let (everyone, bob) = (
            Filter::key(Users::UID, Test::Present),
            eq(Users::UID, "bob"),
        );
        let got = with(e(s
            .groups
            .users_with_groups(&s.users, &everyone, 10)
            .await)?);
        ensure!(
            got == [
                ("i1".to_owned(), vec!["g1".to_owned()]),
                ("i2".to_owned(), vec!["g1".to_owned(), "g2".to_owned()])
            ],
            "users with their groups: {got:?}"
        );
        let got = with(e(s.groups.users_with_groups(&s.users, &bob, 10).await)?);
        ensure!(
            got == [("i2".to_owned(), vec!["g1".to_owned(), "g2".to_owned()])],
            "bob with his groups: {got:?}"
        );
        // A group as version 1 of its keys stored it: no exact member key.
        let g3 = group("g3", "Old", &["i1"]);
        let body = serde_json::to_value(&g3).map_err(|e| e.to_string())?;
        e(s.documents
            .insert(
                Groups::COLLECTION,
                "g3",
                &body,
                &[
                    Key::index(Groups::DISPLAY_NAME, "old"),
                    Key::index(Groups::MEMBER, "i1"),
                ],
            )
            .await)?;
        // A user as an earlier version stored it: its login name its only key.
        let old = user("i9", "old");
        let body = serde_json::to_value(&old).map_err(|e| e.to_string())?;
        e(s.documents
            .insert(
                Users::COLLECTION,
                "i9",
                &body,
                &[Key::unique(Users::UID, "old")],
            )
            .await)?;
        let by_mail = eq(Users::EMAIL, "old@example.com");
        ensure!(
            e(s.users.query(&by_mail, 10).await)?.is_empty(),
            "not indexed yet"
        );
        let rewritten = e(s.reindex().await)?;
        ensure!(
            rewritten == 6,
            "3 users and 3 groups rewritten, not {rewritten}"
        );
        ensure!(
            of(e(s.groups.of_member("i1").await)?) == ["g1", "g3"],
            "a group stored before the exact member key has it"
        );
        ensure!(
            ids(e(s.users.query(&by_mail, 10).await)?) == ["i9"],
            "indexed"
        );
        ensure!(e(s.users.by_uid("OLD").await)? == Some(old), "unchanged");
        ensure!(e(s.reindex().await)? == 0, "once");
        Ok(())
    })
}

//! Usage statistics, as Janssen's statistic endpoint reports them: per month, the tokens
//! issued by grant type and token type, and the monthly active users (MAU: people who were
//! issued a token that month).
//!
//! Counting is off the token path's storage: [`Stats::record`] only adds to counts kept in
//! memory, and [`Stats::flush`] (the engine's tick, and every read) adds them to the store
//! as counters ([`GrantStore::add`], atomic across nodes). A person is counted once a
//! month across every node: the first node to store the month's marker for them
//! ([`GrantStore::insert`] refuses a second) counts them. What a node gathered since its
//! last flush is lost if the process dies (a tick, 60 s by default); a clean stop flushes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::ctx::{UnixTime, civil_date, parse_date};
use crate::store::{GrantKind, GrantRecord, GrantStore, StoreError};

/// How long monthly counts are kept: the month and the 24 before it.
pub const KEPT_MONTHS: u32 = 25;

/// The most people a node remembers as already counted this month (beyond that it asks
/// the store again, which still counts each person once).
const REMEMBERED: usize = 100_000;

/// A calendar month (UTC) as Janssen writes it: `YYYYMM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month(u32);

impl Month {
    /// The month holding `t`.
    pub fn of(t: UnixTime) -> Month {
        let (y, m, _) = civil_date(t);
        Month(u32::try_from(y * 100 + m).unwrap_or(197_001))
    }

    /// `YYYYMM` read strictly: six digits, a month 01 to 12.
    pub fn parse(s: &str) -> Option<Month> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = s.parse().ok()?;
        (1..=12).contains(&(n % 100)).then_some(Month(n))
    }

    /// `YYYYMM` as a number (what the statistic answer holds).
    pub fn number(self) -> u32 {
        self.0
    }

    /// The month after.
    pub fn next(self) -> Month {
        let (y, m) = (self.0 / 100, self.0 % 100);
        if m >= 12 {
            Month((y + 1) * 100 + 1)
        } else {
            Month(y * 100 + m + 1)
        }
    }

    /// `n` months later.
    pub fn plus(self, n: u32) -> Month {
        (0..n).fold(self, |m, _| m.next())
    }

    /// The first second of the month.
    pub fn start(self) -> UnixTime {
        parse_date(&format!("{:04}-{:02}-01", self.0 / 100, self.0 % 100)).unwrap_or(0)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// The kinds of token counted, by their names in the statistic answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenType {
    /// An access token.
    AccessToken,
    /// A refresh token.
    RefreshToken,
    /// An ID token.
    IdToken,
}

impl TokenType {
    /// Every counted kind.
    pub const ALL: [TokenType; 3] = [
        TokenType::AccessToken,
        TokenType::RefreshToken,
        TokenType::IdToken,
    ];

    /// Its place in [`TokenType::ALL`].
    pub fn index(self) -> usize {
        match self {
            TokenType::AccessToken => 0,
            TokenType::RefreshToken => 1,
            TokenType::IdToken => 2,
        }
    }

    /// Its name (Janssen's `token_count_per_granttype` members).
    pub fn name(self) -> &'static str {
        match self {
            TokenType::AccessToken => "access_token",
            TokenType::RefreshToken => "refresh_token",
            TokenType::IdToken => "id_token",
        }
    }
}

/// The grant types counted: the token endpoint's (the UMA grant's RPTs as access tokens)
/// and the implicit flow. A token issued
/// under any other name is not counted (the name is a store key; it is never a client's
/// free text).
pub const GRANT_TYPES: [&str; 6] = [
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "password",
    crate::config::UMA_TICKET_GRANT,
];

/// One month's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthFigures {
    /// People issued a token in the month.
    pub active_users: u64,
    /// Tokens issued: grant type -> token type -> count (only counts above zero).
    pub tokens:
        std::collections::BTreeMap<&'static str, std::collections::BTreeMap<&'static str, u64>>,
}

/// Counts of one month: by grant type, then token type (indexes of [`GRANT_TYPES`] and
/// [`TokenType::ALL`]).
type Counts = [[u64; TokenType::ALL.len()]; GRANT_TYPES.len()];

#[derive(Default)]
struct Pending {
    /// Tokens issued since the last flush, by month (one month, but at a month's turn).
    tokens: Vec<(Month, Counts)>,
    /// People to count at the next flush.
    users: HashSet<(Month, String)>,
    /// The month `seen` is about.
    month: Option<Month>,
    /// People issued a token in `month` whom this node counted or will count at its next
    /// flush (at most [`REMEMBERED`]): a token to one of them touches nothing more.
    seen: HashSet<String>,
}

impl Pending {
    /// The counts of `month`, added when missing.
    fn counts(&mut self, month: Month) -> Option<&mut Counts> {
        if !self.tokens.iter().any(|(m, _)| *m == month) {
            self.tokens.push((month, Counts::default()));
        }
        self.tokens
            .iter_mut()
            .find(|(m, _)| *m == month)
            .map(|(_, c)| c)
    }

    /// Add `n` tokens of `token` issued under the grant type at `grant` in `month`.
    fn add(&mut self, month: Month, grant: usize, token: TokenType, n: u64) {
        if let Some(slot) = self
            .counts(month)
            .and_then(|c| c.get_mut(grant))
            .and_then(|g| g.get_mut(token.index()))
        {
            *slot = slot.saturating_add(n);
        }
    }
}

/// The statistics of one store, with what this node gathered since its last flush.
#[derive(Clone)]
pub struct Stats {
    grants: Arc<dyn GrantStore>,
    pending: Arc<Mutex<Pending>>,
}

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stats")
    }
}

fn tokens_key(month: Month, grant: &str, token: TokenType) -> String {
    format!("tokens/{month}/{grant}/{}", token.name())
}

fn users_key(month: Month) -> String {
    format!("mau/{month}")
}

fn marker_key(month: Month, user: &str) -> String {
    format!("user/{month}/{user}")
}

impl Stats {
    /// The statistics kept in `grants`.
    pub fn new(grants: Arc<dyn GrantStore>) -> Stats {
        Stats {
            grants,
            pending: Arc::new(Mutex::new(Pending::default())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count `tokens` issued at `now` under `grant_type` to `user` (none for a client's
    /// own grant). In memory only: no storage is touched.
    pub fn record(
        &self,
        now: UnixTime,
        grant_type: &str,
        user: Option<&str>,
        tokens: &[TokenType],
    ) {
        let Some(grant) = GRANT_TYPES.iter().position(|g| *g == grant_type) else {
            return;
        };
        let month = Month::of(now);
        let mut p = self.lock();
        for t in tokens {
            p.add(month, grant, *t, 1);
        }
        if let Some(user) = user {
            if p.month != Some(month) {
                p.month = Some(month);
                p.seen.clear();
            }
            if !p.seen.contains(user) {
                if p.seen.len() < REMEMBERED {
                    p.seen.insert(user.to_owned());
                }
                p.users.insert((month, user.to_owned()));
            }
        }
    }

    /// Add what this node gathered to the store. What fails to be stored is kept for the
    /// next flush (and the first failure returned); what was stored is never added twice.
    pub async fn flush(&self, now: UnixTime) -> Result<(), StoreError> {
        let (tokens, users) = {
            let mut p = self.lock();
            (std::mem::take(&mut p.tokens), std::mem::take(&mut p.users))
        };
        let mut failure = None;
        let mut unsaved = Vec::new();
        for (month, counts) in tokens {
            let expires = month.plus(KEPT_MONTHS).start();
            for (g, (grant, by_type)) in GRANT_TYPES.iter().zip(counts).enumerate() {
                for (token, n) in TokenType::ALL.iter().zip(by_type) {
                    if n == 0 {
                        continue;
                    }
                    let key = tokens_key(month, grant, *token);
                    if let Err(e) = self
                        .grants
                        .add(GrantKind::Statistic, &key, n, expires, now)
                        .await
                    {
                        failure.get_or_insert(e);
                        unsaved.push((month, g, *token, n));
                    }
                }
            }
        }
        let mut unsaved_users = Vec::new();
        for (month, user) in users {
            if let Err(e) = self.count_user(month, &user, now).await {
                failure.get_or_insert(e);
                unsaved_users.push((month, user));
            }
        }
        let mut p = self.lock();
        for (month, grant, token, n) in unsaved {
            p.add(month, grant, token, n);
        }
        p.users.extend(unsaved_users);
        failure.map_or(Ok(()), Err)
    }

    /// Count `user` as active in `month` unless a node already has.
    async fn count_user(&self, month: Month, user: &str, now: UnixTime) -> Result<(), StoreError> {
        // The marker lives until a day into the next month: long enough for every node's
        // last flush of the month to find it.
        let marker_until = month.next().start().saturating_add(86_400);
        let marker = GrantRecord::bare(now, marker_until);
        match self
            .grants
            .insert(GrantKind::Statistic, &marker_key(month, user), &marker, now)
            .await
        {
            Ok(()) => {
                let expires = month.plus(KEPT_MONTHS).start();
                self.grants
                    .increment(GrantKind::Statistic, &users_key(month), expires, now)
                    .await
                    .map(|_| ())
            }
            Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The figures of `month`, as stored (flush first to include this node's latest).
    pub async fn month(&self, month: Month, now: UnixTime) -> Result<MonthFigures, StoreError> {
        let mut figures = MonthFigures {
            active_users: self
                .grants
                .counter(GrantKind::Statistic, &users_key(month), now)
                .await?,
            ..MonthFigures::default()
        };
        for grant in GRANT_TYPES {
            for token in TokenType::ALL {
                let n = self
                    .grants
                    .counter(GrantKind::Statistic, &tokens_key(month, grant, token), now)
                    .await?;
                if n > 0 {
                    figures
                        .tokens
                        .entry(grant)
                        .or_default()
                        .insert(token.name(), n);
                }
            }
        }
        Ok(figures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Backend;
    use crate::testing::block_on;

    const DEC_2026: UnixTime = 1_796_083_200; // 2026-12-01T00:00:00Z

    #[test]
    fn months_are_read_and_written_as_janssen_writes_them() {
        assert_eq!(Month::of(DEC_2026).to_string(), "202612");
        assert_eq!(Month::of(DEC_2026 - 1).to_string(), "202611");
        assert_eq!(Month::of(DEC_2026).start(), DEC_2026);
        assert_eq!(Month::of(DEC_2026).next().to_string(), "202701");
        assert_eq!(Month::of(DEC_2026).plus(13).to_string(), "202801");
        assert_eq!(Month::parse("202612"), Some(Month::of(DEC_2026)));
        for bad in ["202613", "202600", "20261", "2026-12", "+20612", "2026121"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn counts_reach_the_store_at_a_flush_and_people_count_once() {
        let grants = Backend::memory().grants;
        let stats = Stats::new(grants.clone());
        let now = DEC_2026 + 10;
        let month = Month::of(now);
        use TokenType::*;
        stats.record(
            now,
            "authorization_code",
            Some("u1"),
            &[AccessToken, IdToken],
        );
        stats.record(
            now,
            "authorization_code",
            Some("u1"),
            &[AccessToken, RefreshToken],
        );
        stats.record(now, "client_credentials", None, &[AccessToken]);
        stats.record(now, "urn:made-up", Some("u9"), &[AccessToken]);
        assert_eq!(
            block_on(stats.month(month, now)).unwrap(),
            MonthFigures::default(),
            "nothing is stored before a flush"
        );
        block_on(stats.flush(now)).unwrap();
        // A second node counts the same person again, and a new one.
        let other = Stats::new(grants);
        other.record(now, "refresh_token", Some("u1"), &[AccessToken]);
        other.record(now, "password", Some("u2"), &[AccessToken]);
        block_on(other.flush(now)).unwrap();
        block_on(stats.flush(now)).unwrap();
        let f = block_on(stats.month(month, now)).unwrap();
        assert_eq!(f.active_users, 2, "u1 once across both nodes, and u2");
        let ac = &f.tokens["authorization_code"];
        assert_eq!(
            (ac["access_token"], ac["id_token"], ac["refresh_token"]),
            (2, 1, 1)
        );
        assert_eq!(f.tokens["client_credentials"]["access_token"], 1);
        assert_eq!(f.tokens["refresh_token"]["access_token"], 1);
        assert_eq!(f.tokens["password"]["access_token"], 1);
        assert_eq!(
            f.tokens.len(),
            4,
            "an unknown grant type is not counted: {f:?}"
        );
        // Another month is counted apart.
        let later = month.next().start() + 5;
        stats.record(later, "password", Some("u1"), &[AccessToken]);
        block_on(stats.flush(later)).unwrap();
        assert_eq!(
            block_on(stats.month(month.next(), later))
                .unwrap()
                .active_users,
            1
        );
        assert_eq!(block_on(stats.month(month, later)).unwrap().active_users, 2);
    }
}

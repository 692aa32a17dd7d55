//! `pageLimit` / `pageNextToken` over a `BTreeMap`: the token is an opaque encoding of the last
//! key returned, so pages stay stable while other entries come and go, and each page costs
//! O(log n + page size).

use std::{collections::BTreeMap, ops::Bound};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

use crate::{error::ApiError, state::Shared};

const TOKEN_PREFIX: &str = "sim1:";

/// Default `pageLimit` of every list.
pub(crate) const DEFAULT_PAGE_LIMIT: usize = 10;

/// The query of a list that takes nothing but `pageLimit` and `pageNextToken`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageQuery {
    #[serde(default, deserialize_with = "crate::extract::present")]
    page_limit: Option<String>,
    page_next_token: Option<String>,
}

/// A validated page request.
#[derive(Debug)]
pub(crate) struct PageRequest {
    pub limit: usize,
    pub after: Option<String>,
}

impl PageRequest {
    /// Validates `pageLimit` (an integer from 1 to 100) and `pageNextToken`, and counts the
    /// request against the `fail_page_after` fault.
    pub fn new(
        shared: &Shared,
        limit: Option<&str>,
        token: Option<&str>,
    ) -> Result<Self, ApiError> {
        let limit = match limit {
            None => DEFAULT_PAGE_LIMIT,
            Some(raw) => raw
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && (1.0..=100.0).contains(v))
                .map(|v| v as usize)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "pageLimit must be an integer from 1 to 100, got {raw:?}"
                    ))
                })?,
        };
        let after = token.filter(|t| !t.is_empty()).map(decode).transpose()?;
        shared.on_page()?;
        Ok(Self { limit, after })
    }

    /// [`PageRequest::new`] for a [`PageQuery`].
    pub fn from_query(shared: &Shared, q: &PageQuery) -> Result<Self, ApiError> {
        Self::new(
            shared,
            q.page_limit.as_deref(),
            q.page_next_token.as_deref(),
        )
    }

    /// The page of `map` entries that pass `keep`, in key order, and the next token.
    pub fn page<'a, V>(
        &self,
        map: &'a BTreeMap<String, V>,
        keep: impl Fn(&V) -> bool,
    ) -> (Vec<&'a V>, Option<String>) {
        let start = match &self.after {
            Some(key) => Bound::Excluded(key.as_str()),
            None => Bound::Unbounded,
        };
        let iter = map
            .range::<str, _>((start, Bound::Unbounded))
            .filter(|(_, v)| keep(v));
        self.take(iter)
    }

    /// Like [`page`](Self::page), newest (largest key) first.
    pub fn page_rev<'a, V>(
        &self,
        map: &'a BTreeMap<String, V>,
        keep: impl Fn(&V) -> bool,
    ) -> (Vec<&'a V>, Option<String>) {
        let end = match &self.after {
            Some(key) => Bound::Excluded(key.as_str()),
            None => Bound::Unbounded,
        };
        let iter = map
            .range::<str, _>((Bound::Unbounded, end))
            .rev()
            .filter(|(_, v)| keep(v));
        self.take(iter)
    }

    /// Like [`page`](Self::page) (or, with `rev`, [`page_rev`](Self::page_rev)), over the
    /// keys within `(low, high)` only, so a narrow range costs no scan of the whole map.
    pub fn page_within<'a, V>(
        &self,
        map: &'a BTreeMap<String, V>,
        (low, high): (Bound<&str>, Bound<&str>),
        rev: bool,
        keep: impl Fn(&V) -> bool,
    ) -> (Vec<&'a V>, Option<String>) {
        let (mut low, mut high) = (low, high);
        if let Some(after) = self.after.as_deref() {
            if rev {
                if upper_admits(high, after) {
                    high = Bound::Excluded(after);
                }
            } else if lower_admits(low, after) {
                low = Bound::Excluded(after);
            }
        }
        if !nonempty(low, high) {
            return (Vec::new(), None);
        }
        let iter = map.range::<str, _>((low, high));
        if rev {
            self.take(iter.rev().filter(|(_, v)| keep(v)))
        } else {
            self.take(iter.filter(|(_, v)| keep(v)))
        }
    }

    fn take<'a, V>(
        &self,
        mut iter: impl Iterator<Item = (&'a String, &'a V)>,
    ) -> (Vec<&'a V>, Option<String>) {
        let mut items = Vec::with_capacity(self.limit.min(100));
        let mut last = None;
        for (key, value) in iter.by_ref().take(self.limit) {
            items.push(value);
            last = Some(key);
        }
        let next = match (last, iter.next()) {
            (Some(key), Some(_)) => Some(encode(key)),
            _ => None,
        };
        (items, next)
    }
}

/// Whether `low` lets keys up to and including `key` through (so `Excluded(key)` is tighter).
fn lower_admits(low: Bound<&str>, key: &str) -> bool {
    match low {
        Bound::Unbounded => true,
        Bound::Included(l) | Bound::Excluded(l) => l <= key,
    }
}

/// Whether `high` lets keys down to and including `key` through.
fn upper_admits(high: Bound<&str>, key: &str) -> bool {
    match high {
        Bound::Unbounded => true,
        Bound::Included(h) | Bound::Excluded(h) => h >= key,
    }
}

/// Whether `(low, high)` can hold a key; `BTreeMap::range` panics on inverted bounds.
fn nonempty(low: Bound<&str>, high: Bound<&str>) -> bool {
    match (low, high) {
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => true,
        (Bound::Included(l), Bound::Included(h)) => l <= h,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Included(h) | Bound::Excluded(h)) => l < h,
    }
}

fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{key}"))
}

fn decode(token: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(TOKEN_PREFIX).map(str::to_owned))
        .ok_or_else(|| ApiError::bad_request("invalid pageNextToken"))
}

/// The nRF pagination envelope. `total` is the number of items in this page.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_next_token: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, page_next_token: Option<String>) -> Self {
        Self {
            total: items.len(),
            items,
            page_next_token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(limit: usize, after: Option<String>) -> PageRequest {
        PageRequest { limit, after }
    }

    #[test]
    fn pages_cover_every_matching_entry_once() {
        let map: BTreeMap<String, u32> = (0..25).map(|i| (format!("k{i:03}"), i)).collect();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let (items, next) = req(7, after.take()).page(&map, |v| v % 2 == 0);
            seen.extend(items.into_iter().copied());
            match next {
                Some(t) => after = Some(decode(&t).unwrap()),
                None => break,
            }
        }
        assert_eq!(seen, (0..25).filter(|v| v % 2 == 0).collect::<Vec<_>>());
    }

    #[test]
    fn no_token_when_the_page_is_exactly_the_rest() {
        let map: BTreeMap<String, u32> = (0..10).map(|i| (format!("k{i}"), i)).collect();
        let (items, next) = req(10, None).page(&map, |_| true);
        assert_eq!(items.len(), 10);
        assert!(next.is_none());
        let (items, next) = req(3, None).page_rev(&map, |_| true);
        assert_eq!(items, [&9, &8, &7]);
        let (items, _) = req(3, Some(decode(&next.unwrap()).unwrap())).page_rev(&map, |_| true);
        assert_eq!(items, [&6, &5, &4]);
    }

    #[test]
    fn ranged_pages_in_both_directions() {
        let map: BTreeMap<String, u32> = (0..20).map(|i| (format!("k{i:02}"), i)).collect();
        let range = (Bound::Included("k05"), Bound::Excluded("k15"));
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let (items, next) = req(4, after.take()).page_within(&map, range, false, |_| true);
            seen.extend(items.into_iter().copied());
            match next {
                Some(t) => after = Some(decode(&t).unwrap()),
                None => break,
            }
        }
        assert_eq!(seen, (5..15).collect::<Vec<_>>());
        let (items, next) = req(4, None).page_within(&map, range, true, |v| v % 2 == 0);
        assert_eq!(items, [&14, &12, &10, &8]);
        let after = Some(decode(&next.unwrap()).unwrap());
        let (items, next) = req(4, after).page_within(&map, range, true, |v| v % 2 == 0);
        assert_eq!((items, next), (vec![&6], None));
        // Inverted or empty ranges are empty, not a panic.
        let inverted = (Bound::Included("k10"), Bound::Excluded("k03"));
        assert!(
            req(4, None)
                .page_within(&map, inverted, false, |_| true)
                .0
                .is_empty()
        );
        let empty = (Bound::Excluded("k03"), Bound::Excluded("k03"));
        assert!(
            req(4, None)
                .page_within(&map, empty, true, |_| true)
                .0
                .is_empty()
        );
        // A token outside the range keeps the range's own bound.
        let (items, _) = req(2, Some("k00".into())).page_within(&map, range, false, |_| true);
        assert_eq!(items, [&5, &6]);
    }

    #[test]
    fn bad_tokens_are_rejected() {
        assert!(decode("not base64!").is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode("other:k")).is_err());
        assert_eq!(decode(&encode("abc")).unwrap(), "abc");
    }
}

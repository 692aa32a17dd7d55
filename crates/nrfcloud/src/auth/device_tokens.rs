//! The per-device token cache of a service-key signer: one token per device `sub`, re-minted
//! before `exp`, bounded by least-recent use so a proxy serving an unbounded fleet keeps a
//! bounded cache.

use std::{
    num::NonZeroUsize,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use lru::LruCache;
use secrecy::SecretString;

use super::jwt::Cached;
use crate::error::AuthError;

/// What a service-key signer's per-device cache has done (see
/// [`ServiceJwt::cache_stats`](crate::auth::ServiceJwt::cache_stats)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCacheStats {
    /// Tokens signed for a device (a miss, or a cached token near its `exp`).
    pub minted: u64,
    /// Requests served from the cache.
    pub hits: u64,
    /// Tokens held now.
    pub cached: usize,
    /// The most it holds.
    pub capacity: usize,
}

impl TokenCacheStats {
    /// Hits over all lookups, from 0 to 1 (0 before any lookup).
    ///
    /// ```
    /// let stats = nrfcloud::auth::TokenCacheStats::default();
    /// assert_eq!(stats.hit_rate(), 0.0);
    /// ```
    pub fn hit_rate(&self) -> f64 {
        let lookups = self.minted + self.hits;
        if lookups == 0 {
            0.0
        } else {
            self.hits as f64 / lookups as f64
        }
    }
}

/// Tokens by device id, least recently used dropped first; `None` when the capacity is 0.
pub(super) struct DeviceTokens {
    cache: Option<Mutex<LruCache<Box<str>, Cached>>>,
    capacity: usize,
    minted: AtomicU64,
    hits: AtomicU64,
}

impl DeviceTokens {
    pub(super) const DEFAULT_CAPACITY: usize = 10_000;

    pub(super) fn new(capacity: usize) -> Self {
        Self {
            cache: NonZeroUsize::new(capacity).map(|n| Mutex::new(LruCache::new(n))),
            capacity,
            minted: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }
    }

    /// The cached token for `device` while `now` is before its refresh time, else `mint()`'s,
    /// which is cached. Signing happens outside the lock, so other devices are not held up.
    pub(super) fn get_or_mint(
        &self,
        device: &str,
        now: u64,
        mint: impl FnOnce() -> Result<Cached, AuthError>,
    ) -> Result<SecretString, AuthError> {
        if let Some(cache) = &self.cache {
            let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(hit) = cache.get(device).filter(|c| now < c.refresh_at) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(hit.token.clone());
            }
        }
        let fresh = mint()?;
        self.minted.fetch_add(1, Ordering::Relaxed);
        let token = fresh.token.clone();
        if let Some(cache) = &self.cache {
            cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .put(device.into(), fresh);
        }
        Ok(token)
    }

    pub(super) fn stats(&self) -> TokenCacheStats {
        TokenCacheStats {
            minted: self.minted.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
            cached: self
                .cache
                .as_ref()
                .map_or(0, |c| c.lock().unwrap_or_else(|e| e.into_inner()).len()),
            capacity: self.capacity,
        }
    }
}

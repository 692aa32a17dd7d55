//! Where the service's documentation shows two paths for one operation: the client's choice,
//! set once on the [`crate::ClientBuilder`] with the best-supported path as the default.

/// Which of the documented paths the client uses where the service's documentation shows two.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Paths {
    pub(crate) claim: ClaimPath,
    pub(crate) bulk_claim_endpoint: bool,
    pub(crate) tags: TagPaths,
}

/// The path claims (one device, or a CSV) are sent to, a client setting
/// ([`crate::ClientBuilder::claim_path`]): the service's tools and its claiming guide show
/// different ones.
// Both variants are documented [CONFLICT]; the default is the one every client observed
// getting 201 from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimPath {
    /// `POST /claimed-devices`, the default: the path the service's own tools use.
    #[default]
    ClaimedDevices,
    /// `POST /identities/claimed-devices`: the path the claiming guide shows.
    Identities,
}

/// Which paths list and create tags, a client setting ([`crate::ClientBuilder::tag_paths`]).
/// Fetch, update and delete are documented only under `/claimed-devices/tags/{id}` and always
/// use it.
// Both are documented [CONFLICT]: the claiming guide shows the default, Nordic's
// provisioning scripts the other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TagPaths {
    /// `/claimed-devices/tags`, the default: the path the claiming guide shows.
    #[default]
    ClaimedDevices,
    /// `/provisioning/tags`: the path the service's provisioning scripts use.
    Provisioning,
}

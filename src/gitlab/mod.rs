//! GitLab facts: the shape of the ID token's `sub` claim.

pub mod ci;
pub mod sub;

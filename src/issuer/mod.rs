//! The issuer as STS sees it: discovery document and JWKS fetched over the
//! network with per-phase timings ([`fetch`]), the TLS chain as served
//! ([`tls`]), and pure checks of all of it ([`validate`]). [`probe`] runs the lot.

pub mod fetch;
pub mod probe;
pub mod tls;
pub mod validate;

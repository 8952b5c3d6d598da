//! oidc-doctor: lints AWS IAM trust policies for GitLab CI OIDC federation and
//! diagnoses failed `sts:AssumeRoleWithWebIdentity` calls.
//!
//! Layout: [`json`] (strict JSON with spans), [`policy`] (the policy model),
//! [`iam`] (the evaluation engine, pure), [`token`] (JWT decoding), [`gitlab`]
//! (GitLab's `sub` grammar), [`rules`] (rule identities), [`finding`],
//! [`simulate`] (the use case), [`report`] (renderers), [`cli`] (the commands),
//! [`config`] (`.oidc-doctor.toml`), [`aws`] (IAM and STS through the AWS SDK,
//! cargo feature `aws`), [`fingerprint`] and [`baseline`] (stable
//! finding identities and accepted findings).

// A panic is a bug, never an exit path (the binary's panic hook turns one into
// exit 3): outside tests, no `unwrap`, `expect` or `panic!` on anything, least
// of all on input. Indexing is checked by the fuzzing harness and the growth
// tests instead of `clippy::indexing_slicing`, whose 291 bounded
// `[i]`/`[a..b]` uses (each guarded by a length check or a search result)
// would turn into `get(..)` noise without removing a real risk.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod aws;
pub mod baseline;
pub mod check;
pub mod cli;
pub mod config;
pub mod explain;
pub mod finding;
pub mod fingerprint;
pub mod gitlab;
pub mod iam;
pub mod issuer;
pub mod json;
pub mod lint;
pub mod policy;
pub mod report;
pub mod rules;
pub mod simulate;
pub mod subjects;
pub mod token;
pub mod who;
pub mod yaml;

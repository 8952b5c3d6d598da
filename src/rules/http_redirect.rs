//! `http-redirect`: discovery or JWKS answered with a redirect.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "http-redirect",
    category: Category::Connectivity,
    severity: Severity::Warning,
    summary: r#"discovery or JWKS answered with a redirect"#,
    aws_error: None,
    fix: r#"serve the documents at the URLs directly (fix the issuer URL or `jwks_uri`)"#,
    explanation: r#"STS is not documented to follow redirects: AWS's troubleshooting for "Couldn't retrieve verification key" asks for the `.well-known` URL and the `jwks_uri` to answer 200 themselves (AWS Knowledge Center, "How can I resolve the AWS STS AssumeRoleWithWebIdentity API call error InvalidIdentityToken?"). `probe`, `decode --verify` and `check` therefore never follow a redirect to `http://` (STS fetches only over https) or to another host (that would move the fetch, and the TLS chain that counts for the thumbprint, to a host the provider URL does not name): the request is not made, the finding says where the redirect led, and the endpoint is reported unreachable. Redirects on the same host over https are followed, at most 5, to show where they lead, and each is reported. A `jwks_uri` on another host is fetched, as STS does (see `jwks-uri-off-host`)."#,
    bad: r#"GET /.well-known/openid-configuration → 301 https://gitlab.example.com/gitlab/.well-known/openid-configuration"#,
    good: r#"GET /gitlab/.well-known/openid-configuration → 200"#,
};

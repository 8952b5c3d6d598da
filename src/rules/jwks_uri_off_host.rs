//! `jwks-uri-off-host`: the discovery document's `jwks_uri` is on another host than
//! the issuer.
//!
//! Reported by `probe` (and `decode --verify`, `check`), from `issuer::probe`.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "jwks-uri-off-host",
    category: Category::Connectivity,
    severity: Severity::Info,
    summary: r#"the `jwks_uri` is on another host than the issuer"#,
    aws_error: None,
    fix: r#"nothing to fix when the host is yours; make sure its certificate chains to a public CA (or that the provider's thumbprint is that host's), since that host's TLS is what STS checks"#,
    explanation: r#"STS fetches the keys wherever the discovery document's `jwks_uri` points, another host included: AWS documents it (CreateOpenIDConnectProvider, `ThumbprintList`: for a provider `server.example.com` whose keys are at `https://keys.server.example.com/openid-connect`, the thumbprint is that of the certificate of `keys.server.example.com`; UpdateOpenIDConnectProviderThumbprint names JWKS endpoints hosted in Amazon S3). So `probe` fetches it too, as STS does, and reports it: the TLS chain, the thumbprint and the availability that count are that host's, not the issuer's, and the host is trusted with the issuer's signing keys. Redirects are different: one to another host is not followed (see `http-redirect`)."#,
    bad: r#"{"issuer": "https://gitlab.example.com", "jwks_uri": "https://keys.example.net/gitlab/jwks.json"}"#,
    good: r#"{"issuer": "https://gitlab.example.com", "jwks_uri": "https://gitlab.example.com/oauth/discovery/keys"}"#,
};

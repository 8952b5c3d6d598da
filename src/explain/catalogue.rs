//! The catalogue: every documented way `sts:AssumeRoleWithWebIdentity` (and the
//! IAM calls that set it up) fails, with causes ranked by how common they are.
//!
//! Data only, in a fixed order (most common errors first), so `explain`, its JSON
//! and `docs/troubleshooting.md` all render from one place. Messages use
//! placeholders (`{issuer}`, `{date}`, `{value}`, …) where AWS inserts values;
//! matching treats a placeholder as "any text on the same line". Wordings not
//! seen verbatim in a real failure are marked `confirmed: false`.

/// One AWS error (or CI-side failure around the call).
#[derive(Debug)]
pub struct Entry {
    /// Stable kebab-case identity (JSON `id`, docs anchor).
    pub id: &'static str,
    /// The AWS error code (`InvalidIdentityToken`), or the failing tool for
    /// CI-side errors (`aws-cli`).
    pub code: &'static str,
    /// The HTTP status AWS answers with; `None` for errors raised before any request.
    pub http_status: Option<u16>,
    /// One line: what went wrong, in words.
    pub title: &'static str,
    /// The message text as AWS returns it, with placeholders.
    pub message: &'static str,
    /// Other wordings of the same failure (console, other SDKs, older texts).
    pub alternates: &'static [&'static str],
    /// Whether `message` was seen verbatim in real failures (REFERENCE.md).
    pub confirmed: bool,
    /// Which API call or console step produces it.
    pub source: &'static str,
    /// Causes, most common first.
    pub causes: &'static [Cause],
}

/// One reason an error happens.
#[derive(Debug)]
pub struct Cause {
    /// What is wrong.
    pub cause: &'static str,
    /// Rules that detect it (names in `oidc_doctor::rules`, or pending check rules).
    pub rules: &'static [&'static str],
    pub fix: &'static str,
    /// The `oidc-doctor` invocation that confirms (or rules out) this cause.
    pub confirm: &'static str,
}

const CHECK: &str =
    "oidc-doctor check --role-arn arn:aws:iam::<account>:role/<role> --token-file token.jwt";
const LINT: &str = "oidc-doctor lint <trust-policy.json | infra/>";
const PROBE: &str = "oidc-doctor probe https://<issuer>";
const DECODE: &str = "oidc-doctor decode --token-file token.jwt";
const LINT_CI: &str = "oidc-doctor lint .gitlab-ci.yml infra/";

/// Every entry, most common first (the order of `docs/troubleshooting.md`).
pub static CATALOGUE: &[Entry] = &[
    Entry {
        id: "access-denied",
        code: "AccessDenied",
        http_status: Some(403),
        title: "the role's trust policy does not admit this token",
        message: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        alternates: &[],
        confirmed: true,
        source: "sts:AssumeRoleWithWebIdentity, after the token and provider checks passed: trust policy evaluation",
        causes: &[
            Cause {
                cause: "the job's `sub` (project path, ref type, branch or tag) is not among the values the `sub` condition admits — e.g. the job ran on a branch or tag the policy does not list, or the role is not configured for this project",
                rules: &["sub-not-admitted", "sub-never-matches"],
                fix: "add the subject (or a pattern covering it, under StringLike) to the `<provider>:sub` condition, or run the job on an admitted ref",
                confirm: CHECK,
            },
            Cause {
                cause: "a `*` or `?` pattern under `StringEquals`: matched literally, so it admits no real subject",
                rules: &["wildcard-in-exact-operator"],
                fix: "use `StringLike` for patterns",
                confirm: LINT,
            },
            Cause {
                cause: "another condition fails for the token: `aud` differs from the `id_tokens:` audience, or `project_id`, `namespace_id`, `ref_protected`, … do not hold",
                rules: &["claim-not-admitted"],
                fix: "align the condition with the token (or the `id_tokens:` `aud` with the condition)",
                confirm: CHECK,
            },
            Cause {
                cause: "the `Federated` principal is not the ARN of the provider the token's `iss` maps to (issuer URL instead of ARN, `https://` inside the ARN, another host or path)",
                rules: &["invalid-federated-principal", "issuer-provider-mismatch"],
                fix: "set `Principal.Federated` to `arn:aws:iam::<account>:oidc-provider/<issuer without https://>`",
                confirm: CHECK,
            },
            Cause {
                cause: "a condition key that is never in the request: written with `https://`, with another provider's prefix, or a claim AWS does not expose (`gitlab.com:ref`, `gitlab.com:project_path`, GitLab.com-only keys on a self-managed issuer)",
                rules: &[
                    "condition-key-has-scheme",
                    "condition-key-provider-mismatch",
                    "unsupported-condition-key",
                ],
                fix: "use `<issuer host[/path]>:sub` / `:aud` (and, on gitlab.com only, the documented extra keys); match project and ref through `sub`",
                confirm: LINT,
            },
            Cause {
                cause: "the statement allows only `sts:AssumeRole`, not `sts:AssumeRoleWithWebIdentity`",
                rules: &["wrong-action"],
                fix: "add `sts:AssumeRoleWithWebIdentity` to `Action`",
                confirm: LINT,
            },
            Cause {
                cause: "conditions that can never hold together (the same key under two operators is ANDed)",
                rules: &["contradictory-conditions"],
                fix: "put alternatives in one value list (values are ORed)",
                confirm: LINT,
            },
            Cause {
                cause: "the role ARN names another account than the one holding the OIDC provider the policy trusts",
                rules: &["role-account-mismatch"],
                fix: "create the provider in the role's account (provider and role must be in the same account)",
                confirm: CHECK,
            },
            Cause {
                cause: "an explicit Deny statement, or an organization resource control policy (RCP), denies the call — RCPs are outside what oidc-doctor can see",
                rules: &[],
                fix: "find the Deny in the trust policy (the trace names it) or ask your AWS Organizations administrator about RCPs",
                confirm: "oidc-doctor simulate --policy trust.json --token-file token.jwt",
            },
        ],
    },
    Entry {
        id: "incorrect-token-audience",
        code: "InvalidIdentityToken",
        http_status: Some(400),
        title: "the token's audience is not one of the provider's client IDs",
        message: "Incorrect token audience",
        alternates: &[],
        confirmed: true,
        source: "sts:AssumeRoleWithWebIdentity: audience check against the IAM OIDC provider's client ID list, before the trust policy",
        causes: &[
            Cause {
                cause: "the token's `aud` (or `azp`, which STS prefers) is not in the IAM OIDC provider's client ID list — e.g. `id_tokens:` asks for `https://gitlab.com` but the provider lists `sts.amazonaws.com`",
                rules: &["audience-not-in-client-ids", "id-token-aud-mismatch"],
                fix: "make `id_tokens: NAME: aud:` one of the provider's client IDs, or add it (`aws iam add-client-id-to-open-id-connect-provider`)",
                confirm: CHECK,
            },
            Cause {
                cause: "the trust policy's `:aud` condition and the provider's client IDs disagree, so no token can pass both",
                rules: &["aud-mismatch"],
                fix: "use one audience in the provider, the policy's `:aud` condition and `id_tokens:`",
                confirm: LINT_CI,
            },
            Cause {
                cause: "`id_tokens: aud:` is a list: the token's `aud` is an array, and how STS matches it is unconfirmed",
                rules: &["multiple-audiences"],
                fix: "give `id_tokens:` a single `aud:` string",
                confirm: DECODE,
            },
        ],
    },
    Entry {
        id: "key-retrieval-failed",
        code: "InvalidIdentityToken",
        http_status: Some(400),
        title: "STS could not fetch the issuer's discovery document or keys",
        message: "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
        alternates: &["Couldn't retrieve verification key from your identity provider"],
        confirmed: true,
        source: "sts:AssumeRoleWithWebIdentity: fetching `{issuer}/.well-known/openid-configuration` and `jwks_uri` from the public internet",
        causes: &[
            Cause {
                cause: "the instance is not reachable from the public internet (private network, VPN-only, firewall, allow-list without AWS's addresses)",
                rules: &[
                    "discovery-unreachable",
                    "jwks-unreachable",
                    "issuer-private-address",
                ],
                fix: "serve discovery and JWKS publicly (GitLab's OIDC issuer override can point at a public copy)",
                confirm: PROBE,
            },
            Cause {
                cause: "a WAF, bot challenge or rate limiter answers with HTML, 403 or 429",
                rules: &["waf-challenge"],
                fix: "exempt `/.well-known/openid-configuration` and the JWKS path from the WAF and rate limits",
                confirm: PROBE,
            },
            Cause {
                cause: "discovery or JWKS takes more than 5 seconds to answer",
                rules: &["discovery-timeout", "jwks-timeout"],
                fix: "make the endpoints answer well within 5 s (cache them, put them behind a CDN)",
                confirm: PROBE,
            },
            Cause {
                cause: "bursts of parallel jobs are throttled because the JWKS is served without caching",
                rules: &["jwks-not-cacheable"],
                fix: "serve the JWKS with `Cache-Control: max-age=86400, public, must-revalidate` (GitLab's default; a proxy may strip it)",
                confirm: PROBE,
            },
            Cause {
                cause: "the discovery document's `issuer` differs from the URL (trailing slash, reverse proxy rewriting the external URL), or `jwks_uri` is missing or not https",
                rules: &["discovery-invalid"],
                fix: "serve a discovery document whose `issuer` equals the issuer URL exactly",
                confirm: PROBE,
            },
            Cause {
                cause: "the JWKS has no usable key, more than 100 RSA or EC keys, or duplicate `kid`s",
                rules: &["jwks-invalid"],
                fix: "publish 1–100 RSA/EC signing keys with unique `kid`s",
                confirm: PROBE,
            },
        ],
    },
    Entry {
        id: "provider-not-found",
        code: "InvalidIdentityToken",
        http_status: Some(400),
        title: "no IAM OIDC provider in the role's account has a URL equal to the token's `iss`",
        message: "No OpenIDConnect provider found in your account for {issuer}",
        alternates: &[],
        confirmed: true,
        source: "sts:AssumeRoleWithWebIdentity: provider lookup by the token's `iss` in the role's account",
        causes: &[
            Cause {
                cause: "the provider URL differs from `iss`: a trailing slash, a missing or extra path (relative URL root), another host, or case",
                rules: &["provider-not-found", "provider-url-invalid"],
                fix: "create the provider with the URL exactly equal to the token's `iss` (`aws iam create-open-id-connect-provider --url <iss>`)",
                confirm: CHECK,
            },
            Cause {
                cause: "the provider exists in another account than the role",
                rules: &["role-account-mismatch"],
                fix: "create the provider in the role's account",
                confirm: CHECK,
            },
            Cause {
                cause: "a legacy `CI_JOB_JWT*` token whose `iss` has no `https://` (removed in GitLab 17.0)",
                rules: &["legacy-ci-job-jwt"],
                fix: "declare `id_tokens:` in the job and pass that variable",
                confirm: DECODE,
            },
        ],
    },
    Entry {
        id: "not-a-jwt",
        code: "InvalidIdentityToken",
        http_status: Some(400),
        title: "the value passed as the web identity token is not a JWT",
        message: "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
        alternates: &["The ID Token provided is not a valid JWT"],
        confirmed: true,
        source: "sts:AssumeRoleWithWebIdentity: token parsing",
        causes: &[
            Cause {
                cause: "the variable passed as `--web-identity-token` is not one of the job's `id_tokens:` (typo, declared on another job, overridden `id_tokens:`)",
                rules: &["web-identity-token-not-an-id-token"],
                fix: "pass the variable named under the job's `id_tokens:`",
                confirm: LINT_CI,
            },
            Cause {
                cause: "the value is something else: a GitLab access or job token, a quoted or truncated token, a file with more than the token",
                rules: &["token-malformed"],
                fix: "pass the ID token exactly as GitLab issued it",
                confirm: DECODE,
            },
            Cause {
                cause: "a legacy `CI_JOB_JWT*` variable, empty on GitLab 17.0 and later",
                rules: &["legacy-ci-job-jwt"],
                fix: "declare `id_tokens:` and use that variable",
                confirm: LINT_CI,
            },
        ],
    },
    Entry {
        id: "expired-token",
        code: "ExpiredTokenException",
        http_status: Some(400),
        title: "the token's `exp` has passed",
        message: "Token expired: current date/time {date} must be before the expiration date/time {date}",
        alternates: &[],
        confirmed: true,
        source: "sts:AssumeRoleWithWebIdentity: token time check",
        causes: &[
            Cause {
                cause: "the job asked for credentials after the token expired (GitLab sets `exp` = start + job timeout, 5 minutes without one), or a retry reused an old token",
                rules: &["token-expired"],
                fix: "assume the role early in the job, or raise the job timeout",
                confirm: "oidc-doctor decode --token-file token.jwt --now <time of the failed call>",
            },
            Cause {
                cause: "the clock of the machine or of the GitLab instance is wrong",
                rules: &["token-not-yet-valid"],
                fix: "synchronise the clocks (NTP)",
                confirm: DECODE,
            },
        ],
    },
    Entry {
        id: "thumbprint-mismatch",
        code: "InvalidIdentityToken",
        http_status: Some(400),
        title: "AWS relies on the provider's thumbprints and none matches the certificate",
        message: "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
        alternates: &[],
        confirmed: true,
        source: "sts:AssumeRoleWithWebIdentity: TLS verification of the issuer when its certificate is not from a CA AWS trusts",
        causes: &[
            Cause {
                cause: "the certificate is self-signed or from a private CA, and the provider's thumbprint list is stale (the top intermediate was renewed) or wrong",
                rules: &["thumbprint-mismatch", "tls-not-publicly-trusted"],
                fix: "add the computed thumbprint (`aws iam update-open-id-connect-provider-thumbprint`)",
                confirm: "oidc-doctor probe https://<issuer> --thumbprint <configured thumbprint>",
            },
            Cause {
                cause: "the server sends an incomplete or out-of-order chain, so the last certificate (whose SHA-1 AWS compares) is not the one expected",
                rules: &["tls-chain-incomplete", "tls-chain-order"],
                fix: "serve leaf, then the intermediates in order",
                confirm: PROBE,
            },
        ],
    },
    Entry {
        id: "invalid-identity-token",
        code: "InvalidIdentityToken",
        http_status: Some(400),
        title: "the token could not be validated (signature, key, algorithm or time)",
        message: "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token from the identity provider and then retry the request.",
        alternates: &[],
        confirmed: false,
        source: "sts:AssumeRoleWithWebIdentity: signature verification (the text is the API reference's description of the error; the runtime wording for each case is unconfirmed)",
        causes: &[
            Cause {
                cause: "the signature does not verify: the token was edited or truncated, or comes from another issuer than the provider names",
                rules: &["signature-invalid"],
                fix: "pass the token exactly as GitLab issued it",
                confirm: "oidc-doctor decode --token-file token.jwt --verify",
            },
            Cause {
                cause: "the token's `kid` is not in the issuer's JWKS (another instance, or an old token after key rotation)",
                rules: &["kid-not-in-jwks"],
                fix: "use a fresh token from the issuer the provider names",
                confirm: "oidc-doctor decode --token-file token.jwt --verify",
            },
            Cause {
                cause: "the token is signed with an algorithm STS does not accept (only RS256/384/512, ES256/384/512)",
                rules: &["token-alg-unsupported"],
                fix: "use a GitLab ID token (RS256)",
                confirm: DECODE,
            },
            Cause {
                cause: "the token is not yet valid (`nbf` in the future: clock skew)",
                rules: &["token-not-yet-valid"],
                fix: "synchronise the clocks",
                confirm: DECODE,
            },
        ],
    },
    Entry {
        id: "missing-claim",
        code: "InvalidIdentityToken",
        http_status: Some(400),
        title: "the token lacks a claim STS requires",
        message: "Missing a required claim: {claim}",
        alternates: &[],
        confirmed: false,
        source: "sts:AssumeRoleWithWebIdentity: token claim check (wording unconfirmed)",
        causes: &[Cause {
            cause: "the token has no `aud` (or `iss`, `exp`, `iat`) — not a GitLab ID token from `id_tokens:`",
            rules: &["token-missing-claim"],
            fix: "use a GitLab ID token declared with `id_tokens: NAME: aud:`",
            confirm: DECODE,
        }],
    },
    Entry {
        id: "session-name-invalid",
        code: "ValidationError",
        http_status: Some(400),
        title: "RoleSessionName has characters outside `[\\w+=,.@-]`",
        message: "1 validation error detected: Value '{value}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        alternates: &[],
        confirmed: true,
        source: "sts:AssumeRoleWithWebIdentity: request validation (before the token is looked at)",
        causes: &[Cause {
            cause: "the session name comes from a CI variable holding `/`, spaces or other characters (a branch name such as `feature/x`, `$CI_COMMIT_REF_NAME`)",
            rules: &["role-session-name-invalid"],
            fix: "use `$CI_COMMIT_REF_SLUG` or `gitlab-$CI_JOB_ID`, or replace disallowed characters",
            confirm: LINT_CI,
        }],
    },
    Entry {
        id: "session-name-length",
        code: "ValidationError",
        http_status: Some(400),
        title: "RoleSessionName is shorter than 2 or longer than 64 characters",
        message: "1 validation error detected: Value '{value}' at 'roleSessionName' failed to satisfy constraint: Member must have length {bound}",
        alternates: &[
            "Member must have length less than or equal to 64",
            "Member must have length greater than or equal to 2",
        ],
        confirmed: false,
        source: "sts:AssumeRoleWithWebIdentity: request validation (AWS's standard length-constraint wording; not seen verbatim for this field)",
        causes: &[Cause {
            cause: "the session name is built from long variables (project path + branch) and exceeds 64 characters, or is empty/one character because a variable is unset",
            rules: &["role-session-name-invalid"],
            fix: "keep the session name 2–64 characters, e.g. `gitlab-$CI_JOB_ID`",
            confirm: LINT_CI,
        }],
    },
    Entry {
        id: "duration-exceeds-max-session",
        code: "ValidationError",
        http_status: Some(400),
        title: "DurationSeconds is longer than the role's MaxSessionDuration",
        message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        alternates: &[],
        confirmed: true,
        source: "sts:AssumeRoleWithWebIdentity: after authorization, against the role's MaxSessionDuration (default 3,600 s)",
        causes: &[Cause {
            cause: "`--duration-seconds` (often `$CI_JOB_TIMEOUT`) exceeds the role's MaxSessionDuration (1–12 h, default 1 h)",
            rules: &["duration-exceeds-max-session"],
            fix: "request at most the role's MaxSessionDuration, or raise it (`aws iam update-role --max-session-duration`)",
            confirm: LINT_CI,
        }],
    },
    Entry {
        id: "duration-out-of-range",
        code: "ValidationError",
        http_status: Some(400),
        title: "DurationSeconds is outside 900–43,200",
        message: "1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy constraint: Member must have value {bound}",
        alternates: &[
            "Member must have value less than or equal to 43200",
            "Member must have value greater than or equal to 900",
        ],
        confirmed: false,
        source: "sts:AssumeRoleWithWebIdentity: request validation (AWS's standard range-constraint wording; not seen verbatim for this field)",
        causes: &[Cause {
            cause: "`--duration-seconds` below 900 (15 minutes) or above 43,200 (12 hours), e.g. a job timeout in seconds that is too short or too long",
            rules: &["duration-exceeds-max-session"],
            fix: "request 900–43,200 seconds, and no more than the role's MaxSessionDuration",
            confirm: LINT_CI,
        }],
    },
    Entry {
        id: "token-length",
        code: "ValidationError",
        http_status: Some(400),
        title: "WebIdentityToken is shorter than 4 or longer than 20,000 characters",
        message: "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length {bound}",
        alternates: &["at 'webIdentityToken' failed to satisfy constraint"],
        confirmed: false,
        source: "sts:AssumeRoleWithWebIdentity: request validation (AWS's standard length-constraint wording; not seen verbatim for this field)",
        causes: &[
            Cause {
                cause: "more than the token was passed: several variables concatenated, a file with the token and other text",
                rules: &["token-too-long"],
                fix: "pass the ID token alone (GitLab ID tokens are 1–2 KB)",
                confirm: DECODE,
            },
            Cause {
                cause: "an almost empty value: the token variable is unset or not one of the job's `id_tokens:`",
                rules: &["web-identity-token-not-an-id-token", "legacy-ci-job-jwt"],
                fix: "pass the variable named under the job's `id_tokens:`",
                confirm: LINT_CI,
            },
        ],
    },
    Entry {
        id: "cli-token-argument-empty",
        code: "aws-cli",
        http_status: None,
        title: "the AWS CLI got no value for --web-identity-token (the variable is empty or undefined)",
        message: "aws: error: argument --web-identity-token: expected one argument",
        alternates: &["argument --web-identity-token: expected one argument"],
        confirmed: true,
        source: "the AWS CLI's argument parser in the CI job, before any request is sent",
        causes: &[
            Cause {
                cause: "the variable holding the token is not declared under the job's `id_tokens:` (typo, declared on another job, `id_tokens:` overridden), so it expands to nothing",
                rules: &["web-identity-token-not-an-id-token"],
                fix: "declare `id_tokens: NAME: aud: …` on the job and pass `\"$NAME\"` (quoted)",
                confirm: LINT_CI,
            },
            Cause {
                cause: "a legacy `CI_JOB_JWT`, `CI_JOB_JWT_V1` or `CI_JOB_JWT_V2` variable, removed in GitLab 17.0",
                rules: &["legacy-ci-job-jwt"],
                fix: "replace it with an `id_tokens:` variable",
                confirm: LINT_CI,
            },
        ],
    },
    Entry {
        id: "idp-communication-error",
        code: "IDPCommunicationError",
        http_status: Some(400),
        title: "STS could not reach the identity provider (often transient)",
        message: "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached.",
        alternates: &[],
        confirmed: false,
        source: "sts:AssumeRoleWithWebIdentity: contacting the issuer (text from the API reference; the runtime message varies)",
        causes: &[
            Cause {
                cause: "a transient network problem or a slow issuer close to the 5-second limit",
                rules: &[
                    "discovery-slow",
                    "jwks-slow",
                    "discovery-timeout",
                    "jwks-timeout",
                ],
                fix: "retry with backoff (the SDKs retry this error); make the endpoints answer faster",
                confirm: PROBE,
            },
            Cause {
                cause: "the issuer is intermittently unreachable or throttling (WAF, rate limits)",
                rules: &["discovery-unreachable", "waf-challenge"],
                fix: "exempt the discovery and JWKS paths from rate limits",
                confirm: PROBE,
            },
        ],
    },
    Entry {
        id: "idp-rejected-claim",
        code: "IDPRejectedClaim",
        http_status: Some(403),
        title: "the identity provider reported the authentication as failed",
        message: "The identity provider (IdP) reported that authentication failed. This might be because the claim is invalid.",
        alternates: &[],
        confirmed: false,
        source: "sts:AssumeRoleWithWebIdentity (text from the API reference; the runtime message varies)",
        causes: &[
            Cause {
                cause: "the token has expired or is not yet valid",
                rules: &["token-expired", "token-not-yet-valid"],
                fix: "use a fresh token early in the job; check clocks",
                confirm: DECODE,
            },
            Cause {
                cause: "a claim STS checks is invalid: the signature or key does not verify",
                rules: &["signature-invalid", "kid-not-in-jwks"],
                fix: "pass the token exactly as the issuer the provider names issued it",
                confirm: "oidc-doctor decode --token-file token.jwt --verify",
            },
        ],
    },
    Entry {
        id: "malformed-policy-syntax",
        code: "MalformedPolicyDocument",
        http_status: Some(400),
        title: "IAM rejected the trust policy as malformed",
        message: "Syntax errors in policy.",
        alternates: &[],
        confirmed: false,
        source: "iam:CreateRole / iam:UpdateAssumeRolePolicy (Terraform, CloudFormation, console) — not the STS call",
        causes: &[
            Cause {
                cause: "the JSON is not strict JSON (comments, trailing commas, single quotes)",
                rules: &["invalid-policy-json"],
                fix: "fix the JSON at the position shown",
                confirm: LINT,
            },
            Cause {
                cause: "a misspelt element or value (`Statment`, `\"Effect\": \"allow\"`, a bad `Version`)",
                rules: &["unknown-policy-element"],
                fix: "use IAM's element names and values exactly",
                confirm: LINT,
            },
            Cause {
                cause: "`NotPrincipal` in a trust policy, or `NullIfExists`",
                rules: &["not-principal-in-trust-policy", "null-with-if-exists"],
                fix: "name the provider in `Principal`; use `Null` alone",
                confirm: LINT,
            },
        ],
    },
    Entry {
        id: "malformed-policy-condition-operator",
        code: "MalformedPolicyDocument",
        http_status: Some(400),
        title: "the trust policy uses an operator IAM does not know",
        message: "Invalid Condition type : {operator}",
        alternates: &[],
        confirmed: false,
        source: "iam:CreateRole / iam:UpdateAssumeRolePolicy (wording unconfirmed)",
        causes: &[
            Cause {
                cause: "a misspelt or invented condition operator (`StringEq`, `StrinkLike`)",
                rules: &["unknown-condition-operator"],
                fix: "use the nearest valid operator name",
                confirm: LINT,
            },
            Cause {
                cause: "`IfExists` added to `Null`",
                rules: &["null-with-if-exists"],
                fix: "use `Null` alone",
                confirm: LINT,
            },
        ],
    },
    Entry {
        id: "malformed-policy-principal",
        code: "MalformedPolicyDocument",
        http_status: Some(400),
        title: "the trust policy names a principal IAM does not accept",
        message: "Invalid principal in policy: {principal}",
        alternates: &[],
        confirmed: false,
        source: "iam:CreateRole / iam:UpdateAssumeRolePolicy (wording seen for AWS principals; unconfirmed for Federated ones)",
        causes: &[Cause {
            cause: "`Federated` is not an OIDC provider ARN (the issuer URL, `https://` inside the ARN, a provider that does not exist yet in the account)",
            rules: &["invalid-federated-principal"],
            fix: "use `arn:aws:iam::<account>:oidc-provider/<host[/path]>` and create the provider first",
            confirm: LINT,
        }],
    },
    Entry {
        id: "malformed-policy-resource",
        code: "MalformedPolicyDocument",
        http_status: Some(400),
        title: "the trust policy has a `Resource` element",
        message: "Has prohibited field Resource",
        alternates: &["Has prohibited field NotResource"],
        confirmed: true,
        source: "iam:CreateRole / iam:UpdateAssumeRolePolicy",
        causes: &[Cause {
            cause: "a permissions-policy statement (`\"Resource\": \"*\"`) pasted into the trust policy",
            rules: &["resource-in-trust-policy"],
            fix: "remove `Resource`; permissions go into a separate policy attached to the role",
            confirm: LINT,
        }],
    },
    Entry {
        id: "malformed-policy-missing-sub",
        code: "MalformedPolicyDocument",
        http_status: Some(400),
        title: "a trust policy for gitlab.com without a `gitlab.com:sub` condition is refused",
        message: "{…}gitlab.com:sub{…}",
        alternates: &[],
        confirmed: false,
        source: "iam:CreateRole / iam:UpdateAssumeRolePolicy for shared providers such as gitlab.com (since 2025; exact wording unconfirmed — matched on the key name)",
        causes: &[
            Cause {
                cause: "no positive restriction on `gitlab.com:sub` (StringEquals, StringLike or StringEqualsIgnoreCase)",
                rules: &["missing-sub-condition"],
                fix: "add `StringEquals`/`StringLike` on `gitlab.com:sub` naming your project and ref",
                confirm: LINT,
            },
            Cause {
                cause: "`sub` is restricted only with `StringNot*` operators",
                rules: &["negated-operator-only"],
                fix: "say who is admitted with `StringEquals`/`StringLike`",
                confirm: LINT,
            },
        ],
    },
    Entry {
        id: "trust-policy-too-large",
        code: "LimitExceeded",
        http_status: Some(409),
        title: "the trust policy exceeds the role trust policy size quota",
        message: "Cannot exceed quota for ACLSizePerRole: {limit}",
        alternates: &[],
        confirmed: true,
        source: "iam:CreateRole / iam:UpdateAssumeRolePolicy",
        causes: &[Cause {
            cause: "more than 2,048 characters (whitespace excluded) — many statements or subject values",
            rules: &["policy-too-large"],
            fix: "merge statements and value lists, or raise the quota (up to 8,192)",
            confirm: LINT,
        }],
    },
    Entry {
        id: "packed-policy-too-large",
        code: "PackedPolicyTooLarge",
        http_status: Some(400),
        title: "session policies and session tags are too large",
        message: "{…}packed size{…}",
        alternates: &[],
        confirmed: false,
        source: "sts:AssumeRoleWithWebIdentity with `--policy`/`--policy-arns` (wording varies)",
        causes: &[Cause {
            cause: "the inline session policy (`--policy`) or managed session policies (`--policy-arns`, up to 10) are too large together with session tags",
            rules: &[],
            fix: "shorten or drop the session policy; put permissions on the role instead",
            confirm: "not checked by oidc-doctor: inspect the --policy / --policy-arns arguments of the call",
        }],
    },
    Entry {
        id: "region-disabled",
        code: "RegionDisabledException",
        http_status: Some(403),
        title: "STS is not activated in the region the call went to",
        message: "STS is not activated in this region for account:{account}. Your account administrator can activate STS in this region using the IAM Console.",
        alternates: &["STS is not activated in this region"],
        // REFERENCE.md confirms the opening words only.
        confirmed: false,
        source: "sts:AssumeRoleWithWebIdentity at a regional STS endpoint",
        causes: &[Cause {
            cause: "the regional STS endpoint (`AWS_REGION`, `AWS_STS_REGIONAL_ENDPOINTS=regional`) is disabled for the account",
            rules: &[],
            fix: "activate STS for the region (IAM console, Account settings) or call another region's endpoint",
            confirm: "oidc-doctor check --role-arn arn:aws:iam::<account>:role/<role> --token-file token.jwt --assume --region <region>",
        }],
    },
    Entry {
        id: "console-openid-configuration",
        code: "console",
        http_status: None,
        title: "IAM could not read the issuer's discovery document when creating the provider",
        message: "Could not connect to openid configuration of provider: {issuer}",
        alternates: &["Please check .well-known/openid-configuration of provider"],
        confirmed: true,
        source: "IAM console / iam:CreateOpenIDConnectProvider (fetching the discovery document and thumbprint)",
        causes: &[
            Cause {
                cause: "the TLS chain is served out of order or incomplete (browsers repair it, AWS does not)",
                rules: &["tls-chain-order", "tls-chain-incomplete"],
                fix: "serve leaf, then each intermediate in order",
                confirm: PROBE,
            },
            Cause {
                cause: "the discovery document is not publicly reachable (private network, firewall, WAF)",
                rules: &[
                    "discovery-unreachable",
                    "issuer-private-address",
                    "waf-challenge",
                ],
                fix: "serve `/.well-known/openid-configuration` publicly with HTTP 200",
                confirm: PROBE,
            },
            Cause {
                cause: "the document is not valid discovery JSON, or its `issuer` differs from the URL",
                rules: &["discovery-invalid"],
                fix: "serve a discovery document whose `issuer` equals the URL",
                confirm: PROBE,
            },
            Cause {
                cause: "the certificate is expired or does not name the host",
                rules: &["tls-expired", "tls-hostname-mismatch"],
                fix: "renew the certificate with the issuer's host among its names",
                confirm: PROBE,
            },
        ],
    },
];

/// Looks an entry up by id.
pub fn by_id(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.id == id)
}

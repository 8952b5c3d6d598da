//! `oidc-doctor explain`: every AWS error wording of REFERENCE.md, as the CLI and
//! the SDKs wrap it, maps to its catalogue entry; the rule registry and the
//! catalogue agree; unknown text gets the closest entries; the troubleshooting
//! guide is what the catalogue renders.

mod common;

use common::{oidc_doctor, root, run_json, stdout_of};
use oidc_doctor::explain::{CATALOGUE, Query, explain};
use oidc_doctor::report::explain::troubleshooting_markdown;
use oidc_doctor::rules::{ALL, by_name};

const REQUEST_ID: &str = "5f1c9a7e-1b2c-4d3e-9f00-aabbccddeeff";
const REGENERATE: &str = "cargo run -- explain --write-docs docs/troubleshooting.md";

/// (entry id, code, HTTP status, message as AWS sends it, values filled in).
const WORDINGS: &[(&str, &str, u16, &str)] = &[
    (
        "access-denied",
        "AccessDenied",
        403,
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    ),
    (
        "incorrect-token-audience",
        "InvalidIdentityToken",
        400,
        "Incorrect token audience",
    ),
    (
        "provider-not-found",
        "InvalidIdentityToken",
        400,
        "No OpenIDConnect provider found in your account for https://gitlab.example.com/gitlab",
    ),
    (
        "thumbprint-mismatch",
        "InvalidIdentityToken",
        400,
        "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
    ),
    (
        "key-retrieval-failed",
        "InvalidIdentityToken",
        400,
        "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
    ),
    (
        "not-a-jwt",
        "InvalidIdentityToken",
        400,
        "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
    ),
    (
        "missing-claim",
        "InvalidIdentityToken",
        400,
        "Missing a required claim: aud",
    ),
    (
        "expired-token",
        "ExpiredTokenException",
        400,
        "Token expired: current date/time 1767229500 must be before the expiration date/time 1767229200",
    ),
    (
        "idp-communication-error",
        "IDPCommunicationError",
        400,
        "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached.",
    ),
    (
        "idp-rejected-claim",
        "IDPRejectedClaim",
        403,
        "The identity provider (IdP) reported that authentication failed. This might be because the claim is invalid.",
    ),
    (
        "invalid-identity-token",
        "InvalidIdentityToken",
        400,
        "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token from the identity provider and then retry the request.",
    ),
    (
        "session-name-invalid",
        "ValidationError",
        400,
        r"1 validation error detected: Value 'feature/login' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*",
    ),
    (
        "session-name-length",
        "ValidationError",
        400,
        "1 validation error detected: Value 'gitlab-mygroup-mysubgroup-myproject-feature-branch-with-a-long-name-12345' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64",
    ),
    (
        "duration-out-of-range",
        "ValidationError",
        400,
        "1 validation error detected: Value '86400' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
    ),
    (
        "duration-exceeds-max-session",
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    ),
    (
        "token-length",
        "ValidationError",
        400,
        "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000",
    ),
    (
        "malformed-policy-syntax",
        "MalformedPolicyDocument",
        400,
        "Syntax errors in policy.",
    ),
    (
        "malformed-policy-condition-operator",
        "MalformedPolicyDocument",
        400,
        "Invalid Condition type : StringEq",
    ),
    (
        "malformed-policy-principal",
        "MalformedPolicyDocument",
        400,
        r#"Invalid principal in policy: "Federated":"https://gitlab.com""#,
    ),
    (
        "malformed-policy-resource",
        "MalformedPolicyDocument",
        400,
        "Has prohibited field Resource",
    ),
    (
        "malformed-policy-missing-sub",
        "MalformedPolicyDocument",
        400,
        "Trust policies for gitlab.com must restrict gitlab.com:sub",
    ),
    (
        "trust-policy-too-large",
        "LimitExceeded",
        409,
        "Cannot exceed quota for ACLSizePerRole: 2048",
    ),
    (
        "packed-policy-too-large",
        "PackedPolicyTooLarge",
        400,
        "Packed size of consumed session policies and tags exceeds 112% of allowed value",
    ),
    (
        "region-disabled",
        "RegionDisabledException",
        403,
        "STS is not activated in this region for account:123456789012. Your account administrator can activate STS in this region using the IAM Console.",
    ),
    (
        "console-openid-configuration",
        "InvalidInput",
        400,
        "Could not connect to openid configuration of provider: `https://gitlab.example.com`",
    ),
    (
        "console-openid-configuration",
        "InvalidInput",
        400,
        "Please check .well-known/openid-configuration of provider: https://gitlab.example.com is valid.",
    ),
];

/// The same error as people paste it: bare, and wrapped by the AWS CLI, botocore,
/// the Go, Java, Rust and JavaScript SDKs, Terraform, and inside a job log.
fn wrappings(code: &str, http: u16, msg: &str) -> Vec<(&'static str, String)> {
    let op = "AssumeRoleWithWebIdentity";
    vec![
        ("bare", msg.to_string()),
        (
            "aws-cli",
            format!("An error occurred ({code}) when calling the {op} operation: {msg}"),
        ),
        (
            "botocore",
            format!(
                "botocore.exceptions.ClientError: An error occurred ({code}) when calling the {op} operation: {msg}"
            ),
        ),
        (
            "go",
            format!(
                "WebIdentityErr: failed to retrieve credentials\ncaused by: {code}: {msg}\n\tstatus code: {http}, request id: {REQUEST_ID}"
            ),
        ),
        (
            "java",
            format!(
                "software.amazon.awssdk.services.sts.model.{code}Exception: {msg} (Service: Sts, Status Code: {http}, Error Code: {code}, Request ID: {REQUEST_ID})"
            ),
        ),
        (
            "rust",
            format!(
                "Err(ServiceError(ServiceError {{ source: Unhandled(Unhandled {{ source: ErrorMetadata {{ code: Some({code:?}), message: Some({msg:?}), extras: Some({{\"aws_request_id\": {REQUEST_ID:?}}}) }} }}), raw: Response {{ status: StatusCode({http}) }} }}))"
            ),
        ),
        (
            "js",
            format!(
                "{code}Exception: {msg}\n    at throwDefaultError (node_modules/@smithy/smithy-client/dist-cjs/index.js:867:20)"
            ),
        ),
        (
            "terraform",
            format!(
                "Error: configuring Terraform AWS Provider: validating provider credentials: retrieving caller identity from STS: operation error STS: {op}, https response error StatusCode: {http}, RequestID: {REQUEST_ID}, api error {code}: {msg}"
            ),
        ),
        (
            "job-log",
            format!(
                "$ aws sts assume-role-with-web-identity --role-arn \"$ROLE_ARN\" --role-session-name gitlab --web-identity-token \"$ID_TOKEN\"\n\nAn error occurred ({code}) when calling the {op} operation: {msg}\nCleaning up project directory and file based variables\nERROR: Job failed: exit code 254"
            ),
        ),
    ]
}

#[test]
fn every_reference_wording_maps_to_its_entry_in_every_wrapping() {
    let mut failures = Vec::new();
    for (id, code, http, msg) in WORDINGS {
        for (how, text) in wrappings(code, *http, msg) {
            let needs_code = oidc_doctor::explain::catalogue::by_id(id)
                .is_some_and(|e| e.message.starts_with('{'));
            if needs_code && how == "bare" {
                continue; // a generic wording counts only next to its code
            }
            let Some(x) = explain(&text) else {
                failures.push(format!("{id} / {how}: no explanation"));
                continue;
            };
            let got: Vec<&str> = x.matches.iter().map(|m| m.entry.id).collect();
            if x.query != Query::Message || got != [*id] || !x.matches[0].exact {
                failures.push(format!("{id} / {how}: {:?} {got:?}", x.query));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_job_log_names_the_line_of_each_error() {
    let log = "Running with gitlab-runner 17.5.0\n$ export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/Deploy\n\
An error occurred (ValidationError) when calling the AssumeRoleWithWebIdentity operation: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.\n\
retrying with --duration-seconds 3600\n\
An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity\n";
    let x = explain(log).unwrap();
    let got: Vec<(&str, Option<usize>)> = x.matches.iter().map(|m| (m.entry.id, m.line)).collect();
    assert_eq!(
        got,
        [
            ("duration-exceeds-max-session", Some(3)),
            ("access-denied", Some(5))
        ]
    );
}

#[test]
fn an_unknown_message_with_a_known_code_lists_that_codes_entries() {
    let x = explain("An error occurred (IDPCommunicationError) when calling the AssumeRoleWithWebIdentity operation: temporary failure").unwrap();
    assert_eq!(
        x.query,
        Query::Code {
            codes: vec!["IDPCommunicationError"]
        }
    );
    assert_eq!(x.matches.len(), 1);
    assert_eq!(x.matches[0].entry.id, "idp-communication-error");
    assert!(!x.matches[0].exact);

    let x = explain("InvalidIdentityTokenException: Signature validation failed").unwrap();
    assert!(matches!(x.query, Query::Code { .. }));
    assert!(x.matches.len() > 1);
    assert!(
        x.matches
            .iter()
            .all(|m| m.entry.code == "InvalidIdentityToken" && !m.exact)
    );
}

#[test]
fn every_rule_named_in_the_catalogue_exists() {
    let mut unknown = Vec::new();
    for e in CATALOGUE {
        assert!(!e.causes.is_empty(), "{} has no cause", e.id);
        for c in e.causes {
            for r in c.rules {
                if by_name(r).is_none() {
                    unknown.push(format!("{} names unknown rule `{r}`", e.id));
                }
            }
        }
    }
    assert!(unknown.is_empty(), "{}", unknown.join("\n"));
    let mut ids: Vec<&str> = CATALOGUE.iter().map(|e| e.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CATALOGUE.len(), "entry ids are unique");
}

#[test]
fn every_rule_with_an_aws_error_is_explained_by_name_and_by_its_error_text() {
    let mut failures = Vec::new();
    for r in ALL {
        let Some(aws_error) = r.aws_error else {
            continue;
        };
        let by_rule = explain(r.name).unwrap();
        if by_rule.query
            != (Query::Rule {
                name: r.name,
                summary: Some(r.summary),
            })
            || by_rule.matches.is_empty()
            || !by_rule
                .matches
                .iter()
                .all(|m| m.exact && m.entry.causes.iter().any(|c| c.rules.contains(&r.name)))
        {
            failures.push(format!("explain {}: {:?}", r.name, by_rule.query));
        }
        let by_text = explain(aws_error).unwrap();
        if !by_text
            .matches
            .iter()
            .any(|m| m.entry.causes.iter().any(|c| c.rules.contains(&r.name)))
        {
            let got: Vec<&str> = by_text.matches.iter().map(|m| m.entry.id).collect();
            failures.push(format!(
                "{}'s aws_error {aws_error:?} → {got:?}, none lists the rule",
                r.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_check_rule_is_explained_by_name() {
    let x = explain("audience-not-in-client-ids").unwrap();
    assert_eq!(
        x.query,
        Query::Rule {
            name: "audience-not-in-client-ids",
            summary: Some(oidc_doctor::rules::AUDIENCE_NOT_IN_CLIENT_IDS.summary)
        }
    );
    assert_eq!(x.matches[0].entry.id, "incorrect-token-audience");
}

#[test]
fn unknown_text_gets_the_closest_entries_not_silence() {
    let x = explain("Incorect tokn audiance").unwrap();
    assert_eq!(x.query, Query::Closest { rule: None });
    assert_eq!(x.matches[0].entry.id, "incorrect-token-audience");
    assert!(x.matches.iter().all(|m| !m.exact));

    let x = explain("the pipeline is broken again").unwrap();
    assert!(matches!(x.query, Query::Closest { .. }));
    assert!(!x.matches.is_empty());

    let out = stdout_of(
        oidc_doctor().args(["explain", "couldnt retreive the verificaton key"]),
        0,
    );
    assert!(out.starts_with("No exact match; closest:"), "{out}");
    assert!(out.contains("== key-retrieval-failed =="), "{out}");
}

#[test]
fn empty_input_is_a_usage_error() {
    for text in ["", "  \n "] {
        let out = oidc_doctor()
            .args(["explain", text])
            .assert()
            .code(2)
            .get_output()
            .clone();
        assert!(out.stdout.is_empty(), "{text:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("nothing to explain"), "{err}");
    }
    oidc_doctor().arg("explain").assert().code(2);
    oidc_doctor()
        .args(["explain", "-"])
        .write_stdin("\n\n")
        .assert()
        .code(2);
    oidc_doctor()
        .args(["explain", "--format", "sarif", "AccessDenied"])
        .assert()
        .code(2);
}

#[test]
fn a_huge_paste_is_cut_at_one_mib_and_still_explained() {
    let mut log = String::from(
        "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: Incorrect token audience\n",
    );
    while log.len() < 3 << 20 {
        log.push_str("some unrelated job output line that goes on and on\n");
    }
    log.push_str("Not authorized to perform sts:AssumeRoleWithWebIdentity\n");
    let out = oidc_doctor()
        .args(["explain", "-", "--format", "json"])
        .write_stdin(log)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::assert_schema_valid(&v);
    assert_eq!(v["query"]["truncated"], true);
    let ids: Vec<&str> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["incorrect-token-audience"],
        "the error past the cap is not read"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("only the first 1 MiB"));
}

#[test]
fn json_output_follows_the_schema_for_every_kind_of_query() {
    let v = run_json(
        oidc_doctor().args(["explain", "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: Incorrect token audience"]),
        0,
    );
    assert_eq!(v["command"], "explain");
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(v["query"]["kind"], "message");
    let m = &v["matches"][0];
    assert_eq!(m["id"], "incorrect-token-audience");
    assert_eq!(m["code"], "InvalidIdentityToken");
    assert_eq!(m["http_status"], 400);
    assert_eq!(m["message"], "Incorrect token audience");
    assert_eq!(m["exact"], true);
    assert_eq!(m["causes"][0]["rank"], 1);
    assert!(
        m["causes"][0]["confirm"]
            .as_str()
            .unwrap()
            .starts_with("oidc-doctor ")
    );

    let v = run_json(
        oidc_doctor().args(["explain", "wildcard-in-exact-operator"]),
        0,
    );
    assert_eq!(v["query"]["kind"], "rule");
    assert_eq!(v["query"]["rule"], "wildcard-in-exact-operator");
    assert_eq!(v["matches"][0]["id"], "access-denied");

    let v = run_json(
        oidc_doctor().args(["explain", "RegionDisabledException: no"]),
        0,
    );
    assert_eq!(v["query"]["kind"], "code");
    assert_eq!(v["matches"][0]["exact"], false);

    let v = run_json(
        oidc_doctor().args(["explain", "something", "odd", "happened"]),
        0,
    );
    assert_eq!(v["query"]["kind"], "closest");
    assert!(!v["matches"].as_array().unwrap().is_empty());

    let v = run_json(
        oidc_doctor().args([
            "explain",
            "aws: error: argument --web-identity-token: expected one argument",
        ]),
        0,
    );
    assert_eq!(v["matches"][0]["id"], "cli-token-argument-empty");
    assert_eq!(v["matches"][0]["http_status"], serde_json::Value::Null);
}

#[test]
fn human_output_for_an_aws_cli_error() {
    let out = stdout_of(
        oidc_doctor().args(["explain", "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: Incorrect token audience"]),
        0,
    );
    insta::assert_snapshot!(out);
}

#[test]
fn human_output_for_a_go_sdk_log_on_stdin() {
    let log = format!(
        "$ ./deploy\nWebIdentityErr: failed to retrieve credentials\ncaused by: InvalidIdentityToken: No OpenIDConnect provider found in your account for https://gitlab.example.com/\n\tstatus code: 400, request id: {REQUEST_ID}\n"
    );
    let out = stdout_of(oidc_doctor().args(["explain", "-"]).write_stdin(log), 0);
    insta::assert_snapshot!(out);
}

#[test]
fn human_output_for_a_rule_name() {
    let out = stdout_of(
        oidc_doctor().args(["explain", "wildcard-in-exact-operator"]),
        0,
    );
    insta::assert_snapshot!(out);
}

#[test]
fn human_output_for_a_misspelt_rule_name() {
    let out = stdout_of(oidc_doctor().args(["explain", "jwks-not-cachable"]), 0);
    insta::assert_snapshot!(out);
}

#[test]
fn docs_troubleshooting_matches_the_catalogue() {
    let committed =
        std::fs::read_to_string(root().join("docs/troubleshooting.md")).unwrap_or_default();
    assert!(
        committed == troubleshooting_markdown(),
        "docs/troubleshooting.md is out of date with src/explain/catalogue.rs. Run `{REGENERATE}` and commit the result."
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("troubleshooting.md");
    oidc_doctor()
        .args(["explain", "--write-docs", path.to_str().unwrap()])
        .assert()
        .code(0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), committed);
    for e in CATALOGUE {
        assert!(committed.contains(&format!("\n## {}\n", e.id)), "{}", e.id);
    }
}

#[test]
fn explain_help_has_examples() {
    let out = stdout_of(oidc_doctor().args(["explain", "--help"]), 0);
    assert!(out.contains("Examples:"), "{out}");
    assert!(out.contains("oidc-doctor explain wildcard-in-exact-operator"));
}

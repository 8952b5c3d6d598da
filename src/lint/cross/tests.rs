//! The cross-file checks on hand-built declarations (the CI front end that
//! produces `IdTokenDecl`s lives elsewhere).

use super::*;
use crate::json::SourceText;
use crate::lint::{SourceKind, SourcePolicy};
use crate::policy::{Located, parse_policy_json};

const CI: &str = "deploy:\n  id_tokens:\n    AWS_TOKEN:\n      aud: https://gitlab.example.com\n";
const TF: &str = "resource \"aws_iam_openid_connect_provider\" \"gitlab\" {\n  url = \"https://gitlab.com\"\n  client_id_list = [\"https://gitlab.com\"]\n}\n";

fn file(path: &str, text: &str) -> LintedFile {
    LintedFile {
        path: path.into(),
        source: SourceText::new(text),
        findings: Vec::new(),
        rendered: Vec::new(),
    }
}

fn at(text: &str, needle: &str) -> Span {
    let start = text.find(needle).expect("needle in text");
    Span::new(start, start + needle.len())
}

fn token(aud: &str) -> IdTokenDecl {
    IdTokenDecl {
        job: "deploy".into(),
        name: "AWS_TOKEN".into(),
        span: at(CI, "AWS_TOKEN"),
        aud: vec![Located::new(
            aud.to_string(),
            at(CI, "https://gitlab.example.com"),
            "",
        )],
    }
}

fn provider(url: &str, ids: &[&str]) -> ProviderDecl {
    ProviderDecl {
        resource: "aws_iam_openid_connect_provider.gitlab".into(),
        span: Span::new(0, TF.len()),
        url: Some(Located::new(
            url.to_string(),
            at(TF, "\"https://gitlab.com\""),
            "",
        )),
        client_ids: ids
            .iter()
            .map(|i| Located::new(i.to_string(), at(TF, "[\"https://gitlab.com\"]"), ""))
            .collect(),
        client_ids_complete: true,
        thumbprints: Vec::new(),
    }
}

fn facts(file: usize, kind: SourceKind) -> FileFacts {
    FileFacts {
        file,
        kind: Some(kind),
        ..FileFacts::default()
    }
}

fn policy(text: &str) -> SourcePolicy {
    SourcePolicy {
        policy: parse_policy_json(text).expect("policy"),
        resource: None,
    }
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/gitlab.com"},"Condition":{"StringEquals":{"gitlab.com:aud":"AUD","gitlab.com:sub":"project_path:g/p:ref_type:branch:ref:main"}}}]}"#;

fn rules_of(found: &[Finding]) -> Vec<&'static str> {
    found.iter().map(|f| f.rule).collect()
}

#[test]
fn a_ci_audience_the_provider_does_not_list_is_reported_at_both_places() {
    let files = vec![file(".gitlab-ci.yml", CI), file("main.tf", TF)];
    let mut ci = facts(0, SourceKind::GitLabCi);
    ci.id_tokens.push(token("https://gitlab.example.com"));
    let mut tf = facts(1, SourceKind::Terraform);
    tf.providers
        .push(provider("https://gitlab.com", &["https://gitlab.com"]));
    let found = check(&files, &[ci, tf]);
    assert_eq!(rules_of(&found), ["id-token-aud-mismatch"]);
    let f = &found[0];
    let primary = f.location.as_ref().unwrap();
    assert_eq!(
        (primary.path.as_str(), primary.line, primary.column),
        (".gitlab-ci.yml", 4, 12)
    );
    assert_eq!(f.related.len(), 1);
    let related = &f.related[0];
    assert_eq!((related.path.as_str(), related.line), ("main.tf", 3));
    assert_eq!(
        related.resource.as_deref(),
        Some("aws_iam_openid_connect_provider.gitlab")
    );
}

#[test]
fn a_ci_audience_the_provider_lists_is_fine() {
    let files = vec![file(".gitlab-ci.yml", CI), file("main.tf", TF)];
    let mut ci = facts(0, SourceKind::GitLabCi);
    ci.id_tokens.push(token("https://gitlab.com"));
    let mut tf = facts(1, SourceKind::Terraform);
    tf.providers
        .push(provider("https://gitlab.com", &["https://gitlab.com"]));
    assert!(check(&files, &[ci, tf]).is_empty());
}

#[test]
fn an_incomplete_client_id_list_proves_nothing() {
    let files = vec![file(".gitlab-ci.yml", CI), file("main.tf", TF)];
    let mut ci = facts(0, SourceKind::GitLabCi);
    ci.id_tokens.push(token("https://gitlab.example.com"));
    let mut tf = facts(1, SourceKind::Terraform);
    let mut p = provider("https://gitlab.com", &["https://gitlab.com"]);
    p.client_ids_complete = false;
    tf.providers.push(p);
    assert!(check(&files, &[ci, tf]).is_empty());
}

#[test]
fn without_a_provider_the_audience_is_compared_with_the_policies() {
    let trust = TRUST.replace("AUD", "https://gitlab.com");
    let files = vec![file(".gitlab-ci.yml", CI), file("trust.json", &trust)];
    let mut ci = facts(0, SourceKind::GitLabCi);
    ci.id_tokens.push(token("https://gitlab.example.com"));
    let mut pj = facts(1, SourceKind::PolicyJson);
    pj.policies.push(policy(&trust));
    let found = check(&files, &[ci.clone(), pj.clone()]);
    assert_eq!(rules_of(&found), ["id-token-aud-mismatch"]);
    assert_eq!(found[0].related[0].path, "trust.json");
    assert_eq!(
        found[0].related[0].pointer.as_deref(),
        Some("/Statement/0/Condition/StringEquals/gitlab.com:aud")
    );

    let mut ok = facts(0, SourceKind::GitLabCi);
    ok.id_tokens.push(token("https://gitlab.com"));
    assert!(check(&files, &[ok, pj]).is_empty());
}

#[test]
fn an_unknown_policy_audience_may_admit_the_token() {
    let trust = TRUST.replace("AUD", "https://gitlab.com");
    let files = vec![file(".gitlab-ci.yml", CI), file("trust.json", &trust)];
    let mut ci = facts(0, SourceKind::GitLabCi);
    ci.id_tokens.push(token("https://gitlab.example.com"));
    let mut p = policy(&trust);
    let aud = "/Statement/0/Condition/StringEquals/gitlab.com:aud";
    p.policy
        .unknowns
        .push(Located::new("var.aud".to_string(), Span::new(0, 1), aud));
    for c in &mut p.policy.statements[0].conditions {
        for v in &mut c.values {
            if v.pointer.starts_with(aud) {
                v.value.json_type = JsonType::Unknown;
            }
        }
    }
    let mut pj = facts(1, SourceKind::Terraform);
    pj.policies.push(p);
    assert!(check(&files, &[ci, pj]).is_empty());
}

#[test]
fn a_policy_audience_that_is_no_client_id_is_an_aud_mismatch() {
    let trust = TRUST.replace("AUD", "sts.amazonaws.com");
    let files = vec![file("trust.json", &trust), file("main.tf", TF)];
    let mut pj = facts(0, SourceKind::PolicyJson);
    pj.policies.push(policy(&trust));
    let mut tf = facts(1, SourceKind::Terraform);
    tf.providers
        .push(provider("https://gitlab.com", &["https://gitlab.com"]));
    let found = check(&files, &[pj, tf]);
    assert_eq!(rules_of(&found), ["aud-mismatch"]);
    assert_eq!(found[0].related[0].path, "main.tf");

    let good = TRUST.replace("AUD", "https://gitlab.com");
    let mut pj = facts(0, SourceKind::PolicyJson);
    pj.policies.push(policy(&good));
    let mut tf = facts(1, SourceKind::Terraform);
    tf.providers
        .push(provider("https://gitlab.com", &["https://gitlab.com"]));
    assert!(check(&files, &[pj, tf]).is_empty());
}

#[test]
fn provider_urls_iam_refuses_or_no_token_matches() {
    let files = vec![file("main.tf", TF)];
    for (url, bad) in [
        ("https://gitlab.com", false),
        ("https://gitlab.example.com/gitlab", false),
        ("https://gitlab.com/", true),
        ("gitlab.com", true),
        ("http://gitlab.com", true),
        ("https://gitlab.com:8443", true),
    ] {
        let mut tf = facts(0, SourceKind::Terraform);
        tf.providers.push(provider(url, &["https://gitlab.com"]));
        let found = check(&files, &[tf]);
        assert_eq!(!found.is_empty(), bad, "{url}: {found:?}");
        assert!(found.iter().all(|f| f.rule == "provider-url-invalid"));
    }
}

#[test]
fn host_paths_drop_the_scheme_and_trailing_slash() {
    assert_eq!(provider_host_path("https://gitlab.com/"), "gitlab.com");
    assert_eq!(
        provider_host_path("HTTPS://g.example.com/x"),
        "g.example.com/x"
    );
    assert_eq!(provider_host_path("gitlab.com"), "gitlab.com");
    assert_eq!(provider_host_path("é"), "é");
}

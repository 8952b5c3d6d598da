//! Helpers for the rules' unit tests.

/// Runs one rule on a policy text (for the rules' unit tests).
pub(crate) fn run(rule: &dyn super::Rule, text: &str) -> Vec<crate::finding::Finding> {
    let policy = crate::policy::parse_policy_json(text).expect("test policy parses");
    let source = crate::json::SourceText::new(text);
    let cx = super::PolicyContext::new("p.json", &source, &policy);
    let mut out = Vec::new();
    rule.check(&cx, &mut out);
    out
}

/// A GitLab.com trust policy with the given Condition block (for unit tests).
pub(crate) fn gitlab_policy(version: &str, condition: &str) -> String {
    format!(
        r#"{{"Version": "{version}", "Statement": [{{"Effect": "Allow",
        "Principal": {{"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {condition}}}]}}"#
    )
}

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

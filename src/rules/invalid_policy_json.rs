//! `invalid-policy-json`: the policy is not valid JSON as strictly as IAM reads it.
//!
//! Reported by the policy reader.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "invalid-policy-json",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the policy is not valid JSON as strictly as IAM reads it"#,
    aws_error: Some(super::MALFORMED_POLICY),
    fix: r#"fix the JSON syntax at the position shown; IAM accepts no comments or trailing commas"#,
    explanation: r#"IAM parses policy documents as strict JSON (RFC 8259): comments, trailing commas, single-quoted strings, unquoted keys and a byte order mark are all rejected, and `CreateRole` / `UpdateAssumeRolePolicy` fail with `MalformedPolicyDocument`. Editors and many JSON libraries accept these, so the mistake survives until deployment. oidc-doctor reads the file as strictly as IAM and points at the first offending character."#,
    bad: r#"{
  "Version": "2012-10-17",
  "Statement": [],
}"#,
    good: r#"{
  "Version": "2012-10-17",
  "Statement": []
}"#,
};

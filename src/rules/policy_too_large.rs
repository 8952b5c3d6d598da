//! `policy-too-large`: a trust policy over IAM's default 2,048-character quota.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};

/// IAM's default quota for a role trust policy, in characters, whitespace excluded.
pub const DEFAULT_QUOTA: usize = 2048;
/// The most the quota can be raised to (Service Quotas).
pub const MAX_QUOTA: usize = 8192;

pub static META: RuleMeta = RuleMeta {
    name: "policy-too-large",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: r#"a trust policy over IAM's default 2,048-character quota (whitespace excluded)"#,
    aws_error: Some("LimitExceeded: Cannot exceed quota for ACLSizePerRole: 2048"),
    fix: r#"merge statements and condition values (one StringLike list instead of many statements), or raise the role trust policy length quota (up to 8,192)"#,
    explanation: r#"IAM limits a role trust policy to 2,048 characters by default; the quota can be raised to at most 8,192 through Service Quotas ("Role trust policy length"). IAM does not count whitespace, so oidc-doctor counts every character of the document except whitespace. Over the quota, CreateRole/UpdateAssumeRolePolicy fail and the change never reaches the role — often discovered only when a pipeline adds one more project or branch to the `gitlab.com:sub` list. Listing several subjects as values of one key (they are ORed) or one `StringLike` pattern per namespace is far more compact than one statement per project."#,
    bad: r#"{"Version": "2012-10-17", "Statement": [ …40 statements, one per project… ]}"#,
    good: r#"{"Version": "2012-10-17", "Statement": [{…, "Condition": {"StringEquals": {"gitlab.com:aud": "https://gitlab.com"}, "StringLike": {"gitlab.com:sub": ["project_path:mygroup/app:ref_type:branch:ref:main", "project_path:mygroup/api:ref_type:branch:ref:main"]}}}]}"#,
};

/// Counts the document's characters the way IAM does and compares with the quota.
pub struct PolicyTooLarge;

impl super::Rule for PolicyTooLarge {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let span = cx.policy.span;
        let Some(text) = cx.source.text().get(span.start..span.end) else {
            return;
        };
        // Characters never outnumber bytes: most policies are decided without counting.
        if text.len() <= DEFAULT_QUOTA {
            return;
        }
        let size = text.chars().filter(|c| !c.is_whitespace()).count();
        if size <= DEFAULT_QUOTA {
            return;
        }
        let first = text.chars().next().map_or(1, char::len_utf8);
        let (shown, quota, max) = (
            thousands(size),
            thousands(DEFAULT_QUOTA),
            thousands(MAX_QUOTA),
        );
        let message = if size > MAX_QUOTA {
            format!(
                "the trust policy has {shown} characters (whitespace excluded), over IAM's default quota of {quota} and even over the {max} the quota can be raised to"
            )
        } else {
            format!(
                "the trust policy has {shown} characters (whitespace excluded), over IAM's default quota of {quota}; IAM rejects it unless the account's quota was raised (up to {max})"
            )
        };
        let help = if size > MAX_QUOTA {
            "shrink the policy: merge statements, list subjects as values of one key, or split the projects across several roles".to_string()
        } else {
            let over = size - DEFAULT_QUOTA;
            format!(
                "shrink the policy by {} character{} (merge statements, list subjects as values of one key), or raise the \"Role trust policy length\" quota in Service Quotas (up to {max})",
                thousands(over),
                if over == 1 { "" } else { "s" }
            )
        };
        out.push(
            cx.finding(
                &META,
                message,
                crate::json::Span::new(span.start, span.start + first),
                "",
            )
            .help(help),
        );
    }
}

/// `2049` → `2,049`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    fn findings(text: &str) -> Vec<crate::finding::Finding> {
        crate::rules::test_support::run(&super::PolicyTooLarge, text)
    }

    /// A policy of exactly `n` non-whitespace characters, padded with spaces and
    /// line breaks that must not count.
    fn policy_of(n: usize) -> String {
        let head = "{ \"Version\": \"2012-10-17\",\n  \"Id\": \"";
        let tail = "\",\n \"Statement\": [] }";
        let fixed = (head.to_string() + tail)
            .chars()
            .filter(|c| !c.is_whitespace())
            .count();
        format!("{head}{}{tail}", "x".repeat(n - fixed))
    }

    #[test]
    fn counts_characters_without_whitespace() {
        assert!(findings(&policy_of(2048)).is_empty());
        let f = findings(&policy_of(2049));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("2,049 characters"),
            "{}",
            f[0].message
        );
        assert!(f[0].help.contains("by 1 character "), "{}", f[0].help);
        let f = findings(&policy_of(9000));
        assert!(
            f[0].message.contains("even over the 8,192"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn formats_thousands() {
        assert_eq!(super::thousands(7), "7");
        assert_eq!(super::thousands(2048), "2,048");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}

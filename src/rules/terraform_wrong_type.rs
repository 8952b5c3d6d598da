//! `terraform-wrong-type`: an `aws_iam_policy_document` argument of the wrong type.
//!
//! Reported by the Terraform front end (`src/policy/from_terraform`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "terraform-wrong-type",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"an aws_iam_policy_document argument has the wrong type, e.g. `values = "x"` instead of a list"#,
    aws_error: None,
    fix: r#"write a list: `values = ["project_path:mygroup/app:ref_type:branch:ref:main"]`"#,
    explanation: r#"The `aws_iam_policy_document` data source takes lists for `actions`, `resources`, `identifiers` and a condition's `values`, and strings for `effect`, `sid`, `test`, `variable` and `type`. A single string where a list is expected (`values = "project_path:…"`) fails `terraform plan` with "Inappropriate value for attribute": nothing is deployed. The finding points at the value; the rest of the document is still checked as if the string were a one-element list."#,
    bad: r#"condition {
  test     = "StringEquals"
  variable = "gitlab.com:sub"
  values   = "project_path:mygroup/app:ref_type:branch:ref:main"
}"#,
    good: r#"condition {
  test     = "StringEquals"
  variable = "gitlab.com:sub"
  values   = ["project_path:mygroup/app:ref_type:branch:ref:main"]
}"#,
};

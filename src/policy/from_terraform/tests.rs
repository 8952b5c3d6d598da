use super::*;

fn ex(text: &str) -> Extracted {
    extract("main.tf", &SourceText::new(text))
}

const DOC: &str = r#"
variable "group" {}
variable "project" {
  default = "app"
}
locals {
  host = "gitlab.com"
}
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/${local.host}"]
    }
    condition {
      test     = "StringLike"
      variable = "${local.host}:sub"
      values   = ["project_path:${var.group}/${var.project}:*"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.host}:aud"
      values   = ["https://${local.host}"]
    }
  }
}
"#;

#[test]
fn a_policy_document_becomes_the_policy_iam_sees() {
    let out = ex(DOC);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    let [sp] = &out.policies[..] else {
        panic!("one policy expected: {:?}", out.policies)
    };
    assert_eq!(
        sp.resource.as_deref(),
        Some("data.aws_iam_policy_document.trust")
    );
    let p = &sp.policy;
    assert_eq!(p.version.as_ref().unwrap().value, "2012-10-17");
    let s = &p.statements[0];
    assert_eq!(s.effect.as_ref().unwrap().value, "Allow");
    let fed: Vec<&str> = s
        .principal
        .as_ref()
        .unwrap()
        .value
        .values_of("Federated")
        .map(|v| v.value.as_str())
        .collect();
    assert_eq!(fed, ["arn:aws:iam::123456789012:oidc-provider/gitlab.com"]);
    let sub = &s.conditions[0];
    assert_eq!(sub.key.value, "gitlab.com:sub");
    assert_eq!(
        sub.values[0].pointer,
        "/Statement/0/Condition/StringLike/gitlab.com:sub/0"
    );
    assert_eq!(sub.values[0].value.json_type, JsonType::Unknown);
    assert!(p.is_unknown(&sub.values[0].pointer));
    let aud = &s.conditions[1];
    assert_eq!(aud.values[0].value.text, "https://gitlab.com");
    assert_eq!(aud.values[0].value.json_type, JsonType::String);
    // Spans point at the HCL as written.
    let text = DOC;
    assert_eq!(
        &text[aud.values[0].span.start..aud.values[0].span.end],
        r#""https://${local.host}""#
    );
    assert_eq!(
        &text[aud.operator.span.start..aud.operator.span.end],
        r#""StringEquals""#
    );
}

#[test]
fn provider_references_resolve_to_the_arn_and_url() {
    let out = ex(r#"
resource "aws_iam_openid_connect_provider" "gl" {
  url            = "https://gitlab.example.com"
  client_id_list = ["https://gitlab.example.com", var.extra]
}
resource "aws_iam_role" "r" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.gl.arn }
      Condition = { StringEquals = {
        "${replace(aws_iam_openid_connect_provider.gl.url, "https://", "")}:aud" = "x"
      } }
    }]
  })
}
"#);
    let [prov] = &out.providers[..] else {
        panic!("one provider")
    };
    assert_eq!(
        prov.url.as_ref().unwrap().value,
        "https://gitlab.example.com"
    );
    assert_eq!(prov.client_ids.len(), 1);
    assert!(!prov.client_ids_complete);
    let p = &out.policies[0].policy;
    let fed = p.statements[0]
        .principal
        .as_ref()
        .unwrap()
        .value
        .values_of("Federated")
        .next()
        .unwrap();
    assert_eq!(
        fed.value,
        "arn:aws:iam::000000000000:oidc-provider/gitlab.example.com"
    );
    assert_eq!(
        p.statements[0].conditions[0].key.value,
        "gitlab.example.com:aud"
    );
}

#[test]
fn values_as_a_string_is_a_finding() {
    let out = ex(r#"
data "aws_iam_policy_document" "t" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/gitlab.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "gitlab.com:sub"
      values   = "project_path:g/p:ref_type:branch:ref:main"
    }
  }
}
"#);
    let rules: Vec<&str> = out.findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["terraform-wrong-type"]);
}

#[test]
fn permission_policies_are_not_trust_policies() {
    let out = ex(r#"
data "aws_iam_policy_document" "s3" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}
"#);
    assert!(out.policies.is_empty());
}

#[test]
fn syntax_errors_are_parse_errors_with_a_position() {
    let out = ex("resource \"aws_iam_role\" \"r\" {\n  name = [\"a\"\n}\n");
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.findings[0].rule, "parse-error");
    assert!(out.findings[0].location.as_ref().unwrap().line >= 2);
    let deep = format!("locals {{ x = {}{} }}", "[".repeat(500), "]".repeat(500));
    assert_eq!(ex(&deep).findings[0].rule, "parse-error");
}

#[test]
fn heredoc_json_keeps_exact_spans() {
    let text = "resource \"aws_iam_role\" \"r\" {\n  assume_role_policy = <<-EOT\n    {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"allow\", \"Action\": \"sts:AssumeRoleWithWebIdentity\"}]}\n  EOT\n}\n";
    let out = ex(text);
    let p = &out.policies[0].policy;
    let e = p.statements[0].effect.as_ref().unwrap();
    assert_eq!(&text[e.span.start..e.span.end], "\"allow\"");
    assert_eq!(e.pointer, "/Statement/0/Effect");
}

#[test]
fn local_cycles_and_unknown_functions_are_unknown() {
    let out = ex(r#"
locals {
  a = local.b
  b = local.a
}
data "aws_iam_policy_document" "t" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.a, sha256("x")]
    }
  }
}
"#);
    let p = &out.policies[0].policy;
    assert_eq!(p.unknowns.len(), 2);
}

#[test]
fn escaped_nesting_inside_a_heredoc_string_is_bounded() {
    let deep = "$\\u007b".repeat(5000);
    let text = format!(
        "resource \"aws_iam_role\" \"r\" {{\n  assume_role_policy = <<EOT\n{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \"Action\": \"{deep}\"}}]}}\nEOT\n}}\n"
    );
    let out = ex(&text);
    assert_eq!(out.policies.len(), 1);
    assert!(!out.policies[0].policy.unknowns.is_empty());
}

#[test]
fn a_parse_error_inside_a_multibyte_character_is_reported() {
    let out = ex("resource \"aws_iam_role\" \"r\" {\n  assume_role_policy = jsonencode( \u{e9}");
    assert_eq!(out.findings[0].rule, "parse-error");
}

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

// ---- bounded evaluation ----------------------------------------------------

/// Evaluates `local.NAME` of `text`: its value, the first limit met, the steps taken.
fn eval_local(text: &str, name: &str) -> (V, Option<eval::Hit>, usize) {
    let (mut v, hit, steps) = eval_locals(text, &[name]);
    (v.remove(0), hit, steps)
}

/// [`eval_local`] for several locals, in order, in one module (later ones see
/// the values memoised by earlier ones).
fn eval_locals(text: &str, names: &[&str]) -> (Vec<V>, Option<eval::Hit>, usize) {
    let body = hcl_edit::parser::parse_body(text).expect("test HCL parses");
    let env = Env::new(&[&body]);
    let values = names
        .iter()
        .map(|name| {
            let expr: Expression = format!("local.{name}").parse().expect("a traversal");
            env.eval(&expr)
        })
        .collect();
    (values, env.first_hit(), env.steps())
}

/// `n` locals, each `replace()`-ing every `x` of the previous one by the whole
/// previous one: the length squares per level (16, 256, 65,536, 4 GiB, …).
fn squaring(levels: usize) -> String {
    let mut t = String::from("locals {\n  l0 = \"xxxxxxxxxxxxxxxx\"\n");
    for i in 1..=levels {
        t.push_str(&format!(
            "  l{i} = replace(local.l{p}, \"x\", local.l{p})\n",
            p = i - 1
        ));
    }
    t.push_str("}\n");
    t
}

#[test]
fn replace_over_chained_locals_stops_at_the_value_cap_without_building_it() {
    // Level 2 is 65,536 bytes: evaluated fully.
    let (v, hit, _) = eval_local(&squaring(2), "l2");
    assert_eq!(v.known_str().map(str::len), Some(65_536));
    assert_eq!(hit, None);
    // Level 3 would be 4 GiB: unknown, named, and never allocated (this test
    // would otherwise abort for lack of memory).
    let (v, hit, _) = eval_local(&squaring(6), "l6");
    assert_eq!(v, V::Unknown);
    let hit = hit.expect("a limit is reported");
    assert_eq!(hit.limit, "MAX_VALUE_BYTES");
    assert!(hit.detail.contains("`local.l3`"), "{hit:?}");
    assert!(hit.detail.contains("4,294,967,296"), "{hit:?}");
}

#[test]
fn a_value_just_under_the_cap_is_kept_and_one_byte_over_is_unknown() {
    let under = "a".repeat(eval::MAX_VALUE_BYTES / 2);
    let text = format!(
        "locals {{\n  a = \"{under}\"\n  b = \"${{local.a}}${{local.a}}\"\n  c = \"${{local.b}}x\"\n}}\n"
    );
    let (v, hit, _) = eval_local(&text, "b");
    assert_eq!(v.known_str().map(str::len), Some(eval::MAX_VALUE_BYTES));
    assert_eq!(hit, None);
    let (v, hit, _) = eval_local(&text, "c");
    assert_eq!(v, V::Unknown);
    assert_eq!(hit.map(|h| h.limit), Some("MAX_VALUE_BYTES"));
}

#[test]
fn self_and_mutual_references_are_named_cycles() {
    let (v, hit, _) = eval_local("locals {\n  a = \"x${local.a}\"\n}\n", "a");
    // The template keeps its known text; the reference is a hole.
    assert_eq!(v, V::Str(format!("x{HOLE}")));
    let hit = hit.unwrap();
    assert_eq!(hit.limit, crate::rules::analysis_limit::CYCLE);
    assert!(hit.detail.contains("`local.a → local.a`"), "{hit:?}");
    let (v, hit, _) = eval_local(
        "locals {\n  a = local.b\n  b = [local.c]\n  c = local.a\n}\n",
        "a",
    );
    assert_eq!(v, V::List(vec![V::Unknown]));
    assert!(
        hit.unwrap()
            .detail
            .contains("`local.a → local.b → local.c → local.a`")
    );
}

#[test]
fn each_local_is_evaluated_once_so_doubling_references_stay_linear() {
    // l(i) refers to l(i-1) twice; without memoisation 2^n evaluations.
    let chain = |n: usize| {
        let mut t = String::from("locals {\n  l0 = \"a\"\n");
        for i in 1..=n {
            t.push_str(&format!(
                "  l{i} = lower(\"${{local.l{p}}}${{local.l{p}}}\" == \"\" ? \"\" : local.l{p})\n",
                p = i - 1
            ));
        }
        t.push_str("}\n");
        t
    };
    let (_, hit10, s10) = eval_local(&chain(10), "l10");
    let (_, hit20, s20) = eval_local(&chain(20), "l20");
    assert_eq!((hit10, hit20), (None, None));
    assert!(
        s20 <= 2 * s10 + 8,
        "steps must grow linearly with the chain: {s10} for 10 locals, {s20} for 20"
    );
}

#[test]
fn long_chains_of_locals_stop_at_the_depth_cap() {
    let chain = |n: usize| {
        let mut t = String::from("locals {\n  l0 = \"X\"\n");
        for i in 1..=n {
            t.push_str(&format!("  l{i} = lower(local.l{})\n", i - 1));
        }
        t.push_str("}\n");
        t
    };
    let (v, hit, _) = eval_local(&chain(30), "l30");
    assert_eq!(v.known_str(), Some("x"));
    assert_eq!(hit, None);
    let (v, hit, _) = eval_local(&chain(40), "l40");
    assert_eq!(v, V::Unknown);
    assert_eq!(hit.map(|h| h.limit), Some("MAX_EVAL_DEPTH"));
    // The same chain evaluated from its start is shallow at every step.
    let names: Vec<String> = (0..=40).map(|i| format!("l{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (values, hit, _) = eval_locals(&chain(40), &names);
    assert_eq!(hit, None);
    assert_eq!(values.last().and_then(V::known_str), Some("x"));
}

#[test]
fn nesting_beyond_the_parser_is_a_parse_error_not_a_crash() {
    let deep = format!(
        "locals {{\n  a = {}\"x\"{}\n}}\n",
        "lower(".repeat(100),
        ")".repeat(100)
    );
    let out = ex(&deep);
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.findings[0].rule, "parse-error");
}

fn list_of(n: usize) -> String {
    let items: Vec<String> = (0..n).map(|i| format!("\"p{i}\"")).collect();
    format!("[{}]", items.join(","))
}

#[test]
fn for_expressions_are_evaluated_and_capped_in_iterations() {
    let text = format!(
        "locals {{\n  l = {}\n  keep = [true, false, true]\n  subs = [for i, p in local.l : \"project_path:g/${{p}}:ref_type:branch:ref:main\" if local.keep[i]]\n  by = {{for p in local.l : p => upper(p)}}\n}}\n",
        list_of(3)
    );
    let (v, hit, _) = eval_local(&text, "subs");
    assert_eq!(hit, None);
    assert_eq!(
        v,
        V::List(vec![
            V::Str("project_path:g/p0:ref_type:branch:ref:main".into()),
            V::Str("project_path:g/p2:ref_type:branch:ref:main".into()),
        ])
    );
    let (v, _, _) = eval_local(&text, "by");
    assert_eq!(
        v,
        V::Obj(vec![
            ("p0".into(), V::Str("P0".into())),
            ("p1".into(), V::Str("P1".into())),
            ("p2".into(), V::Str("P2".into())),
        ])
    );
    let big = |n: usize| {
        format!(
            "locals {{\n  l = {}\n  f = [for p in local.l : p]\n}}\n",
            list_of(n)
        )
    };
    let (v, hit, _) = eval_local(&big(eval::MAX_FOR_ITEMS), "f");
    assert_eq!(hit, None);
    assert!(matches!(&v, V::List(items) if items.len() == eval::MAX_FOR_ITEMS));
    let (v, hit, _) = eval_local(&big(eval::MAX_FOR_ITEMS + 1), "f");
    assert_eq!(v, V::Unknown);
    assert_eq!(hit.map(|h| h.limit), Some("MAX_FOR_ITEMS"));
}

#[test]
fn nested_for_expressions_stop_at_the_step_budget() {
    // 5,000 × 5,000 iterations: quadratic, stopped at MAX_EVAL_STEPS.
    let text = format!(
        "locals {{\n  l = {}\n  f = flatten([for a in local.l : [for b in local.l : a]])\n}}\n",
        list_of(5_000)
    );
    let (v, hit, steps) = eval_local(&text, "f");
    assert_eq!(v, V::Unknown);
    let hit = hit.unwrap();
    assert_eq!(hit.limit, "MAX_EVAL_STEPS");
    assert!(hit.exhausted);
    assert!(steps <= eval::MAX_EVAL_STEPS + 1, "{steps}");
}

#[test]
fn doubling_lists_stop_at_the_value_cap() {
    let mut t = String::from("locals {\n  l0 = [\"abcdefgh\"]\n");
    for i in 1..=40 {
        t.push_str(&format!(
            "  l{i} = concat(local.l{p}, local.l{p})\n",
            p = i - 1
        ));
    }
    t.push_str("}\n");
    // In order, so that depth never matters: each level doubles the list.
    let names: Vec<String> = (0..=40).map(|i| format!("l{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (values, hit, _) = eval_locals(&t, &names);
    assert!(matches!(&values[10], V::List(items) if items.len() == 1024));
    // 2^16 items of 8 bytes (plus one per item) are under 1 MiB, 2^17 over:
    // unknown from there on.
    assert!(matches!(&values[16], V::List(items) if items.len() == 1 << 16));
    assert!(values[17] == V::Unknown, "level 17 is over the cap");
    assert!(values[40] == V::Unknown, "level 40 is over the cap");
    assert_eq!(hit.map(|h| h.limit), Some("MAX_VALUE_BYTES"));
}

#[test]
fn copies_of_large_locals_count_against_the_file_budget() {
    // `d` is 655,360 bytes, under the per-value cap; each `aN` copies it and
    // builds a string as long: 1.3 MB of values per use.
    let uses = |n: usize| {
        let mut t = format!(
            "{}locals {{\n  d = replace(local.l2, \"x\", \"0123456789\")\n",
            squaring(2)
        );
        for i in 0..n {
            t.push_str(&format!("  a{i} = \"${{local.d}}\"\n"));
        }
        t.push_str("}\n");
        t
    };
    let names: Vec<String> = (0..20).map(|i| format!("a{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (values, hit, _) = eval_locals(&uses(20), &names[..10]);
    assert_eq!(hit, None);
    assert!(
        values
            .iter()
            .all(|v| v.known_str().map(str::len) == Some(655_360))
    );
    let (values, hit, _) = eval_locals(&uses(20), &names);
    let hit = hit.unwrap();
    assert_eq!(hit.limit, "MAX_EVAL_BYTES");
    assert!(hit.exhausted);
    assert!(values[..10].iter().all(|v| v.known_str().is_some()));
    assert_eq!(values[19], V::Unknown);
}

#[test]
fn functions_evaluate_as_terraform_does() {
    let text = r#"locals {
  parts = ["a", "b"]
  nested = [["x"], [["y"]], "z"]
  j = jsonencode({b = "<&>", a = [1, true, null]})
  f = format("%s-%s", local.parts...)
  flat = flatten(local.nested)
  d = distinct(["a", "b", "a"])
}
"#;
    assert_eq!(
        eval_local(text, "j").0,
        V::Str(r#"{"a":[1,true,null],"b":"\u003c\u0026\u003e"}"#.into())
    );
    assert_eq!(eval_local(text, "f").0, V::Str("a-b".into()));
    assert_eq!(
        eval_local(text, "flat").0,
        V::List(vec![
            V::Str("x".into()),
            V::Str("y".into()),
            V::Str("z".into())
        ])
    );
    assert_eq!(
        eval_local(text, "d").0,
        V::List(vec![V::Str("a".into()), V::Str("b".into())])
    );
}

#[test]
fn a_limit_is_one_finding_per_file_and_other_findings_stay() {
    let text = format!(
        "{}locals {{ big = local.l4 }}\n{}",
        squaring(4),
        r#"data "aws_iam_policy_document" "t" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/gitlab.com"]
    }
    condition {
      test     = "StringLike"
      variable = "gitlab.com:sub"
      values   = ["project_path:${local.big}:*", "project_path:${local.l4}:*"]
    }
    condition {
      test     = "StringEquals"
      variable = "gitlab.com:aud"
      values   = ["https://gitlab.com*"]
    }
  }
}
"#
    );
    let out = ex(&text);
    let limits: Vec<&Finding> = out
        .findings
        .iter()
        .filter(|f| f.rule == "analysis-limit")
        .collect();
    assert_eq!(limits.len(), 1, "{:?}", out.findings);
    let f = limits[0];
    assert!(f.message.contains("`MAX_VALUE_BYTES`"), "{}", f.message);
    assert!(f.message.contains("2 values"), "{}", f.message);
    let l = f.location.as_ref().unwrap();
    assert_eq!(
        l.pointer.as_deref(),
        Some("/Statement/0/Condition/StringLike/gitlab.com:sub/0")
    );
    let p = &out.policies[0].policy;
    let sub = &p.statements[0].conditions[0];
    assert!(
        sub.values
            .iter()
            .all(|v| v.value.json_type == JsonType::Unknown)
    );
    assert_eq!(
        p.statements[0].conditions[1].values[0].value.text,
        "https://gitlab.com*"
    );
}

#[test]
fn an_assume_role_policy_through_a_cycle_of_locals_is_reported() {
    let out = ex(r#"locals {
  a = local.b
  b = local.a
}
resource "aws_iam_role" "r" {
  assume_role_policy = local.a
}
"#);
    assert!(out.policies.is_empty());
    let [f] = &out.findings[..] else {
        panic!("one finding: {:?}", out.findings)
    };
    assert_eq!(f.rule, "analysis-limit");
    assert!(f.message.contains("reference cycle"), "{}", f.message);
}

#[test]
fn unknowns_are_sorted_for_binary_search_and_lookups_agree_with_a_scan() {
    let values: Vec<String> = (0..30)
        .map(|i| format!("\"project_path:${{var.g{}}}:*\"", 29 - i))
        .collect();
    let text = format!(
        r#"data "aws_iam_policy_document" "t" {{
  statement {{
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {{
      type        = "Federated"
      identifiers = ["arn:aws:iam::123456789012:oidc-provider/gitlab.com"]
    }}
    condition {{
      test     = "StringLike"
      variable = var.key
      values   = [{}]
    }}
  }}
}}
"#,
        values.join(", ")
    );
    let out = ex(&text);
    let p = &out.policies[0].policy;
    assert_eq!(p.unknowns.len(), 31);
    assert!(p.unknowns.is_sorted_by(|a, b| a.pointer <= b.pointer));
    let scan = |ptr: &str| {
        p.unknowns.iter().any(|u| {
            ptr == u.pointer
                || (ptr.starts_with(u.pointer.as_str())
                    && ptr.as_bytes().get(u.pointer.len()) == Some(&b'/'))
        })
    };
    for u in &p.unknowns {
        for probe in [
            u.pointer.clone(),
            format!("{}/0", u.pointer),
            format!("{}x", u.pointer),
            u.pointer
                .rsplit_once('/')
                .map_or(String::new(), |(h, _)| h.to_string()),
        ] {
            assert_eq!(p.is_unknown(&probe), scan(&probe), "{probe}");
        }
    }
    assert!(p.holds_unknown("/Statement/0/Condition"));
    assert!(!p.holds_unknown("/Statement/1"));
}

use super::*;
use crate::policy::JsonType;

fn one(text: &str) -> (Extracted, SourceText) {
    let source = SourceText::new(text);
    (extract("t.yaml", &source), source)
}

#[test]
fn yaml_short_forms_resolve_with_spans_into_the_template() {
    let text = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Group:
    Type: String
    Default: mygroup
Resources:
  Provider:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://gitlab.com
      ClientIdList: [https://gitlab.com]
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Federated: !GetAtt Provider.Arn
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals:
                "gitlab.com:sub": !Sub "project_path:${Group}/é:ref_type:branch:ref:*"
                "gitlab.com:aud": !ImportValue Aud
"#;
    let (x, source) = one(text);
    assert_eq!(x.policies.len(), 1);
    assert_eq!(x.policies[0].resource.as_deref(), Some("Role"));
    let p = &x.policies[0].policy;
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
        format!(
            "arn:aws:iam::{}:oidc-provider/gitlab.com",
            crate::policy::DEPLOYING_ACCOUNT
        )
    );
    assert_eq!(fed.pointer, "/Statement/0/Principal/Federated");
    let c = &p.statements[0].conditions[0];
    assert_eq!(
        c.values[0].value.text,
        "project_path:mygroup/é:ref_type:branch:ref:*"
    );
    assert_eq!(
        c.values[0].pointer,
        "/Statement/0/Condition/StringEquals/gitlab.com:sub"
    );
    let lc = source.line_col(c.values[0].span.start);
    assert_eq!((lc.line, lc.column), (24, 35));
    let aud = &p.statements[0].conditions[1];
    assert_eq!(aud.values[0].value.json_type, JsonType::Unknown);
    assert!(p.is_unknown("/Statement/0/Condition/StringEquals/gitlab.com:aud"));
    assert_eq!(x.providers.len(), 1);
    assert_eq!(
        x.providers[0].url.as_ref().unwrap().value,
        "https://gitlab.com"
    );
    assert_eq!(x.providers[0].client_ids[0].value, "https://gitlab.com");
}

#[test]
fn json_long_forms_and_no_value() {
    let text = r#"{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
  "Statement": [{"Effect": "Allow",
    "Principal": {"Federated": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":oidc-provider/gitlab.com"]]}},
    "Action": ["sts:AssumeRoleWithWebIdentity", {"Ref": "AWS::NoValue"}],
    "Condition": {"StringLike": {"gitlab.com:sub": {"Fn::Sub": ["project_path:${G}/*", {"G": "g"}]}}}}]}}}}}"#;
    let (x, _) = one(text);
    let p = &x.policies[0].policy;
    let s = &p.statements[0];
    assert_eq!(s.action.as_ref().unwrap().value.len(), 1);
    assert_eq!(
        s.principal
            .as_ref()
            .unwrap()
            .value
            .values_of("Federated")
            .next()
            .unwrap()
            .value,
        format!(
            "arn:aws:iam::{}:oidc-provider/gitlab.com",
            crate::policy::DEPLOYING_ACCOUNT
        )
    );
    assert_eq!(s.conditions[0].values[0].value.text, "project_path:g/*");
    assert!(p.unknowns.is_empty());
}

#[test]
fn broken_yaml_is_a_parse_error_with_a_position() {
    let (x, _) = one("Resources:\n  R: [a, b\n");
    assert_eq!(x.findings.len(), 1);
    assert_eq!(x.findings[0].rule, "parse-error");
}

#[test]
fn recognised_by_shape() {
    assert!(looks_like_cloudformation("AWSTemplateFormatVersion: x\n"));
    assert!(looks_like_cloudformation(
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n"
    ));
    assert!(!looks_like_cloudformation("stages: [build]\n"));
}

#[test]
fn a_policy_given_as_a_json_string_is_read() {
    let text = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: !Sub '{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRoleWithWebIdentity\", \"Principal\": {\"Federated\": \"arn:aws:iam::${AWS::AccountId}:oidc-provider/gitlab.com\"}}]}'\n";
    let (x, source) = one(text);
    let p = &x.policies[0].policy;
    assert_eq!(p.statements.len(), 1);
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
        format!(
            "arn:aws:iam::{}:oidc-provider/gitlab.com",
            crate::policy::DEPLOYING_ACCOUNT
        )
    );
    let lc = source.line_col(fed.span.start);
    assert_eq!((lc.line, lc.column), (5, 33));
}

// ---- bounded evaluation ----------------------------------------------------

/// A role whose `sub` is `sub` (YAML) and whose `aud` is a real mistake
/// (`*` under StringEquals), with extra `parameters` (YAML lines).
fn role(parameters: &str, sub: &str) -> String {
    format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
{parameters}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Federated: arn:aws:iam::123456789012:oidc-provider/gitlab.com
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringLike:
                "gitlab.com:sub": {sub}
              StringEquals:
                "gitlab.com:aud": "https://gitlab.com*"
"#
    )
}

fn big_param(bytes: usize) -> String {
    format!(
        "  Big:\n    Type: String\n    Default: {}\n",
        "x".repeat(bytes)
    )
}

fn limits(x: &Extracted) -> Vec<&Finding> {
    x.findings
        .iter()
        .filter(|f| f.rule == "analysis-limit")
        .collect()
}

#[test]
fn sub_repeating_a_large_default_stops_at_the_value_cap() {
    // 100 KB × 11 is over 1 MiB; × 10 is under.
    let over = role(
        &big_param(100_000),
        &format!("!Sub \"{}\"", "${Big}".repeat(11)),
    );
    let (x, _) = one(&over);
    let [f] = limits(&x)[..] else {
        panic!("one limit finding: {:?}", x.findings)
    };
    assert!(f.message.contains("`MAX_VALUE_BYTES`"), "{}", f.message);
    assert!(
        f.message.contains("Fn::Sub would be 1,100,000 bytes"),
        "{}",
        f.message
    );
    let l = f.location.as_ref().unwrap();
    assert_eq!(
        l.pointer.as_deref(),
        Some("/Statement/0/Condition/StringLike/gitlab.com:sub")
    );
    assert_eq!(l.resource.as_deref(), Some("Role"));
    let p = &x.policies[0].policy;
    assert!(p.is_unknown("/Statement/0/Condition/StringLike/gitlab.com:sub"));
    // The unrelated value is still known (and checked by the rules).
    assert_eq!(
        p.statements[0].conditions[1].values[0].value.text,
        "https://gitlab.com*"
    );

    let under = role(
        &big_param(100_000),
        &format!("!Sub \"{}\"", "${Big}".repeat(10)),
    );
    let (x, _) = one(&under);
    assert!(limits(&x).is_empty(), "{:?}", x.findings);
    let v = &x.policies[0].policy.statements[0].conditions[0].values[0];
    assert_eq!(v.value.text.len(), 1_000_000);
}

#[test]
fn join_is_capped_and_select_picks_from_literal_lists() {
    let refs = |n: usize| vec!["!Ref Big"; n].join(", ");
    let (x, _) = one(&role(
        &big_param(100_000),
        &format!("!Join [\"\", [{}]]", refs(11)),
    ));
    assert_eq!(limits(&x).len(), 1, "{:?}", x.findings);
    assert!(
        limits(&x)[0]
            .message
            .contains("Fn::Join would be 1,100,000 bytes")
    );
    let (x, _) = one(&role(
        &big_param(100_000),
        &format!("!Join [\"\", [{}]]", refs(10)),
    ));
    assert!(limits(&x).is_empty(), "{:?}", x.findings);
    // 300 selects from a 300-element literal: each indexes in place.
    let list: Vec<String> = (0..300).map(|i| format!("s{i}")).collect();
    let selects: Vec<String> = (0..300)
        .map(|i| format!("!Select [{i}, [{}]]", list.join(", ")))
        .collect();
    let (x, _) = one(&role(
        "  P:\n    Type: String\n",
        &format!("[{}]", selects.join(", ")),
    ));
    assert!(limits(&x).is_empty(), "{:?}", x.findings);
    let values = &x.policies[0].policy.statements[0].conditions[0].values;
    assert_eq!(values.len(), 300);
    assert_eq!(values[299].value.text, "s299");
}

#[test]
fn copies_of_a_large_default_count_against_the_template_budget() {
    // 900 KB per `Ref`: 18 copies fit in 16 MiB, 30 do not.
    let refs = |n: usize| format!("[{}]", vec!["!Ref Big"; n].join(", "));
    let (x, _) = one(&role(&big_param(900_000), &refs(17)));
    assert!(limits(&x).is_empty(), "{:?}", x.findings);
    let (x, _) = one(&role(&big_param(900_000), &refs(30)));
    let [f] = limits(&x)[..] else {
        panic!("one limit finding: {:?}", x.findings)
    };
    assert!(f.message.contains("`MAX_EVAL_BYTES`"), "{}", f.message);
    assert!(
        f.message.contains("nor was anything evaluated after it"),
        "{}",
        f.message
    );
}

#[test]
fn parameter_defaults_that_refer_to_each_other_are_a_named_cycle_and_chains_are_capped() {
    let params = "  A:\n    Type: String\n    Default: !Ref B\n  B:\n    Type: String\n    Default: !Sub \"x${A}\"\n";
    let (x, _) = one(&role(params, "!Ref A"));
    let [f] = limits(&x)[..] else {
        panic!("one limit finding: {:?}", x.findings)
    };
    assert!(f.message.contains("reference cycle"), "{}", f.message);
    assert!(f.message.contains("`A → B → A`"), "{}", f.message);
    let chain = |n: usize| {
        let mut p = String::new();
        for i in 0..n {
            p.push_str(&format!(
                "  P{i}:\n    Type: String\n    Default: !Ref P{}\n",
                i + 1
            ));
        }
        p.push_str(&format!("  P{n}:\n    Type: String\n    Default: end\n"));
        p
    };
    let (x, _) = one(&role(&chain(10), "!Ref P0"));
    assert!(limits(&x).is_empty(), "{:?}", x.findings);
    assert_eq!(
        x.policies[0].policy.statements[0].conditions[0].values[0]
            .value
            .text,
        "end"
    );
    let (x, _) = one(&role(&chain(40), "!Ref P0"));
    assert_eq!(limits(&x).len(), 1, "{:?}", x.findings);
    assert!(limits(&x)[0].message.contains("`MAX_EVAL_DEPTH`"));
}

#[test]
fn yaml_alias_bombs_are_a_limit_finding_not_a_parse_error() {
    let mut t = String::from(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nx0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..8 {
        t.push_str(&format!(
            "x{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let (x, _) = one(&t);
    let [f] = &x.findings[..] else {
        panic!("one finding: {:?}", x.findings)
    };
    assert_eq!(f.rule, "analysis-limit");
    assert!(f.message.contains("`MAX_NODES`"), "{}", f.message);
}

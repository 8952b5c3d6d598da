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

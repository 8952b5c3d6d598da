use super::*;
use crate::iam::context::{ContextValue, Origin};
use crate::policy::parse_policy_json;
use serde_json::json;

const PROVIDER: &str = "arn:aws:iam::123456789012:oidc-provider/gitlab.com";

fn request(claims: serde_json::Value) -> Request {
    let map = claims.as_object().unwrap();
    let (context, _) = RequestContext::from_claims(map);
    Request {
        context,
        issuer: map.get("iss").and_then(|v| v.as_str()).map(String::from),
        account: Some("123456789012".into()),
        partition: Some("aws".into()),
    }
}

fn main_branch() -> Request {
    request(
        json!({"iss": "https://gitlab.com", "aud": "https://gitlab.com",
        "sub": "project_path:g/p:ref_type:branch:ref:main", "project_id": "42"}),
    )
}

fn policy(statements: &str) -> crate::policy::Policy {
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    parse_policy_json(&text).unwrap()
}

fn allow(conditions: &str) -> String {
    format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{conditions}}}"#
    )
}

fn decide(statements: &str, req: &Request) -> Evaluation {
    evaluate(&policy(statements), req)
}

#[test]
fn allows_a_matching_subject() {
    let e = decide(
        &allow(
            r#"{"StringEquals":{"gitlab.com:sub":"project_path:g/p:ref_type:branch:ref:main"}}"#,
        ),
        &main_branch(),
    );
    assert_eq!(e.decision, Decision::Allowed);
    assert_eq!(e.decisive_statements, vec![0]);
}

#[test]
fn values_are_ored_keys_and_operators_anded() {
    let req = main_branch();
    let or = allow(
        r#"{"StringEquals":{"gitlab.com:sub":["project_path:g/p:ref_type:branch:ref:dev","project_path:g/p:ref_type:branch:ref:main"]}}"#,
    );
    assert_eq!(decide(&or, &req).decision, Decision::Allowed);
    let keys_and = allow(
        r#"{"StringEquals":{"gitlab.com:sub":"project_path:g/p:ref_type:branch:ref:main","gitlab.com:aud":"sts.amazonaws.com"}}"#,
    );
    assert_eq!(decide(&keys_and, &req).decision, Decision::ImplicitDeny);
    let ops_and = allow(
        r#"{"StringLike":{"gitlab.com:sub":"project_path:g/*"},"StringEquals":{"gitlab.com:project_id":"43"}}"#,
    );
    let e = decide(&ops_and, &req);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.statements[0].conditions[0].outcome.result, Some(true));
    assert_eq!(e.statements[0].conditions[1].outcome.result, Some(false));
}

#[test]
fn explicit_deny_beats_allow() {
    let deny = r#"{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringLike":{"gitlab.com:sub":"*:ref:main"}}}"#;
    let statements = format!(
        "{},{deny}",
        allow(r#"{"StringLike":{"gitlab.com:sub":"project_path:g/*"}}"#)
    );
    let e = decide(&statements, &main_branch());
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.decisive_statements, vec![1]);
    assert_eq!(e.statements[0].applies, Some(true), "the Allow applied too");
}

#[test]
fn principal_must_be_the_tokens_provider() {
    let req = main_branch();
    let wrong_account = r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::999999999999:oidc-provider/gitlab.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
    let e = decide(wrong_account, &req);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert!(!e.statements[0].principal.matched);
    assert!(
        e.statements[0]
            .principal
            .reason
            .contains("expected arn:aws:iam::123456789012:oidc-provider/gitlab.com")
    );
    let with_scheme = r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/https://gitlab.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
    assert_eq!(decide(with_scheme, &req).decision, Decision::ImplicitDeny);
    let aws_principal = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
    assert_eq!(decide(aws_principal, &req).decision, Decision::ImplicitDeny);
    let star =
        r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
    assert_eq!(decide(star, &req).decision, Decision::Allowed);
    // Without --role-arn any account is accepted.
    let mut any_account = main_branch();
    any_account.account = None;
    assert_eq!(
        decide(wrong_account, &any_account).decision,
        Decision::Allowed
    );
    // A self-managed issuer with a path needs the path in the ARN.
    let sm = request(json!({"iss": "https://gitlab.example.com/gitlab", "sub": "s"}));
    let with_path = r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/gitlab"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
    assert_eq!(decide(with_path, &sm).decision, Decision::Allowed);
    let without_path = r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
    assert_eq!(decide(without_path, &sm).decision, Decision::ImplicitDeny);
    let not_principal = r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
    assert_eq!(decide(not_principal, &req).decision, Decision::Allowed);
}

#[test]
fn action_matching_with_wildcards_and_not_action() {
    let req = main_branch();
    let with = |action: &str| {
        format!(r#"{{"Effect":"Allow","Principal":{{"Federated":"{PROVIDER}"}},{action}}}"#)
    };
    for (action, want) in [
        (
            r#""Action":"sts:AssumeRoleWithWebIdentity""#,
            Decision::Allowed,
        ),
        (
            r#""Action":"STS:assumerolewithwebidentity""#,
            Decision::Allowed,
        ),
        (r#""Action":"sts:AssumeRoleWith*""#, Decision::Allowed),
        (r#""Action":"sts:*""#, Decision::Allowed),
        (r#""Action":"*""#, Decision::Allowed),
        (
            r#""Action":["sts:AssumeRole","sts:TagSession"]"#,
            Decision::ImplicitDeny,
        ),
        (r#""NotAction":"sts:AssumeRole""#, Decision::Allowed),
        (r#""NotAction":"sts:*""#, Decision::ImplicitDeny),
    ] {
        assert_eq!(decide(&with(action), &req).decision, want, "{action}");
    }
}

#[test]
fn azp_is_the_audience_when_present() {
    let req = request(
        json!({"iss": "https://gitlab.com", "aud": "https://gitlab.com", "azp": "sts.amazonaws.com",
        "sub": "project_path:g/p:ref_type:branch:ref:main"}),
    );
    let st = allow(r#"{"StringEquals":{"gitlab.com:aud":"sts.amazonaws.com"}}"#);
    assert_eq!(decide(&st, &req).decision, Decision::Allowed);
    let st = allow(r#"{"StringEquals":{"gitlab.com:aud":"https://gitlab.com"}}"#);
    assert_eq!(decide(&st, &req).decision, Decision::ImplicitDeny);
}

#[test]
fn gitlab_com_only_keys_are_absent_on_self_managed() {
    let provider = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com";
    let st = format!(
        r#"{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"gitlab.example.com:project_id":"42"}}}}}}"#
    );
    let req = request(json!({"iss": "https://gitlab.example.com", "sub": "s", "project_id": "42"}));
    let e = decide(&st, &req);
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.statements[0].conditions[0].outcome.context, None);
    let gitlab_com = main_branch();
    let st = allow(r#"{"StringEquals":{"gitlab.com:project_id":"42"}}"#);
    assert_eq!(decide(&st, &gitlab_com).decision, Decision::Allowed);
}

#[test]
fn unknown_operator_makes_the_statement_not_apply() {
    let e = decide(
        &allow(r#"{"StringEq":{"gitlab.com:sub":"project_path:g/p:ref_type:branch:ref:main"}}"#),
        &main_branch(),
    );
    assert_eq!(e.decision, Decision::ImplicitDeny);
    let c = &e.statements[0].conditions[0];
    assert!(c.operator_error.is_some());
    assert!(
        c.outcome.reason.contains("did you mean `StringEquals`"),
        "{}",
        c.outcome.reason
    );
}

#[test]
fn undecidable_conditions_make_the_verdict_indeterminate() {
    let mut req = main_branch();
    req.context.insert(
        "aws:CurrentTime",
        ContextValue::Single("20260101T000000Z".into()),
        Origin::Given,
    );
    let st = allow(r#"{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}"#);
    let e = decide(&st, &req);
    assert_eq!(e.decision, Decision::Indeterminate);
    assert_eq!(e.statements[0].applies, None);
    // …but not when another condition already rules the statement out.
    let st = allow(
        r#"{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"},"StringEquals":{"gitlab.com:sub":"nope"}}"#,
    );
    assert_eq!(decide(&st, &req).decision, Decision::ImplicitDeny);
}

#[test]
fn absent_request_keys_that_decide_are_named() {
    let st = allow(
        r#"{"StringLike":{"gitlab.com:sub":"project_path:g/*"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
    );
    let e = decide(&st, &main_branch());
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.depends_on, vec!["aws:SourceIp".to_string()]);
    let mut req = main_branch();
    req.context.insert(
        "aws:SourceIp",
        ContextValue::Single("203.0.113.5".into()),
        Origin::Given,
    );
    let e = decide(&st, &req);
    assert_eq!(e.decision, Decision::Allowed);
    assert!(e.depends_on.is_empty());
    // A token key that is absent is a fact about the token, not a missing input.
    let st = allow(r#"{"StringEquals":{"gitlab.com:email":"a@b.c"}}"#);
    assert!(decide(&st, &main_branch()).depends_on.is_empty());
}

#[test]
fn invalid_effect_never_applies() {
    let st = format!(
        r#"{{"Effect":"allow","Principal":{{"Federated":"{PROVIDER}"}},"Action":"sts:AssumeRoleWithWebIdentity"}}"#
    );
    let e = decide(&st, &main_branch());
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert!(
        e.statements[0]
            .invalid
            .as_ref()
            .unwrap()
            .contains("\"allow\"")
    );
}

#[test]
fn a_condition_value_unknown_until_deployment_is_undecidable() {
    let mut p = policy(&allow(
        r#"{"StringEquals":{"gitlab.com:sub":"${var.sub}"}}"#,
    ));
    p.statements[0].conditions[0].values[0].value.json_type = crate::policy::JsonType::Unknown;
    let e = evaluate(&p, &main_branch());
    assert_eq!(e.decision, Decision::Indeterminate);
    // The same policy with the value known is decided.
    assert_eq!(
        decide(
            &allow(r#"{"StringEquals":{"gitlab.com:sub":"${var.sub}"}}"#),
            &main_branch()
        )
        .decision,
        Decision::ImplicitDeny
    );
}

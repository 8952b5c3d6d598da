use super::*;
use crate::policy::parse_policy_json;

/// Runs one lint rule on a policy text; the findings' `rule line:column`.
pub(crate) fn run_rule(rule: &dyn crate::rules::Rule, text: &str) -> Vec<String> {
    let policy = parse_policy_json(text).unwrap();
    let source = crate::json::SourceText::new(text);
    let cx = crate::rules::PolicyContext::new("p.json", &source, &policy);
    let mut out = Vec::new();
    rule.check(&cx, &mut out);
    out.iter()
        .map(|f| {
            let l = f.location.as_ref().unwrap();
            format!("{} {}:{}", f.rule, l.line, l.column)
        })
        .collect()
}

/// A one-statement gitlab.com Allow with `condition` (compact, one line).
pub(crate) fn allow(condition: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {condition}}}]}}"#
    )
}

fn policy(conditions: &str) -> Policy {
    policy_with(conditions, "")
}

/// One Allow statement for gitlab.com with `conditions`, plus `extra` statements.
fn policy_with(conditions: &str, extra: &str) -> Policy {
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{
            "Effect": "Allow",
            "Principal": {{"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {conditions}
        }}{extra}]}}"#
    );
    parse_policy_json(&text).unwrap()
}

fn like(sub: &str) -> Policy {
    policy(&format!(
        r#"{{"StringEquals": {{"gitlab.com:aud": "https://gitlab.com"}},
            "StringLike": {{"gitlab.com:sub": {sub}}}}}"#
    ))
}

fn kinds(a: &Admitted) -> Vec<BreadthKind> {
    a.breadth.iter().map(|b| b.kind).collect()
}

fn breadth(a: &Admitted, kind: BreadthKind) -> Option<String> {
    a.breadth
        .iter()
        .find(|b| b.kind == kind)
        .map(|b| b.example.clone())
}

/// The example really is admitted: evaluated with the engine, from claims built
/// here independently of the prober (a stranger's IDs for crossing examples).
fn engine_admits(p: &Policy, subject: &str, extra: &[(&str, &str)]) -> bool {
    let mut claims = serde_json::json!({
        "iss": "https://gitlab.com",
        "aud": "https://gitlab.com",
        "sub": subject,
        "project_id": "90000001",
        "namespace_id": "90000002",
        "ref_protected": "true",
        "pipeline_source": "push",
    });
    for (k, v) in extra {
        claims[*k] = serde_json::Value::String((*v).to_string());
    }
    let (context, _) = crate::iam::RequestContext::from_claims(claims.as_object().unwrap());
    let request = crate::iam::Request {
        context,
        issuer: Some("https://gitlab.com".into()),
        account: None,
        partition: None,
    };
    crate::iam::evaluate(p, &request).decision == crate::iam::Decision::Allowed
}

#[test]
fn exact_pin_is_not_broad() {
    let p = like(r#""project_path:mygroup/app:ref_type:branch:ref:main""#);
    let a = analyze(&p, None);
    assert_eq!(a.issuer.as_deref(), Some("https://gitlab.com"));
    assert!(!a.everyone);
    assert_eq!(a.subjects.len(), 1);
    let s = &a.subjects[0];
    assert!(s.breadth.is_empty(), "{:?}", s.breadth);
    assert_eq!(s.ref_types, vec!["branch"]);
    assert_eq!(s.guards["gitlab.com:aud"], vec!["https://gitlab.com"]);
    assert_eq!(a.owner.groups, vec!["mygroup"]);
}

#[test]
fn prefix_without_slash_crosses_the_namespace() {
    let p = like(r#""project_path:mygroup*""#);
    let a = analyze(&p, None);
    let s = &a.subjects[0];
    let ex = breadth(s, BreadthKind::OutsideNamespace).expect("crossing example");
    assert_eq!(ex, "project_path:mygroup-evil/x:ref_type:branch:ref:main");
    assert!(engine_admits(&p, &ex, &[]));
    assert!(!a.everyone, "evil-group/x does not start with mygroup");
}

#[test]
fn star_anywhere_admits_everyone() {
    for sub in [
        r#""*""#,
        r#""project_path:*""#,
        r#""*:ref_type:branch:ref:main""#,
        r#"["project_path:mygroup/app:ref_type:branch:ref:main", "*"]"#,
    ] {
        let p = like(sub);
        let a = analyze(&p, None);
        assert!(a.everyone, "{sub}");
        let crossing: Vec<String> = a
            .subjects
            .iter()
            .filter_map(|s| breadth(s, BreadthKind::OutsideNamespace))
            .collect();
        assert_eq!(crossing.len(), 1, "{sub}: {crossing:?}");
        assert!(crossing[0].contains("evil"), "{sub}: {crossing:?}");
        assert!(engine_admits(&p, &crossing[0], &[]), "{sub}");
    }
}

#[test]
fn group_wildcard_is_broad_inside_the_namespace() {
    let p = like(r#""project_path:mygroup/*:ref_type:branch:ref:*""#);
    let a = analyze(&p, None);
    let s = &a.subjects[0];
    assert_eq!(
        kinds(s),
        vec![BreadthKind::OtherProject, BreadthKind::AnyRef],
        "{:?}",
        s.breadth
    );
    assert_eq!(
        breadth(s, BreadthKind::OtherProject).unwrap(),
        "project_path:mygroup/other-project:ref_type:branch:ref:main"
    );
    assert_eq!(
        breadth(s, BreadthKind::AnyRef).unwrap(),
        "project_path:mygroup/other-project:ref_type:branch:ref:unreviewed-feature"
    );
    for b in &s.breadth {
        assert!(engine_admits(&p, &b.example, &[]), "{}", b.example);
    }
}

#[test]
fn project_prefix_is_broad_in_every_way() {
    let p = like(r#""project_path:mygroup/app*""#);
    let a = analyze(&p, None);
    let s = &a.subjects[0];
    assert_eq!(
        kinds(s),
        vec![
            BreadthKind::OtherProject,
            BreadthKind::AnyRefType,
            BreadthKind::AnyRef
        ]
    );
    assert_eq!(
        breadth(s, BreadthKind::OtherProject).unwrap(),
        "project_path:mygroup/app-sandbox:ref_type:branch:ref:main"
    );
}

#[test]
fn any_ref_type_is_reported_with_a_tag() {
    let p = like(r#""project_path:mygroup/app:ref_type:*:ref:main""#);
    let a = analyze(&p, None);
    let s = &a.subjects[0];
    assert_eq!(kinds(s), vec![BreadthKind::AnyRefType]);
    assert_eq!(
        breadth(s, BreadthKind::AnyRefType).unwrap(),
        "project_path:mygroup/app:ref_type:tag:ref:main"
    );
}

#[test]
fn deny_carving_out_tags_removes_the_tag_example() {
    let deny = r#", {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {"gitlab.com:sub": "*:ref_type:tag:*"}}}"#;
    let p = policy_with(
        r#"{"StringEquals": {"gitlab.com:aud": "https://gitlab.com"},
            "StringLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:*:ref:*"}}"#,
        deny,
    );
    let a = analyze(&p, None);
    let s = &a.subjects[0];
    assert_eq!(kinds(s), vec![BreadthKind::AnyRef], "{:?}", s.breadth);
    assert_eq!(a.exclusions.len(), 1);
    assert_eq!(a.exclusions[0].pattern, "*:ref_type:tag:*");
    assert_eq!(a.exclusions[0].description, "any project, on any tag");
    assert_eq!(s.ref_types, vec!["branch"]);
    assert!(
        s.description
            .ends_with("(tags removed by a Deny statement)"),
        "{}",
        s.description
    );
}

#[test]
fn namespace_pin_bounds_crossing() {
    let p = policy(
        r#"{"StringEquals": {"gitlab.com:aud": "https://gitlab.com", "gitlab.com:namespace_id": "4242"},
            "StringLike": {"gitlab.com:sub": "project_path:mygroup*"}}"#,
    );
    let a = analyze(&p, None);
    let s = &a.subjects[0];
    assert!(s.namespace_pin);
    assert!(breadth(s, BreadthKind::OutsideNamespace).is_none());
    let other = breadth(s, BreadthKind::OtherProject).unwrap();
    assert!(engine_admits(&p, &other, &[("namespace_id", "4242")]));
    assert!(
        !engine_admits(&p, &other, &[]),
        "needs the pinned namespace"
    );
    assert_eq!(s.guards["gitlab.com:namespace_id"], vec!["4242"]);
}

#[test]
fn a_deny_pin_bounds_crossing_too() {
    let deny = r#", {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringNotEquals": {"gitlab.com:namespace_id": "4242"}}}"#;
    let p = policy_with(
        r#"{"StringLike": {"gitlab.com:sub": "project_path:mygroup*"}}"#,
        deny,
    );
    let a = analyze(&p, None);
    assert!(breadth(&a.subjects[0], BreadthKind::OutsideNamespace).is_none());
    assert!(!a.everyone);
}

#[test]
fn project_id_wildcards_cross() {
    let p = like(r#""project_id:12*:ref_type:branch:ref:main""#);
    let a = analyze(&p, None);
    let ex = breadth(&a.subjects[0], BreadthKind::OutsideNamespace).unwrap();
    assert!(ex.starts_with("project_id:12"), "{ex}");
    assert!(engine_admits(&p, &ex, &[]));
}

#[test]
fn missing_and_negated_only_admit_everyone() {
    let p = policy(r#"{"StringEquals": {"gitlab.com:aud": "https://gitlab.com"}}"#);
    let a = analyze(&p, None);
    assert!(a.everyone);
    assert_eq!(a.subjects[0].restriction, Restriction::None);
    let p = policy(r#"{"StringNotLike": {"gitlab.com:sub": "project_path:evil/*"}}"#);
    let a = analyze(&p, None);
    assert!(a.everyone);
    assert_eq!(a.subjects[0].restriction, Restriction::NegatedOnly);
    assert!(
        a.subjects[0]
            .description
            .contains("except `project_path:evil/*`")
    );
}

#[test]
fn never_matching_values_are_marked() {
    let p = policy(
        r#"{"StringEquals": {"gitlab.com:sub": ["repo:org/repo:ref:refs/heads/main", "project_path:g/p:ref_type:branch:ref:main"]}}"#,
    );
    let a = analyze(&p, None);
    assert!(a.subjects[0].never_matches);
    assert!(!a.subjects[1].never_matches);
}

#[test]
fn scope_decides_the_namespace() {
    let p = like(r#""project_path:mygroup/*:ref_type:branch:ref:main""#);
    let scope = Scope::new(
        None,
        vec!["mygroup/app".into(), "mygroup/infra".into()],
        vec!["main".into()],
    )
    .unwrap();
    let a = analyze(&p, Some(&scope));
    let ex = breadth(&a.subjects[0], BreadthKind::OutsideNamespace).unwrap();
    assert!(ex.starts_with("project_path:mygroup/"), "{ex}");
    assert!(breadth(&a.subjects[0], BreadthKind::OtherProject).is_none());
}

#[test]
fn non_gitlab_providers_are_left_alone() {
    let text = r#"{"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/*"}}}]}"#;
    let p = parse_policy_json(text).unwrap();
    assert!(analyze(&p, None).subjects.is_empty());
}

/// `n` wildcard `sub` values that each admit another top-level namespace.
fn crossing_values(n: usize) -> String {
    let values: Vec<String> = (0..n)
        .map(|i| format!("\"project_path:group{i}*\""))
        .collect();
    allow(&format!(
        r#"{{"StringEquals": {{"gitlab.com:aud": "https://gitlab.com"}}, "StringLike": {{"gitlab.com:sub": [{}]}}}}"#,
        values.join(", ")
    ))
}

#[test]
fn breadth_probes_stop_at_their_budget_and_say_which_values_were_not_probed() {
    // A few values: every one probed, each with a verified crossing example.
    let small = parse_policy_json(&crossing_values(20)).unwrap();
    let a = analyze(&small, None);
    assert!(a.limits.is_empty(), "{:?}", a.limits);
    assert!(a.subjects.iter().all(|s| {
        s.breadth
            .iter()
            .any(|b| b.kind == BreadthKind::OutsideNamespace)
    }));

    // Beyond the budget (a small one here: the real one takes thousands of
    // values): the budget is spent, the rest is named.
    let n = 300;
    let big = parse_policy_json(&crossing_values(n)).unwrap();
    let a = analyze_within(&big, None, 400);
    assert_eq!(a.subjects.len(), n, "every value is still listed");
    let hit = a
        .limits
        .iter()
        .find(|l| l.limit == "MAX_PROBE_WORK")
        .expect("the budget limit");
    let probed = a.subjects.iter().filter(|s| !s.breadth.is_empty()).count();
    assert!(probed > 20 && probed < n, "{probed} of {n} probed");
    assert!(
        hit.message.contains("budget of 400 engine evaluations"),
        "{}",
        hit.message
    );
    assert!(
        hit.message.contains(&format!("of the {n} `sub` values")),
        "{}",
        hit.message
    );
    // The limit points at the first value not (or not fully) probed: every
    // value before it was, none after it.
    let at: usize = hit.pointer.rsplit('/').next().unwrap().parse().unwrap();
    assert!(a.subjects[..at].iter().all(|s| !s.breadth.is_empty()));
    assert!(a.subjects[at + 1..].iter().all(|s| s.breadth.is_empty()));
}

#[test]
fn values_longer_than_any_trust_policy_are_not_searched_but_named() {
    let long = format!("project_path:{}*", "g".repeat(MAX_ANALYSED_VALUE_CHARS));
    let policy = parse_policy_json(&allow(&format!(
        r#"{{"StringLike": {{"gitlab.com:sub": ["project_path:mygroup/app:*", "{long}"]}}}}"#
    )))
    .unwrap();
    let a = analyze(&policy, None);
    let hit = a
        .limits
        .iter()
        .find(|l| l.limit == "MAX_ANALYSED_VALUE_CHARS")
        .expect("the value-length limit");
    assert_eq!(
        hit.pointer,
        "/Statement/0/Condition/StringLike/gitlab.com:sub/1"
    );
    assert!(
        a.subjects[1].description.starts_with("not analysed"),
        "{}",
        a.subjects[1].description
    );
    // The short value next to it is still analysed.
    assert!(!a.subjects[0].breadth.is_empty());
    // One character less: searched as usual.
    let fits = format!(
        "project_path:{}*",
        "g".repeat(MAX_ANALYSED_VALUE_CHARS - 14)
    );
    let policy = parse_policy_json(&allow(&format!(
        r#"{{"StringLike": {{"gitlab.com:sub": "{fits}"}}}}"#
    )))
    .unwrap();
    assert!(analyze(&policy, None).limits.is_empty());
}

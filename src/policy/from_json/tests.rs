use super::*;
use crate::json::SourceText;
use crate::policy::Effect;

const TRUST: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "GitLab",
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {"gitlab.com:aud": "https://gitlab.com"},
        "StringLike": {"gitlab.com:sub": ["project_path:g/p:ref_type:branch:ref:main", "project_path:g/*"]},
        "NumericEquals": {"gitlab.com:project_id": 42},
        "Bool": {"aws:SecureTransport": true}
      }
    }
  ]
}"#;

#[test]
fn reads_a_trust_policy_with_spans_and_pointers() {
    let p = parse_policy_json(TRUST).unwrap();
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert!(p.variables_enabled());
    assert!(p.statement_is_list);
    let s = &p.statements[0];
    assert_eq!(s.effect(), Some(Effect::Allow));
    assert_eq!(s.sid.as_ref().unwrap().value, "GitLab");
    let action = s.action.as_ref().unwrap();
    assert_eq!(
        action.value.len(),
        1,
        "a scalar Action is normalised to a list"
    );
    assert_eq!(action.pointer, "/Statement/0/Action");
    assert_eq!(s.conditions.len(), 4);
    let sub = &s.conditions[1];
    assert_eq!(sub.operator.value, "StringLike");
    assert_eq!(
        sub.key.pointer,
        "/Statement/0/Condition/StringLike/gitlab.com:sub"
    );
    assert_eq!(
        sub.values[1].pointer,
        "/Statement/0/Condition/StringLike/gitlab.com:sub/1"
    );
    assert_eq!(sub.values[1].value.text, "project_path:g/*");
    let src = SourceText::new(TRUST);
    let at = src.line_col(sub.values[1].span.start);
    assert_eq!((at.line, at.column), (11, 88));
    assert_eq!(
        &TRUST[sub.values[1].span.start..sub.values[1].span.end],
        "\"project_path:g/*\""
    );
    let num = &s.conditions[2];
    assert_eq!(num.values[0].value.text, "42");
    assert_eq!(num.values[0].value.json_type, JsonType::Number);
    assert_eq!(s.conditions[3].values[0].value.text, "true");
}

#[test]
fn a_single_statement_object_is_index_zero() {
    let p = parse_policy_json(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"*"}}"#,
    )
    .unwrap();
    assert!(!p.statement_is_list);
    assert_eq!(p.statements[0].index, 0);
    assert_eq!(p.statements[0].pointer, "/Statement");
    assert_eq!(
        p.statements[0].principal.as_ref().unwrap().value,
        Principal::Wildcard
    );
}

#[test]
fn duplicate_keys_are_reported_and_the_last_wins() {
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*",
      "Condition":{"StringEquals":{"gitlab.com:sub":"first"},"StringEquals":{"gitlab.com:sub":"second","gitlab.com:SUB":"x"}}}]}"#;
    let p = parse_policy_json(text).unwrap();
    let dups: Vec<_> = p
        .problems
        .iter()
        .filter(|x| x.kind == ProblemKind::DuplicateKey)
        .collect();
    assert_eq!(dups.len(), 2, "{dups:?}");
    assert_eq!(dups[0].pointer, "/Statement/0/Condition/StringEquals");
    let first = dups[0].related.expect("the earlier occurrence is kept");
    assert_eq!(&text[first.start..first.end], "\"StringEquals\"");
    assert!(first.start < dups[0].span.start);
    assert!(dups[1].message.contains("differ only in case"));
    let conds = &p.statements[0].conditions;
    assert_eq!(conds.len(), 2);
    assert_eq!(conds[0].values[0].value.text, "second");
    assert_eq!(conds[1].key.value, "gitlab.com:SUB");
}

#[test]
fn unknown_elements_and_bad_values_are_problems_not_errors() {
    let text = r#"{"Version":"2012-10-18","Statment":[],"Statement":[{"Effect":"allow","effect":"Allow","Principal":"gitlab.com","Action":["sts:AssumeRoleWithWebIdentity", 5],
      "Condition":{"StringEquals":{"k":null}}}]}"#;
    let p = parse_policy_json(text).unwrap();
    let msgs: Vec<String> = p
        .problems
        .iter()
        .map(|x| format!("{} | {:?}", x.message, x.help))
        .collect();
    let has = |needle: &str| msgs.iter().any(|m| m.contains(needle));
    assert!(has("`Version` must be"), "{msgs:#?}");
    assert!(
        has("`Statment` is not an element") && has("did you mean `Statement`"),
        "{msgs:#?}"
    );
    assert!(has("\"allow\"") && has("write \\\"Allow\\\""), "{msgs:#?}");
    assert!(has("case-sensitive: write `Effect`"), "{msgs:#?}");
    assert!(has("`Principal` must be \"*\" or an object"), "{msgs:#?}");
    assert!(
        has("`Action` must be a string, found a number"),
        "{msgs:#?}"
    );
    assert!(has("`k` must be a string, number or boolean"), "{msgs:#?}");
    let statment = p
        .problems
        .iter()
        .find(|x| x.message.contains("Statment"))
        .unwrap();
    assert_eq!(statment.pointer, "/Statment");
}

#[test]
fn syntax_errors_and_non_objects_are_errors_with_spans() {
    let e = parse_policy_json("{\n  \"Version\": \"2012-10-17\",\n}").unwrap_err();
    assert!(e.message.contains("trailing comma"));
    let at = SourceText::new("{\n  \"Version\": \"2012-10-17\",\n}").line_col(e.span.start);
    assert_eq!((at.line, at.column), (2, 26));
    let e = parse_policy_json("[1]").unwrap_err();
    assert!(e.message.contains("must be a JSON object"));
}

#[test]
fn missing_statement_effect_and_action_are_reported() {
    let p = parse_policy_json(r#"{"Version":"2012-10-17"}"#).unwrap();
    assert!(
        p.problems
            .iter()
            .any(|x| x.message.contains("no `Statement`"))
    );
    let p = parse_policy_json(r#"{"Statement":[{"Principal":"*"}]}"#).unwrap();
    assert!(p.problems.iter().any(|x| x.message.contains("no `Effect`")));
    assert!(
        p.problems
            .iter()
            .any(|x| x.message.contains("neither `Action` nor `NotAction`"))
    );
    assert!(
        !p.variables_enabled(),
        "no Version: policy variables are literal"
    );
}

/// The pairwise scan of small objects and the hash index of large ones must find
/// the same duplicates, in the same order, with the same related places: the
/// same keys (exact repeats and case variants, interleaved) are padded with
/// distinct filler keys past the pairwise threshold.
#[test]
fn large_objects_report_the_same_duplicates_as_small_ones() {
    let keys = ["Sid", "sid", "SID", "Sid", "Effect", "sId", "Effect", "x"];
    let small: Vec<String> = keys.iter().map(|k| format!("\"{k}\": 1")).collect();
    let doc = |members: &[String]| format!("{{{}}}", members.join(", "));
    let problems = |text: &str| -> Vec<(String, usize, Option<usize>)> {
        let node = crate::json::parse(text).unwrap();
        let members = match &node.value {
            crate::json::Value::Object(m) => m.clone(),
            other => panic!("not an object: {other:?}"),
        };
        let mut r = Reader::default();
        let kept: Vec<String> = r
            .dedupe(&members, "")
            .iter()
            .map(|m| m.key.clone())
            .collect();
        let mut out: Vec<(String, usize, Option<usize>)> = r
            .problems
            .iter()
            .map(|p| (p.message.clone(), p.span.start, p.related.map(|s| s.start)))
            .collect();
        out.push((kept.join(","), 0, None));
        out
    };
    let small_text = doc(&small);
    let mut large = small.clone();
    let filler: Vec<String> = (0..PAIRWISE_MEMBERS * 3)
        .map(|i| format!("\"filler{i}\": 0"))
        .collect();
    large.extend(filler.iter().cloned());
    let large_text = doc(&large);
    assert!(large.len() > PAIRWISE_MEMBERS);
    let small_problems = problems(&small_text);
    let mut large_problems = problems(&large_text);
    // The kept keys of the large object end with the filler.
    let kept = large_problems.pop().unwrap();
    let fillers: Vec<String> = (0..PAIRWISE_MEMBERS * 3)
        .map(|i| format!("filler{i}"))
        .collect();
    assert_eq!(
        kept.0,
        format!("{},{}", small_problems.last().unwrap().0, fillers.join(","))
    );
    assert_eq!(large_problems, small_problems[..small_problems.len() - 1]);
    assert_eq!(small_problems.len() - 1, 5, "{small_problems:#?}");
}

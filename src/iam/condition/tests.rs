//! Table-driven tests of every operator, present and absent, with and without
//! `IfExists` and the set qualifiers.

use super::*;
use crate::iam::context::Origin;

fn ctx_with(key: &str, value: Option<ContextValue>) -> RequestContext {
    let mut ctx = RequestContext::new();
    ctx.provider_prefix = Some("gitlab.com".into());
    if let Some(v) = value {
        ctx.insert(key, v, Origin::Given);
    }
    ctx
}

fn eval(op: &str, values: &[&str], ctx: &RequestContext) -> Option<bool> {
    let op = Operator::parse(op).unwrap();
    let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
    evaluate(&op, "k:key", &values, ctx, true).result
}

fn single(v: &str) -> RequestContext {
    ctx_with("k:key", Some(ContextValue::Single(v.into())))
}

/// (operator, policy values, request value, expected) with the key present.
const PRESENT: &[(&str, &[&str], &str, bool)] = &[
    ("StringEquals", &["main"], "main", true),
    ("StringEquals", &["main"], "Main", false),
    ("StringEquals", &["ma*"], "main", false),
    ("StringEquals", &["ma*"], "ma*", true),
    ("StringNotEquals", &["main"], "main", false),
    ("StringNotEquals", &["main", "dev"], "feature", true),
    ("StringEqualsIgnoreCase", &["MAIN"], "main", true),
    ("StringEqualsIgnoreCase", &["MAIN"], "mainx", false),
    ("StringNotEqualsIgnoreCase", &["MAIN"], "main", false),
    ("StringNotEqualsIgnoreCase", &["MAIN"], "dev", true),
    (
        "StringLike",
        &["project_path:g/*"],
        "project_path:g/p:ref_type:branch:ref:main",
        true,
    ),
    (
        "StringLike",
        &["project_path:g/?"],
        "project_path:g/pp",
        false,
    ),
    ("StringNotLike", &["*:ref:main"], "x:ref:main", false),
    ("StringNotLike", &["*:ref:main"], "x:ref:dev", true),
    ("NumericEquals", &["42"], "42", true),
    ("NumericEquals", &["42"], "42.0", true),
    ("NumericEquals", &["42"], "43", false),
    ("NumericEquals", &["0"], "-0", true),
    ("NumericLessThan", &["0"], "-0.0", false),
    ("NumericEquals", &["42"], "forty-two", false),
    ("NumericNotEquals", &["42"], "43", true),
    ("NumericNotEquals", &["42"], "42", false),
    ("NumericNotEquals", &["42"], "forty-two", false),
    ("NumericLessThan", &["10"], "9.5", true),
    ("NumericLessThan", &["10"], "10", false),
    ("NumericLessThanEquals", &["10"], "10", true),
    ("NumericLessThanEquals", &["10"], "11", false),
    ("NumericGreaterThan", &["10"], "11", true),
    ("NumericGreaterThan", &["10"], "-11", false),
    ("NumericGreaterThanEquals", &["10"], "10", true),
    ("NumericGreaterThanEquals", &["10"], "9", false),
    ("DateEquals", &["2026-01-01T00:00:00Z"], "2026-01-01", true),
    ("DateEquals", &["2026-01-01T00:00:00Z"], "1767225600", true),
    (
        "DateEquals",
        &["2026-01-01T00:00:00Z"],
        "2026-01-02T00:00:00Z",
        false,
    ),
    (
        "DateNotEquals",
        &["2026-01-01T00:00:00Z"],
        "2026-01-02T00:00:00Z",
        true,
    ),
    (
        "DateNotEquals",
        &["2026-01-01T00:00:00Z"],
        "2026-01-01T00:00:00+00:00",
        false,
    ),
    (
        "DateLessThan",
        &["2026-01-01T00:00:00Z"],
        "2025-12-31T23:59:59Z",
        true,
    ),
    (
        "DateLessThan",
        &["2026-01-01T00:00:00Z"],
        "2026-01-01T00:00:00Z",
        false,
    ),
    (
        "DateLessThanEquals",
        &["2026-01-01T00:00:00Z"],
        "2026-01-01T00:00:00Z",
        true,
    ),
    (
        "DateLessThanEquals",
        &["2026-01-01T00:00:00Z"],
        "2026-01-01T00:00:01Z",
        false,
    ),
    (
        "DateGreaterThan",
        &["2026-01-01T00:00:00Z"],
        "2026-01-01T01:00:00+00:30",
        true,
    ),
    (
        "DateGreaterThan",
        &["2026-01-01T00:00:00Z"],
        "not a date",
        false,
    ),
    (
        "DateGreaterThanEquals",
        &["2026-01-01"],
        "2026-01-01T00:00:00Z",
        true,
    ),
    (
        "DateGreaterThanEquals",
        &["2026-01-01"],
        "2025-06-01T00:00:00Z",
        false,
    ),
    ("Bool", &["true"], "true", true),
    ("Bool", &["true"], "TRUE", true),
    ("Bool", &["true"], "false", false),
    ("Bool", &["false"], "yes", false),
    ("BinaryEquals", &["aGVsbG8="], "aGVsbG8=", true),
    ("BinaryEquals", &["aGVsbG8="], "d29ybGQ=", false),
    ("IpAddress", &["203.0.113.0/24"], "203.0.113.9", true),
    ("IpAddress", &["203.0.113.0/24"], "198.51.100.1", false),
    ("IpAddress", &["203.0.113.7"], "203.0.113.7", true),
    ("IpAddress", &["2001:db8::/32"], "2001:db8::1", true),
    ("IpAddress", &["2001:db8::/32"], "203.0.113.9", false),
    ("NotIpAddress", &["203.0.113.0/24"], "198.51.100.1", true),
    ("NotIpAddress", &["203.0.113.0/24"], "203.0.113.1", false),
    ("NotIpAddress", &["203.0.113.0/24"], "not-an-ip", false),
    (
        "ArnEquals",
        &["arn:aws:iam::123456789012:role/Deploy"],
        "arn:aws:iam::123456789012:role/Deploy",
        true,
    ),
    (
        "ArnEquals",
        &["arn:aws:iam::*:role/Deploy"],
        "arn:aws:iam::123456789012:role/Deploy",
        true,
    ),
    (
        "ArnLike",
        &["arn:aws:iam::123456789012:role/*"],
        "arn:aws:iam::123456789012:role/a/b",
        true,
    ),
    (
        "ArnLike",
        &["arn:aws:iam::*:role/x"],
        "arn:aws:iam::123:456:role/x",
        false,
    ),
    (
        "ArnLike",
        &["arn:aws:iam::123456789012:role/*"],
        "arn:aws:iam::210987654321:role/x",
        false,
    ),
    (
        "ArnNotEquals",
        &["arn:aws:iam::123456789012:role/Deploy"],
        "arn:aws:iam::123456789012:role/Other",
        true,
    ),
    (
        "ArnNotLike",
        &["arn:aws:iam::123456789012:role/*"],
        "arn:aws:iam::123456789012:role/Deploy",
        false,
    ),
];

#[test]
fn every_operator_with_the_key_present() {
    let families: std::collections::BTreeSet<_> = PRESENT
        .iter()
        .map(|(op, ..)| Operator::parse(op).unwrap().base)
        .map(|b| b.name())
        .collect();
    assert_eq!(
        families.len(),
        BaseOperator::ALL.len() - 1,
        "every base operator but Null has rows"
    );
    for (op, values, request, want) in PRESENT {
        let ctx = single(request);
        assert_eq!(
            eval(op, values, &ctx),
            Some(*want),
            "{op} {values:?} vs {request:?}"
        );
        // With a single-valued key, IfExists and both qualifiers change nothing.
        for variant in [
            format!("{op}IfExists"),
            format!("ForAnyValue:{op}"),
            format!("ForAllValues:{op}"),
        ] {
            assert_eq!(
                eval(&variant, values, &ctx),
                Some(*want),
                "{variant} {values:?} vs {request:?}"
            );
        }
    }
}

#[test]
fn every_operator_with_the_key_absent() {
    let absent = ctx_with("k:key", None);
    for base in BaseOperator::ALL
        .iter()
        .filter(|b| **b != BaseOperator::Null)
    {
        let name = base.name();
        // [plain, IfExists, ForAnyValue, ForAllValues, ForAnyValue+IfExists]
        let want = if base.is_negated() {
            [true, true, false, true, true]
        } else {
            [false, true, false, true, true]
        };
        let variants = [
            name.to_string(),
            format!("{name}IfExists"),
            format!("ForAnyValue:{name}"),
            format!("ForAllValues:{name}"),
            format!("ForAnyValue:{name}IfExists"),
        ];
        for (variant, want) in variants.iter().zip(want) {
            assert_eq!(
                eval(variant, &["x"], &absent),
                Some(want),
                "{variant} on an absent key"
            );
        }
    }
}

#[test]
fn null_tests_presence() {
    let present = single("x");
    let absent = ctx_with("k:key", None);
    assert_eq!(eval("Null", &["true"], &absent), Some(true));
    assert_eq!(eval("Null", &["true"], &present), Some(false));
    assert_eq!(eval("Null", &["false"], &present), Some(true));
    assert_eq!(eval("Null", &["false"], &absent), Some(false));
    assert_eq!(eval("Null", &["TRUE"], &absent), Some(true));
    assert_eq!(
        eval("ForAnyValue:Null", &["true"], &absent),
        None,
        "no documented meaning"
    );
}

#[test]
fn multi_valued_keys_need_a_set_qualifier() {
    let multi = ctx_with(
        "k:key",
        Some(ContextValue::Multi(vec!["a".into(), "b".into()])),
    );
    assert_eq!(eval("StringEquals", &["a"], &multi), Some(false));
    assert_eq!(eval("StringNotEquals", &["z"], &multi), Some(false));
    assert_eq!(eval("ForAnyValue:StringEquals", &["a"], &multi), Some(true));
    assert_eq!(
        eval("ForAnyValue:StringEquals", &["z"], &multi),
        Some(false)
    );
    assert_eq!(
        eval("ForAllValues:StringEquals", &["a"], &multi),
        Some(false)
    );
    assert_eq!(
        eval("ForAllValues:StringEquals", &["a", "b"], &multi),
        Some(true)
    );
    assert_eq!(
        eval("ForAllValues:StringNotEquals", &["z"], &multi),
        Some(true)
    );
    assert_eq!(
        eval("ForAnyValue:StringNotEquals", &["a"], &multi),
        Some(true)
    );
    assert_eq!(
        eval("ForAllValues:StringNotEquals", &["a"], &multi),
        Some(false)
    );
    let empty = ctx_with("k:key", Some(ContextValue::Multi(vec![])));
    assert_eq!(
        eval("ForAllValues:StringEquals", &["a"], &empty),
        Some(true),
        "vacuously true"
    );
    assert_eq!(
        eval("ForAnyValue:StringEquals", &["a"], &empty),
        Some(false)
    );
}

#[test]
fn values_are_ored_and_negated_values_must_all_miss() {
    let ctx = single("dev");
    assert_eq!(eval("StringEquals", &["main", "dev"], &ctx), Some(true));
    assert_eq!(eval("StringNotEquals", &["main", "dev"], &ctx), Some(false));
    assert_eq!(eval("StringNotEquals", &["main", "prod"], &ctx), Some(true));
}

#[test]
fn condition_key_lookup_ignores_case() {
    let ctx = ctx_with("GitLab.com:Sub", Some(ContextValue::Single("s".into())));
    let op = Operator::parse("StringEquals").unwrap();
    assert_eq!(
        evaluate(&op, "gitlab.com:sub", &["s".into()], &ctx, true).result,
        Some(true)
    );
}

#[test]
fn policy_variables_and_escapes() {
    let mut ctx = single("project_path:g/p:ref_type:branch:ref:main");
    ctx.insert("k:ref", ContextValue::Single("main".into()), Origin::Given);
    let like = |v: &str, vars: bool| {
        let op = Operator::parse("StringLike").unwrap();
        evaluate(&op, "k:key", &[v.to_string()], &ctx, vars).result
    };
    assert_eq!(like("*:ref:${k:ref}", true), Some(true));
    assert_eq!(like("*:ref:${k:missing, 'main'}", true), Some(true));
    assert_eq!(like("*:ref:${k:missing}", true), Some(false));
    // A variable with no value matches nothing, so a negated operator is satisfied.
    let not_like = Operator::parse("StringNotLike").unwrap();
    let r = evaluate(
        &not_like,
        "k:key",
        &["*:ref:${k:missing}".into()],
        &ctx,
        true,
    )
    .result;
    assert_eq!(r, Some(true));
    let r = evaluate(
        &not_like,
        "k:key",
        &["*:ref:${k:missing}".into(), "*:ref:main".into()],
        &ctx,
        true,
    )
    .result;
    assert_eq!(r, Some(false));
    // Without Version 2012-10-17 `${…}` is literal text.
    assert_eq!(like("*:ref:${k:ref}", false), Some(false));
    let eq = single("a*b?c$");
    let op = Operator::parse("StringLike").unwrap();
    let r = evaluate(&op, "k:key", &["a${*}b${?}c${$}".into()], &eq, true).result;
    assert_eq!(r, Some(true));
    let r = evaluate(
        &op,
        "k:key",
        &["a${*}b${?}c${$}".into()],
        &single("axxbycz"),
        true,
    )
    .result;
    assert_eq!(r, Some(false), "escapes are literal, not wildcards");
}

#[test]
fn unreadable_policy_values_never_match_either_way() {
    let ctx = single("5");
    assert_eq!(eval("NumericEquals", &["five"], &ctx), Some(false));
    assert_eq!(eval("NumericNotEquals", &["five"], &ctx), Some(false));
    assert_eq!(eval("NumericEquals", &["five", "5"], &ctx), Some(true));
}

#[test]
fn iso_dates_in_forms_we_do_not_read_are_indeterminate() {
    let ctx = single("20260101T000000Z");
    assert_eq!(eval("DateLessThan", &["2027-01-01T00:00:00Z"], &ctx), None);
}

#[test]
fn reasons_name_the_problem() {
    let ctx = single("project_path:g/p:ref_type:branch:ref:main");
    let op = Operator::parse("StringEquals").unwrap();
    let out = evaluate(&op, "k:key", &["project_path:g/*".into()], &ctx, true);
    assert_eq!(out.result, Some(false));
    assert!(out.reason.contains("literally"), "{}", out.reason);
    let out = evaluate(&op, "k:absent", &["x".into()], &ctx, true);
    assert!(out.reason.contains("absent"), "{}", out.reason);
    assert_eq!(out.context, None);
    assert!(out.decided_by_absence);
}

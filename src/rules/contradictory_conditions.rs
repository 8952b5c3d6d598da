//! `contradictory-conditions`: a statement whose conditions can never all hold.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::iam::operator::{BaseOperator, Comparison, Family, Operator, Qualifier};
use crate::iam::wildcard::{Pattern, Token, fold_case};
use crate::policy::Condition;

pub static META: RuleMeta = RuleMeta {
    name: "contradictory-conditions",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a statement whose conditions on one key can never all hold"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"put alternatives in one operator's value list (values are ORed), or drop the condition that contradicts the other"#,
    explanation: r#"Within a statement, conditions under different operators are ANDed; only the values listed for one key under one operator are ORed. Writing the same key under two operators therefore asks for both at once: `StringEquals` `…:ref:main` together with `StringLike` `…:ref:release/*` can never hold, and neither can `StringEquals X` with `StringNotEquals X`, or a key required to be absent (`Null: true`) that another condition needs present. Such a statement never applies — an Allow admits nobody, a Deny removes nobody — which is rarely what the author meant: usually both values belong in one list.

oidc-doctor reports a pair only when it can prove no value satisfies both (exact values are checked against the other condition; two wildcard patterns are intersected), and leaves multi-valued keys (`ForAnyValue:`/`ForAllValues:` on anything but `sub`) alone."#,
    bad: r#""Condition": {
  "StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"},
  "StringLike": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:tag:ref:v*"}
}"#,
    good: r#""Condition": {
  "StringLike": {"gitlab.com:sub": [
    "project_path:mygroup/app:ref_type:branch:ref:main",
    "project_path:mygroup/app:ref_type:tag:ref:v*"
  ]}
}"#,
};

pub struct ContradictoryConditions;

impl super::Rule for ContradictoryConditions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        let variables = cx.policy.variables_enabled();
        for s in &cx.policy.statements {
            let mut keys: Vec<String> = Vec::new();
            for c in &s.conditions {
                let k = c.key.value.to_ascii_lowercase();
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            for key in keys {
                let conds: Vec<&Condition> = s
                    .conditions
                    .iter()
                    .filter(|c| c.key.value.eq_ignore_ascii_case(&key))
                    .collect();
                if conds.len() < 2 {
                    continue;
                }
                if let Some((a, b, why)) = contradiction(&conds, &key, variables) {
                    let word = s.effect().map(|e| e.as_str()).unwrap_or("the");
                    out.push(
                        cx.finding(
                            &META,
                            format!(
                                "{} statement {} can never apply: `{}` must {} and also {} — conditions under different operators are ANDed, and no value does both",
                                word,
                                s.index,
                                b.key.value,
                                describe(a),
                                describe(b),
                            ),
                            b.key.span,
                            &b.key.pointer,
                        )
                        .help(why)
                        .related(cx.location(a.key.span, &a.key.pointer)),
                    );
                }
            }
        }
    }
}

/// One condition as a verb phrase: `equal "x"`, `match one of "a*", "b*"`.
fn describe(c: &Condition) -> String {
    let values: Vec<String> = c
        .values
        .iter()
        .map(|v| format!("{:?}", v.value.text))
        .collect();
    let list = if values.len() == 1 {
        values[0].clone()
    } else {
        format!("one of {}", values.join(", "))
    };
    let Ok(op) = Operator::parse(&c.operator.value) else {
        return format!("satisfy {} {list}", c.operator.value);
    };
    let verb = match (op.base.comparison(), op.base.is_negated()) {
        (Comparison::Null, _) => {
            let absent = c
                .values
                .iter()
                .any(|v| v.value.text.eq_ignore_ascii_case("true"));
            return if absent {
                "be absent (Null: true)".into()
            } else {
                "be present (Null: false)".into()
            };
        }
        (Comparison::Equals, false) => "equal",
        (Comparison::EqualsIgnoreCase, false) => "equal (ignoring case)",
        (Comparison::Like, false) => "match",
        (Comparison::Equals, true) => "not equal",
        (Comparison::EqualsIgnoreCase, true) => "not equal (ignoring case)",
        (Comparison::Like, true) => "not match",
        _ => return format!("satisfy {} {list}", c.operator.value),
    };
    let list = if values.len() > 1 && op.base.is_negated() {
        format!("any of {}", values.join(", "))
    } else {
        list
    };
    format!("{verb} {list} ({})", c.operator.value)
}

/// A String-family or Null condition, read for the analysis.
struct Read<'a> {
    c: &'a Condition,
    op: Operator,
    /// Values as patterns (wildcards only for Like), case-folded for IgnoreCase.
    values: Vec<Pattern>,
    literal: bool,
    ignore_case: bool,
}

/// Whether the request can lack the key: every GitLab token carries `sub` and `aud`.
fn always_present(key: &str) -> bool {
    let claim = key.rsplit_once(':').map(|(_, c)| c).unwrap_or(key);
    claim.eq_ignore_ascii_case("sub") || claim.eq_ignore_ascii_case("aud")
}

/// The first two conditions that cannot hold together, with a hint.
fn contradiction<'a>(
    conds: &[&'a Condition],
    key: &str,
    variables: bool,
) -> Option<(&'a Condition, &'a Condition, String)> {
    let mut read = Vec::new();
    for c in conds {
        let op = Operator::parse(&c.operator.value).ok()?;
        if !matches!(op.base.family(), Family::String | Family::Null) {
            return None;
        }
        if op.qualifier.is_some() && !key.ends_with(":sub") {
            return None; // a multi-valued key can hold both values at once
        }
        if op.qualifier == Some(Qualifier::ForAllValues) {
            return None;
        }
        if variables && c.values.iter().any(|v| v.value.text.contains("${")) {
            return None;
        }
        let like = op.base.comparison() == Comparison::Like;
        let ignore_case = op.base.comparison() == Comparison::EqualsIgnoreCase;
        let values: Vec<Pattern> = c
            .values
            .iter()
            .map(|v| {
                let t = if ignore_case {
                    fold_case(&v.value.text)
                } else {
                    v.value.text.clone()
                };
                if like {
                    Pattern::glob(&t)
                } else {
                    Pattern::from_tokens(t.chars().map(Token::Lit).collect())
                }
            })
            .collect();
        let literal = values.iter().all(|p| !p.has_wildcards());
        read.push(Read {
            c,
            op,
            values,
            literal,
            ignore_case,
        });
    }

    let null_absent = |r: &Read<'_>| {
        r.op.base == BaseOperator::Null
            && r.c
                .values
                .iter()
                .any(|v| v.value.text.eq_ignore_ascii_case("true"))
    };
    let true_when_absent = |r: &Read<'_>| match r.op.base {
        BaseOperator::Null => null_absent(r),
        b => r.op.if_exists || b.is_negated(),
    };
    // The key absent: fine unless the request always carries it or some condition
    // needs it present.
    if !always_present(key) && read.iter().all(true_when_absent) {
        return None;
    }
    // Present: a Null-true condition fails.
    if let Some(n) = read.iter().find(|r| null_absent(r)) {
        let other = read.iter().find(|r| !true_when_absent(r)).or_else(|| {
            always_present(key)
                .then(|| read.iter().find(|r| !null_absent(r)))
                .flatten()
        })?;
        return Some((
            n.c,
            other.c,
            "a key cannot be both absent and compared".into(),
        ));
    }
    let strings: Vec<&Read<'_>> = read
        .iter()
        .filter(|r| r.op.base != BaseOperator::Null)
        .collect();
    let positives: Vec<&&Read<'_>> = strings.iter().filter(|r| !r.op.base.is_negated()).collect();
    let negatives: Vec<&&Read<'_>> = strings.iter().filter(|r| r.op.base.is_negated()).collect();

    let hits = |r: &Read<'_>, value: &str, loose: bool| {
        let v = if r.ignore_case || loose {
            fold_case(value)
        } else {
            value.to_string()
        };
        r.values.iter().any(|p| {
            if loose && !r.ignore_case {
                Pattern::from_tokens(
                    p.tokens()
                        .iter()
                        .map(|t| match t {
                            Token::Lit(c) => {
                                Token::Lit(fold_case(&c.to_string()).chars().next().unwrap_or(*c))
                            }
                            t => *t,
                        })
                        .collect(),
                )
                .matches(&v)
            } else {
                p.matches(&v)
            }
        })
    };

    // Some positive condition lists exact values: the request value is one of them.
    if let Some(exact) = positives.iter().find(|r| r.literal) {
        let loose = exact.ignore_case;
        let candidates: Vec<String> = exact
            .values
            .iter()
            .filter_map(Pattern::as_literal)
            .collect();
        let ok = candidates.iter().any(|v| {
            positives.iter().all(|r| hits(r, v, loose))
                && negatives.iter().all(|r| !hits(r, v, loose))
        });
        if ok {
            return None;
        }
        // Name the first condition that rules the last candidate out.
        let culprit = positives
            .iter()
            .map(|r| &***r)
            .chain(negatives.iter().map(|r| &***r))
            .filter(|r| !std::ptr::eq(r.c, exact.c))
            .find(|r| {
                candidates.iter().all(|v| {
                    let hit = hits(r, v, loose);
                    if r.op.base.is_negated() { hit } else { !hit }
                })
            })
            .or_else(|| {
                strings
                    .iter()
                    .map(|r| &**r)
                    .find(|r| !std::ptr::eq(r.c, exact.c))
            })?;
        let (first, second) = order(exact.c, culprit.c);
        return Some((
            first,
            second,
            "list every admitted value under one operator (values are ORed), or remove the condition that rules them out".into(),
        ));
    }
    // Only patterns: two positive conditions with disjoint patterns.
    for (i, a) in positives.iter().enumerate() {
        for b in &positives[i + 1..] {
            let disjoint = a
                .values
                .iter()
                .all(|p| b.values.iter().all(|q| !intersect(p.tokens(), q.tokens())));
            if disjoint {
                let (first, second) = order(a.c, b.c);
                return Some((
                    first,
                    second,
                    "no string matches both patterns; list both under one StringLike (values are ORed)".into(),
                ));
            }
        }
    }
    // A negated `*`, or the same pattern excluded that is required.
    for p in &positives {
        for n in &negatives {
            let kills = |v: &Pattern| {
                n.op.base.comparison() == Comparison::Like
                    && n.values
                        .iter()
                        .any(|q| q == v || q.tokens() == [Token::Any])
            };
            if p.values.iter().all(kills) {
                let (first, second) = order(p.c, n.c);
                return Some((
                    first,
                    second,
                    "the negated condition excludes every value the other admits".into(),
                ));
            }
        }
    }
    None
}

/// The two conditions in source order.
fn order<'a>(a: &'a Condition, b: &'a Condition) -> (&'a Condition, &'a Condition) {
    if a.key.span.start <= b.key.span.start {
        (a, b)
    } else {
        (b, a)
    }
}

/// Whether two IAM patterns share a matching string: a search over pairs of
/// positions, so the work is bounded by the product of their lengths.
fn intersect(a: &[Token], b: &[Token]) -> bool {
    let (m, n) = (a.len(), b.len());
    let mut seen = vec![false; (m + 1) * (n + 1)];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let k = i * (n + 1) + j;
        if seen[k] {
            continue;
        }
        seen[k] = true;
        if i == m && j == n {
            return true;
        }
        let (ta, tb) = (a.get(i), b.get(j));
        if ta == Some(&Token::Any) {
            stack.push((i + 1, j));
        }
        if tb == Some(&Token::Any) {
            stack.push((i, j + 1));
        }
        let (Some(ta), Some(tb)) = (ta, tb) else {
            continue;
        };
        let compatible = match (ta, tb) {
            (Token::Lit(x), Token::Lit(y)) => x == y,
            _ => true,
        };
        if !compatible || (*ta == Token::Any && *tb == Token::Any) {
            continue;
        }
        let ni = if *ta == Token::Any { i } else { i + 1 };
        let nj = if *tb == Token::Any { j } else { j + 1 };
        stack.push((ni, nj));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subjects::tests::{allow, run_rule};

    fn fires(condition: &str) -> bool {
        !run_rule(&ContradictoryConditions, &allow(condition)).is_empty()
    }

    #[test]
    fn finds_contradictions() {
        let main = "project_path:g/p:ref_type:branch:ref:main";
        for c in [
            format!(r#"{{"StringEquals": {{"gitlab.com:sub": "{main}"}}, "StringLike": {{"gitlab.com:sub": "project_path:g/p:ref_type:tag:*"}}}}"#),
            format!(r#"{{"StringEquals": {{"gitlab.com:sub": "{main}"}}, "StringNotEquals": {{"gitlab.com:sub": "{main}"}}}}"#),
            r#"{"StringLike": {"gitlab.com:sub": "project_path:a/*"}, "ForAnyValue:StringLike": {"gitlab.com:sub": "project_path:b/*"}}"#.to_string(),
            r#"{"StringLike": {"gitlab.com:sub": "project_path:a/*"}, "StringNotLike": {"gitlab.com:sub": "*"}}"#.to_string(),
            r#"{"Null": {"aws:SourceIp": "true"}, "StringEquals": {"aws:SourceIp": "10.0.0.1"}}"#.to_string(),
            r#"{"Null": {"gitlab.com:sub": "true"}, "StringLikeIfExists": {"gitlab.com:sub": "*"}}"#.to_string(),
        ] {
            assert!(fires(&c), "{c}");
        }
    }

    #[test]
    fn leaves_satisfiable_statements_alone() {
        let main = "project_path:g/p:ref_type:branch:ref:main";
        for c in [
            format!(r#"{{"StringEquals": {{"gitlab.com:sub": "{main}"}}, "StringLike": {{"gitlab.com:sub": "project_path:g/*"}}}}"#),
            format!(r#"{{"StringEqualsIgnoreCase": {{"gitlab.com:sub": "{}"}}, "StringEquals": {{"gitlab.com:sub": "{main}"}}}}"#, main.to_uppercase()),
            // Absent keys satisfy IfExists and negated operators.
            r#"{"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}, "StringNotEquals": {"aws:SourceVpc": "vpc-1"}}"#.to_string(),
            // A multi-valued key can hold both values.
            r#"{"ForAnyValue:StringEquals": {"gitlab.com:amr": "a"}, "ForAnyValue:StringLike": {"gitlab.com:amr": "b*"}}"#.to_string(),
            r#"{"StringLike": {"gitlab.com:sub": "project_path:a/*"}, "StringNotLike": {"gitlab.com:sub": "project_path:a/sandbox:*"}}"#.to_string(),
            r#"{"Null": {"aws:SourceIp": "false"}, "StringEquals": {"aws:SourceIp": "10.0.0.1"}}"#.to_string(),
        ] {
            assert!(!fires(&c), "{c}");
        }
    }

    fn g(p: &str) -> Pattern {
        Pattern::glob(p)
    }

    #[test]
    fn pattern_intersection() {
        assert!(intersect(g("a*").tokens(), g("*b").tokens()));
        assert!(!intersect(g("a*").tokens(), g("b*").tokens()));
        assert!(intersect(g("*").tokens(), g("").tokens()));
        assert!(!intersect(g("a?").tokens(), g("a").tokens()));
        assert!(intersect(g("p:*:ref:main").tokens(), g("p:g/*").tokens()));
        // Strings in general can hold both (`x:ref_type:tag:y:ref_type:branch:ref:main`).
        assert!(intersect(
            g("*:ref_type:tag:*").tokens(),
            g("*:ref_type:branch:ref:main").tokens()
        ));
        let long = "*a".repeat(500);
        assert!(!intersect(
            g(&format!("{long}b")).tokens(),
            g(&format!("{long}c")).tokens()
        ));
    }
}

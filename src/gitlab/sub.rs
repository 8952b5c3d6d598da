//! GitLab's `sub` claim: `name:value` components joined with `:`.
//!
//! Default: `project_path:{group}/{project}:ref_type:{branch|tag}:ref:{name}`.
//! Projects choose the components and their order (`ci_id_token_sub_claim_components`,
//! GitLab 17.x+: `project_path` first, then `ref_type`/`ref` in either order or
//! alone); newer GitLab versions add further components. Values cannot contain `:`
//! (Git ref names, project paths and environment names forbid it), so splitting on
//! `:` is exact.

use crate::iam::wildcard::{Pattern, fold_case};

/// Component names GitLab documents for `sub`, with words for messages.
pub const COMPONENTS: &[(&str, &str)] = &[
    ("project_path", "project path"),
    ("project_id", "project ID"),
    ("namespace_path", "namespace path"),
    ("namespace_id", "namespace ID"),
    ("ref_type", "ref type"),
    ("ref", "ref"),
    ("environment", "environment"),
    ("environment_protected", "environment protection"),
    ("deployment_tier", "deployment tier"),
];

/// Words for a component name.
pub fn component_label(name: &str) -> &str {
    COMPONENTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, l)| *l)
        .unwrap_or(name)
}

/// One `name:value` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub name: String,
    pub value: String,
}

/// Splits a subject into components; `None` when it is not a GitLab subject
/// (odd number of parts, or a name GitLab does not use).
pub fn parse(sub: &str) -> Option<Vec<Component>> {
    let parts: Vec<&str> = sub.split(':').collect();
    if parts.len() < 2 || !parts.len().is_multiple_of(2) {
        return None;
    }
    parts
        .chunks(2)
        .map(|c| {
            COMPONENTS
                .iter()
                .any(|(n, _)| *n == c[0])
                .then(|| Component {
                    name: c[0].to_string(),
                    value: c[1].to_string(),
                })
        })
        .collect()
}

/// Why `subject` does not match one policy value, component by component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// How many leading components agree (for picking the closest policy value).
    pub agreeing: usize,
    /// One sentence naming the first differing component.
    pub explanation: String,
}

/// Compares a subject with a policy value (`like` = StringLike wildcards, `ignore_case`
/// = the IgnoreCase operators). `None` when the value matches or cannot be compared
/// component-wise.
pub fn explain_mismatch(
    subject: &str,
    policy_value: &str,
    like: bool,
    ignore_case: bool,
) -> Option<Mismatch> {
    let fold = |s: &str| {
        if ignore_case {
            fold_case(s)
        } else {
            s.to_string()
        }
    };
    let value_matches = |pattern: &str, value: &str| {
        if like {
            Pattern::glob(&fold(pattern)).matches(&fold(value))
        } else {
            fold(pattern) == fold(value)
        }
    };
    if value_matches(policy_value, subject) {
        return None;
    }
    let components = parse(subject)?;
    let tokens: Vec<&str> = policy_value.split(':').collect();
    for (i, c) in components.iter().enumerate() {
        let label = component_label(&c.name);
        let Some(pname) = tokens.get(2 * i) else {
            return Some(Mismatch {
                agreeing: i,
                explanation: format!(
                    "the policy value {policy_value:?} ends before the token's {label} (`{}:{}`)",
                    c.name, c.value
                ),
            });
        };
        // A wildcard in the last token can swallow the rest of the subject.
        let rest_of_subject = components[i..]
            .iter()
            .map(|c| format!("{}:{}", c.name, c.value))
            .collect::<Vec<_>>()
            .join(":");
        let rest_of_pattern = tokens[2 * i..].join(":");
        if like
            && tokens.len() <= 2 * i + 2
            && rest_of_pattern.contains('*')
            && value_matches(&rest_of_pattern, &rest_of_subject)
        {
            return None;
        }
        if !value_matches(pname, &c.name) {
            return Some(Mismatch {
                agreeing: i,
                explanation: format!(
                    "component {} differs: the policy has `{pname}` where the token has `{}` (the project's sub components or their order differ)",
                    i + 1,
                    c.name
                ),
            });
        }
        let pvalue = tokens.get(2 * i + 1).copied().unwrap_or("");
        if !value_matches(pvalue, &c.value) {
            let case_note = if !ignore_case && pvalue.eq_ignore_ascii_case(&c.value) {
                " — they differ only in case, and StringEquals/StringLike compare case-sensitively"
            } else if !like && (pvalue.contains('*') || pvalue.contains('?')) {
                " — `*` and `?` are literal here: use StringLike for patterns"
            } else {
                ""
            };
            return Some(Mismatch {
                agreeing: i,
                explanation: format!(
                    "the {label} differs: the policy wants `{pvalue}`, the token has `{}`{case_note}",
                    c.value
                ),
            });
        }
    }
    if tokens.len() > 2 * components.len() {
        let extra = tokens[2 * components.len()..].join(":");
        return Some(Mismatch {
            agreeing: components.len(),
            explanation: format!(
                "the policy value continues with `{extra}`, which the token's sub does not have"
            ),
        });
    }
    // Component-wise all equal but the whole did not match (e.g. `?` spanning `:`).
    Some(Mismatch {
        agreeing: components.len(),
        explanation: format!("{subject:?} does not match {policy_value:?}"),
    })
}

/// Among `policy_values`, the one closest to `subject`, with the explanation.
pub fn closest<'a>(
    subject: &str,
    policy_values: &'a [(String, bool, bool)],
) -> Option<(&'a str, Mismatch)> {
    policy_values
        .iter()
        .filter_map(|(v, like, ic)| {
            explain_mismatch(subject, v, *like, *ic).map(|m| (v.as_str(), m))
        })
        .max_by(|(va, a), (vb, b)| {
            a.agreeing.cmp(&b.agreeing).then_with(|| {
                strsim::levenshtein(subject, vb).cmp(&strsim::levenshtein(subject, va))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str = "project_path:g/p:ref_type:branch:ref:main";

    #[test]
    fn parses_default_and_custom_forms() {
        let c = parse(MAIN).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(
            c[2],
            Component {
                name: "ref".into(),
                value: "main".into()
            }
        );
        assert_eq!(
            parse("project_id:20:ref_type:branch:ref:main").unwrap()[0].name,
            "project_id"
        );
        assert_eq!(parse("project_path:g/p:ref:main").unwrap().len(), 2);
        assert!(
            parse("repo:org/repo:ref:refs/heads/main").is_none(),
            "GitHub style"
        );
        assert!(parse("project_path:g/p:ref_type").is_none());
    }

    #[test]
    fn names_the_differing_component() {
        let m = explain_mismatch(
            "project_path:g/p:ref_type:branch:ref:feature",
            MAIN,
            false,
            false,
        )
        .unwrap();
        assert_eq!(m.agreeing, 2);
        assert!(
            m.explanation
                .contains("the ref differs: the policy wants `main`, the token has `feature`"),
            "{}",
            m.explanation
        );
        let m =
            explain_mismatch("project_path:g/p:ref_type:tag:ref:main", MAIN, false, false).unwrap();
        assert!(
            m.explanation.contains("the ref type differs"),
            "{}",
            m.explanation
        );
        let m = explain_mismatch(
            "project_path:G/p:ref_type:branch:ref:main",
            MAIN,
            false,
            false,
        )
        .unwrap();
        assert!(
            m.explanation.contains("project path differs")
                && m.explanation.contains("only in case"),
            "{}",
            m.explanation
        );
        assert!(
            explain_mismatch(
                "project_path:G/p:ref_type:branch:ref:main",
                MAIN,
                false,
                true
            )
            .is_none()
        );
    }

    #[test]
    fn wildcards_are_literal_under_string_equals() {
        let m = explain_mismatch(
            MAIN,
            "project_path:g/*:ref_type:branch:ref:main",
            false,
            false,
        )
        .unwrap();
        assert!(m.explanation.contains("literal"), "{}", m.explanation);
        assert!(
            explain_mismatch(
                MAIN,
                "project_path:g/*:ref_type:branch:ref:main",
                true,
                false
            )
            .is_none()
        );
        assert!(explain_mismatch(MAIN, "project_path:g/*", true, false).is_none());
        let m = explain_mismatch(
            "project_path:h/p:ref_type:branch:ref:main",
            "project_path:g/*",
            true,
            false,
        )
        .unwrap();
        assert!(
            m.explanation.contains("project path differs"),
            "{}",
            m.explanation
        );
    }

    #[test]
    fn picks_the_closest_value() {
        let values = vec![
            (
                "project_path:other/x:ref_type:branch:ref:main".to_string(),
                false,
                false,
            ),
            (
                "project_path:g/p:ref_type:branch:ref:main".to_string(),
                false,
                false,
            ),
        ];
        let (v, m) = closest("project_path:g/p:ref_type:branch:ref:dev", &values).unwrap();
        assert_eq!(v, "project_path:g/p:ref_type:branch:ref:main");
        assert!(m.explanation.contains("ref differs"));
    }
}

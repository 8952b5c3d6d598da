//! `sub-never-matches`: a `sub` value or pattern no GitLab subject can take.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::gitlab::sub::COMPONENTS;
use crate::subjects::{self, SubPattern};

pub static META: RuleMeta = RuleMeta {
    name: "sub-never-matches",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a `sub` value or pattern no GitLab subject can take"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"write the subject as GitLab issues it: `project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name>`"#,
    explanation: r#"GitLab's `sub` claim is a list of `name:value` components: by default `project_path:{group}/{project}:ref_type:{branch|tag}:ref:{name}`; projects may choose other documented components and orders (`project_path:g/p:ref:main`, `project_id:20:ref_type:branch:ref:main`, `deployment_tier`, `environment_protected`, …). A value that no such subject can take never matches, so the statement it sits in never admits anyone (or, in a Deny or a negated operator, never excludes anything). Typical causes: a GitHub Actions subject (`repo:org/repo:ref:refs/heads/main`), a full ref name (`ref:refs/heads/main` — GitLab puts the bare name `main` there), a `ref_type` other than `branch` or `tag` (`tags`, `heads`), an unknown component name, a project path without its group, stray whitespace.

The decision is sound for patterns: a `StringLike` value with `*` or `?` is reported only when no well-formed GitLab subject at all can match it (oidc-doctor intersects the pattern with an automaton of every subject GitLab can issue)."#,
    bad: r#""StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:refs/heads/main"}"#,
    good: r#""StringEquals": {"gitlab.com:sub": "project_path:mygroup/app:ref_type:branch:ref:main"}"#,
};

pub struct SubNeverMatches;

impl super::Rule for SubNeverMatches {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        use crate::policy::Effect;
        let variables = cx.policy.variables_enabled();
        for s in &cx.policy.statements {
            // A statement that trusts only non-GitLab providers has another grammar.
            let providers: Vec<_> = cx
                .federated
                .iter()
                .filter(|f| f.statement == s.index)
                .collect();
            if !providers.is_empty()
                && providers.iter().all(|f| {
                    f.arn
                        .as_ref()
                        .is_ok_and(|a| !subjects::is_gitlab_provider(&a.host_path, None))
                })
            {
                continue;
            }
            for c in subjects::sub_conditions(s) {
                let prefix = c.condition.key.value.rsplit_once(':').map(|(p, _)| p);
                if prefix.is_some_and(|p| !subjects::is_gitlab_provider(p, None)) {
                    continue;
                }
                // Past MAX_ANALYSED_VALUES the analysis names the rest (analysis-limit).
                for v in c
                    .condition
                    .values
                    .iter()
                    .take(subjects::MAX_ANALYSED_VALUES)
                {
                    let text = &v.value.text;
                    if variables && text.contains("${") {
                        continue;
                    }
                    let p = c.pattern(text);
                    if p.can_match() {
                        continue;
                    }
                    // `*` under StringEquals that would match as a pattern is
                    // `wildcard-in-exact-operator`'s finding, not this one.
                    if !p.like
                        && (text.contains('*') || text.contains('?'))
                        && SubPattern::new(text, true, p.ignore_case).can_match()
                    {
                        continue;
                    }
                    let effect = match (s.effect(), c.negated()) {
                        (Some(Effect::Deny), false) => "this Deny never applies through it",
                        (_, true) => "the exclusion never excludes anything",
                        _ => "the statement never admits a pipeline through it",
                    };
                    let mut f = cx.finding(
                        &META,
                        format!(
                            "no GitLab subject can match {text:?}: {}; {effect}",
                            reason(text, p.like)
                        ),
                        v.span,
                        &v.pointer,
                    );
                    if let Some(fixed) = suggestion(text, p.like, p.ignore_case) {
                        f = f.help(format!("did you mean {fixed:?}?"));
                    }
                    out.push(f);
                }
            }
        }
    }
}

/// Why a value cannot be a GitLab subject, in one clause.
fn reason(text: &str, like: bool) -> String {
    let wild = |s: &str| like && (s.contains('*') || s.contains('?'));
    if text.starts_with(char::is_whitespace) {
        return "it starts with whitespace".into();
    }
    if text.ends_with(char::is_whitespace) {
        return "it ends with whitespace".into();
    }
    if text.starts_with("repo:") {
        return "`repo:…` is a GitHub Actions subject; GitLab subjects start with `project_path:` (or `project_id:`)".into();
    }
    if text.contains("refs/heads/") || text.contains("refs/remotes/") {
        return "GitLab's `ref` component holds the bare branch or tag name (`main`), never `refs/heads/main`".into();
    }
    let tokens: Vec<&str> = text.split(':').collect();
    for pair in tokens.chunks(2) {
        let name = pair[0];
        if !wild(name) && !COMPONENTS.iter().any(|(n, _)| *n == name) {
            let names: Vec<&str> = COMPONENTS.iter().map(|(n, _)| *n).collect();
            return format!(
                "`{name}` is not a component of GitLab's sub (they are {})",
                names.join(", ")
            );
        }
        let Some(value) = pair.get(1) else {
            return format!("`{name}` has no value: components come in `name:value` pairs");
        };
        if wild(value) {
            continue;
        }
        match name {
            "ref_type" if *value != "branch" && *value != "tag" => {
                return format!("`ref_type` is `branch` or `tag`, never `{value}`");
            }
            "project_path" if !value.contains('/') => {
                return format!(
                    "the project path `{value}` has no group: GitLab paths are `group/project`"
                );
            }
            "project_id" | "namespace_id" if !value.bytes().all(|b| b.is_ascii_digit()) => {
                return format!("`{name}` is a number, not `{value}`");
            }
            "ref" if value.is_empty() => return "the ref is empty".into(),
            _ => {}
        }
    }
    "it does not have the shape of any subject GitLab issues".into()
}

/// The value rewritten as a GitLab subject, when the mistake is a known one.
fn suggestion(text: &str, like: bool, ignore_case: bool) -> Option<String> {
    let trimmed = text.trim();
    let mut fixed = trimmed.to_string();
    if let Some(rest) = trimmed.strip_prefix("repo:") {
        // repo:org/repo:ref:refs/heads/main → project_path:org/repo:ref_type:branch:ref:main
        let (path, tail) = rest.split_once(':').unwrap_or((rest, ""));
        fixed = match tail.strip_prefix("ref:refs/") {
            Some(r) => match r.split_once('/') {
                Some(("heads", name)) => {
                    format!("project_path:{path}:ref_type:branch:ref:{name}")
                }
                Some(("tags", name)) => format!("project_path:{path}:ref_type:tag:ref:{name}"),
                _ => format!("project_path:{path}:ref_type:branch:ref:main"),
            },
            None if tail.is_empty() => format!("project_path:{path}:*"),
            None => format!("project_path:{path}:ref_type:branch:ref:main"),
        };
    }
    fixed = fixed
        .replace(":ref:refs/heads/", ":ref:")
        .replace(":ref:refs/tags/", ":ref:")
        .replace(":ref_type:tags:", ":ref_type:tag:")
        .replace(":ref_type:heads:", ":ref_type:branch:")
        .replace(":ref_type:branches:", ":ref_type:branch:");
    (fixed != text && SubPattern::new(&fixed, like, ignore_case).can_match()).then_some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subjects::tests::{allow, run_rule};

    #[test]
    fn only_gitlab_subjects_and_not_twice() {
        // `*` under StringEquals is wildcard-in-exact-operator's finding.
        let c =
            r#"{"StringEquals": {"gitlab.com:sub": "project_path:g/*:ref_type:branch:ref:main"}}"#;
        assert!(run_rule(&SubNeverMatches, &allow(c)).is_empty());
        // …unless even as a pattern nothing could match.
        let c = r#"{"StringEquals": {"gitlab.com:sub": "repo:g/*"}}"#;
        assert_eq!(run_rule(&SubNeverMatches, &allow(c)).len(), 1);
        // GitHub subjects are right for GitHub's provider.
        let gh = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/repo:ref:refs/heads/main"}}}]}"#;
        assert!(run_rule(&SubNeverMatches, gh).is_empty());
        // Each bad value of a list, in a Deny too.
        let c = r#"{"StringLike": {"gitlab.com:sub": ["project_path:g/p:ref_type:heads:*", "project_path:g/p:*", "ref:refs/heads/main"]}}"#;
        assert_eq!(
            run_rule(&SubNeverMatches, &allow(c)),
            ["sub-never-matches 1:234", "sub-never-matches 1:293"]
        );
    }

    #[test]
    fn reasons_and_suggestions() {
        let r = reason("repo:org/repo:ref:refs/heads/main", false);
        assert!(r.contains("GitHub"), "{r}");
        assert_eq!(
            suggestion("repo:org/repo:ref:refs/heads/main", false, false).as_deref(),
            Some("project_path:org/repo:ref_type:branch:ref:main")
        );
        assert!(
            reason(
                "project_path:g/p:ref_type:branch:ref:refs/heads/main",
                false
            )
            .contains("bare")
        );
        assert_eq!(
            suggestion(
                "project_path:g/p:ref_type:branch:ref:refs/heads/main",
                false,
                false
            )
            .as_deref(),
            Some("project_path:g/p:ref_type:branch:ref:main")
        );
        assert!(
            reason("project_path:g/p:ref_type:tags:ref:v1", false).contains("`branch` or `tag`")
        );
        assert!(reason("project_path:app:ref_type:branch:ref:main", false).contains("no group"));
        assert!(
            reason("project:g/p:ref_type:branch:ref:main", false)
                .contains("`project` is not a component")
        );
        assert!(reason("project_path:g/p:ref_type:branch:ref:main ", false).contains("whitespace"));
        assert_eq!(
            suggestion(" project_path:g/p:ref_type:branch:ref:main", false, false).as_deref(),
            Some("project_path:g/p:ref_type:branch:ref:main")
        );
    }
}

//! One `sub` condition value read as a GitLab subject pattern: its components, and
//! what each admits in plain words.

use crate::gitlab::sub::COMPONENTS;
use crate::iam::wildcard::{Pattern, Token};

use super::grammar::Grammar;

/// A `sub` value and how its operator compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubPattern {
    /// The value as written.
    pub text: String,
    /// `*` and `?` are wildcards (`StringLike` family).
    pub like: bool,
    /// Compared ignoring case (`…IgnoreCase`).
    pub ignore_case: bool,
    /// The components, when every name is a literal GitLab component name.
    pub parts: Option<Vec<Part>>,
    /// The pattern ends with `:*` (or another lone wildcard) after its components:
    /// any further components follow.
    pub open_end: bool,
    /// The compiled matcher (case-folded for the IgnoreCase operators), built once:
    /// the analysis matches thousands of candidate subjects against one pattern.
    matcher: Pattern,
    /// [`SubPattern::ref_types`], computed once.
    ref_types: std::cell::OnceCell<Vec<String>>,
}

/// One `name:value` component of a pattern; `value` may hold wildcards (see
/// [`SubPattern::like`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub value: String,
}

impl SubPattern {
    pub fn new(text: &str, like: bool, ignore_case: bool) -> SubPattern {
        let mut tokens: Vec<&str> = text.split(':').collect();
        // `project_path:g/p:*`: a final lone wildcard spans the remaining components.
        let open_end = like
            && tokens.len() % 2 == 1
            && tokens.len() >= 3
            && tokens.last().is_some_and(|t| t.contains('*'));
        if open_end {
            tokens.pop();
        }
        let parts = if tokens.len() >= 2 && tokens.len().is_multiple_of(2) {
            tokens
                .chunks(2)
                .map(|c| {
                    let name = c[0];
                    let known = COMPONENTS.iter().any(|(n, _)| *n == name);
                    let wild = like && (name.contains('*') || name.contains('?'));
                    (known && !wild).then(|| Part {
                        name: name.to_string(),
                        value: c[1].to_string(),
                    })
                })
                .collect()
        } else {
            None
        };
        let folded;
        let source = if ignore_case {
            folded = crate::iam::wildcard::fold_case(text);
            folded.as_str()
        } else {
            text
        };
        let matcher = if like {
            Pattern::glob(source)
        } else {
            Pattern::from_tokens(source.chars().map(Token::Lit).collect())
        };
        SubPattern {
            text: text.to_string(),
            like,
            ignore_case,
            parts,
            open_end,
            matcher,
            ref_types: std::cell::OnceCell::new(),
        }
    }

    /// [`SubPattern::new`], remembered per thread: the subject rules of one policy
    /// read the same `sub` values many times, and compiling one costs more than a
    /// lookup. Bounded: the memo is emptied when it grows past `MEMO_CAP` entries.
    pub fn shared(text: &str, like: bool, ignore_case: bool) -> std::rc::Rc<SubPattern> {
        use std::cell::RefCell;
        use std::collections::HashMap;
        use std::rc::Rc;
        const MEMO_CAP: usize = 1024;
        thread_local! {
            static MEMO: RefCell<HashMap<String, [Option<Rc<SubPattern>>; 4]>> =
                RefCell::new(HashMap::new());
        }
        let slot = usize::from(like) * 2 + usize::from(ignore_case);
        MEMO.with(|memo| {
            if let Some(p) = memo.borrow().get(text).and_then(|e| e[slot].as_ref()) {
                return Rc::clone(p);
            }
            let p = Rc::new(SubPattern::new(text, like, ignore_case));
            let mut memo = memo.borrow_mut();
            if memo.len() >= MEMO_CAP {
                memo.clear();
            }
            memo.entry(text.to_string()).or_default()[slot] = Some(Rc::clone(&p));
            p
        })
    }

    pub fn compiled(&self) -> Pattern {
        if self.like {
            Pattern::glob(&self.text)
        } else {
            Pattern::from_tokens(self.text.chars().map(Token::Lit).collect())
        }
    }

    /// Whether the value holds a wildcard its operator honours.
    pub fn has_wildcards(&self) -> bool {
        self.like && (self.text.contains('*') || self.text.contains('?'))
    }

    /// Whether this pattern admits `subject` (as the engine compares them).
    pub fn matches(&self, subject: &str) -> bool {
        if self.ignore_case {
            self.matcher
                .matches(&crate::iam::wildcard::fold_case(subject))
        } else {
            self.matcher.matches(subject)
        }
    }

    /// Whether some subject of `grammar` matches. A value longer than
    /// [`super::MAX_ANALYSED_VALUE_CHARS`] is not searched and counts as one
    /// that may match (the analysis reports it as not analysed instead).
    pub fn can_match_in(&self, grammar: &Grammar) -> bool {
        if self.text.len() > super::MAX_ANALYSED_VALUE_CHARS {
            return true;
        }
        if self.ignore_case {
            // The grammar folds case itself: it needs the pattern as written.
            grammar.can_match(self.compiled().tokens(), true)
        } else {
            grammar.can_match(self.matcher.tokens(), false)
        }
    }

    /// Whether some subject GitLab issues matches (sound: `false` is a proof).
    pub fn can_match(&self) -> bool {
        self.can_match_in(Grammar::all())
    }

    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.as_ref()?.iter().find(|p| p.name == name)
    }

    fn wild(&self, s: &str) -> bool {
        self.like && (s.contains('*') || s.contains('?'))
    }

    /// Whether the last component's `*` (or a final `:*`) can run on into further
    /// components.
    fn open_tail(&self) -> bool {
        self.open_end
            || self.like
                && self
                    .parts
                    .as_ref()
                    .and_then(|ps| ps.last())
                    .is_some_and(|p| p.value.contains('*'))
    }

    /// The project part in plain words.
    pub fn projects(&self) -> String {
        let Some(parts) = &self.parts else {
            return if self.has_wildcards() && self.text.starts_with('*') {
                "any project".to_string()
            } else if self.has_wildcards() {
                format!("projects whose subject matches `{}`", self.text)
            } else {
                format!("the subject `{}`", self.text)
            };
        };
        let mut phrases = Vec::new();
        for p in parts {
            let phrase = match p.name.as_str() {
                "project_path" => path_words(&p.value, self.wild(&p.value), true),
                "namespace_path" => path_words(&p.value, self.wild(&p.value), false),
                "project_id" if !self.wild(&p.value) => format!("the project with ID {}", p.value),
                "project_id" if p.value == "*" => "any project ID".to_string(),
                "project_id" => format!("projects whose ID matches `{}`", p.value),
                "namespace_id" if !self.wild(&p.value) => {
                    format!("projects in the namespace with ID {}", p.value)
                }
                "namespace_id" => format!("namespaces whose ID matches `{}`", p.value),
                _ => continue,
            };
            phrases.push(phrase);
        }
        if phrases.is_empty() {
            if self.open_tail() || !self.like {
                "any project (the pattern names none)".to_string()
            } else {
                "any project".to_string()
            }
        } else {
            phrases.join(", ")
        }
    }

    /// The ref types a matching subject can have, per the grammar.
    pub fn ref_types(&self) -> Vec<String> {
        self.ref_types
            .get_or_init(|| {
                // A `ref_type` component in the literal text before the first
                // wildcard is fixed for every matching subject (no component value
                // holds `:`), so the other type's grammar need not be asked.
                let fixed = self.fixed_component("ref_type");
                let mut out = Vec::new();
                for t in ["branch", "tag"] {
                    let grammar = if t == "branch" {
                        Grammar::branches()
                    } else {
                        Grammar::tags()
                    };
                    if fixed.is_none_or(|f| f == t) && self.can_match_in(grammar) {
                        out.push(t.to_string());
                    }
                }
                out
            })
            .clone()
    }

    /// The value of component `name` when the literal text before the pattern's
    /// first wildcard spells it out completely (`name:value:`), for case-sensitive
    /// patterns.
    fn fixed_component(&self, name: &str) -> Option<&str> {
        if self.ignore_case || self.text.contains('$') {
            return None;
        }
        let literal = match self.like {
            true => &self.text[..self.text.find(['*', '?']).unwrap_or(self.text.len())],
            false => self.text.as_str(),
        };
        // Only components followed by a `:` are complete (or all, for exact text).
        let complete = if self.like {
            &literal[..literal.rfind(':').unwrap_or(0)]
        } else {
            literal
        };
        let tokens: Vec<&str> = complete.split(':').collect();
        tokens.chunks_exact(2).find(|c| c[0] == name).map(|c| c[1])
    }

    /// The refs part in plain words.
    pub fn refs(&self) -> String {
        let Some(parts) = &self.parts else {
            let tail = self.text.rsplit_once(":ref:").map(|(_, r)| r);
            return match tail {
                Some(r) if !self.wild(r) && !r.contains(':') => format!("`{r}`"),
                _ if self.text.ends_with('*') => "any ref".to_string(),
                _ if self.has_wildcards() => "refs the pattern's wildcards allow".to_string(),
                _ => "as written".to_string(),
            };
        };
        let Some(i) = parts.iter().position(|p| p.name == "ref") else {
            return if self.open_tail() || parts.iter().any(|p| self.wild(&p.value)) {
                "any ref (the trailing `*` matches the rest of the subject)".to_string()
            } else {
                "any ref (this sub form has no ref component)".to_string()
            };
        };
        let v = &parts[i].value;
        if !self.wild(v) {
            format!("`{v}`")
        } else if v == "*" {
            "any ref".to_string()
        } else if let Some(prefix) = literal_prefix_star(v) {
            format!("refs starting with `{prefix}`")
        } else {
            format!("refs matching `{v}`")
        }
    }

    /// One sentence: which projects, which ref types, which refs.
    pub fn description(&self) -> String {
        self.description_for(&self.ref_types())
    }

    /// [`SubPattern::description`] for the given ref types (after Deny statements
    /// removed some).
    pub fn description_for(&self, types: &[String]) -> String {
        let (one, many) = match types.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["branch"] => ("branch", "branches"),
            ["tag"] => ("tag", "tags"),
            ["branch", "tag"] => ("branch or tag", "branches and tags"),
            _ => return format!("{}, on no ref at all", self.projects()),
        };
        let refs = self.refs();
        let phrase = if let Some(name) = refs.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
            format!("{one} `{name}`")
        } else if let Some(rest) = refs.strip_prefix("any ref") {
            format!("any {one}{rest}")
        } else if let Some(rest) = refs.strip_prefix("refs ") {
            format!("{many} {rest}")
        } else {
            format!("{many}: {refs}")
        };
        let mut extras = Vec::new();
        for part in self.parts.iter().flatten() {
            if self.wild(&part.value) {
                continue;
            }
            match part.name.as_str() {
                "environment" => extras.push(format!("environment `{}`", part.value)),
                "deployment_tier" => extras.push(format!("deployment tier `{}`", part.value)),
                "environment_protected" if part.value == "true" => {
                    extras.push("a protected environment".to_string())
                }
                "environment_protected" => extras.push("an unprotected environment".to_string()),
                _ => {}
            }
        }
        let extras = if extras.is_empty() {
            String::new()
        } else {
            format!(", in {}", extras.join(", "))
        };
        format!("{}, on {phrase}{extras}", self.projects())
    }
}

/// `prefix*` with a literal prefix and a single trailing `*`.
fn literal_prefix_star(v: &str) -> Option<&str> {
    let prefix = v.strip_suffix('*')?;
    (!prefix.contains('*') && !prefix.contains('?')).then_some(prefix)
}

/// A project or namespace path glob in words.
fn path_words(v: &str, wild: bool, project: bool) -> String {
    let noun = if project { "project" } else { "namespace" };
    if !wild {
        return format!("{noun} {v}");
    }
    if v == "*" {
        return format!("any {noun} on the instance");
    }
    if let Some(prefix) = literal_prefix_star(v) {
        if let Some(group) = prefix.strip_suffix('/') {
            return format!("every {noun} in {group} and all its subgroups");
        }
        return match prefix.rsplit_once('/') {
            Some((group, start)) => format!(
                "every {noun} in {group} (or its subgroups) whose path there starts with `{start}`"
            ),
            None if prefix.is_empty() => format!("any {noun} on the instance"),
            None => format!(
                "every {noun} in ANY top-level group whose name starts with `{prefix}` (not only {prefix}/)"
            ),
        };
    }
    format!("{noun}s matching `{v}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(p: &str) -> SubPattern {
        SubPattern::new(p, true, false)
    }

    #[test]
    fn components_spelled_out_before_the_first_wildcard_are_fixed() {
        let p = like("project_path:g/p:ref_type:branch:ref:release/*");
        assert_eq!(p.fixed_component("ref_type"), Some("branch"));
        assert_eq!(p.fixed_component("project_path"), Some("g/p"));
        assert_eq!(p.fixed_component("ref"), None);
        assert_eq!(p.ref_types(), ["branch"]);
        // A value the wildcard may still extend is not fixed.
        assert_eq!(
            like("project_path:g/p:ref_type:bra*").fixed_component("ref_type"),
            None
        );
        assert_eq!(
            like("project_path:g/p:ref_type:*").ref_types(),
            ["branch", "tag"]
        );
        // Exact text: every component is fixed; IgnoreCase: none is.
        let exact = SubPattern::new("project_path:g/p:ref_type:tag:ref:v1", false, false);
        assert_eq!(exact.fixed_component("ref_type"), Some("tag"));
        assert_eq!(exact.ref_types(), ["tag"]);
        let folded = SubPattern::new("project_path:g/p:ref_type:TAG:ref:v1", false, true);
        assert_eq!(folded.fixed_component("ref_type"), None);
        assert_eq!(folded.ref_types(), ["tag"]);
    }

    #[test]
    fn parses_components() {
        let p = like("project_path:mygroup/*:ref_type:branch:ref:*");
        let parts = p.parts.as_ref().unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].value, "mygroup/*");
        assert!(like("*:ref_type:branch:ref:main").parts.is_none());
        assert!(like("repo:org/x:ref:refs/heads/main").parts.is_none());
        assert!(like("*").parts.is_none());
        let open = like("project_path:mygroup/sandbox:*");
        assert!(open.open_end);
        assert_eq!(open.part("project_path").unwrap().value, "mygroup/sandbox");
        assert_eq!(
            open.description(),
            "project mygroup/sandbox, on any branch or tag (the trailing `*` matches the rest of the subject)"
        );
    }

    #[test]
    fn describes_in_words() {
        let d = |p: &str| like(p).description();
        assert_eq!(
            d("project_path:mygroup/app:ref_type:branch:ref:main"),
            "project mygroup/app, on branch `main`"
        );
        assert_eq!(
            d("project_path:mygroup/*:ref_type:branch:ref:*"),
            "every project in mygroup and all its subgroups, on any branch"
        );
        assert_eq!(
            d("project_path:mygroup/app:ref_type:*:ref:*"),
            "project mygroup/app, on any branch or tag"
        );
        assert!(
            d("project_path:mygroup*").starts_with(
                "every project in ANY top-level group whose name starts with `mygroup`"
            ),
            "{}",
            d("project_path:mygroup*")
        );
        assert_eq!(
            d("project_path:mygroup/app*"),
            "every project in mygroup (or its subgroups) whose path there starts with `app`, on any branch or tag (the trailing `*` matches the rest of the subject)"
        );
        assert_eq!(
            d("project_path:g/p:ref_type:tag:ref:v*"),
            "project g/p, on tags starting with `v`"
        );
        assert_eq!(
            d("project_path:g/p:ref:main"),
            "project g/p, on branch or tag `main`"
        );
        assert_eq!(
            d("project_id:42:ref_type:branch:ref:main"),
            "the project with ID 42, on branch `main`"
        );
        assert_eq!(
            d("project_path:g/p:ref_type:branch:ref:main:deployment_tier:production"),
            "project g/p, on branch `main`, in deployment tier `production`"
        );
        assert_eq!(d("*"), "any project, on any branch or tag");
    }

    #[test]
    fn equality_is_literal() {
        let p = SubPattern::new("project_path:g/*:ref_type:branch:ref:main", false, false);
        assert!(!p.has_wildcards());
        assert!(!p.can_match(), "`*` is a literal character in a path");
        assert!(!p.matches("project_path:g/p:ref_type:branch:ref:main"));
        let ic = SubPattern::new("PROJECT_PATH:G/P:REF_TYPE:BRANCH:REF:MAIN", false, true);
        assert!(ic.matches("project_path:g/p:ref_type:branch:ref:main"));
        assert!(ic.can_match());
    }
}

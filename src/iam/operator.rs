//! Condition operator names: `[ForAnyValue:|ForAllValues:]Base[IfExists]`.

use std::fmt;

/// The operator families of IAM's condition language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    IpAddress,
    Arn,
    Null,
}

impl Family {
    pub const ALL: [Family; 8] = [
        Family::String,
        Family::Numeric,
        Family::Date,
        Family::Bool,
        Family::Binary,
        Family::IpAddress,
        Family::Arn,
        Family::Null,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::String => "String",
            Family::Numeric => "Numeric",
            Family::Date => "Date",
            Family::Bool => "Bool",
            Family::Binary => "Binary",
            Family::IpAddress => "IpAddress",
            Family::Arn => "Arn",
            Family::Null => "Null",
        }
    }
}

/// How a base operator compares one request value with one policy value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Equals,
    EqualsIgnoreCase,
    Like,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
    /// `IpAddress`: inside the range.
    InRange,
    /// `Null`: presence test.
    Null,
}

macro_rules! base_ops {
    ($($variant:ident => $name:literal, $family:ident, $cmp:ident, $negated:literal;)*) => {
        /// A base operator, without qualifier or `IfExists`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum BaseOperator { $($variant,)* }

        impl BaseOperator {
            pub const ALL: &'static [BaseOperator] = &[$(BaseOperator::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(BaseOperator::$variant => $name,)* }
            }

            pub fn family(self) -> Family {
                match self { $(BaseOperator::$variant => Family::$family,)* }
            }

            /// The comparison of the positive form (`StringNotLike` → `Like`).
            pub fn comparison(self) -> Comparison {
                match self { $(BaseOperator::$variant => Comparison::$cmp,)* }
            }

            /// Negated operators (`StringNotEquals`, `NotIpAddress`, …) are true when
            /// no policy value matches — and true when the key is missing.
            pub fn is_negated(self) -> bool {
                match self { $(BaseOperator::$variant => $negated,)* }
            }

            fn from_name(name: &str) -> Option<BaseOperator> {
                match name { $($name => Some(BaseOperator::$variant),)* _ => None }
            }
        }
    };
}

base_ops! {
    StringEquals => "StringEquals", String, Equals, false;
    StringNotEquals => "StringNotEquals", String, Equals, true;
    StringEqualsIgnoreCase => "StringEqualsIgnoreCase", String, EqualsIgnoreCase, false;
    StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase", String, EqualsIgnoreCase, true;
    StringLike => "StringLike", String, Like, false;
    StringNotLike => "StringNotLike", String, Like, true;
    NumericEquals => "NumericEquals", Numeric, Equals, false;
    NumericNotEquals => "NumericNotEquals", Numeric, Equals, true;
    NumericLessThan => "NumericLessThan", Numeric, LessThan, false;
    NumericLessThanEquals => "NumericLessThanEquals", Numeric, LessThanEquals, false;
    NumericGreaterThan => "NumericGreaterThan", Numeric, GreaterThan, false;
    NumericGreaterThanEquals => "NumericGreaterThanEquals", Numeric, GreaterThanEquals, false;
    DateEquals => "DateEquals", Date, Equals, false;
    DateNotEquals => "DateNotEquals", Date, Equals, true;
    DateLessThan => "DateLessThan", Date, LessThan, false;
    DateLessThanEquals => "DateLessThanEquals", Date, LessThanEquals, false;
    DateGreaterThan => "DateGreaterThan", Date, GreaterThan, false;
    DateGreaterThanEquals => "DateGreaterThanEquals", Date, GreaterThanEquals, false;
    Bool => "Bool", Bool, Equals, false;
    BinaryEquals => "BinaryEquals", Binary, Equals, false;
    IpAddress => "IpAddress", IpAddress, InRange, false;
    NotIpAddress => "NotIpAddress", IpAddress, InRange, true;
    ArnEquals => "ArnEquals", Arn, Like, false;
    ArnLike => "ArnLike", Arn, Like, false;
    ArnNotEquals => "ArnNotEquals", Arn, Like, true;
    ArnNotLike => "ArnNotLike", Arn, Like, true;
    Null => "Null", Null, Null, false;
}

/// `ForAnyValue:` / `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    ForAnyValue,
    ForAllValues,
}

impl Qualifier {
    pub fn prefix(self) -> &'static str {
        match self {
            Qualifier::ForAnyValue => "ForAnyValue:",
            Qualifier::ForAllValues => "ForAllValues:",
        }
    }
}

/// A fully parsed operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    pub qualifier: Option<Qualifier>,
    pub base: BaseOperator,
    pub if_exists: bool,
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(q) = self.qualifier {
            f.write_str(q.prefix())?;
        }
        f.write_str(self.base.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// Why an operator name is not one IAM accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorError {
    /// Not an IAM operator; `suggestion` is the nearest valid name.
    Unknown { suggestion: Option<String> },
    /// `NullIfExists`: IAM allows `IfExists` on every operator except `Null`.
    NullWithIfExists,
}

impl Operator {
    /// Parses an operator name exactly as IAM spells it (case-sensitive).
    pub fn parse(name: &str) -> Result<Operator, OperatorError> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(Qualifier::ForAnyValue), r)
        } else if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(Qualifier::ForAllValues), r)
        } else {
            (None, name)
        };
        let (base_name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) if !b.is_empty() => (b, true),
            _ => (rest, false),
        };
        match BaseOperator::from_name(base_name) {
            Some(BaseOperator::Null) if if_exists => Err(OperatorError::NullWithIfExists),
            Some(base) => Ok(Operator {
                qualifier,
                base,
                if_exists,
            }),
            None => Err(OperatorError::Unknown {
                suggestion: suggest_cached(name),
            }),
        }
    }
}

/// [`suggest`], remembered per name: the engine parses the same misspelt operator
/// once per evaluation, and a name's suggestion never changes.
fn suggest_cached(name: &str) -> Option<String> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static CACHE: RefCell<HashMap<String, Option<String>>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        if let Some(hit) = cache.borrow().get(name) {
            return hit.clone();
        }
        let s = suggest(name);
        let mut cache = cache.borrow_mut();
        if cache.len() < 1024 {
            cache.insert(name.to_string(), s.clone());
        }
        s
    })
}

/// The nearest valid operator name: a case-only difference first, then the name
/// that extends what was typed (`StringEq` → `StringEquals`), then the closest by
/// Jaro–Winkler similarity (which rewards a shared prefix: `StrinkLike` → `StringLike`).
pub fn suggest(name: &str) -> Option<String> {
    let mut candidates = Vec::new();
    for q in ["", "ForAnyValue:", "ForAllValues:"] {
        for base in BaseOperator::ALL {
            candidates.push(format!("{q}{}", base.name()));
            if *base != BaseOperator::Null {
                candidates.push(format!("{q}{}IfExists", base.name()));
            }
        }
    }
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some(c.clone());
    }
    let lower = name.to_ascii_lowercase();
    if lower.len() >= 4
        && let Some(c) = candidates
            .iter()
            .filter(|c| c.to_ascii_lowercase().starts_with(&lower))
            .min_by_key(|c| c.len())
    {
        return Some(c.clone());
    }
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qualifiers_and_if_exists() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.qualifier, Some(Qualifier::ForAnyValue));
        assert_eq!(op.base, BaseOperator::StringLike);
        assert!(op.if_exists);
        assert_eq!(op.to_string(), "ForAnyValue:StringLikeIfExists");
        assert_eq!(Operator::parse("Null").unwrap().base, BaseOperator::Null);
        assert_eq!(
            Operator::parse("NullIfExists"),
            Err(OperatorError::NullWithIfExists)
        );
    }

    #[test]
    fn every_base_operator_round_trips() {
        for base in BaseOperator::ALL {
            let op = Operator::parse(base.name()).unwrap();
            assert_eq!(op.base, *base);
            assert_eq!(op.to_string(), base.name());
        }
    }

    #[test]
    fn unknown_operators_get_the_nearest_name() {
        for (typo, want) in [
            ("StringEq", "StringEquals"),
            ("StrinkLike", "StringLike"),
            ("stringequals", "StringEquals"),
            ("StringEqual", "StringEquals"),
            ("ForAnyValues:StringLike", "ForAnyValue:StringLike"),
            ("NumericLessThen", "NumericLessThan"),
            ("IPAddress", "IpAddress"),
        ] {
            match Operator::parse(typo) {
                Err(OperatorError::Unknown { suggestion }) => {
                    assert_eq!(suggestion.as_deref(), Some(want), "{typo}")
                }
                other => panic!("{typo}: {other:?}"),
            }
        }
        assert_eq!(
            Operator::parse("Frobnicate"),
            Err(OperatorError::Unknown { suggestion: None })
        );
    }
}

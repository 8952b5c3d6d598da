//! Evaluating one `"Operator": {"key": [values]}` entry against a request context.
//!
//! Semantics (IAM User Guide, "Condition operators" and "Multivalued context keys"):
//! - values for one key are ORed; for negated operators none may match;
//! - a key missing from the request makes a positive operator false and a negated
//!   one true; `…IfExists` makes a missing key true; `Null` tests presence;
//! - `ForAllValues:` is true when the key is missing or empty, `ForAnyValue:` false;
//! - a plain operator on a multi-valued key does not match (a set qualifier is needed);
//! - a request value of the wrong type (not a number for `Numeric…`) or a policy value
//!   that cannot be read satisfies neither the positive nor the negated operator.

use std::cmp::Ordering;
use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;

use super::context::{ContextValue, RequestContext};
use super::operator::{BaseOperator, Comparison, Family, Operator, Qualifier};
use super::wildcard::{Pattern, Token, fold_case};

/// The outcome of one condition entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionOutcome {
    /// `None` when the engine cannot decide (see `reason`).
    pub result: Option<bool>,
    /// One line, in the user's terms.
    pub reason: String,
    /// The request's value(s) for the key, `None` when absent.
    pub context: Option<Vec<String>>,
    /// True when the result follows from the key being absent.
    pub decided_by_absence: bool,
}

/// Evaluates `operator` on `key` with `values` (policy values as text).
/// `variables` enables `${…}` policy variables (Version 2012-10-17).
pub fn evaluate(
    operator: &Operator,
    key: &str,
    values: &[String],
    ctx: &RequestContext,
    variables: bool,
) -> ConditionOutcome {
    let entry = ctx.get(key);
    let context = entry.map(|e| e.value.values());
    let out = |result: Option<bool>, reason: String, by_absence: bool| ConditionOutcome {
        result,
        reason,
        context: context.clone(),
        decided_by_absence: by_absence,
    };

    if operator.base == BaseOperator::Null {
        if operator.qualifier.is_some() {
            return out(
                None,
                format!("`{operator}`: a set qualifier on Null has no documented meaning"),
                false,
            );
        }
        let present = entry.is_some();
        let mut any = false;
        for v in values {
            match v.to_ascii_lowercase().as_str() {
                "true" => any |= !present,
                "false" => any |= present,
                _ => {}
            }
        }
        let reason = match (present, any) {
            (true, true) => format!("`{key}` is present, as Null false requires"),
            (true, false) => format!(
                "`{key}` is present; Null {} requires it absent",
                values.join(", ")
            ),
            (false, true) => format!("`{key}` is absent, as Null true requires"),
            (false, false) => format!(
                "`{key}` is absent; Null {} requires it present",
                values.join(", ")
            ),
        };
        return out(Some(any), reason, !present);
    }

    let Some(entry) = entry else {
        let (result, why) = if operator.if_exists {
            (true, "…IfExists is true when the key is absent")
        } else if operator.qualifier == Some(Qualifier::ForAllValues) {
            (true, "ForAllValues is true when the key is absent")
        } else if operator.qualifier == Some(Qualifier::ForAnyValue) {
            (false, "ForAnyValue is false when the key is absent")
        } else if operator.base.is_negated() {
            (true, "a negated operator is true when the key is absent")
        } else {
            (false, "the key is absent from the request")
        };
        return out(Some(result), format!("`{key}` is absent: {why}"), true);
    };

    let request_values: Vec<String> = match (&entry.value, operator.qualifier) {
        (ContextValue::Multi(_), None) => {
            return out(
                Some(false),
                format!(
                    "`{key}` is multi-valued; a plain `{}` does not match it (use ForAnyValue: or ForAllValues:)",
                    operator.base.name()
                ),
                false,
            );
        }
        (v, _) => v.values(),
    };

    let mut compiled = Vec::with_capacity(values.len());
    let mut problems = Vec::new();
    for v in values {
        match PolicyValue::compile(operator.base, v, ctx, variables) {
            Ok(pv) => compiled.push(Some(pv)),
            // A variable with no value makes its value match nothing: positive
            // operators then fail on it, negated ones are satisfied by it (IAM User
            // Guide, "Policy variables with no value").
            Err(CompileError::NoValue(e)) => {
                problems.push(e);
                compiled.push(Some(PolicyValue::Never));
            }
            Err(CompileError::Invalid(e)) => {
                problems.push(e);
                compiled.push(None);
            }
        }
    }

    // Tri-state per request value: Some(true)/Some(false), None = undecidable.
    let mut undecidable: Option<String> = None;
    let mut satisfied = Vec::with_capacity(request_values.len());
    for rv in &request_values {
        let mut any_match = false;
        let mut all_valid = true;
        for pv in &compiled {
            match pv.as_ref().map(|pv| pv.matches(operator.base, rv)) {
                Some(Ok(true)) => any_match = true,
                Some(Ok(false)) => {}
                Some(Err(ValueError::Undecidable(why))) => {
                    undecidable.get_or_insert(why);
                    all_valid = false;
                }
                Some(Err(ValueError::Invalid(_))) | None => all_valid = false,
            }
        }
        let ok = if operator.base.is_negated() {
            !any_match && all_valid
        } else {
            any_match
        };
        satisfied.push(ok);
    }
    let result = match operator.qualifier {
        Some(Qualifier::ForAllValues) => satisfied.iter().all(|s| *s),
        _ => satisfied.iter().any(|s| *s),
    };
    if let Some(why) = undecidable
        && (!result || operator.base.is_negated())
    {
        return out(None, why, false);
    }
    let shown = request_values
        .iter()
        .take(MAX_QUOTED_VALUES)
        .map(|v| quote(v))
        .collect::<Vec<_>>()
        .join(", ");
    let mut reason = describe(operator, key, &shown, values, result);
    if !problems.is_empty() {
        reason.push_str(&format!(" ({})", problems.join("; ")));
    }
    out(Some(result), reason, false)
}

/// The most policy values a reason quotes: the subject analysis evaluates a
/// condition of thousands of values thousands of times, and a reason is read by
/// a person; the rest are counted.
pub const MAX_QUOTED_VALUES: usize = 16;

/// The most characters of one value a reason quotes (IAM's largest trust policy
/// is 8,192 characters; a longer value is cut, its length said).
pub const MAX_QUOTED_CHARS: usize = 256;

/// `"value"`, or its first [`MAX_QUOTED_CHARS`] characters and its length.
fn quote(v: &str) -> String {
    match v.char_indices().nth(MAX_QUOTED_CHARS) {
        None => format!("{v:?}"),
        Some((cut, _)) => format!("{:?}… ({} characters)", &v[..cut], v.chars().count()),
    }
}

fn describe(op: &Operator, key: &str, shown: &str, values: &[String], result: bool) -> String {
    let many = values.len() > 1;
    let mut list = values
        .iter()
        .take(MAX_QUOTED_VALUES)
        .map(|v| quote(v))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > MAX_QUOTED_VALUES {
        list.push_str(&format!(", … ({} more)", values.len() - MAX_QUOTED_VALUES));
    }
    let list = if many { format!("[{list}]") } else { list };
    let base = op.base;
    let (holds, fails) = match (base.comparison(), base.is_negated(), many) {
        (Comparison::Equals, false, false) => ("equals", "does not equal"),
        (Comparison::Equals, false, true) => ("equals one of", "equals none of"),
        (Comparison::EqualsIgnoreCase, false, false) => (
            "equals (ignoring case)",
            "does not equal (even ignoring case)",
        ),
        (Comparison::EqualsIgnoreCase, false, true) => (
            "equals (ignoring case) one of",
            "equals (even ignoring case) none of",
        ),
        (Comparison::Like, false, false) => ("matches", "does not match"),
        (Comparison::Like, false, true) => ("matches one of", "matches none of"),
        (Comparison::InRange, false, false) => ("is in", "is not in"),
        (Comparison::InRange, false, true) => ("is in one of", "is in none of"),
        (Comparison::Like, true, _) => ("matches none of", "matches"),
        (Comparison::InRange, true, _) => ("is in none of", "is in"),
        (_, true, _) => ("equals none of", "equals"),
        (Comparison::LessThan, ..) => ("is less than", "is not less than"),
        (Comparison::LessThanEquals, ..) => ("is at most", "is not at most"),
        (Comparison::GreaterThan, ..) => ("is greater than", "is not greater than"),
        (Comparison::GreaterThanEquals, ..) => ("is at least", "is not at least"),
        (Comparison::Null, ..) => ("is", "is not"),
    };
    let set = match op.qualifier {
        Some(Qualifier::ForAnyValue) => "some value of ",
        Some(Qualifier::ForAllValues) => "every value of ",
        None => "",
    };
    let verb = if result { holds } else { fails };
    let pattern_note = if !result
        && matches!(
            base,
            BaseOperator::StringEquals | BaseOperator::StringEqualsIgnoreCase
        )
        && values.iter().any(|v| v.contains('*') || v.contains('?'))
    {
        format!(
            "; `{}` compares `*` and `?` literally, use StringLike for patterns",
            base.name()
        )
    } else {
        String::new()
    };
    format!("{set}`{key}` = {shown} {verb} {list}{pattern_note}")
}

#[derive(Debug, Clone, PartialEq)]
enum ValueError {
    /// The request value is not of the operator's type.
    Invalid(String),
    /// A valid construct the engine cannot evaluate.
    Undecidable(String),
}

/// A policy value read for its operator family.
#[derive(Debug, Clone)]
enum PolicyValue {
    Str(Pattern),
    Number(f64),
    Date(i64),
    Bool(bool),
    Binary(Vec<u8>),
    Ip(IpNet),
    Arn(Vec<Pattern>),
    /// A value whose policy variable has no value: it matches nothing.
    Never,
}

/// Why a policy value could not be compiled.
#[derive(Debug, Clone, PartialEq)]
enum CompileError {
    /// A policy variable has no value in the request.
    NoValue(String),
    /// The value is not of the operator's type.
    Invalid(String),
}

impl From<VariableError> for CompileError {
    fn from(e: VariableError) -> Self {
        CompileError::NoValue(e.0)
    }
}

/// A policy variable that has no (single) value in the request.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableError(pub String);

impl PolicyValue {
    fn compile(
        base: BaseOperator,
        text: &str,
        ctx: &RequestContext,
        variables: bool,
    ) -> Result<PolicyValue, CompileError> {
        use CompileError::Invalid;
        let wildcards = base.comparison() == Comparison::Like;
        match base.family() {
            Family::String => {
                let tokens = resolve(text, wildcards, variables, ctx)?;
                Ok(PolicyValue::Str(Pattern::from_tokens(tokens)))
            }
            Family::Numeric => parse_number(text)
                .map(PolicyValue::Number)
                .ok_or_else(|| Invalid(format!("{text:?} is not a number"))),
            Family::Date => match parse_date(text) {
                DateParse::Ok(t) => Ok(PolicyValue::Date(t)),
                _ => Err(Invalid(format!("{text:?} is not a date"))),
            },
            Family::Bool => {
                let resolved = literal_text(text, variables, ctx)?;
                match resolved.to_ascii_lowercase().as_str() {
                    "true" => Ok(PolicyValue::Bool(true)),
                    "false" => Ok(PolicyValue::Bool(false)),
                    _ => Err(Invalid(format!("{text:?} is not true or false"))),
                }
            }
            Family::Binary => base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(PolicyValue::Binary)
                .map_err(|_| Invalid(format!("{text:?} is not base64"))),
            Family::IpAddress => parse_ip_range(text)
                .map(PolicyValue::Ip)
                .ok_or_else(|| Invalid(format!("{text:?} is not an IP address or CIDR range"))),
            Family::Arn => {
                let parts =
                    split_arn(text).ok_or_else(|| Invalid(format!("{text:?} is not an ARN")))?;
                Ok(PolicyValue::Arn(
                    parts
                        .iter()
                        .map(|p| resolve(p, true, variables, ctx).map(Pattern::from_tokens))
                        .collect::<Result<Vec<_>, _>>()?,
                ))
            }
            Family::Null => Err(Invalid("Null is handled before values are compiled".into())),
        }
    }

    /// Whether one request value matches this policy value under the positive
    /// form of `base`.
    fn matches(&self, base: BaseOperator, request: &str) -> Result<bool, ValueError> {
        let cmp = base.comparison();
        match self {
            PolicyValue::Str(p) => Ok(match cmp {
                Comparison::EqualsIgnoreCase => match p.as_literal() {
                    Some(lit) => fold_case(&lit) == fold_case(request),
                    None => false,
                },
                Comparison::Like => p.matches(request),
                _ => p.as_literal().is_some_and(|lit| lit == request),
            }),
            PolicyValue::Number(n) => {
                let r = parse_number(request)
                    .ok_or_else(|| ValueError::Invalid(format!("{request:?} is not a number")))?;
                Ok(ordered(cmp, r.total_cmp(n)))
            }
            PolicyValue::Date(t) => match parse_date(request) {
                DateParse::Ok(r) => Ok(ordered(cmp, r.cmp(t))),
                DateParse::Unsupported => Err(ValueError::Undecidable(format!(
                    "the request date {request:?} is in an ISO 8601 form this tool does not read"
                ))),
                DateParse::Invalid => {
                    Err(ValueError::Invalid(format!("{request:?} is not a date")))
                }
            },
            PolicyValue::Bool(b) => match request.to_ascii_lowercase().as_str() {
                "true" => Ok(*b),
                "false" => Ok(!*b),
                _ => Err(ValueError::Invalid(format!("{request:?} is not a boolean"))),
            },
            PolicyValue::Binary(bytes) => base64::engine::general_purpose::STANDARD
                .decode(request)
                .map(|r| &r == bytes)
                .map_err(|_| ValueError::Invalid(format!("{request:?} is not base64"))),
            PolicyValue::Ip(net) => {
                let ip: IpAddr = request.parse().map_err(|_| {
                    ValueError::Invalid(format!("{request:?} is not an IP address"))
                })?;
                Ok(net.contains(&ip))
            }
            PolicyValue::Never => Ok(false),
            PolicyValue::Arn(parts) => {
                let Some(req) = split_arn(request) else {
                    return Err(ValueError::Invalid(format!("{request:?} is not an ARN")));
                };
                Ok(parts.iter().zip(req.iter()).all(|(p, r)| p.matches(r)))
            }
        }
    }
}

fn ordered(cmp: Comparison, ord: Ordering) -> bool {
    match cmp {
        Comparison::LessThan => ord == Ordering::Less,
        Comparison::LessThanEquals => ord != Ordering::Greater,
        Comparison::GreaterThan => ord == Ordering::Greater,
        Comparison::GreaterThanEquals => ord != Ordering::Less,
        _ => ord == Ordering::Equal,
    }
}

/// Decimal numbers as IAM writes them: an optional `-`, digits, optionally a fraction.
pub fn parse_number(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    // `+ 0.0` turns -0 into 0: they are the same number.
    s.parse::<f64>().ok().map(|n| n + 0.0)
}

enum DateParse {
    /// Milliseconds since the epoch.
    Ok(i64),
    /// Looks like ISO 8601 but in a form we do not read (e.g. basic format, week dates).
    Unsupported,
    Invalid,
}

/// Dates as IAM accepts them: epoch seconds, or ISO 8601 (`2026-01-02`,
/// `2026-01-02T03:04:05Z`, with fractions or offsets).
fn parse_date(s: &str) -> DateParse {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.len() <= 12
        && let Ok(secs) = s.parse::<i64>()
    {
        return DateParse::Ok(secs * 1000);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return DateParse::Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return DateParse::Ok(t.and_utc().timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%dT%H:%MZ"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return DateParse::Ok(t.and_utc().timestamp_millis());
        }
    }
    let b = s.as_bytes();
    if b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) {
        DateParse::Unsupported
    } else {
        DateParse::Invalid
    }
}

fn parse_ip_range(s: &str) -> Option<IpNet> {
    if s.contains('/') {
        s.parse().ok()
    } else {
        s.parse::<IpAddr>().ok().map(IpNet::from)
    }
}

/// `arn:partition:service:region:account:resource` → its six parts; the resource
/// keeps any further colons.
fn split_arn(s: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    (parts.len() == 6 && parts[0] == "arn").then_some(parts)
}

/// Resolves `${…}` in a policy value into pattern tokens. Escapes `${*}`, `${?}`,
/// `${$}` are literal characters; `${key}` and `${key, 'default'}` take the request's
/// (single) value, always literally. Without `variables` the text is taken as is.
pub fn resolve(
    text: &str,
    wildcards: bool,
    variables: bool,
    ctx: &RequestContext,
) -> Result<Vec<Token>, VariableError> {
    let mut out = Vec::with_capacity(text.len());
    let plain = |c: char| match c {
        '*' if wildcards => Token::Any,
        '?' if wildcards => Token::One,
        c => Token::Lit(c),
    };
    let mut rest = text;
    while !rest.is_empty() {
        if variables
            && rest.starts_with("${")
            && let Some(end) = rest[2..].find('}')
        {
            let inner = &rest[2..2 + end];
            rest = &rest[2 + end + 1..];
            match inner {
                "*" => out.push(Token::Lit('*')),
                "?" => out.push(Token::Lit('?')),
                "$" => out.push(Token::Lit('$')),
                _ => out.extend(variable_value(inner, ctx)?.chars().map(Token::Lit)),
            }
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(plain(c));
        }
        rest = chars.as_str();
    }
    Ok(out)
}

fn literal_text(
    text: &str,
    variables: bool,
    ctx: &RequestContext,
) -> Result<String, VariableError> {
    Ok(resolve(text, false, variables, ctx)?
        .into_iter()
        .map(|t| match t {
            Token::Lit(c) => c,
            Token::One => '?',
            Token::Any => '*',
        })
        .collect())
}

fn variable_value(inner: &str, ctx: &RequestContext) -> Result<String, VariableError> {
    let (name, default) = match inner.split_once(',') {
        Some((n, d)) => {
            let d = d.trim();
            let default = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .map(str::to_string);
            (n.trim(), default)
        }
        None => (inner.trim(), None),
    };
    match ctx.get(name).map(|e| &e.value) {
        Some(ContextValue::Single(v)) => Ok(v.clone()),
        Some(ContextValue::Multi(_)) => default.ok_or_else(|| {
            VariableError(format!("policy variable ${{{name}}} is multi-valued and cannot be substituted"))
        }),
        None => default.ok_or_else(|| {
            VariableError(format!("policy variable ${{{name}}} is absent from the request, so this value matches nothing"))
        }),
    }
}

#[cfg(test)]
mod tests;

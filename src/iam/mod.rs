//! The IAM evaluation engine: pure logic, no I/O, no clock, no environment.
//!
//! [`context`] builds the request context from token claims, [`operator`] reads
//! operator names, [`condition`] evaluates one condition entry, [`wildcard`] is the
//! IAM pattern matcher and [`evaluate`](mod@evaluate) combines statements into a decision.

pub mod condition;
pub mod context;
pub mod evaluate;
pub mod operator;
pub mod provider;
pub mod wildcard;

pub use context::{ContextValue, Origin, RequestContext};
pub use evaluate::{Decision, Evaluation, Request, StatementTrace, evaluate};
pub use operator::{BaseOperator, Family, Operator, OperatorError, Qualifier};

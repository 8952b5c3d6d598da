//! What a lint front end extracts from one file.
//!
//! Every input kind (IAM policy JSON, Terraform, a Terraform plan, CloudFormation,
//! `.gitlab-ci.yml`) is read by its own front end into the same shape: the trust
//! policies the file holds (each with the IaC resource that holds it, spans into
//! the file as written and JSON pointers into the policy as IAM sees it), the OIDC
//! provider and CI token declarations that the cross-file checks compare, and the
//! front end's own findings (a file that does not parse, a format-specific
//! mistake such as a Terraform `test = "StringEq"`).

use crate::finding::Finding;
use crate::json::Span;
use crate::policy::{Located, Policy};

/// The kinds of file `lint` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A bare IAM policy document.
    PolicyJson,
    /// Terraform configuration (`*.tf`, `*.tf.json`).
    Terraform,
    /// `terraform show -json` output.
    TerraformPlan,
    /// A CloudFormation (or CDK-synthesised) template, JSON or YAML.
    CloudFormation,
    /// `.gitlab-ci.yml` and the files it includes locally.
    GitLabCi,
}

/// A trust policy found in a file.
#[derive(Debug, Clone)]
pub struct SourcePolicy {
    pub policy: Policy,
    /// The resource holding it: a Terraform address (`aws_iam_role.deploy`,
    /// `data.aws_iam_policy_document.trust`) or a CloudFormation logical ID.
    /// `None` for a bare policy document.
    pub resource: Option<String>,
}

/// An IAM OIDC identity provider declared in IaC
/// (`aws_iam_openid_connect_provider`, `AWS::IAM::OIDCProvider`).
#[derive(Debug, Clone)]
pub struct ProviderDecl {
    /// Terraform address or CloudFormation logical ID.
    pub resource: String,
    /// Span of the whole resource.
    pub span: Span,
    /// The issuer URL as written (resolved when possible; `None` when unknown).
    pub url: Option<Located<String>>,
    /// Client IDs (audiences); values that are not known statically are left out
    /// and `client_ids_complete` is false.
    pub client_ids: Vec<Located<String>>,
    pub client_ids_complete: bool,
    pub thumbprints: Vec<Located<String>>,
}

/// One `id_tokens:` entry of a `.gitlab-ci.yml` job (or of `default:`).
#[derive(Debug, Clone)]
pub struct IdTokenDecl {
    /// The job name, or `default`.
    pub job: String,
    /// The token's variable name (`GITLAB_OIDC_TOKEN`).
    pub name: String,
    pub span: Span,
    /// The `aud` values (a string or a list in the file).
    pub aud: Vec<Located<String>>,
}

/// Everything a front end read from one file.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    pub policies: Vec<SourcePolicy>,
    pub providers: Vec<ProviderDecl>,
    pub id_tokens: Vec<IdTokenDecl>,
    /// The front end's own findings (parse errors, format-specific mistakes).
    pub findings: Vec<Finding>,
}

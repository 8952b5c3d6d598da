//! Temporary shim of the AWS API (replaced by the SDK-backed module at merge).

#[derive(Debug, Clone)]
pub struct AwsSettings {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub timeout: std::time::Duration,
}
#[derive(Debug, Clone)]
pub struct RoleFacts {
    pub arn: String,
    pub role_name: String,
    pub account: String,
    pub trust_policy: String,
    pub max_session_duration: Option<u32>,
}
#[derive(Debug, Clone)]
pub struct ProviderFacts {
    pub arn: String,
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
}
#[derive(Debug, Clone)]
pub struct AssumedRole {
    pub assumed_role_arn: String,
    pub assumed_role_id: Option<String>,
    pub expiration: Option<String>,
    pub subject_from_web_identity_token: Option<String>,
    pub audience: Option<String>,
    pub provider: Option<String>,
}
#[derive(Debug, Clone)]
pub enum AwsError {
    NoCredentials { detail: String },
    Service { code: String, message: String },
    Transport { detail: String },
    NotBuilt,
}
impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}
pub struct AwsClient;
impl AwsClient {
    pub async fn new(_settings: &AwsSettings) -> AwsClient {
        AwsClient
    }
    pub async fn get_role(&self, _role_arn: &str) -> Result<RoleFacts, AwsError> {
        Err(AwsError::NotBuilt)
    }
    pub async fn list_providers(&self) -> Result<Vec<ProviderFacts>, AwsError> {
        Err(AwsError::NotBuilt)
    }
    pub async fn assume_role_with_web_identity(
        &self,
        _role_arn: &str,
        _token: &str,
        _session_name: &str,
        _duration_seconds: Option<i32>,
    ) -> Result<AssumedRole, AwsError> {
        Err(AwsError::NotBuilt)
    }
}

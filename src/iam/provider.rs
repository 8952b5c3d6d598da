//! IAM OIDC provider ARNs: `arn:<partition>:iam::<account>:oidc-provider/<host[/path]>`.

/// A parsed OIDC provider ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderArn {
    pub partition: String,
    pub account: String,
    /// The provider URL without `https://`: the condition-key prefix.
    pub host_path: String,
}

/// The six `:`-separated fields of an ARN (the last one keeps any further `:`),
/// split without collecting: every lint rule that looks at a principal parses one.
pub fn arn_fields(arn: &str) -> Option<[&str; 6]> {
    let mut parts = arn.splitn(6, ':');
    let mut fields = [""; 6];
    for f in &mut fields {
        *f = parts.next()?;
    }
    Some(fields)
}

impl ProviderArn {
    /// Parses an ARN, saying precisely what is wrong when it is not one.
    pub fn parse(arn: &str) -> Result<ProviderArn, String> {
        if arn.starts_with("https://") || arn.starts_with("http://") {
            return Err(format!("{arn:?} is a URL, not a provider ARN"));
        }
        let Some([a, partition, service, region, account, resource]) = arn_fields(arn) else {
            return Err(format!("{arn:?} is not an ARN"));
        };
        if a != "arn" {
            return Err(format!("{arn:?} is not an ARN"));
        }
        if !matches!(
            partition,
            "aws"
                | "aws-cn"
                | "aws-us-gov"
                | "aws-iso"
                | "aws-iso-b"
                | "aws-iso-e"
                | "aws-iso-f"
                | "aws-eusc"
        ) {
            return Err(format!("{partition:?} is not an AWS partition"));
        }
        if service != "iam" || !region.is_empty() {
            return Err(format!(
                "{arn:?} is not an IAM ARN (expected arn:{partition}:iam::…)"
            ));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the account {account:?} is not 12 digits"));
        }
        let Some(host_path) = resource.strip_prefix("oidc-provider/") else {
            let kind = resource.split('/').next().unwrap_or(resource);
            return Err(format!(
                "{kind:?} is not an OIDC provider (expected oidc-provider/<host>)"
            ));
        };
        if host_path.contains("://") {
            return Err(format!(
                "the provider part {host_path:?} contains a URL scheme; IAM names providers without https://"
            ));
        }
        if let Some(c) = host_path.chars().find(|c| matches!(c, ':' | '?' | '#')) {
            let what = match c {
                ':' => "a port",
                '?' => "a query",
                _ => "a fragment",
            };
            return Err(format!(
                "the provider part {host_path:?} contains {what}; IAM provider URLs have none"
            ));
        }
        if host_path.is_empty() || host_path.starts_with('/') || host_path.ends_with('/') {
            return Err(format!(
                "the provider part {host_path:?} is not a host (with an optional path)"
            ));
        }
        Ok(ProviderArn {
            partition: partition.to_string(),
            account: account.to_string(),
            host_path: host_path.to_string(),
        })
    }

    /// The issuer URL this provider stands for.
    pub fn issuer(&self) -> String {
        format!("https://{}", self.host_path)
    }

    /// Whether this is the GitLab.com SaaS provider.
    pub fn is_gitlab_com(&self) -> bool {
        self.host_path == "gitlab.com"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_explains() {
        let p =
            ProviderArn::parse("arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/gitlab")
                .unwrap();
        assert_eq!(p.host_path, "gitlab.example.com/gitlab");
        assert_eq!(p.issuer(), "https://gitlab.example.com/gitlab");
        for (bad, needle) in [
            (
                "arn:aws:iam::123456789012:oidc-provider/https://gitlab.com",
                "scheme",
            ),
            ("https://gitlab.com", "URL"),
            ("gitlab.com", "not an ARN"),
            (
                "arn:aws:iam::123456789012:saml-provider/Okta",
                "not an OIDC provider",
            ),
            ("arn:aws:iam::1234:oidc-provider/gitlab.com", "12 digits"),
            (
                "arn:aws:sts::123456789012:oidc-provider/gitlab.com",
                "not an IAM ARN",
            ),
            (
                "arn:aws:iam::123456789012:oidc-provider/gitlab.com/",
                "not a host",
            ),
        ] {
            let e = ProviderArn::parse(bad).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}

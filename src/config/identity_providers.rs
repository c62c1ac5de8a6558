//! The identity providers an operator trusts (`CSPFUND_OIDC_ISSUERS`): read and checked at
//! start-up. How their tokens are verified is `auth::providers`'.

use std::path::Path;

use serde::Deserialize;

/// The organisation whose people an issuer may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Organisation {
    /// The Commissioner's office: admins, reviewers and finance staff.
    Opcc,
    /// One partnership's managers and treasurers.
    Partnership(i64),
}

/// One trusted issuer as the operator configures it (`CSPFUND_OIDC_ISSUERS`, a JSON list).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerSetting {
    /// The issuer identifier, exactly as its tokens' `iss` and its discovery document say.
    pub issuer: String,
    /// The `aud` its access tokens carry for this service.
    pub audience: String,
    /// `"opcc"`, or `{"partnership_id": 3}`.
    pub organisation: OrganisationSetting,
    /// Link a person's first sign-in to the account the admin made with the same e-mail address,
    /// when the token carries that address with `email_verified: true`.
    #[serde(default)]
    pub link_by_email: bool,
    /// How old a sign-in (`auth_time`) may be for a declaration, in seconds.
    #[serde(default = "default_signing_max_age")]
    pub signing_max_age: u64,
    /// Declarations need a sign-in whose `acr` is one of these, or whose `amr` holds one of
    /// `mfa_amr_values`. Both empty: no multi-factor requirement.
    #[serde(default)]
    pub mfa_acr_values: Vec<String>,
    #[serde(default)]
    pub mfa_amr_values: Vec<String>,
    /// The `typ` its access tokens' header must carry (RFC 9068: `at+jwt`); `null` for a
    /// provider that sets none or another (Microsoft Entra ID sets `JWT`), where the audience
    /// alone tells access tokens from ID tokens.
    #[serde(default = "default_token_type")]
    pub token_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OrganisationSetting {
    Named(String),
    Partnership { partnership_id: i64 },
}

fn default_signing_max_age() -> u64 {
    300
}

fn default_token_type() -> Option<String> {
    Some("at+jwt".to_owned())
}

/// Reads and checks the issuers file; the message names what is wrong.
pub fn read_settings(path: &Path) -> Result<Vec<TrustedIssuer>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let settings: Vec<IssuerSetting> =
        serde_json::from_str(&text).map_err(|e| format!("{}: not a list of issuers: {e}", path.display()))?;
    let mut issuers: Vec<TrustedIssuer> = Vec::new();
    for setting in settings {
        let issuer = TrustedIssuer::from_setting(setting)?;
        if issuers.iter().any(|i| i.issuer == issuer.issuer) {
            return Err(format!("{} is listed twice", issuer.issuer));
        }
        issuers.push(issuer);
    }
    Ok(issuers)
}

/// A trusted issuer, checked.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    pub issuer: String,
    pub audience: String,
    pub organisation: Organisation,
    pub link_by_email: bool,
    pub signing_max_age: u64,
    pub mfa_acr_values: Vec<String>,
    pub mfa_amr_values: Vec<String>,
    pub token_type: Option<String>,
}

impl TrustedIssuer {
    fn from_setting(setting: IssuerSetting) -> Result<TrustedIssuer, String> {
        let issuer = setting.issuer.trim().to_owned();
        let url = url::Url::parse(&issuer).map_err(|_| format!("{issuer:?} is not an issuer URL"))?;
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(format!(
                "{issuer}: an issuer is reached over https (http only on this machine)"
            ));
        }
        if setting.audience.trim().is_empty() {
            return Err(format!("{issuer}: audience is empty"));
        }
        let organisation = match setting.organisation {
            OrganisationSetting::Named(name) if name == "opcc" => Organisation::Opcc,
            OrganisationSetting::Named(name) => {
                return Err(format!(
                    "{issuer}: organisation {name:?} is neither \"opcc\" nor {{\"partnership_id\": <id>}}"
                ));
            }
            OrganisationSetting::Partnership { partnership_id } => Organisation::Partnership(partnership_id),
        };
        if setting.signing_max_age == 0 || setting.signing_max_age > 86_400 {
            return Err(format!("{issuer}: signing_max_age must be between 1 and 86400 seconds"));
        }
        Ok(TrustedIssuer {
            issuer,
            audience: setting.audience,
            organisation,
            link_by_email: setting.link_by_email,
            signing_max_age: setting.signing_max_age,
            mfa_acr_values: setting.mfa_acr_values,
            mfa_amr_values: setting.mfa_amr_values,
            token_type: setting.token_type.filter(|t| !t.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_checked_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("issuers.json");
        let write = |text: &str| std::fs::write(&path, text).unwrap();
        write(
            r#"[{"issuer": "https://login.opcc.example", "audience": "cspfund", "organisation": "opcc"},
                  {"issuer": "http://127.0.0.1:9000", "audience": "cspfund", "organisation": {"partnership_id": 3},
                   "link_by_email": true, "token_type": null}]"#,
        );
        let issuers = read_settings(&path).unwrap();
        assert_eq!(issuers[0].organisation, Organisation::Opcc);
        assert_eq!(issuers[0].token_type.as_deref(), Some("at+jwt"));
        assert_eq!(issuers[1].organisation, Organisation::Partnership(3));
        assert_eq!(issuers[1].token_type, None);
        write(r#"[{"issuer": "http://login.opcc.example", "audience": "cspfund", "organisation": "opcc"}]"#);
        assert!(read_settings(&path).unwrap_err().contains("https"));
        write(r#"[{"issuer": "https://login.opcc.example", "audience": "cspfund", "organisation": "police"}]"#);
        assert!(read_settings(&path).unwrap_err().contains("police"));
        write(
            r#"[{"issuer": "https://a.example", "audience": "x", "organisation": "opcc"},
                  {"issuer": "https://a.example", "audience": "y", "organisation": "opcc"}]"#,
        );
        assert!(read_settings(&path).unwrap_err().contains("twice"));
    }
}

//! From `sts:GetCallerIdentity`'s ARN to the principal whose policies decide.

/// What kind of identity made the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    /// An assumed role (including IAM Identity Center's `AWSReservedSSO_…` roles).
    AssumedRole {
        session: String,
    },
    Root,
    /// `sts:GetFederationToken`: policies are the calling user's, narrowed by a session policy.
    FederatedUser,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub account: String,
    /// The user or role name (for a root or federated caller, the name in the ARN).
    pub name: String,
    /// The ARN whose policies decide: the user, the role (`arn:aws:iam::…:role/<path><name>`), or the root.
    pub policy_arn: String,
    /// False when the role's path is a guess: the assumed-role ARN does not carry it, so `iam:GetRole` must tell.
    pub path_known: bool,
}

impl Principal {
    /// Reads a caller ARN. `None` for what is not an IAM or STS principal ARN.
    pub fn from_caller_arn(arn: &str) -> Option<Principal> {
        let mut parts = arn.splitn(6, ':');
        let (_, partition, service, _, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let account = account.to_string();
        match (service, resource.split_once('/')) {
            ("iam", None) if resource == "root" => Some(Principal {
                kind: PrincipalKind::Root,
                policy_arn: arn.to_string(),
                name: "root".into(),
                account,
                path_known: true,
            }),
            ("iam", Some(("user", rest))) => Some(Principal {
                kind: PrincipalKind::User,
                name: rest.rsplit('/').next()?.to_string(),
                policy_arn: arn.to_string(),
                account,
                path_known: true,
            }),
            ("sts", Some(("assumed-role", rest))) => {
                let (role, session) = rest.split_once('/')?;
                // Identity Center roles live under a fixed path; any other role's path needs iam:GetRole.
                let (path, path_known) = if role.starts_with("AWSReservedSSO_") {
                    ("aws-reserved/sso.amazonaws.com/", true)
                } else {
                    ("", false)
                };
                Some(Principal {
                    kind: PrincipalKind::AssumedRole {
                        session: session.to_string(),
                    },
                    policy_arn: format!("arn:{partition}:iam::{account}:role/{path}{role}"),
                    name: role.to_string(),
                    account,
                    path_known,
                })
            }
            ("sts", Some(("federated-user", name))) => Some(Principal {
                kind: PrincipalKind::FederatedUser,
                policy_arn: arn.to_string(),
                name: name.to_string(),
                account,
                path_known: true,
            }),
            _ => None,
        }
    }

    /// The name Session Manager puts in front of session ids: the user name, or the role session name.
    pub fn session_owner(&self) -> &str {
        match &self.kind {
            PrincipalKind::AssumedRole { session } => session,
            _ => &self.name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_roles_sso_root_and_federated() {
        let user = Principal::from_caller_arn("arn:aws:iam::111122223333:user/ops/hoge").unwrap();
        assert_eq!(
            (user.kind.clone(), user.name.as_str()),
            (PrincipalKind::User, "hoge")
        );
        assert_eq!(user.policy_arn, "arn:aws:iam::111122223333:user/ops/hoge");

        let role = Principal::from_caller_arn(
            "arn:aws:sts::333344445555:assumed-role/SSMSSHRole/botocore-session-1",
        )
        .unwrap();
        assert_eq!(role.policy_arn, "arn:aws:iam::333344445555:role/SSMSSHRole");
        assert!(!role.path_known);
        assert_eq!(role.session_owner(), "botocore-session-1");

        let sso = Principal::from_caller_arn(
            "arn:aws:sts::222233334444:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b/taro",
        )
        .unwrap();
        assert_eq!(
            sso.policy_arn,
            "arn:aws:iam::222233334444:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"
        );
        assert!(sso.path_known);

        let root = Principal::from_caller_arn("arn:aws:iam::111122223333:root").unwrap();
        assert_eq!(root.kind, PrincipalKind::Root);
        let fed =
            Principal::from_caller_arn("arn:aws:sts::111122223333:federated-user/bob").unwrap();
        assert_eq!(fed.kind, PrincipalKind::FederatedUser);
        let china =
            Principal::from_caller_arn("arn:aws-cn:sts::111122223333:assumed-role/R/s").unwrap();
        assert_eq!(china.policy_arn, "arn:aws-cn:iam::111122223333:role/R");

        assert_eq!(Principal::from_caller_arn("arn:aws:s3:::bucket"), None);
        assert_eq!(Principal::from_caller_arn("not an arn"), None);
    }
}

//! The fleet facts document (schema version 2): everything gathered in one run about many targets, each shared
//! part stored once and keyed by the resource it describes — the account's caller, each region's settings, each
//! VPC's network, each instance profile and role — and each target holding only what is its own.
//!
//! The rules read one target at a time through [`Fleet::view`], which assembles that target's single facts
//! document (schema version 1) from the shared parts. A saved single-target document loads as itself
//! ([`Document::Single`]); [`Document::views`] reads either kind one target at a time.

use super::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The version of the fleet document.
pub const FLEET_SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    pub schema_version: u32,
    /// RFC 3339 time of gathering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gathered_at: Option<String>,
    /// Who asks, and what they may do: one caller for the whole run.
    pub caller: CallerFacts,
    #[serde(default)]
    pub client: Fact<Client>,
    /// By region name.
    #[serde(default)]
    pub regions: BTreeMap<String, RegionFacts>,
    /// By instance profile ARN.
    #[serde(default)]
    pub instance_profiles: BTreeMap<String, Fact<InstanceProfile>>,
    /// By role name: the instance profiles' roles and DHMC's.
    #[serde(default)]
    pub roles: BTreeMap<String, Fact<Role>>,
    /// In the order they were asked for.
    pub targets: Vec<TargetFacts>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerFacts {
    #[serde(default)]
    pub caller: Fact<CallerIdentity>,
    #[serde(default)]
    pub credentials: Fact<Credentials>,
    /// The decisions for every target (each target's instance ARN is among the resources).
    #[serde(default)]
    pub caller_permissions: Fact<CallerPermissions>,
    #[serde(default)]
    pub caller_policies: Fact<CallerPolicies>,
    #[serde(default)]
    pub mfa_devices: Fact<Vec<String>>,
    #[serde(default)]
    pub caller_tags: Fact<PrincipalTags>,
}

/// What is the same for every target of a region: the account's settings there, and its VPCs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionFacts {
    #[serde(default)]
    pub dhmc: Fact<DhmcSetting>,
    #[serde(default)]
    pub session_preferences: Fact<SessionPreferences>,
    #[serde(default)]
    pub log_group: Fact<LogGroup>,
    #[serde(default)]
    pub log_bucket_encryption: Fact<BucketEncryption>,
    #[serde(default)]
    pub activation_tier: Fact<String>,
    #[serde(default)]
    pub cloudtrail: Fact<Vec<Trail>>,
    /// The remote-host destination of this run, as seen from this region.
    #[serde(default)]
    pub remote_destination: Fact<RemoteDestination>,
    /// By VPC id.
    #[serde(default)]
    pub vpcs: BTreeMap<String, VpcFacts>,
    /// The KMS key the preferences name, resolved.
    #[serde(default)]
    pub session_key: Fact<KmsKey>,
    /// Just-in-time node access approval policies.
    #[serde(default)]
    pub approval_policies: Fact<Vec<ApprovalPolicy>>,
    /// Asked only when a target of the region is not online.
    #[serde(default)]
    pub serial_console_access: Fact<bool>,
}

/// One VPC's network, shared by every target in it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcFacts {
    #[serde(default)]
    pub vpc: Fact<Vpc>,
    #[serde(default)]
    pub vpc_dns: Fact<VpcDns>,
    #[serde(default)]
    pub subnets: Fact<Vec<Subnet>>,
    #[serde(default)]
    pub route_tables: Fact<Vec<RouteTable>>,
    #[serde(default)]
    pub vpc_endpoints: Fact<Vec<VpcEndpoint>>,
    #[serde(default)]
    pub security_groups: Fact<Vec<SecurityGroup>>,
    #[serde(default)]
    pub network_acls: Fact<Vec<NetworkAcl>>,
    #[serde(default)]
    pub prefix_lists: Fact<Vec<PrefixList>>,
    /// Asked only when a target in the VPC is not online.
    #[serde(default)]
    pub instance_connect_endpoints: Fact<Vec<InstanceConnectEndpoint>>,
}

/// What belongs to one target alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetFacts {
    /// `i-…` or `mi-…`.
    pub id: String,
    pub region: String,
    #[serde(default)]
    pub instance: Fact<Instance>,
    #[serde(default)]
    pub registration: Fact<Registration>,
    // Asked only when the agent is not online.
    #[serde(default)]
    pub image: Fact<Image>,
    #[serde(default)]
    pub console_output: Fact<ConsoleOutput>,
    #[serde(default)]
    pub status_checks: Fact<StatusChecks>,
    #[serde(default)]
    pub connection_status: Fact<String>,
    #[serde(default)]
    pub activation: Fact<Activation>,
}

impl TargetFacts {
    /// A target with its instance and registration; the signals of an agent that is not online are not gathered.
    pub fn new(
        id: &str,
        region: &str,
        instance: Fact<Instance>,
        registration: Fact<Registration>,
    ) -> TargetFacts {
        let why = "not asked";
        TargetFacts {
            id: id.to_string(),
            region: region.to_string(),
            instance,
            registration,
            image: Fact::not_gathered(why),
            console_output: Fact::not_gathered(why),
            status_checks: Fact::not_gathered(why),
            connection_status: Fact::not_gathered(why),
            activation: Fact::not_gathered(why),
        }
    }
}

impl Fleet {
    pub fn new(gathered_at: Option<String>) -> Fleet {
        Fleet {
            schema_version: FLEET_SCHEMA_VERSION,
            gathered_at,
            caller: CallerFacts::default(),
            client: Fact::default(),
            regions: BTreeMap::new(),
            instance_profiles: BTreeMap::new(),
            roles: BTreeMap::new(),
            targets: Vec::new(),
        }
    }

    /// The region's shared facts, made on first use.
    pub fn region_mut(&mut self, region: &str) -> &mut RegionFacts {
        self.regions.entry(region.to_string()).or_default()
    }

    /// The single facts document of target `i`, assembled from the parts it shares with the others. For many
    /// targets, [`Fleet::viewer`] indexes the shared parts once.
    pub fn view(&self, i: usize) -> Facts {
        self.viewer().view(i)
    }

    /// A reader of the targets' views that indexes the caller's decisions by what they are about, once.
    pub fn viewer(&self) -> Viewer<'_> {
        let mut shared: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut nodes: HashMap<&str, Vec<usize>> = HashMap::new();
        if let Ok(p) = self.caller.caller_permissions.get_ref() {
            for (i, k) in p.checks.iter().enumerate() {
                match concerns(&k.resource) {
                    Concerns::Node(arn) => nodes.entry(arn).or_default().push(i),
                    Concerns::Region(region) => shared.entry(region).or_default().push(i),
                }
            }
        }
        Viewer {
            fleet: self,
            shared,
            nodes,
        }
    }
}

/// Reads target views from a fleet; see [`Fleet::viewer`].
pub struct Viewer<'a> {
    fleet: &'a Fleet,
    /// Indices of the checks on what a region shares (documents, sessions, a KMS key), by region; `""`: on no
    /// region (roles), which every target keeps.
    shared: HashMap<&'a str, Vec<usize>>,
    /// Indices of the checks on one instance or managed node, by its ARN.
    nodes: HashMap<&'a str, Vec<usize>>,
}

/// What a permission check is about.
enum Concerns<'a> {
    /// One instance or managed node, by ARN.
    Node(&'a str),
    /// What a region's targets share, or (`""`) no region.
    Region(&'a str),
}

fn concerns(resource: &str) -> Concerns<'_> {
    let mut parts = resource.splitn(6, ':');
    let (Some("arn"), Some(_), Some(service), Some(region), Some(_), Some(name)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Concerns::Region("");
    };
    let node = (service == "ec2" && name.starts_with("instance/"))
        || (service == "ssm" && name.starts_with("managed-instance/"));
    if node {
        Concerns::Node(resource)
    } else {
        Concerns::Region(region)
    }
}

impl Viewer<'_> {
    /// The caller's decisions that concern one target: on its own instance, on what its region shares and on no
    /// region — not on other targets or regions — in their original order.
    fn permissions(
        &self,
        p: &CallerPermissions,
        region: &str,
        target_arn: &str,
    ) -> CallerPermissions {
        let none = Vec::new();
        let mut picked: Vec<usize> = [
            self.shared.get("").unwrap_or(&none).as_slice(),
            self.shared.get(region).unwrap_or(&none),
            self.nodes.get(target_arn).unwrap_or(&none),
        ]
        .concat();
        picked.sort_unstable();
        picked.dedup();
        CallerPermissions {
            method: p.method.clone(),
            principal_arn: p.principal_arn.clone(),
            checks: picked.into_iter().map(|i| p.checks[i].clone()).collect(),
            limitations: p.limitations.clone(),
            session_document_access_check: p.session_document_access_check,
        }
    }

    /// The single facts document of target `i`.
    pub fn view(&self, i: usize) -> Facts {
        let fleet = self.fleet;
        let t = &fleet.targets[i];
        let empty = RegionFacts::default();
        let region = fleet.regions.get(&t.region).unwrap_or(&empty);
        let mut f = self.shared_parts(t, region);
        if t.id.starts_with("mi-") {
            let why = "hybrid managed node: not an EC2 instance";
            f.activation_tier = region.activation_tier.clone();
            f.instance = Fact::not_applicable(why);
            f.instance_profile = Fact::not_applicable(why);
            f.role = Fact::not_applicable(why);
            f.dhmc_role = Fact::not_applicable(why);
            f.set_network(&VpcFacts::not_applicable(why));
            f.image = Fact::not_applicable(why);
            f.console_output = Fact::not_applicable(why);
            f.status_checks = Fact::not_applicable(why);
            f.serial_console_access = Fact::not_applicable(why);
            return f;
        }
        f.activation_tier = Fact::not_applicable("an EC2 instance");
        f.activation = Fact::not_applicable("an EC2 instance");
        f.dhmc_role = match region.dhmc.get_ref() {
            Ok(DhmcSetting {
                role_name: Some(name),
            }) => fleet.role(name),
            Ok(_) => Fact::not_applicable("DHMC names no role"),
            Err(reason) => Fact::not_gathered(format!(
                "the DHMC setting could not be seen ({})",
                reason.describe()
            )),
        };
        match t.instance.get_ref() {
            Ok(instance) => {
                self.profile_and_role(&mut f, instance);
                match &instance.vpc_id {
                    Some(vpc) => match region.vpcs.get(vpc) {
                        Some(network) => f.set_network(network),
                        None => f.set_network(&VpcFacts::not_gathered("the VPC was not looked up")),
                    },
                    None => f.set_network(&VpcFacts::not_applicable("the instance is in no VPC")),
                }
            }
            Err(reason) => {
                let why = format!("the instance could not be seen ({})", reason.describe());
                f.instance_profile = Fact::not_gathered(why.clone());
                f.role = Fact::not_gathered(why.clone());
                f.set_network(&VpcFacts::not_gathered(&why));
            }
        }
        f
    }

    /// What the target shares with the others: the caller, this machine, its region's settings; and its own
    /// instance and registration.
    fn shared_parts(&self, t: &TargetFacts, region: &RegionFacts) -> Facts {
        let fleet = self.fleet;
        let mut f = Facts::new(Target {
            id: t.id.clone(),
            region: t.region.clone(),
            account: fleet.caller.caller.value().map(|c| c.account.clone()),
        });
        f.gathered_at = fleet.gathered_at.clone();
        f.caller = fleet.caller.caller.clone();
        f.credentials = fleet.caller.credentials.clone();
        f.caller_permissions = match fleet.caller.caller_permissions.get_ref() {
            Ok(p) => Fact::known(self.permissions(p, &t.region, &f.target_arn())),
            Err(_) => fleet.caller.caller_permissions.clone(),
        };
        f.caller_policies = fleet.caller.caller_policies.clone();
        f.mfa_devices = fleet.caller.mfa_devices.clone();
        f.caller_tags = fleet.caller.caller_tags.clone();
        f.client = fleet.client.clone();
        f.instance = t.instance.clone();
        f.registration = t.registration.clone();
        f.dhmc = region.dhmc.clone();
        f.session_preferences = region.session_preferences.clone();
        f.log_group = region.log_group.clone();
        f.log_bucket_encryption = region.log_bucket_encryption.clone();
        f.cloudtrail = region.cloudtrail.clone();
        f.remote_destination = region.remote_destination.clone();
        f.session_key = region.session_key.clone();
        f.approval_policies = region.approval_policies.clone();
        f.image = t.image.clone();
        f.console_output = t.console_output.clone();
        f.status_checks = t.status_checks.clone();
        f.connection_status = t.connection_status.clone();
        f.activation = t.activation.clone();
        f.serial_console_access = region.serial_console_access.clone();
        f
    }

    /// The instance profile and its role. The role hangs on the profile: unseen profile, unseen role — never
    /// "no role".
    fn profile_and_role(&self, f: &mut Facts, instance: &Instance) {
        let fleet = self.fleet;
        let Some(arn) = &instance.instance_profile_arn else {
            let why = "the instance has no instance profile";
            f.instance_profile = Fact::not_applicable(why);
            f.role = Fact::not_applicable(why);
            return;
        };
        f.instance_profile = fleet
            .instance_profiles
            .get(arn)
            .cloned()
            .unwrap_or_else(|| Fact::not_gathered("the instance profile was not looked up"));
        f.role = match f.instance_profile.get_ref() {
            Ok(p) => match p.role_names.first() {
                Some(name) => fleet.role(name),
                None => Fact::not_applicable("the instance profile has no role"),
            },
            Err(reason) => Fact::not_gathered(format!(
                "the instance profile could not be seen ({})",
                reason.describe()
            )),
        };
    }
}

impl Fleet {
    fn role(&self, name: &str) -> Fact<Role> {
        self.roles
            .get(name)
            .cloned()
            .unwrap_or_else(|| Fact::not_gathered(format!("role {name} was not looked up")))
    }
}

impl CallerPermissions {
    /// The decisions of several regions' simulations as one fact: the first failure stands for all (IAM is
    /// global, so they fail alike).
    pub fn merge<E>(
        parts: Vec<Result<CallerPermissions, E>>,
    ) -> Option<Result<CallerPermissions, E>> {
        let mut merged: Option<CallerPermissions> = None;
        for part in parts {
            let part = match part {
                Ok(p) => p,
                Err(reason) => return Some(Err(reason)),
            };
            match &mut merged {
                None => merged = Some(part),
                Some(m) => {
                    m.checks.extend(part.checks);
                    // Any region's probe that saw the key decides: the policies are the same everywhere.
                    m.session_document_access_check = match (
                        m.session_document_access_check,
                        part.session_document_access_check,
                    ) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (a, b) => a.or(b),
                    };
                }
            }
        }
        merged.map(Ok)
    }
}

impl VpcFacts {
    /// Every network fact unavailable for one reason.
    pub fn not_applicable(why: &str) -> VpcFacts {
        VpcFacts::every(|| Unavailable::NotApplicable { why: why.into() })
    }

    pub fn not_gathered(why: &str) -> VpcFacts {
        VpcFacts::every(|| Unavailable::NotGathered { why: why.into() })
    }

    fn every(reason: impl Fn() -> Unavailable) -> VpcFacts {
        VpcFacts {
            vpc: Fact::unavailable(reason()),
            vpc_dns: Fact::unavailable(reason()),
            subnets: Fact::unavailable(reason()),
            route_tables: Fact::unavailable(reason()),
            vpc_endpoints: Fact::unavailable(reason()),
            security_groups: Fact::unavailable(reason()),
            network_acls: Fact::unavailable(reason()),
            prefix_lists: Fact::unavailable(reason()),
            instance_connect_endpoints: Fact::unavailable(reason()),
        }
    }
}

impl Facts {
    fn set_network(&mut self, n: &VpcFacts) {
        self.vpc = n.vpc.clone();
        self.vpc_dns = n.vpc_dns.clone();
        self.subnets = n.subnets.clone();
        self.route_tables = n.route_tables.clone();
        self.vpc_endpoints = n.vpc_endpoints.clone();
        self.security_groups = n.security_groups.clone();
        self.network_acls = n.network_acls.clone();
        self.prefix_lists = n.prefix_lists.clone();
        self.instance_connect_endpoints = n.instance_connect_endpoints.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(resource: &str) -> PermissionCheck {
        PermissionCheck {
            action: "ssm:StartSession".into(),
            resource: resource.into(),
            decision: Decision::Allowed,
            scenario: Scenario::Current,
            principal_arn: None,
            context: Default::default(),
            matched_statements: Vec::new(),
            why: None,
            denied_by: None,
        }
    }

    fn permissions(resources: &[&str]) -> CallerPermissions {
        CallerPermissions {
            method: "simulate_principal_policy".into(),
            principal_arn: "arn:aws:iam::111122223333:user/me".into(),
            checks: resources.iter().map(|r| check(r)).collect(),
            limitations: Vec::new(),
            session_document_access_check: None,
        }
    }

    fn target(id: &str, region: &str) -> TargetFacts {
        TargetFacts::new(
            id,
            region,
            Fact::not_gathered("test"),
            Fact::not_gathered("test"),
        )
    }

    #[test]
    fn a_target_keeps_the_checks_on_itself_and_its_region() {
        let mut fleet = Fleet::new(None);
        fleet.caller.caller_permissions = Fact::known(permissions(&[
            "arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaa1",
            "arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaa2",
            "arn:aws:ssm:eu-west-1::document/AWS-StartSSHSession",
            "arn:aws:ssm:eu-west-2::document/AWS-StartSSHSession",
            "arn:aws:iam::111122223333:role/admin",
            "*",
        ]));
        fleet.caller.caller = Fact::known(CallerIdentity {
            arn: "arn:aws:iam::111122223333:user/me".into(),
            account: "111122223333".into(),
            user_id: "AIDA".into(),
        });
        fleet
            .targets
            .push(target("i-0aaaaaaaaaaaaaaa1", "eu-west-1"));
        fleet
            .targets
            .push(target("i-0aaaaaaaaaaaaaaa3", "eu-west-2"));
        let viewer = fleet.viewer();
        let kept = |i: usize| -> Vec<String> {
            let v = viewer.view(i);
            let p = v.caller_permissions.value().unwrap();
            p.checks.iter().map(|k| k.resource.clone()).collect()
        };
        assert_eq!(
            kept(0),
            [
                "arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaa1",
                "arn:aws:ssm:eu-west-1::document/AWS-StartSSHSession",
                "arn:aws:iam::111122223333:role/admin",
                "*",
            ]
        );
        assert_eq!(
            kept(1),
            [
                "arn:aws:ssm:eu-west-2::document/AWS-StartSSHSession",
                "arn:aws:iam::111122223333:role/admin",
                "*",
            ]
        );
        assert_eq!(
            fleet.view(1),
            viewer.view(1),
            "one view, with or without the index"
        );
    }

    #[test]
    fn regions_merge_into_one_fact_and_a_failure_stands_for_all() {
        let mut a = permissions(&["arn:aws:ssm:eu-west-1::document/X"]);
        a.session_document_access_check = Some(false);
        let mut b = permissions(&["arn:aws:ssm:eu-west-2::document/X"]);
        b.session_document_access_check = Some(true);
        let merged = CallerPermissions::merge::<()>(vec![Ok(a.clone()), Ok(b)])
            .unwrap()
            .unwrap();
        assert_eq!(merged.checks.len(), 2);
        assert_eq!(merged.session_document_access_check, Some(true));
        assert!(CallerPermissions::merge(vec![Ok(a), Err("denied")])
            .unwrap()
            .is_err());
        assert!(CallerPermissions::merge::<()>(Vec::new()).is_none());
    }

    #[test]
    fn a_view_says_why_a_shared_part_is_missing() {
        let mut fleet = Fleet::new(None);
        let instance: Instance = serde_json::from_value(serde_json::json!({
            "instance_id": "i-0aaaaaaaaaaaaaaa1", "state": "running", "vpc_id": "vpc-1",
            "instance_profile_arn": "arn:aws:iam::111122223333:instance-profile/web",
            "security_group_ids": []
        }))
        .unwrap();
        fleet.targets.push(TargetFacts::new(
            "i-0aaaaaaaaaaaaaaa1",
            "eu-west-1",
            Fact::known(instance),
            Fact::not_gathered("test"),
        ));
        fleet.targets.push(TargetFacts::new(
            "mi-0aaaaaaaaaaaaaaa1",
            "eu-west-1",
            Fact::not_applicable("hybrid"),
            Fact::not_gathered("test"),
        ));
        let v = fleet.view(0);
        // Nothing looked up: unseen, never "not applicable" (which would let a rule skip).
        assert!(matches!(
            v.security_groups.reason(),
            Some(Unavailable::NotGathered { .. })
        ));
        assert!(matches!(
            v.instance_profile.reason(),
            Some(Unavailable::NotGathered { .. })
        ));
        let hybrid = fleet.view(1);
        assert!(matches!(
            hybrid.vpc.reason(),
            Some(Unavailable::NotApplicable { .. })
        ));
        assert_eq!(hybrid.target.id, "mi-0aaaaaaaaaaaaaaa1");
    }
}

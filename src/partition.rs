//! AWS partitions: every ARN, host name and service principal is built from the partition the target lives in,
//! never from a hard-coded `arn:aws:` (`aws` commercial, `aws-cn` China, `aws-us-gov` GovCloud, and the isolated
//! ones). A leaf: facts, rules and gathering all read it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// What ARNs carry: `aws`, `aws-cn`, `aws-us-gov`, ...
    pub name: &'static str,
    /// The domain of service endpoints: `amazonaws.com`, `amazonaws.com.cn`, ...
    pub dns_suffix: &'static str,
}

const AWS: Partition = Partition {
    name: "aws",
    dns_suffix: "amazonaws.com",
};
const PARTITIONS: [(&str, Partition); 6] = [
    (
        "cn-",
        Partition {
            name: "aws-cn",
            dns_suffix: "amazonaws.com.cn",
        },
    ),
    (
        "us-gov-",
        Partition {
            name: "aws-us-gov",
            dns_suffix: "amazonaws.com",
        },
    ),
    (
        "us-isob-",
        Partition {
            name: "aws-iso-b",
            dns_suffix: "sc2s.sgov.gov",
        },
    ),
    (
        "us-iso-",
        Partition {
            name: "aws-iso",
            dns_suffix: "c2s.ic.gov",
        },
    ),
    (
        "eu-isoe-",
        Partition {
            name: "aws-iso-e",
            dns_suffix: "cloud.adc-e.uk",
        },
    ),
    (
        "us-isof-",
        Partition {
            name: "aws-iso-f",
            dns_suffix: "csp.hci.ic.gov",
        },
    ),
];

impl Partition {
    /// The partition a region belongs to (by its prefix; everything else is the commercial `aws`).
    pub fn of_region(region: &str) -> Partition {
        PARTITIONS
            .iter()
            .find(|(prefix, _)| region.starts_with(prefix))
            .map_or(AWS, |(_, p)| *p)
    }

    /// The partition an ARN names, when it is one of the known ones.
    pub fn of_arn(arn: &str) -> Option<Partition> {
        let name = arn.strip_prefix("arn:")?.split(':').next()?;
        std::iter::once(AWS)
            .chain(PARTITIONS.iter().map(|(_, p)| *p))
            .find(|p| p.name == name)
    }

    /// An AWS managed policy's ARN, e.g. `arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore`.
    pub fn managed_policy(&self, path_and_name: &str) -> String {
        format!("arn:{}:iam::aws:policy/{path_and_name}", self.name)
    }

    /// A service's regional host name, e.g. `ssmmessages.cn-north-1.amazonaws.com.cn`.
    pub fn host(&self, service: &str, region: &str) -> String {
        format!("{service}.{region}.{}", self.dns_suffix)
    }

    /// The EC2 service principal a role's trust policy names: `ec2.amazonaws.com.cn` in China, where IAM has
    /// refused the global name for EC2 roles.
    pub fn ec2_principal(&self) -> &'static str {
        if self.name == "aws-cn" {
            "ec2.amazonaws.com.cn"
        } else {
            "ec2.amazonaws.com"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_arns_name_their_partition() {
        assert_eq!(Partition::of_region("ap-northeast-1").name, "aws");
        assert_eq!(Partition::of_region("cn-north-1").name, "aws-cn");
        assert_eq!(
            Partition::of_region("cn-northwest-1").dns_suffix,
            "amazonaws.com.cn"
        );
        assert_eq!(Partition::of_region("us-gov-west-1").name, "aws-us-gov");
        assert_eq!(Partition::of_region("us-isob-east-1").name, "aws-iso-b");
        assert_eq!(
            Partition::of_arn("arn:aws-cn:iam::111122223333:user/a").map(|p| p.name),
            Some("aws-cn")
        );
        assert_eq!(Partition::of_arn("not an arn"), None);
        assert_eq!(
            Partition::of_region("cn-north-1").managed_policy("AmazonSSMManagedInstanceCore"),
            "arn:aws-cn:iam::aws:policy/AmazonSSMManagedInstanceCore"
        );
        assert_eq!(
            Partition::of_region("cn-north-1").host("ssm", "cn-north-1"),
            "ssm.cn-north-1.amazonaws.com.cn"
        );
    }
}

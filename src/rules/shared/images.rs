//! Does an image ship the agent? AWS's page "Find AMIs with the SSM Agent preinstalled" lists the AMIs that
//! likely do (Amazon Linux 2 and 2023, EKS- and ECS-optimised Amazon Linux, Windows Server 2016–2025 and 2012 R2
//! from November 2016, Ubuntu Server LTS, SLES 15.3 and later, AlmaLinux, macOS 13–15); its per-OS install pages
//! say the AWS-provided AMIs of RHEL, CentOS, Debian, Oracle Linux and Rocky Linux do not. The AMI names and owner
//! accounts below are the publishers' conventions, not an AWS contract: an image they do not recognise, or one
//! built by anyone else from them (custom, Marketplace), is "not known", never "no".

use crate::facts::Image;
use crate::partition::Partition;

/// What the image says about the agent.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentOnImage {
    /// On AWS's list of AMIs with the agent preinstalled.
    Preinstalled(Os),
    /// The publisher's own image of an OS whose AWS AMIs come without the agent.
    Absent(Os),
    /// Not known, and why; the OS when the name says it.
    Unknown(Option<Os>, &'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    AmazonLinux,
    Windows,
    Ubuntu,
    Sles,
    Rhel,
    Centos,
    Rocky,
    Debian,
    OracleLinux,
    AlmaLinux,
    Macos,
}

impl Os {
    pub fn name(self) -> &'static str {
        match self {
            Os::AmazonLinux => "Amazon Linux",
            Os::Windows => "Windows Server",
            Os::Ubuntu => "Ubuntu Server",
            Os::Sles => "SUSE Linux Enterprise Server",
            Os::Rhel => "Red Hat Enterprise Linux",
            Os::Centos => "CentOS",
            Os::Rocky => "Rocky Linux",
            Os::Debian => "Debian",
            Os::OracleLinux => "Oracle Linux",
            Os::AlmaLinux => "AlmaLinux",
            Os::Macos => "macOS",
        }
    }
}

/// Owner accounts of the publishers (as EC2's public images show them).
const AMAZON: &[&str] = &[
    "137112412989",
    "801119661308",
    "591542846629",
    "898082745236",
];
const CANONICAL: &str = "099720109477";
const SUSE: &str = "013907871322";
const RED_HAT: &str = "309956199498";
const DEBIAN: &str = "136693071363";

/// Which OS the name or billing platform names.
fn os_of(name: &str, platform: &str) -> Option<Os> {
    let has = |s: &str| name.contains(s);
    Some(
        if name.starts_with("al2023-ami") || name.starts_with("amzn") || has("amazon-eks") {
            if name.starts_with("amzn-ec2-macos") {
                Os::Macos
            } else {
                Os::AmazonLinux
            }
        } else if name.starts_with("windows_server") || platform.starts_with("windows") {
            Os::Windows
        } else if has("ubuntu") || platform.starts_with("ubuntu") {
            Os::Ubuntu
        } else if has("suse-sles") || platform.starts_with("suse") {
            Os::Sles
        } else if name.starts_with("rhel") || platform.contains("red hat") {
            Os::Rhel
        } else if has("centos") {
            Os::Centos
        } else if has("rocky") {
            Os::Rocky
        } else if name.starts_with("debian") {
            Os::Debian
        } else if has("oraclelinux")
            || has("oracle-linux")
            || name.starts_with("ol8")
            || name.starts_with("ol9")
        {
            Os::OracleLinux
        } else if has("almalinux") {
            Os::AlmaLinux
        } else {
            return None;
        },
    )
}

/// Whether the image's publisher is the one its name claims: AWS, or the OS's vendor.
fn official(image: &Image, os: Os) -> bool {
    let owner = image.owner_id.as_deref().unwrap_or("");
    let amazon = image.owner_alias.as_deref() == Some("amazon") || AMAZON.contains(&owner);
    amazon
        || match os {
            Os::Ubuntu => owner == CANONICAL,
            Os::Sles => owner == SUSE,
            Os::Rhel => owner == RED_HAT,
            Os::Debian => owner == DEBIAN,
            _ => false,
        }
}

/// What the image says about the agent.
pub fn agent_on(image: &Image) -> AgentOnImage {
    let name = image.name.as_deref().unwrap_or("").to_ascii_lowercase();
    let platform = image
        .platform_details
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    let Some(os) = os_of(&name, &platform) else {
        return AgentOnImage::Unknown(None, "not an image AWS's list names");
    };
    if !official(image, os) {
        return AgentOnImage::Unknown(
            Some(os),
            "a custom or Marketplace image: it has the agent only if its maker installed it",
        );
    }
    judge(os, &name, image.creation_date.as_deref().unwrap_or(""))
}

fn judge(os: Os, name: &str, created: &str) -> AgentOnImage {
    let yes = AgentOnImage::Preinstalled(os);
    let unlisted = AgentOnImage::Unknown(Some(os), "this version is not on AWS's list");
    match os {
        Os::Rhel | Os::Centos | Os::Rocky | Os::Debian | Os::OracleLinux => {
            AgentOnImage::Absent(os)
        }
        Os::AlmaLinux => yes,
        Os::AmazonLinux if name.starts_with("amzn-ami") => unlisted,
        Os::AmazonLinux => yes,
        Os::Macos
            if [
                "amzn-ec2-macos-13",
                "amzn-ec2-macos-14",
                "amzn-ec2-macos-15",
            ]
            .iter()
            .any(|p| name.starts_with(p)) =>
        {
            yes
        }
        Os::Windows if name.contains("nano") => unlisted,
        Os::Windows
            if ["2016", "2019", "2022", "2025"]
                .iter()
                .any(|v| name.contains(v)) =>
        {
            yes
        }
        Os::Windows if name.contains("2012-r2") && created >= "2016-11" => yes,
        Os::Ubuntu if name.contains("ubuntu-pro") => unlisted,
        Os::Ubuntu
            if ["16.04", "18.04", "20.04", "22.04", "24.04", "25.04"]
                .iter()
                .any(|v| name.contains(v)) =>
        {
            yes
        }
        Os::Sles if sles_15_sp3_or_later(name) => yes,
        _ => unlisted,
    }
}

/// `suse-sles-15-sp3-…` and later service packs.
fn sles_15_sp3_or_later(name: &str) -> bool {
    let Some(rest) = name.split("sles-15-sp").nth(1) else {
        return false;
    };
    let sp: String = rest.chars().take_while(char::is_ascii_digit).collect();
    sp.parse::<u32>().is_ok_and(|n| n >= 3)
}

/// The commands that install and start the agent on `os` (AWS's install pages, with the region's own download).
pub fn install_commands(os: Os, region: &str, arm: bool) -> Vec<String> {
    let suffix = Partition::of_region(region).dns_suffix;
    let arch = if arm { "arm64" } else { "amd64" };
    let base = format!("https://s3.{region}.{suffix}/amazon-ssm-{region}/latest");
    let rpm = format!("{base}/linux_{arch}/amazon-ssm-agent.rpm");
    let start = [
        "sudo systemctl enable amazon-ssm-agent".to_string(),
        "sudo systemctl start amazon-ssm-agent".to_string(),
    ];
    let mut lines = match os {
        Os::Rhel | Os::Centos | Os::Rocky | Os::OracleLinux | Os::AlmaLinux => {
            vec![format!("sudo dnf install -y {rpm}")]
        }
        Os::AmazonLinux => vec![format!("sudo yum install -y {rpm}")],
        Os::Sles => vec![format!("sudo zypper install -y {rpm}")],
        Os::Debian => vec![
            format!("wget {base}/debian_{arch}/amazon-ssm-agent.deb"),
            "sudo dpkg -i amazon-ssm-agent.deb".to_string(),
        ],
        Os::Ubuntu => {
            return vec![
                "sudo snap install amazon-ssm-agent --classic".to_string(),
                "sudo snap start amazon-ssm-agent".to_string(),
            ]
        }
        Os::Windows => {
            return vec![
                format!("Invoke-WebRequest https://s3.{region}.{suffix}/amazon-ssm-{region}/latest/windows_amd64/AmazonSSMAgentSetup.exe -OutFile $env:TEMP\\SSMAgent_latest.exe"),
                "Start-Process -FilePath $env:TEMP\\SSMAgent_latest.exe -ArgumentList \"/S\" -Wait".to_string(),
            ]
        }
        Os::Macos => return Vec::new(),
    };
    lines.extend(start);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(name: &str, owner: &str, alias: Option<&str>, platform: &str) -> Image {
        Image {
            image_id: "ami-1".into(),
            name: Some(name.into()),
            description: None,
            owner_id: Some(owner.into()),
            owner_alias: alias.map(str::to_string),
            platform_details: Some(platform.into()),
            architecture: Some("x86_64".into()),
            creation_date: Some("2025-01-10T00:00:00.000Z".into()),
        }
    }

    #[test]
    fn aws_list_and_install_pages_decide_for_the_publishers_own_images() {
        let al = image(
            "al2023-ami-2023.6.20250107.0-kernel-6.1-x86_64",
            "137112412989",
            Some("amazon"),
            "Linux/UNIX",
        );
        assert_eq!(agent_on(&al), AgentOnImage::Preinstalled(Os::AmazonLinux));
        let rhel = image(
            "RHEL-9.4.0_HVM-20240605-x86_64-82-Hourly2-GP3",
            RED_HAT,
            None,
            "Red Hat Enterprise Linux",
        );
        assert_eq!(agent_on(&rhel), AgentOnImage::Absent(Os::Rhel));
        let win = image(
            "Windows_Server-2022-English-Full-Base-2025.01.15",
            "801119661308",
            Some("amazon"),
            "Windows",
        );
        assert_eq!(agent_on(&win), AgentOnImage::Preinstalled(Os::Windows));
        let nano = image(
            "Windows_Server-2016-English-Nano-Base-2019.01.10",
            "801119661308",
            Some("amazon"),
            "Windows",
        );
        assert!(matches!(
            agent_on(&nano),
            AgentOnImage::Unknown(Some(Os::Windows), _)
        ));
        let sles12 = image(
            "suse-sles-15-sp2-v20200721-hvm-ssd-x86_64",
            SUSE,
            None,
            "SUSE Linux",
        );
        assert!(matches!(agent_on(&sles12), AgentOnImage::Unknown(..)));
        let sles = image(
            "suse-sles-15-sp6-v20240808-hvm-ssd-x86_64",
            SUSE,
            None,
            "SUSE Linux",
        );
        assert_eq!(agent_on(&sles), AgentOnImage::Preinstalled(Os::Sles));
    }

    #[test]
    fn a_custom_image_is_not_known_whatever_its_base() {
        let golden = image(
            "rhel-9-golden-2025-01",
            "111122223333",
            None,
            "Red Hat Enterprise Linux",
        );
        assert!(matches!(
            agent_on(&golden),
            AgentOnImage::Unknown(Some(Os::Rhel), _)
        ));
        let odd = image("my-app-v12", "111122223333", None, "Linux/UNIX");
        assert_eq!(
            agent_on(&odd),
            AgentOnImage::Unknown(None, "not an image AWS's list names")
        );
    }

    #[test]
    fn install_commands_use_the_regions_download_and_architecture() {
        let rhel = install_commands(Os::Rhel, "eu-west-1", true);
        assert_eq!(
            rhel[0],
            "sudo dnf install -y https://s3.eu-west-1.amazonaws.com/amazon-ssm-eu-west-1/latest/linux_arm64/amazon-ssm-agent.rpm"
        );
        assert_eq!(
            rhel.last().unwrap(),
            "sudo systemctl start amazon-ssm-agent"
        );
        let china = install_commands(Os::Debian, "cn-north-1", false);
        assert!(china[0]
            .contains("s3.cn-north-1.amazonaws.com.cn/amazon-ssm-cn-north-1/latest/debian_amd64/"));
    }
}

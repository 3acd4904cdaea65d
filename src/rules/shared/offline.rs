//! Why the agent is not online, from what EC2 and Systems Manager show outside the host: the status checks, the
//! console output's telling lines, the instance metadata options, the image, a hybrid node's activation, the
//! registration's last ping and the launch time. Each signal becomes a cause (weighed: the most likely first) or a
//! line of evidence; and the ways in that need no agent (an Instance Connect Endpoint, the serial console) become
//! the commands that reach the host.

use crate::facts::*;
use crate::rules::outcome::Status;
use crate::rules::shared::images::{agent_on, install_commands, AgentOnImage};
use crate::rules::shared::Check;

/// What the agent needs to register and stay connected, checked by other rules: a role it can use, and a way to
/// Systems Manager's endpoints. One of them failing explains an agent that is not online before anything on the host.
const PREREQUISITES: [&str; 12] = [
    "instance-role",
    "dhmc-prerequisites",
    "role-trust",
    "role-agent-permissions",
    "network-path",
    "endpoint-available",
    "endpoint-private-dns",
    "endpoint-sg-ingress",
    "instance-sg-egress",
    "nacl-instance-subnet",
    "nacl-endpoint-subnets",
    "endpoint-policy",
];

/// Under this long since the launch or start, an unregistered agent is taken to be still registering: AWS says
/// to wait "a few minutes" and to troubleshoot after "5 minutes or so"; an agent whose first attempt failed waits
/// five minutes or more before the next (`core/app/credentialrefresher`).
pub const REGISTERING_SECONDS: i64 = 10 * 60;

/// One explanation, with what shows it and what fixes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    /// Higher is more likely to be the whole story.
    pub weight: u8,
    pub summary: String,
    pub evidence: Vec<String>,
    pub remedy: Vec<String>,
    /// The fix is done on the host, through a way in.
    pub on_host: bool,
    /// The rule that names this cause, when another does.
    pub rule: Option<&'static str>,
    /// That rule's failure ends by itself (an endpoint being created): what it waits for.
    pub settles: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Diagnosis {
    /// The most likely first.
    pub causes: Vec<Cause>,
    /// What else the signals show.
    pub also: Vec<String>,
    /// Signals that could not be seen, and why.
    pub unseen: Vec<(&'static str, Unavailable)>,
    /// Launched moments ago and not registered: the evidence.
    pub registering: Option<String>,
    /// Registered, its connection lost moments ago or started moments ago (a reboot, a restarted agent): the
    /// evidence. It comes back by itself, as a registration does.
    pub reconnecting: Option<String>,
    pub notes: Vec<String>,
    /// Some signal was gathered (an older document has none).
    pub gathered: bool,
    /// The console shows the agent's start line since the last boot (`None`: the console was not read).
    agent_started: Option<bool>,
}

impl Diagnosis {
    /// A signal's value; or, noted as unseen, nothing.
    fn seen<'f, T>(&mut self, fact: &'f Fact<T>, what: &'static str) -> Option<&'f T> {
        match fact.get_ref() {
            Ok(v) => {
                self.gathered = true;
                Some(v)
            }
            Err(Unavailable::NotApplicable { .. }) => None,
            Err(reason @ Unavailable::NotGathered { .. }) => {
                self.unseen.push((what, reason.clone()));
                None
            }
            Err(reason) => {
                self.gathered = true;
                self.unseen.push((what, reason.clone()));
                None
            }
        }
    }

    fn cause(
        &mut self,
        weight: u8,
        summary: String,
        evidence: Vec<String>,
        remedy: Vec<String>,
        on_host: bool,
    ) {
        self.causes.push(Cause {
            weight,
            summary,
            evidence,
            remedy,
            on_host,
            rule: None,
            settles: None,
        });
    }

    /// The permissions that would show what could not be seen.
    pub fn denied(&self) -> Vec<&str> {
        self.unseen
            .iter()
            .filter_map(|(_, r)| r.missing_action())
            .collect()
    }
}

/// The diagnosis of a target whose agent is known not to be online; `None` when it is online, its registration
/// is unseen, or the instance is not running (then that is the cause, and another rule's).
pub fn diagnose(c: &Check) -> Option<Diagnosis> {
    let reg = c.facts.registration.value()?;
    if reg.registered && reg.ping_status.as_deref() == Some("Online") {
        return None;
    }
    if c.facts
        .instance
        .value()
        .is_some_and(|i| i.state != "running")
    {
        return None;
    }
    let now = c.facts.gathered_at.as_deref().and_then(time);
    let mut d = Diagnosis::default();
    prerequisite(c, &mut d);
    registration(reg, now, &mut d);
    metadata(c, &mut d);
    status_checks(c, &mut d);
    console(c, &mut d);
    image(c, reg, &mut d);
    activation(c, &mut d);
    if let Some(s) = d.seen(&c.facts.connection_status, "the connection status") {
        d.also.push(format!("ssm:GetConnectionStatus says {s}"));
    }
    launched(c, reg, now, &mut d);
    d.causes.sort_by_key(|c| std::cmp::Reverse(c.weight));
    Some(d)
}

/// The first rule of the agent's role or network that fails: the agent cannot register or connect without it.
fn prerequisite(c: &Check, d: &mut Diagnosis) {
    let failing = PREREQUISITES.iter().find_map(|id| {
        let rule = crate::rules::find(id)?;
        let (Ok(out) | Err(out)) = (rule.check)(c);
        (out.status == Status::Fail).then(|| (rule.id(), out.message, out.settles))
    });
    let Some((rule, message, settles)) = failing else {
        return;
    };
    d.causes.push(Cause {
        weight: 94,
        summary: format!("{rule} fails: {message}"),
        evidence: vec![format!(
            "the agent needs a role it can use and a way to Systems Manager's endpoints to register; {rule} fails"
        )],
        remedy: vec![match &settles {
            Some(what) => format!(
                "Wait for {what} ({rule}: it ends by itself); the agent registers within minutes after (a reboot makes it try at once)."
            ),
            None => format!(
                "Fix {rule} first (its remedy above); the agent registers within minutes after (a reboot makes it try at once)."
            ),
        }],
        on_host: false,
        rule: Some(rule),
        settles,
    });
}

pub fn time(text: &str) -> Option<jiff::Timestamp> {
    text.parse().ok()
}

/// `3 minutes`, `5 hours`, `2 days`.
fn ago(seconds: i64) -> String {
    let (n, unit) = match seconds {
        s if s < 120 => (s.max(0), "second"),
        s if s < 2 * 3600 => (s / 60, "minute"),
        s if s < 2 * 86400 => (s / 3600, "hour"),
        s => (s / 86400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Seconds from `then` (RFC 3339) to the check's `now`.
pub fn since(then: &str, now: Option<jiff::Timestamp>) -> Option<i64> {
    Some(now?.duration_since(time(then)?).as_secs())
}

fn registration(reg: &Registration, now: Option<jiff::Timestamp>, d: &mut Diagnosis) {
    if !reg.registered {
        return;
    }
    let status = reg.ping_status.as_deref().unwrap_or("unknown");
    let last = match &reg.last_ping {
        Some(t) => match since(t, now) {
            Some(s) => format!(", last ping {t} ({} before the check)", ago(s)),
            None => format!(", last ping {t}"),
        },
        None => String::new(),
    };
    d.also.push(format!("PingStatus {status}{last}"));
    let lost = reg.last_ping.as_deref().and_then(|t| since(t, now));
    if let Some(s) = lost.filter(|s| status == "ConnectionLost" && *s < REGISTERING_SECONDS) {
        d.reconnecting = Some(format!(
            "its last ping was {} before the check: an agent reconnects within minutes",
            ago(s)
        ));
    }
    if reg.is_latest_version == Some(false) {
        let v = reg.agent_version.as_deref().unwrap_or("its version");
        d.also.push(format!(
            "agent {v} is not the latest (IsLatestVersion false)"
        ));
    }
}

fn metadata(c: &Check, d: &mut Diagnosis) {
    let Some(i) = c.facts.instance.value() else {
        return;
    };
    let Some(m) = &i.metadata_options else {
        return;
    };
    let id = &i.instance_id;
    if m.http_endpoint == "disabled" {
        d.cause(
            95,
            "the instance metadata service is turned off, so the agent cannot get the instance profile's credentials (nor DHMC's)".into(),
            vec!["MetadataOptions: HttpEndpoint disabled; the agent reads its role's credentials from 169.254.169.254".into()],
            vec![
                "Turn the metadata service on, then restart the agent or reboot:".into(),
                format!("aws ec2 modify-instance-metadata-options --instance-id {id} --http-endpoint enabled"),
                format!("aws ec2 reboot-instances --instance-ids {id}"),
            ],
            false,
        );
    }
    if m.http_put_response_hop_limit == Some(1) {
        d.notes.push(
            "IMDSv2 hop limit 1: enough for the agent on the host; only an agent in a container needs 2 or more".into(),
        );
    }
}

fn status_checks(c: &Check, d: &mut Diagnosis) {
    let Some(s) = d.seen(&c.facts.status_checks, "the status checks") else {
        return;
    };
    let id = &c.facts.target.id;
    let show = |x: &Option<String>| x.clone().unwrap_or_else(|| "not reported".into());
    let since = s
        .impaired_since
        .as_ref()
        .map(|t| format!(", impaired since {t}"))
        .unwrap_or_default();
    let line = format!(
        "status checks: instance {}, system {}{since}",
        show(&s.instance_status),
        show(&s.system_status)
    );
    let is = |x: &Option<String>, v: &str| x.as_deref() == Some(v);
    if is(&s.system_status, "impaired") {
        d.cause(
            100,
            "EC2's system status check fails: the host under the instance has a problem (power, network or hardware)".into(),
            vec![line],
            vec![
                "Stop and start the instance (not reboot): it moves to another host.".into(),
                format!("aws ec2 stop-instances --instance-ids {id}"),
                format!("aws ec2 start-instances --instance-ids {id}"),
            ],
            false,
        );
    } else if is(&s.instance_status, "impaired") {
        d.cause(
            97,
            "EC2's instance status check fails: the operating system does not answer (exhausted memory, a full or corrupt file system, a kernel or network configuration that does not boot)".into(),
            vec![line],
            vec![
                "Reboot it; if it stays impaired, read its console output for the reason:".into(),
                format!("aws ec2 reboot-instances --instance-ids {id}"),
                format!("aws ec2 get-console-output --instance-id {id} --latest --output text"),
            ],
            false,
        );
    } else if s.instance_status.is_none() && s.system_status.is_none() {
        d.also.push("status checks: none reported yet".into());
    } else {
        d.also.push(line);
    }
    if !s.events.is_empty() {
        d.also
            .push(format!("scheduled events: {}", s.events.join(", ")));
    }
}

/// A console line's meaning: its weight, the cause, what fixes it, and whether that is done on the host.
fn boot_signal(kind: ConsoleSignal) -> Option<(u8, &'static str, &'static [&'static str], bool)> {
    Some(match kind {
        ConsoleSignal::KernelPanic => (
            98,
            "the kernel panicked: the operating system does not boot",
            &["Repair the root volume from a rescue instance (detach it, attach it to a working instance, fix the kernel or boot configuration), or restore it from a snapshot."],
            false,
        ),
        ConsoleSignal::DiskFull => (
            90,
            "the disk is full: without space the agent stops working",
            &["Free space on the host (or grow the volume with aws ec2 modify-volume, then its file system), and restart the agent:", "df -h", "sudo journalctl --vacuum-size=200M", "sudo systemctl restart amazon-ssm-agent"],
            true,
        ),
        ConsoleSignal::FileSystemError => (
            85,
            "the file system has errors: the agent cannot write its state",
            &["Check and repair the file system from a rescue instance (fsck or xfs_repair on the detached volume), or restore the volume from a snapshot."],
            false,
        ),
        ConsoleSignal::AgentServiceFailed => (
            80,
            "the amazon-ssm-agent service failed",
            &["Start it again on the host, and read its log for why it failed:", "sudo systemctl restart amazon-ssm-agent"],
            true,
        ),
        ConsoleSignal::OutOfMemory => (
            70,
            "the kernel ran out of memory and killed processes",
            &["Give the instance more memory (a larger instance type) or stop what exhausts it, then restart the agent:", "sudo systemctl restart amazon-ssm-agent"],
            true,
        ),
        ConsoleSignal::CloudInitFailed => (
            50,
            "cloud-init or the user data failed (an agent installed by user data would not be there)",
            &["Read the user data's output on the host:", "sudo tail -n 50 /var/log/cloud-init-output.log"],
            true,
        ),
        ConsoleSignal::AgentStarted => return None,
    })
}

fn console(c: &Check, d: &mut Diagnosis) {
    let Some(out) = d.seen(&c.facts.console_output, "the console output") else {
        return;
    };
    let when = out
        .timestamp
        .as_ref()
        .map(|t| format!(" (updated {t})"))
        .unwrap_or_default();
    if out.empty {
        d.also.push(format!(
            "the console output is empty{when}: EC2 posts it shortly after a start or a stop"
        ));
        return;
    }
    let launch = c
        .facts
        .instance
        .value()
        .and_then(|i| i.launch_time.as_deref());
    let stale = match (
        out.timestamp.as_deref().and_then(time),
        launch.and_then(time),
    ) {
        (Some(t), Some(l)) => t < l,
        _ => false,
    };
    if stale {
        d.also.push(format!(
            "the console output{when} is older than the last start ({}): it may tell of an earlier boot",
            launch.unwrap_or("")
        ));
    }
    let mut kinds: Vec<ConsoleSignal> = out.lines.iter().map(|l| l.kind).collect();
    kinds.dedup();
    for kind in kinds {
        let (Some((weight, summary, remedy, on_host)), Some(line)) =
            (boot_signal(kind), out.of(kind).last())
        else {
            continue;
        };
        let remedy = remedy.iter().map(|s| s.to_string()).collect();
        d.cause(
            weight,
            summary.into(),
            vec![format!("console{when}: {}", line.text)],
            remedy,
            on_host,
        );
    }
    agent_line(c, out, stale, d);
}

/// The agent writes `Amazon SSM Agent v… is running` to the serial console once it has credentials, that is
/// once it reached Systems Manager (amazon-ssm-agent `agent/startup/startup_unix.go`, `startup_windows.go`).
fn agent_line(c: &Check, out: &ConsoleOutput, stale: bool, d: &mut Diagnosis) {
    match out.of(ConsoleSignal::AgentStarted).last() {
        Some(l) => {
            d.agent_started = Some(!stale);
            let at = l
                .time
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default();
            d.also.push(format!(
                "console: the agent {} started{at} (`{}`): it is installed, had its credentials and reached Systems Manager then",
                l.agent_version().map(|v| format!("v{v}")).unwrap_or_default(),
                l.text
            ));
        }
        None if !stale => {
            d.agent_started = Some(false);
            let windows =
                c.facts.instance.value().and_then(|i| i.platform.as_deref()) == Some("windows");
            d.also.push(format!(
                "the console shows no `Amazon SSM Agent v… is running` line since the boot{}: the agent has not started, \
                 or has not reached Systems Manager with credentials",
                if windows { " (Windows Server 2016 and later write it)" } else { "" }
            ));
        }
        None => {}
    }
}

fn image(c: &Check, reg: &Registration, d: &mut Diagnosis) {
    let Some(img) = d.seen(&c.facts.image, "the image") else {
        return;
    };
    let label = match &img.name {
        Some(n) => format!("{n} ({})", img.image_id),
        None => img.image_id.clone(),
    };
    let owner = img
        .owner_alias
        .as_deref()
        .or(img.owner_id.as_deref())
        .unwrap_or("unknown");
    match agent_on(img) {
        // Launched moments ago: its user data may be installing the agent now.
        AgentOnImage::Absent(os) if !reg.registered && since_launch(c).is_some_and(|s| s < REGISTERING_SECONDS) => {
            d.also.push(format!(
                "image {label}: {} comes without the agent; unless the user data installs it, it will not register",
                os.name()
            ))
        }
        AgentOnImage::Absent(os) if !reg.registered && d.agent_started != Some(true) => {
            let arm = img.architecture.as_deref() == Some("arm64");
            let mut remedy = vec![format!(
                "Install the agent for {} on the host (or, for new instances, in the user data of their launch template); it registers within minutes:",
                os.name()
            )];
            remedy.extend(install_commands(os, &c.facts.target.region, arm));
            d.cause(
                92,
                format!("the image is {}, whose AMIs come without the agent, and the agent never registered", os.name()),
                vec![
                    format!("image {label}, owner {owner}"),
                    format!("AWS: the {} AMIs it provides do not come with SSM Agent preinstalled", os.name()),
                ],
                remedy,
                true,
            );
        }
        AgentOnImage::Absent(os) => d.also.push(format!(
            "image {label}: {} comes without the agent, so it was installed afterwards",
            os.name()
        )),
        AgentOnImage::Preinstalled(os) => d.also.push(format!(
            "image {label}: {} is on AWS's list of AMIs with the agent preinstalled (likely there; it may still be stopped)",
            os.name()
        )),
        AgentOnImage::Unknown(_, why) => d.also.push(format!("image {label}, owner {owner}: whether it has the agent is not known: {why}")),
    }
}

fn activation(c: &Check, d: &mut Diagnosis) {
    let Some(a) = d.seen(&c.facts.activation, "the activation") else {
        return;
    };
    let id = &a.activation_id;
    let until = a
        .expiration_date
        .as_deref()
        .map(|t| format!(" on {t}"))
        .unwrap_or_default();
    let role = a.iam_role.as_deref().unwrap_or("SSMServiceRole");
    let region = &c.facts.target.region;
    let renew = vec![
        "Create a new activation, and register the node again with the code and id it prints (as CODE and ID):".into(),
        format!("aws ssm create-activation --iam-role {role} --registration-limit 1"),
        format!("sudo amazon-ssm-agent -register -y -code \"$CODE\" -id \"$ID\" -region {region}"),
        "sudo systemctl restart amazon-ssm-agent".into(),
    ];
    let used = match (a.registrations_count, a.registration_limit) {
        (Some(n), Some(limit)) => Some((n, limit)),
        _ => None,
    };
    if a.expired {
        d.cause(
            60,
            format!("the activation it registered with expired{until}: a node whose agent was reinstalled or whose registration was reset cannot register again with it"),
            vec![format!("activation {id}: Expired true{until}")],
            renew,
            true,
        );
    } else if let Some((n, limit)) = used.filter(|(n, limit)| n >= limit) {
        d.cause(
            55,
            format!("the activation it registered with is used up ({n} of {limit} registrations): registering again with it fails"),
            vec![format!("activation {id}: RegistrationsCount {n}, RegistrationLimit {limit}")],
            renew,
            true,
        );
    } else {
        d.also.push(format!(
            "activation {id} is valid{}",
            until.replacen(" on", " until", 1)
        ));
    }
}

/// Seconds from the instance's launch or last start to the check.
fn since_launch(c: &Check) -> Option<i64> {
    let now = c.facts.gathered_at.as_deref().and_then(time);
    since(c.facts.instance.value()?.launch_time.as_deref()?, now)
}

fn launched(c: &Check, reg: &Registration, now: Option<jiff::Timestamp>, d: &mut Diagnosis) {
    let Some(i) = c.facts.instance.value() else {
        return;
    };
    let Some(t) = i.launch_time.as_deref() else {
        return;
    };
    let Some(s) = since(t, now) else {
        return;
    };
    let line = format!("launched or last started {} before the check ({t})", ago(s));
    let lost = reg.ping_status.as_deref() == Some("ConnectionLost");
    match (reg.registered, s < REGISTERING_SECONDS) {
        (false, true) => d.registering = Some(line),
        // Started again since its last ping: the agent reconnects once the OS is up.
        (true, true) if lost && d.reconnecting.is_none() => d.reconnecting = Some(line),
        _ => d.also.push(line),
    }
}

/// The ways into a host that need no agent: the commands that reach it, and those that read the agent's log there.
pub struct WayIn {
    pub access: Vec<String>,
    pub log: Vec<String>,
}

/// The ways into the host that need no agent, as the commands that reach it and read the agent's log.
pub fn ways_in(c: &Check, d: &mut Diagnosis) -> WayIn {
    let id = &c.facts.target.id;
    let mut lines = Vec::new();
    if c.facts.is_hybrid() {
        let mut log =
            vec!["On the node itself (it is not in AWS), read the agent's log:".to_string()];
        log.extend(log_commands(false));
        return WayIn { access: lines, log };
    }
    let windows = c.facts.instance.value().and_then(|i| i.platform.as_deref()) == Some("windows");
    let endpoint = d
        .seen(
            &c.facts.instance_connect_endpoints,
            "the VPC's Instance Connect Endpoints",
        )
        .and_then(|all| all.iter().find(|e| e.state == "create-complete"))
        .map(|e| e.endpoint_id.clone());
    let serial = d
        .seen(&c.facts.serial_console_access, "the serial console access")
        .copied();
    if let Some(eice) = &endpoint {
        lines.push(format!(
            "Reach the host through the VPC's EC2 Instance Connect Endpoint {eice} (its security group must reach the instance on port 22):"
        ));
        lines.push(format!(
            "aws ec2-instance-connect ssh --instance-id {id} --connection-type eice"
        ));
    }
    if serial == Some(true) {
        lines.push("Or through the EC2 Serial Console, enabled for the account (a Nitro instance, and an OS user with a password):".into());
        lines.push(format!(
            "aws ec2-instance-connect send-serial-console-ssh-public-key --instance-id {id} --serial-port 0 --ssh-public-key file://$HOME/.ssh/id_ed25519.pub"
        ));
        lines.push(format!(
            "ssh {id}.port0@serial-console.ec2-instance-connect.{}.aws",
            c.facts.target.region
        ));
    }
    if endpoint.is_none() && serial != Some(true) {
        lines.extend(no_way_in(c, serial.is_none()));
    }
    let mut log = vec!["Then read the agent's log on the host:".to_string()];
    log.extend(log_commands(windows));
    WayIn { access: lines, log }
}

/// No way in is known to exist: how to make one.
fn no_way_in(c: &Check, unseen: bool) -> Vec<String> {
    let mut lines = vec![if unseen {
        "Whether a way in exists could not be seen; to make one, enable the EC2 Serial Console for the account, or create an EC2 Instance Connect Endpoint in the instance's subnet:".to_string()
    } else {
        "No way in exists yet: enable the EC2 Serial Console for the account, or create an EC2 Instance Connect Endpoint in the instance's subnet:".to_string()
    }];
    lines.push("aws ec2 enable-serial-console-access".into());
    if let Some(subnet) = c
        .facts
        .instance
        .value()
        .and_then(|i| i.subnet_id.as_deref())
    {
        lines.push(format!(
            "aws ec2 create-instance-connect-endpoint --subnet-id {subnet}"
        ));
        lines.push("and reach the host through it (its security group must reach the instance on port 22):".into());
        lines.push(format!(
            "aws ec2-instance-connect ssh --instance-id {} --connection-type eice",
            c.facts.target.id
        ));
    }
    lines
}

fn log_commands(windows: bool) -> Vec<String> {
    if windows {
        vec![
            "Get-Service AmazonSSMAgent".into(),
            "Get-Content C:\\ProgramData\\Amazon\\SSM\\Logs\\amazon-ssm-agent.log -Tail 50".into(),
        ]
    } else {
        vec![
            "sudo systemctl status amazon-ssm-agent snap.amazon-ssm-agent.amazon-ssm-agent".into(),
            "sudo tail -n 50 /var/log/amazon/ssm/amazon-ssm-agent.log /var/log/amazon/ssm/errors.log".into(),
        ]
    }
}

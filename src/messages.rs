//! The messages users paste — from `aws ssm start-session`, the Session Manager plugin, or the SSM Agent through
//! the plugin — and what they mean: one table, each entry its exact wording (as the software prints it), who
//! prints it, its meaning, the rules that check its causes (most likely first), the causes no rule can see, and
//! the source. `ssm-check why` reads it; `docs/errors.md` is generated from it. Wording and sources:
//! amazon-ssm-agent, session-manager-plugin and aws-cli source, and AWS's troubleshooting pages.

/// Who prints a message, which tells where to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintedBy {
    /// A Systems Manager (or IAM) error, printed by the AWS CLI: `An error occurred (Code) when calling …`.
    Service,
    /// The AWS CLI itself.
    Cli,
    /// The Session Manager plugin, on the user's machine.
    Plugin,
    /// The SSM Agent on the instance, relayed by the plugin as `SessionId: … : <text>`.
    Agent,
    /// Not a message: what a user sees.
    Symptom,
}

impl PrintedBy {
    pub fn describe(self) -> &'static str {
        match self {
            PrintedBy::Service => "Systems Manager's answer, printed by the AWS CLI",
            PrintedBy::Cli => "the AWS CLI",
            PrintedBy::Plugin => "the Session Manager plugin on this machine",
            PrintedBy::Agent => "the SSM Agent on the instance, relayed by the plugin",
            PrintedBy::Symptom => "what the session shows",
        }
    }
}

pub struct Known {
    /// A stable id, e.g. `target-not-connected`.
    pub id: &'static str,
    /// Alternatives; each a list of fragments that must all appear (case and spacing ignored).
    pub patterns: &'static [&'static [&'static str]],
    /// Entries of one family (AccessDenied, say) are tried most specific first, and only the first that matches
    /// is given.
    pub family: &'static str,
    /// The message as printed (`…` where it varies).
    pub example: &'static str,
    pub printed_by: PrintedBy,
    pub meaning: &'static str,
    /// The rules that check its causes, most likely first.
    pub rules: &'static [&'static str],
    /// Causes no rule can see from outside, in words.
    pub other_causes: &'static [&'static str],
    pub source: &'static str,
}

const TROUBLESHOOTING: &str =
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-troubleshooting.html";
const ACCESS_DENIED: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html";

pub static MESSAGES: &[Known] = &[
    Known {
        id: "target-not-connected",
        patterns: &[&["(TargetNotConnected)"], &["is not connected", "StartSession"]],
        family: "target-not-connected",
        example: "An error occurred (TargetNotConnected) when calling the StartSession operation: i-0123456789abcdef0 is not connected.",
        printed_by: PrintedBy::Service,
        meaning: "Systems Manager has no live connection from the SSM Agent on the target: the agent is not running, not registered, cannot reach Systems Manager, or the target is in another region or account than the one asked.",
        rules: &["instance-running", "agent-online", "agent-offline-cause", "instance-role", "role-trust", "role-agent-permissions", "dhmc-prerequisites", "network-path", "endpoint-private-dns", "endpoint-sg-ingress", "instance-sg-egress", "nacl-instance-subnet", "nacl-endpoint-subnets", "endpoint-policy", "agent-version"],
        other_causes: &["the wrong region, profile or account (Systems Manager says the same of a target it does not know)", "an instance that has just started: the agent registers within minutes"],
        source: "AWS \"Troubleshooting Session Manager\", TargetNotConnected; the StartSession API reference",
    },
    Known {
        id: "plugin-not-found",
        patterns: &[&["SessionManagerPlugin is not found"]],
        family: "plugin-not-found",
        example: "SessionManagerPlugin is not found. Please refer to SessionManager Documentation here: http://docs.aws.amazon.com/console/systems-manager/session-manager-plugin-not-found",
        printed_by: PrintedBy::Cli,
        meaning: "StartSession succeeded, but the AWS CLI found no session-manager-plugin on PATH to carry the session (and ended it again).",
        rules: &["client-plugin"],
        other_causes: &["a PATH without the plugin in the program that starts the session (a GUI app, root, packer, a container image)"],
        source: "aws-cli awscli/customizations/sessionmanager.py (ERROR_MESSAGE); AWS \"Troubleshooting Session Manager\", Session Manager plugin not found",
    },
    Known {
        id: "denied-by-scp",
        patterns: &[&["is not authorized to perform", "service control policy"]],
        family: "access-denied",
        example: "An error occurred (AccessDeniedException) when calling the StartSession operation: User: arn:aws:iam::111122223333:user/alice is not authorized to perform: ssm:StartSession on resource: arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0 with an explicit deny in a service control policy",
        printed_by: PrintedBy::Service,
        meaning: "A service control policy of your AWS Organization denies the call. Your own policies cannot override it: the organisation's administrators change SCPs (the message may end with the policy's ARN).",
        rules: &["caller-start-session"],
        other_causes: &["an SCP, which only the organisation's management account can read and change"],
        source: ACCESS_DENIED,
    },
    Known {
        id: "denied-by-rcp",
        patterns: &[&["is not authorized to perform", "resource control policy"]],
        family: "access-denied",
        example: "… is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:… with an explicit deny in a resource control policy",
        printed_by: PrintedBy::Service,
        meaning: "A resource control policy of your AWS Organization denies the call on that resource; the organisation's administrators change it.",
        rules: &["caller-kms"],
        other_causes: &["an RCP, which only the organisation's management account can read and change"],
        source: ACCESS_DENIED,
    },
    Known {
        id: "denied-by-boundary",
        patterns: &[&["is not authorized to perform", "permissions boundary"]],
        family: "access-denied",
        example: "… is not authorized to perform: ssm:StartSession on resource: … with an explicit deny in a permissions boundary",
        printed_by: PrintedBy::Service,
        meaning: "The permissions boundary on your user or role does not allow the call (or denies it): a boundary caps what your policies can grant.",
        rules: &["caller-start-session"],
        other_causes: &[],
        source: ACCESS_DENIED,
    },
    Known {
        id: "denied-by-session-policy",
        patterns: &[&["is not authorized to perform", "session policy"], &["is not authorized to perform", "sessions policy"]],
        family: "access-denied",
        example: "… is not authorized to perform: ssm:StartSession on resource: … because no session policy allows the ssm:StartSession action",
        printed_by: PrintedBy::Service,
        meaning: "The session policy passed when your role was assumed limits the call. With Systems Manager just-in-time node access, the access token's session policy allows only shell sessions (not port forwarding or SSH).",
        rules: &["jit-node-access", "caller-start-session", "caller-assume-role"],
        other_causes: &["the session policy of the assume-role or federation call, which is not visible from outside"],
        source: ACCESS_DENIED,
    },
    Known {
        id: "denied-by-endpoint-policy",
        patterns: &[&["is not authorized to perform", "VPC endpoint policy"]],
        family: "access-denied",
        example: "… is not authorized to perform: ssm:StartSession on resource: … because no VPC endpoint policy allows the ssm:StartSession action",
        printed_by: PrintedBy::Service,
        meaning: "The policy of the VPC endpoint your own request went through (on your side, not the instance's) does not allow the call.",
        rules: &[],
        other_causes: &["the endpoint policy of the ssm endpoint in the VPC you call from"],
        source: ACCESS_DENIED,
    },
    Known {
        id: "denied-explicitly",
        patterns: &[&["is not authorized to perform", "explicit deny"]],
        family: "access-denied",
        example: "… is not authorized to perform: ssm:StartSession on resource: … with an explicit deny in an identity-based policy",
        printed_by: PrintedBy::Service,
        meaning: "A Deny statement in your own policies matches the call; very often one that denies everything unless you signed in with MFA.",
        rules: &["caller-mfa", "caller-start-session"],
        other_causes: &[],
        source: ACCESS_DENIED,
    },
    Known {
        id: "terminate-denied",
        patterns: &[&["is not authorized to perform", "ssm:TerminateSession"], &["is not authorized to perform", "ssm:ResumeSession"]],
        family: "access-denied",
        example: "An error occurred (AccessDeniedException) when calling the TerminateSession operation: User: … is not authorized to perform: ssm:TerminateSession on resource: arn:aws:ssm:…:session/… because no identity-based policy allows the ssm:TerminateSession action.",
        printed_by: PrintedBy::Service,
        meaning: "You may not end (or resume) your own sessions: the policy's session resource does not match the ids your sessions get.",
        rules: &["caller-session-control"],
        other_causes: &[],
        source: TROUBLESHOOTING,
    },
    Known {
        id: "not-allowed",
        patterns: &[&["is not authorized to perform", "ssm:StartSession"], &["(AccessDeniedException)", "StartSession"]],
        family: "access-denied",
        example: "An error occurred (AccessDeniedException) when calling the StartSession operation: User: … is not authorized to perform: ssm:StartSession on resource: … because no identity-based policy allows the ssm:StartSession action",
        printed_by: PrintedBy::Service,
        meaning: "No policy of yours allows ssm:StartSession on the instance, or on the session document: both are checked.",
        rules: &["caller-start-session", "caller-mfa", "jit-node-access", "caller-assume-role", "caller-credentials"],
        other_causes: &[],
        source: ACCESS_DENIED,
    },
    Known {
        id: "plugin-not-supported",
        patterns: &[&["is not supported by this version of ssm agent"]],
        family: "agent-plugin",
        example: "SessionId: alice-0a1b2c3d4e5f67890 : Plugin with name Port is not supported by this version of ssm agent, please update to latest version. Step name: Port",
        printed_by: PrintedBy::Agent,
        meaning: "The agent on the instance predates the session type: port forwarding and SSH need agent 2.3.672.0 or later.",
        rules: &["agent-version"],
        other_causes: &[],
        source: "amazon-ssm-agent agent/framework/runpluginutil/runpluginutil.go (getStepExecutionOperation)",
    },
    Known {
        id: "remote-host-not-supported",
        patterns: &[&["doesn't support port forwarding to remote hosts"], &["port forwarding sessions to remote hosts are not supported"]],
        family: "agent-plugin",
        example: "An error occurred (BadRequest) when calling the StartSession operation: The version of the SSM agent installed on this instance doesn't support port forwarding to remote hosts. Install the latest version of the SSM agent to use port forwarding sessions to remote hosts.",
        printed_by: PrintedBy::Service,
        meaning: "Remote-host port forwarding needs agent 3.1.1374.0 or later.",
        rules: &["agent-version"],
        other_causes: &[],
        source: "amazon-ssm-agent issue 140; AWS \"Start a session\"",
    },
    Known {
        id: "agent-plugin-missing",
        patterns: &[&["Plugin with name", "not found. Step name"], &["Plugin with name", "is not found"]],
        family: "agent-plugin",
        example: "SessionId: alice-0a1b2c3d4e5f67890 : Plugin with name Standard_Stream not found. Step name: Standard_Stream",
        printed_by: PrintedBy::Agent,
        meaning: "The agent cannot load the session's plugin: a broken agent install, or a full disk.",
        rules: &["agent-version", "agent-online", "agent-offline-cause"],
        other_causes: &["a full disk or a damaged agent install on the instance: reinstall the agent"],
        source: "amazon-ssm-agent agent/framework/runpluginutil/runpluginutil.go; amazon-ssm-agent issue 370",
    },
    Known {
        id: "forwarding-forbidden",
        patterns: &[&["Forwarding to IP address", "is forbidden"]],
        family: "forwarding-forbidden",
        example: "SessionId: alice-0a1b2c3d4e5f67890 : Forwarding to IP address 169.254.169.254 is forbidden.",
        printed_by: PrintedBy::Agent,
        meaning: "The agent refuses the remote host: the instance metadata service and other link-local AWS addresses, and each VPC range's first four and last addresses, are on its deny list (the message names the host as you typed it).",
        rules: &["remote-host-allowed"],
        other_causes: &["an administrator's own deny list (Mgs.DeniedPortForwardingRemoteIPs in amazon-ssm-agent.json)"],
        source: "amazon-ssm-agent agent/session/plugins/port/port.go (validateParameters); agent/appconfig/constants.go",
    },
    Known {
        id: "destination-port-failed",
        patterns: &[&["Connection to destination port failed"], &["Unable to connect to specified port"]],
        family: "destination-port",
        example: "Connection to destination port failed, check SSM Agent logs.",
        printed_by: PrintedBy::Plugin,
        meaning: "The session opened, but the agent could not connect to the forwarded port: nothing listens there, or something between the instance and the remote host blocks it.",
        rules: &["remote-host-reachable", "port-forward-scope", "remote-host-allowed"],
        other_causes: &["nothing listening on that port (sshd or the RDP service stopped, the wrong port)", "a firewall on the host itself", "a host name that does not resolve on the instance"],
        source: "session-manager-plugin src/sessionmanagerplugin/session/portsession/muxportforwarding.go; amazon-ssm-agent agent/session/plugins/port/port_basic.go",
    },
    Known {
        id: "websocket-bad-handshake",
        patterns: &[&["websocket: bad handshake"]],
        family: "websocket",
        example: "Failed to dial websocket: websocket: bad handshake",
        printed_by: PrintedBy::Plugin,
        meaning: "The stream to ssmmessages was refused before it opened: a proxy or TLS inspection in front of wss://ssmmessages.REGION.amazonaws.com, or a stream token that expired (a session resumed too late). The plugin logs it; on screen the session just hangs after \"Starting session\".",
        rules: &["client-proxy"],
        other_causes: &["a proxy or TLS-inspecting middlebox between this machine and ssmmessages", "resuming a session after its token expired"],
        source: "gorilla/websocket ErrBadHandshake in session-manager-plugin src/websocketutil/websocketutil.go; aws-cli issue 9282",
    },
    Known {
        id: "kms-generate-data-key",
        patterns: &[&["KMSEncryption failed"], &["Error calling KMS GenerateDataKey"]],
        family: "kms",
        example: "Encountered error while initiating handshake. KMSEncryption failed on client with status 2 error: Failed to process action KMSEncryption: Error calling KMS GenerateDataKey API: …",
        printed_by: PrintedBy::Agent,
        meaning: "Sessions are KMS-encrypted (Session Manager preferences), and your credentials could not get a data key from the key: kms:GenerateDataKey is not allowed to you, by your policies or by the key policy.",
        rules: &["caller-kms", "logging-kms-endpoints"],
        other_causes: &["a third-party client without KMS support"],
        source: "amazon-ssm-agent agent/session/datachannel/datachannel.go; session-manager-plugin src/datachannel/streaming.go, src/encryption/kmsservice.go",
    },
    Known {
        id: "kms-decrypt",
        patterns: &[&["Fetching data key failed"], &["Error when decrypting data key"]],
        family: "kms",
        example: "Encountered error while initiating handshake. Fetching data key failed: Unable to retrieve data key, Error when decrypting data key …",
        printed_by: PrintedBy::Agent,
        meaning: "The instance's role could not decrypt the session's data key: kms:Decrypt on the key is not allowed to it, or KMS cannot be reached from the instance.",
        rules: &["role-logging-permissions", "logging-kms-endpoints"],
        other_causes: &[],
        source: "amazon-ssm-agent agent/session/crypto/",
    },
    Known {
        id: "handshake-timeout",
        patterns: &[&["Handshake timed out"]],
        family: "kms",
        example: "Encountered error while initiating handshake. Handshake timed out. Please ensure that you have the latest version of the session manager plugin.",
        printed_by: PrintedBy::Agent,
        meaning: "The client did not answer the agent's encryption handshake in time: an old plugin, a third-party client, or a client whose stream never connected.",
        rules: &["client-plugin", "client-proxy"],
        other_causes: &["a third-party client (not the AWS plugin)"],
        source: "amazon-ssm-agent agent/session/datachannel/datachannel.go (PerformHandshake)",
    },
    Known {
        id: "runas-no-user",
        patterns: &[&["please set the RunAs default user"]],
        family: "runas",
        example: "SessionId: alice-0a1b2c3d4e5f67890 : \n----------ERROR-------\nUnable to start command: please set the RunAs default user",
        printed_by: PrintedBy::Agent,
        meaning: "Run As is on in the Session Manager preferences, and neither your SSMSessionRunAs tag nor the preferences' default user names an OS user.",
        rules: &["session-run-as"],
        other_causes: &["a session tag SSMSessionRunAs that federation did not pass"],
        source: "amazon-ssm-agent agent/session/shell/shell_unix.go; AWS \"Turn on run as support for Linux and macOS managed nodes\"",
    },
    Known {
        id: "runas-user-missing",
        patterns: &[&["RunAs user", "does not exist"]],
        family: "runas",
        example: "Unable to start command: failed to start pty since RunAs user ssm-user does not exist",
        printed_by: PrintedBy::Agent,
        meaning: "The OS user the session runs as (Run As) does not exist on the instance; with Run As on, the agent does not create ssm-user.",
        rules: &["session-run-as"],
        other_causes: &["the OS user is missing on the host: create it, or name an existing one"],
        source: "amazon-ssm-agent agent/session/shell/shell_unix.go; amazon-ssm-agent issues 217 and 431",
    },
    Known {
        id: "runas-root",
        patterns: &[&["invalid uid and gid"]],
        family: "runas",
        example: "Unable to start command: invalid uid and gid",
        printed_by: PrintedBy::Agent,
        meaning: "The Run As user is root (uid or primary gid 0), which the agent refuses.",
        rules: &["session-run-as"],
        other_causes: &[],
        source: "amazon-ssm-agent agent/session/shell/shell_unix.go",
    },
    Known {
        id: "log-group-not-encrypted",
        patterns: &[&["encryption is not set up on the selected CloudWatch Logs log group"], &["unable to validate encryption on CloudWatch Logs log group"]],
        family: "log-encryption",
        example: "We couldn't start the session because encryption is not set up on the selected CloudWatch Logs log group. Either encrypt the log group or choose an option to enable logging without encryption.",
        printed_by: PrintedBy::Agent,
        meaning: "The preferences enforce encrypted CloudWatch logging, and the agent could not confirm the log group has a KMS key. It says the same when the group does not exist, when the role may not call logs:DescribeLogGroups, or when CloudWatch Logs cannot be reached.",
        rules: &["session-log-encryption", "role-logging-permissions", "logging-kms-endpoints"],
        other_causes: &[],
        source: "amazon-ssm-agent agent/session/config/config.go, agent/session/shell/shell.go (validate); amazon-ssm-agent issue 198",
    },
    Known {
        id: "bucket-not-encrypted",
        patterns: &[&["encryption is not set up on the selected Amazon S3 bucket"], &["unable to validate encryption on Amazon S3 bucket"]],
        family: "log-encryption",
        example: "We couldn't start the session because encryption is not set up on the selected Amazon S3 bucket. Either encrypt the bucket or choose an option to enable logging without encryption.",
        printed_by: PrintedBy::Agent,
        meaning: "The preferences enforce encrypted S3 logging, and the agent could not confirm the bucket's default encryption.",
        rules: &["session-log-encryption", "role-logging-permissions", "s3-gateway-endpoint"],
        other_causes: &[],
        source: "amazon-ssm-agent agent/session/config/config.go, agent/session/shell/shell.go (validate)",
    },
    Known {
        id: "data-channel-failed",
        patterns: &[&["Setting up data channel with id", "failed"]],
        family: "data-channel",
        example: "Setting up data channel with id alice-0a1b2c3d4e5f67890 failed: failed to create websocket for datachannel with error: CreateDataChannel failed …",
        printed_by: PrintedBy::Agent,
        meaning: "The agent could not open the session's data channel to ssmmessages: its role may not call ssmmessages:CreateDataChannel, or ssmmessages cannot be reached.",
        rules: &["role-agent-permissions", "network-path", "endpoint-private-dns", "endpoint-sg-ingress", "instance-sg-egress"],
        other_causes: &["the instance's clock far off (requests are not authenticated)"],
        source: "amazon-ssm-agent agent/session/plugins/sessionplugin/sessionplugin.go; amazon-ssm-agent issue 272",
    },
    Known {
        id: "invalid-document",
        patterns: &[&["(InvalidDocument)"]],
        family: "invalid-document",
        example: "An error occurred (InvalidDocument) when calling the StartSession operation: Document type: 'Command' is not supported. Only type: 'Session' is supported for Session Manager.",
        printed_by: PrintedBy::Service,
        meaning: "The session document does not exist in this region and account, or is not a Session document.",
        rules: &["session-preferences-type"],
        other_causes: &["a misspelled --document-name, or a custom document created in another region"],
        source: TROUBLESHOOTING,
    },
    Known {
        id: "invalid-parameters",
        patterns: &[&["(InvalidParameters)"]],
        family: "invalid-parameters",
        example: "An error occurred (InvalidParameters) when calling the StartSession operation: Parameter \"host\" has value \"…\" not matching \"…\".",
        printed_by: PrintedBy::Service,
        meaning: "A --parameters value does not fit the document: a port outside 1-65535, a host with characters the document refuses, or a parameter the document does not have.",
        rules: &[],
        other_causes: &["the values given in --parameters"],
        source: "the StartSession API reference; the documents' parameter patterns",
    },
    Known {
        id: "stdin-not-a-terminal",
        patterns: &[&["Cannot perform start session: EOF"]],
        family: "start-session",
        example: "Cannot perform start session: EOF",
        printed_by: PrintedBy::Plugin,
        meaning: "The plugin's standard input closed: a shell session needs a terminal (not CI, cron, a pipe, or docker run without -it).",
        rules: &[],
        other_causes: &["running the session without a terminal"],
        source: "session-manager-plugin src/sessionmanagerplugin/session/session.go, shellsession; amazon-ssm-agent issue 354",
    },
    Known {
        id: "local-port-in-use",
        patterns: &[&["Cannot perform start session", "address already in use"]],
        family: "start-session",
        example: "Cannot perform start session: listen tcp 127.0.0.1:13389: bind: address already in use",
        printed_by: PrintedBy::Plugin,
        meaning: "The local port of the forwarding is taken on this machine: choose another localPortNumber (ssm-check connect --local-port), or stop what holds it.",
        rules: &[],
        other_causes: &["another program (or an earlier session) listening on the local port"],
        source: "session-manager-plugin portsession (net.Listen)",
    },
    Known {
        id: "throttled",
        patterns: &[&["(ThrottlingException)"], &["Rate exceeded"]],
        family: "throttled",
        example: "An error occurred (ThrottlingException) when calling the StartSession operation (reached max retries: 2): Rate exceeded",
        printed_by: PrintedBy::Service,
        meaning: "Too many StartSession calls in this account and region at once (parallel ssh or scp, a script in a loop); wait and retry, or spread them out.",
        rules: &[],
        other_causes: &["the rate of StartSession calls"],
        source: "the Systems Manager API reference (ThrottlingException)",
    },
    Known {
        id: "blank-screen",
        patterns: &[&["blank screen"], &["blank", "prompt"], &["waits", "prompt"]],
        family: "blank-screen",
        example: "a blank screen, or about two minutes before the prompt",
        printed_by: PrintedBy::Symptom,
        meaning: "With CloudWatch or S3 logging in the preferences, the agent checks the log destination before it starts the shell; when it cannot reach CloudWatch Logs (or S3) it retries until it times out.",
        rules: &["logging-kms-endpoints", "session-log-encryption", "role-logging-permissions", "s3-gateway-endpoint", "agent-offline-cause"],
        other_causes: &["a full root volume on the instance"],
        source: "AWS \"Troubleshooting Session Manager\", Blank screen displays after starting a session; amazon-ssm-agent issue 639",
    },
    Known {
        id: "seelog-config",
        patterns: &[&["seelog config file path"]],
        family: "seelog",
        example: "Error occurred fetching the seelog config file path:  open /etc/amazon/ssm/seelog.xml: no such file or directory",
        printed_by: PrintedBy::Agent,
        meaning: "Harmless: the agent printed this to its own output (when run by hand, e.g. to register) and fell back to its default log settings. It is not why a session fails.",
        rules: &[],
        other_causes: &[],
        source: "amazon-ssm-agent agent/log/logger/log_unix.go (getLogConfigBytes)",
    },
    Known {
        id: "session-ended",
        patterns: &[&["Exiting session with sessionId"]],
        family: "session-ended",
        example: "Exiting session with sessionId: alice-0a1b2c3d4e5f67890.",
        printed_by: PrintedBy::Plugin,
        meaning: "Not an error: the session ended (exit, the idle timeout, or TerminateSession from elsewhere).",
        rules: &[],
        other_causes: &["the idle session timeout in the Session Manager preferences"],
        source: "session-manager-plugin src/datachannel/streaming.go",
    },
];

/// Lower case, runs of white space as one space: pasted text wraps and indents unpredictably.
fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The entries whose wording appears in `text`, in table order, the first of each family only.
pub fn recognise(text: &str) -> Vec<&'static Known> {
    let text = normalise(text);
    let mut families = Vec::new();
    let mut out = Vec::new();
    for k in MESSAGES {
        if families.contains(&k.family) {
            continue;
        }
        let matches = k
            .patterns
            .iter()
            .any(|alt| alt.iter().all(|frag| text.contains(&normalise(frag))));
        if matches {
            families.push(k.family);
            out.push(k);
        }
    }
    out
}

/// The first instance or managed-node id the text names (TargetNotConnected and ARNs carry them).
pub fn target_in(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|w| crate::selection::valid_target(w))
        .map(str::to_string)
}

/// The session document the text names, when it names one: which mode the user was in.
pub fn mode_in(text: &str) -> Option<crate::options::Mode> {
    use crate::options::Mode;
    // Most specific first: the remote-host document's name contains the local one's.
    [
        (
            "AWS-StartPortForwardingSessionToRemoteHost",
            Mode::RemotePort,
        ),
        ("AWS-StartPortForwardingSession", Mode::Port),
        ("AWS-StartSSHSession", Mode::Ssh),
        ("SSM-SessionManagerRunShell", Mode::Shell),
    ]
    .into_iter()
    .find(|(doc, _)| text.contains(doc))
    .map(|(_, mode)| mode)
}

/// `docs/errors.md`, generated; a test fails when the file is not what this prints.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Error messages\n\n<!-- Generated from src/messages.rs: edit the table there, not this file. -->\n\n\
         `ssm-check why \"<message>\"` (or the message on standard input: `aws ssm start-session … 2>&1 | ssm-check why`) \
         explains a message you got and names the rules that check its causes; with a target (named in the message, \
         or with `--target`), it checks them and says which one holds. Nothing is sent anywhere. `ssm-check connect` \
         and `ssm-check proxy` do the same with what the aws CLI prints on its standard error when a session fails \
         after the check (the plugin's messages on standard output are the session's, not read). The messages it \
         knows, with their exact wording and where it comes from:\n",
    );
    for k in MESSAGES {
        out.push_str(&format!(
            "\n## {}\n\n```text\n{}\n```\n\n- **Printed by:** {}.\n- **Meaning:** {}\n",
            k.id,
            k.example,
            k.printed_by.describe(),
            k.meaning
        ));
        if !k.rules.is_empty() {
            let rules: Vec<String> = k
                .rules
                .iter()
                .map(|r| format!("[`{r}`](rules.md#{r})"))
                .collect();
            out.push_str(&format!(
                "- **Rules that check its causes:** {}\n",
                rules.join(", ")
            ));
        }
        if !k.other_causes.is_empty() {
            out.push_str(&format!(
                "- **Causes no rule can see:** {}\n",
                k.other_causes.join("; ")
            ));
        }
        out.push_str(&format!("- **Source:** {}\n", k.source));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_recognised_as_its_own_entry() {
        for k in MESSAGES {
            let found = recognise(k.example);
            assert_eq!(
                found.first().map(|f| f.id),
                Some(k.id),
                "{}: {:?}",
                k.example,
                found.iter().map(|f| f.id).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn every_rule_named_exists() {
        for k in MESSAGES {
            for r in k.rules {
                assert!(crate::rules::find(r).is_some(), "{}: no rule {r}", k.id);
            }
        }
    }

    #[test]
    fn pasted_text_is_matched_however_it_wraps() {
        let pasted = "aws: [ERROR]: An error occurred (AccessDeniedException) when calling the StartSession\n   operation: User: arn:aws:iam::111122223333:user/a is not authorized to perform:\nssm:StartSession on resource: arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0 with an EXPLICIT deny in a service control policy: arn:aws:organizations::1:policy/o-1/service_control_policy/p-1";
        let found: Vec<&str> = recognise(pasted).iter().map(|k| k.id).collect();
        assert_eq!(
            found,
            ["denied-by-scp"],
            "one per family, the most specific"
        );
        assert_eq!(target_in(pasted).as_deref(), Some("i-0123456789abcdef0"));
        assert!(recognise("hello").is_empty());
        assert_eq!(
            mode_in("--document-name AWS-StartPortForwardingSessionToRemoteHost"),
            Some(crate::options::Mode::RemotePort)
        );
    }
}

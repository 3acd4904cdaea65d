//! What the SSM Agent calls, by the service endpoint it calls it through: one list for the role's permissions
//! and the endpoint policies alike (AmazonSSMManagedInstanceCore; requirements 2.4).

/// `ssm` registers the node; `ssmmessages` carries sessions; `ec2messages` carries Run Command for agents
/// before 3.3.40.0 (and for newer ones when ssmmessages cannot be reached); `kms` and `logs` serve encrypted and
/// logged shell sessions.
pub const AGENT_CALLS: [(&str, &[&str]); 5] = [
    ("ssm", &["ssm:UpdateInstanceInformation"]),
    (
        "ssmmessages",
        &[
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ],
    ),
    (
        "ec2messages",
        &[
            "ec2messages:AcknowledgeMessage",
            "ec2messages:DeleteMessage",
            "ec2messages:FailMessage",
            "ec2messages:GetEndpoint",
            "ec2messages:GetMessages",
            "ec2messages:SendReply",
        ],
    ),
    // Shell sessions only: decrypting the session data key, and writing the session log.
    ("kms", &["kms:Decrypt"]),
    (
        "logs",
        &[
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
        ],
    ),
];

/// The actions the agent sends through `service`'s endpoint.
pub fn actions(service: &str) -> &'static [&'static str] {
    AGENT_CALLS
        .iter()
        .find(|(s, _)| *s == service)
        .map_or(&[], |(_, a)| a)
}

#!/usr/bin/env python3
"""Writes the example facts documents and examples/index.json.

Each layout is built once, working; each broken variant is the working document with one realistic mistake, so a
variant's findings differ from its base only where the mistake is. Run from the repository root:
    python3 examples/generate.py
The tests read index.json and assert every listed expectation, so a change here shows up there.
"""
import copy, hashlib, json, os

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument",
        "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations",
        "ssm:ListInstanceAssociations", "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult",
        "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
        "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"], "Resource": "*"}]}
ROLEFORSSM = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ssm:DescribeAssociation", "ssm:GetDocument", "ssm:ListAssociations", "ssm:UpdateAssociationStatus",
        "ssm:UpdateInstanceInformation", "ssm:PutInventory", "ssm:GetParameters"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
        "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["cloudwatch:PutMetricData", "ec2:DescribeInstanceStatus", "ds:CreateComputer",
        "ds:DescribeDirectories", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups",
        "logs:DescribeLogStreams", "logs:PutLogEvents"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:PutObject", "s3:GetObject", "s3:GetEncryptionConfiguration",
        "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:ListBucket", "s3:ListBucketMultipartUploads"], "Resource": "*"}]}
EC2_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
OPEN_NACL_ENTRIES = [
    {"rule_number": 100, "egress": False, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "allow"},
    {"rule_number": 32767, "egress": False, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"},
    {"rule_number": 100, "egress": True, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "allow"},
    {"rule_number": 32767, "egress": True, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"}]


def known(v):
    return {"status": "known", "value": v}


def denied(action):
    return {"status": "unavailable", "reason": {"kind": "access_denied", "action": action}}


def unavailable(kind, **kw):
    return {"status": "unavailable", "reason": {"kind": kind, **kw}}


def tcp(port_from, port_to, peer, description=None):
    r = {"protocol": "tcp", "from_port": port_from, "to_port": port_to, "peer": peer}
    if description:
        r["description"] = description
    return r


ALL_OUT = {"protocol": "-1", "peer": {"cidr": "0.0.0.0/0"}}


def role(name, account, policies, trust=EC2_TRUST, boundary=None, inline=None):
    r = {"arn": f"arn:aws:iam::{account}:role/{name}", "name": name, "trust_policy": trust,
         "attached_policies": policies, "inline_policies": inline or []}
    if boundary:
        r["permissions_boundary"] = boundary
    return r


def core_policy():
    return {"arn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "name": "AmazonSSMManagedInstanceCore", "document": CORE}


def endpoints(region, vpc, subnet, sg, ips, private_dns=True, services=("ssm", "ec2messages", "ssmmessages")):
    out = []
    for i, svc in enumerate(services):
        out.append({"vpc_endpoint_id": "vpce-0" + hashlib.sha256(f"{vpc}{svc}".encode()).hexdigest()[:16], "vpc_id": vpc,
                    "service_name": f"com.amazonaws.{region}.{svc}", "endpoint_type": "Interface", "state": "available",
                    "private_dns_enabled": private_dns, "subnet_ids": [subnet], "security_group_ids": [sg],
                    "interface_ips": [ips[i]]})
    return out


DOCUMENTS = ["SSM-SessionManagerRunShell", "AWS-StartSSHSession", "AWS-StartPortForwardingSession",
             "AWS-StartPortForwardingSessionToRemoteHost"]


def checks(principal, region, account, instance, documents, decisions, mfa=None, username="user", user_id=None, document_check=False):
    """StartSession on the instance and every mode's document (so the facts serve any mode offline); Terminate,
    Resume and OpenDataChannel on the caller's sessions, in both forms a session id may take.
    documents: the documents the principal may start (others are implicitly denied);
    decisions: overrides for the current credentials;
    document_check: whether the policies test ssm:SessionDocumentAccessCheck."""
    if documents == "all":
        documents = DOCUMENTS
    doc_arn = lambda d: (f"arn:aws:ssm:{region}:{account}:document/{d}" if d == "SSM-SessionManagerRunShell"
                         else f"arn:aws:ssm:{region}::document/{d}")
    inst_arn = f"arn:aws:ec2:{region}:{account}:instance/{instance}"
    sessions = [f"arn:aws:ssm:{region}:{account}:session/{owner}-0123456789abcdef0" for owner in [username] + ([user_id] if user_id else [])]
    out = []
    def add(action, resource, decision, scenario=None, by=None):
        k = {"action": action, "resource": resource, "decision": decision}
        if scenario:
            k["scenario"] = scenario
        if by:
            k["matched_statements"] = by
        out.append(k)
    add("ssm:StartSession", inst_arn, decisions.get("start_instance", "allowed"), by=decisions.get("by"))
    for d in DOCUMENTS:
        allowed = decisions.get("start_document", "allowed") if d in documents else "implicit_deny"
        add("ssm:StartSession", doc_arn(d), allowed, by=decisions.get("by") if d in documents else None)
    for session in sessions:
        add("ssm:TerminateSession", session, decisions.get("terminate", "allowed"))
        add("ssm:ResumeSession", session, decisions.get("resume", "allowed"))
        add("ssmmessages:OpenDataChannel", session, decisions.get("data_channel", "allowed"))
    if mfa:
        add("ssm:StartSession", inst_arn, mfa, scenario="with_mfa")
        for d in documents:
            add("ssm:StartSession", doc_arn(d), mfa, scenario="with_mfa")
    return {"method": "simulate_principal_policy", "principal_arn": principal, "checks": out,
            "limitations": ["Service control policies, resource control policies and session policies are not simulated."],
            "session_document_access_check": document_check}


def client(os_name, cli="aws-cli/2.17.20 Python/3.11.9 Linux/6.1.0 exe/x86_64", plugin="1.2.764.0", ssh=None, entries=None, proxies=None):
    paths = {"windows": ("C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe", "C:\\Program Files\\Amazon\\SessionManagerPlugin\\bin\\session-manager-plugin.exe"),
             "linux": ("/usr/local/bin/aws", "/usr/local/bin/session-manager-plugin"),
             "macos": ("/usr/local/bin/aws", "/usr/local/bin/session-manager-plugin")}[os_name]
    c = {"os": os_name}
    if cli:
        c["aws_cli"] = {"path": paths[0], "version_output": cli}
    if plugin:
        c["session_manager_plugin"] = {"path": paths[1], "version_output": plugin}
    if ssh:
        c["ssh"] = {"path": ssh, "version_output": "OpenSSH_9.5p1"}
    if entries:
        c["ssh_proxy_entries"] = entries
    if proxies:
        c["proxy_variables"] = proxies
    return known(c)


def trail(region):
    return known([{"name": "org-trail", "home_region": region, "is_multi_region": True, "is_logging": True}])


def base(target, region, account, gathered="2026-11-20T09:00:00Z"):
    return {"schema_version": 1, "gathered_at": gathered, "target": {"id": target, "region": region, "account": account}}


# ---------------------------------------------------------------- rdp-private-strict-sg (article rdp-requirements): RDP to a private
# Windows server, strict security groups
def rdp_private():
    region, account, iid = "ap-northeast-1", "111122223333", "i-0c678d2c038786416"
    vpc, subnet = "vpc-0d3f2a1b4c5e60000", "subnet-0a1b2c3d4e5f60640"
    sg_ec2, sg_vpce = "sg-0e2c000000000ec20", "sg-0e2c0000000vpce00"
    f = base(iid, region, account)
    f["instance"] = known({"instance_id": iid, "state": "running", "platform": "windows", "name": "SSM Port Forwarding Windows 2019",
        "vpc_id": vpc, "subnet_id": subnet, "availability_zone": "ap-northeast-1a", "private_ip": "192.168.64.10",
        "security_group_ids": [sg_ec2], "instance_profile_arn": f"arn:aws:iam::{account}:instance-profile/AmazonEC2RoleforSSMPF",
        "metadata_options": {"http_endpoint": "enabled", "http_tokens": "optional"}})
    f["instance_profile"] = known({"arn": f"arn:aws:iam::{account}:instance-profile/AmazonEC2RoleforSSMPF", "name": "AmazonEC2RoleforSSMPF", "role_names": ["AmazonEC2RoleforSSMPF"]})
    f["role"] = known(role("AmazonEC2RoleforSSMPF", account, [core_policy()]))
    f["dhmc"] = known({})
    f["dhmc_role"] = unavailable("not_applicable", why="DHMC is off")
    f["registration"] = known({"registered": True, "ping_status": "Online", "agent_version": "2.3.722.0", "is_latest_version": False,
        "last_ping": "2026-11-20T08:59:12Z", "platform_type": "Windows", "platform_name": "Microsoft Windows Server 2019 Datacenter"})
    f["session_preferences"] = known({"document_exists": False})
    f["vpc"] = known({"vpc_id": vpc, "cidr_blocks": ["192.168.0.0/16"], "primary_cidr_block": "192.168.0.0/16"})
    f["vpc_dns"] = known({"enable_dns_support": True, "enable_dns_hostnames": True})
    f["subnets"] = known([{"subnet_id": subnet, "vpc_id": vpc, "availability_zone": "ap-northeast-1a", "cidr_block": "192.168.64.0/24"}])
    f["route_tables"] = known([{"route_table_id": "rtb-0private000000000", "subnet_ids": [subnet], "routes": [
        {"destination": "192.168.0.0/16", "target": "local"},
        {"destination_prefix_list_id": "pl-61a54008", "target": "vpce-0s3gateway0000000"}]},
        {"route_table_id": "rtb-0main00000000000", "main": True, "routes": [{"destination": "192.168.0.0/16", "target": "local"}]}])
    eps = endpoints(region, vpc, subnet, sg_vpce, ["192.168.64.20", "192.168.64.21", "192.168.64.22"])
    eps.append({"vpc_endpoint_id": "vpce-0s3gateway0000000", "vpc_id": vpc, "service_name": f"com.amazonaws.{region}.s3",
                "endpoint_type": "Gateway", "state": "available", "route_table_ids": ["rtb-0private000000000"]})
    f["vpc_endpoints"] = known(eps)
    f["security_groups"] = known([
        {"group_id": sg_ec2, "group_name": "ssmvpcendpointforEC2", "ingress": [], "egress": [
            tcp(443, 443, {"security_group": sg_vpce}, "to the SSM endpoints only"),
            tcp(443, 443, {"prefix_list": "pl-61a54008"}, "to S3 through the gateway endpoint")]},
        {"group_id": sg_vpce, "group_name": "ssmvpcendpoint", "ingress": [tcp(443, 443, {"cidr": "192.168.64.0/24"}, "from the EC2 subnet")], "egress": []}])
    f["network_acls"] = known([{"network_acl_id": "acl-0default000000000", "is_default": True, "subnet_ids": [subnet], "entries": OPEN_NACL_ENTRIES}])
    f["prefix_lists"] = known([{"prefix_list_id": "pl-61a54008", "name": f"com.amazonaws.{region}.s3", "cidrs": ["52.219.0.0/20", "3.5.152.0/21"]}])
    f["remote_destination"] = unavailable("not_applicable", why="not remote-host port forwarding")
    user = f"arn:aws:iam::{account}:user/ssm-pf-user"
    f["caller"] = known({"arn": user, "account": account, "user_id": "AIDA0000000000EXAMPLE"})
    f["credentials"] = known({"source": "profile", "profile": "default", "temporary": False})
    # The article's user policy: StartSession on this instance and the port-forwarding document; TerminateSession only.
    f["caller_permissions"] = known(checks(user, region, account, iid, ["AWS-StartPortForwardingSession"],
        {"resume": "implicit_deny", "by": ["ssm-pf-user-policy statement #1"]}, username="ssm-pf-user"))
    f["client"] = client("windows", cli="aws-cli/2.17.20 Python/3.11.9 Windows/10 exe/AMD64")
    f["cloudtrail"] = trail(region)
    return f


# ---------------------------------------------------------------- private-shell (article private-subnet-pitfalls): Terraform private subnet
def private_shell():
    region, account, iid = "us-east-1", "222233334444", "i-0a1b2c3d4e5f60001"
    vpc, subnet = "vpc-0f1e2d3c4b5a60001", "subnet-0private0000000001"
    sg_ec2, sg_ep = "sg-0001ec2000000000a", "sg-0001endpoint0000a"
    f = base(iid, region, account)
    f["instance"] = known({"instance_id": iid, "state": "running", "name": "ssm-private", "vpc_id": vpc, "subnet_id": subnet,
        "availability_zone": "us-east-1a", "private_ip": "10.0.1.15", "security_group_ids": [sg_ec2],
        "instance_profile_arn": f"arn:aws:iam::{account}:instance-profile/ssm-profile",
        "metadata_options": {"http_endpoint": "enabled", "http_tokens": "required"}})
    f["instance_profile"] = known({"arn": f"arn:aws:iam::{account}:instance-profile/ssm-profile", "name": "ssm-profile", "role_names": ["ssm-role"]})
    f["role"] = known(role("ssm-role", account, [core_policy()]))
    f["dhmc"] = known({})
    f["dhmc_role"] = unavailable("not_applicable", why="DHMC is off")
    f["registration"] = known({"registered": True, "ping_status": "Online", "agent_version": "3.3.1142.0", "is_latest_version": False,
        "last_ping": "2026-11-20T08:58:40Z", "platform_type": "Linux", "platform_name": "Amazon Linux"})
    f["session_preferences"] = known({"document_exists": False})
    f["vpc"] = known({"vpc_id": vpc, "cidr_blocks": ["10.0.0.0/16"], "primary_cidr_block": "10.0.0.0/16"})
    f["vpc_dns"] = known({"enable_dns_support": True, "enable_dns_hostnames": True})
    f["subnets"] = known([{"subnet_id": subnet, "vpc_id": vpc, "availability_zone": "us-east-1a", "cidr_block": "10.0.1.0/24"}])
    f["route_tables"] = known([{"route_table_id": "rtb-0001main000000000", "main": True, "routes": [{"destination": "10.0.0.0/16", "target": "local"}]}])
    f["vpc_endpoints"] = known(endpoints(region, vpc, subnet, sg_ep, ["10.0.1.100", "10.0.1.101", "10.0.1.102"]))
    f["security_groups"] = known([
        {"group_id": sg_ec2, "group_name": "for connect to ssm", "ingress": [], "egress": [tcp(443, 443, {"cidr": "10.0.0.0/16"})]},
        {"group_id": sg_ep, "group_name": "for endpoint", "ingress": [tcp(443, 443, {"cidr": "10.0.0.0/16"})], "egress": []}])
    f["network_acls"] = known([{"network_acl_id": "acl-0001default000000", "is_default": True, "subnet_ids": [subnet], "entries": OPEN_NACL_ENTRIES}])
    f["prefix_lists"] = known([])
    f["remote_destination"] = unavailable("not_applicable", why="not remote-host port forwarding")
    arn = f"arn:aws:sts::{account}:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b/taro"
    f["caller"] = known({"arn": arn, "account": account, "user_id": "AROA0000000000EXAMPLE:taro"})
    f["credentials"] = known({"source": "sso", "profile": "dev", "temporary": True, "expires_at": "2026-11-20T17:00:00Z"})
    role_arn = f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"
    f["caller_permissions"] = known(checks(role_arn, region, account, iid, "all", {}, username="taro"))
    f["client"] = client("linux")
    f["cloudtrail"] = trail(region)
    return f


# ---------------------------------------------------------------- a private subnet behind a NAT gateway
def nat():
    f = private_shell()
    f["target"]["id"] = f["instance"]["value"]["instance_id"] = "i-0a1b2c3d4e5f60002"
    f["route_tables"] = known([{"route_table_id": "rtb-0002private000000", "subnet_ids": ["subnet-0private0000000001"], "routes": [
        {"destination": "10.0.0.0/16", "target": "local"}, {"destination": "0.0.0.0/0", "target": "nat-0002a1b2c3d4e5f60"}]},
        {"route_table_id": "rtb-0001main000000000", "main": True, "routes": [{"destination": "10.0.0.0/16", "target": "local"}]}])
    f["vpc_endpoints"] = known([])
    f["security_groups"]["value"][0]["egress"] = [ALL_OUT]
    fix_arns(f)
    return f


# ---------------------------------------------------------------- a public subnet with an internet gateway
def public():
    f = nat()
    f["target"]["id"] = f["instance"]["value"]["instance_id"] = "i-0a1b2c3d4e5f60003"
    f["instance"]["value"]["public_ip"] = "203.0.113.25"
    f["route_tables"]["value"][0]["routes"][1]["target"] = "igw-0003a1b2c3d4e5f60"
    f["security_groups"]["value"][0]["ingress"] = [tcp(22, 22, {"cidr": "198.51.100.0/24"}, "office SSH")]
    fix_arns(f)
    return f


def fix_arns(f):
    """Keeps the permission checks' instance ARN in step with the target id."""
    iid, region, account = f["target"]["id"], f["target"]["region"], f["target"]["account"]
    perms = f.get("caller_permissions", {}).get("value")
    if perms:
        for k in perms["checks"]:
            if ":instance/" in k["resource"]:
                k["resource"] = f"arn:aws:ec2:{region}:{account}:instance/{iid}"


# ---------------------------------------------------------------- ssh-cross-account (article ssh-assume-role): SSH through a role
def ssh_cross_account():
    f = nat()
    system, central = "333344445555", "444455556666"
    iid = "i-0b2c3d4e5f6a70002"
    f["target"] = {"id": iid, "region": "ap-northeast-1", "account": system}
    region = "ap-northeast-1"
    text = json.dumps(f).replace("us-east-1", region).replace("222233334444", system).replace("i-0a1b2c3d4e5f60002", iid)
    f = json.loads(text)
    f["caller"] = known({"arn": f"arn:aws:sts::{system}:assumed-role/SSMSSHRole/botocore-session-1763629200", "account": system,
                         "user_id": "AROA0000000000SSHROLE:botocore-session-1763629200"})
    f["credentials"] = known({"source": "assume_role", "profile": "system", "temporary": True, "expires_at": "2026-11-20T10:00:00Z",
                              "role_arn": f"arn:aws:iam::{system}:role/SSMSSHRole", "source_profile": "central"})
    role_arn = f"arn:aws:iam::{system}:role/SSMSSHRole"
    perms = checks(role_arn, region, system, iid, ["AWS-StartSSHSession"], {"resume": "implicit_deny"}, username="sugimura")
    perms["checks"].append({"action": "sts:AssumeRole", "resource": role_arn, "decision": "allowed",
                            "principal_arn": f"arn:aws:iam::{central}:user/sugimura"})
    f["caller_permissions"] = known(perms)
    f["client"] = client("windows", cli="aws-cli/2.17.20 Python/3.11.9 Windows/10 exe/AMD64", ssh="C:\\Windows\\System32\\OpenSSH\\ssh.exe",
        entries=[{"host_patterns": "i-* mi-*", "proxy_command": "C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p"}])
    return f


# ---------------------------------------------------------------- public-nginx-port (article port-forwarding-howto): nginx on port 80
def public_nginx():
    f = public()
    iid, account, region = "i-0c3d4e5f6a7b80003", "555566667777", "ap-northeast-1"
    text = json.dumps(f).replace("us-east-1", region).replace("222233334444", account).replace("i-0a1b2c3d4e5f60003", iid)
    f = json.loads(text)
    f["target"]["id"] = iid
    f["instance"]["value"]["name"] = "nginx"
    f["registration"]["value"]["agent_version"] = "3.2.2303.0"
    return f


# ---------------------------------------------------------------- rdp-mfa-enforced (article rdp-with-mfa): RDP with MFA enforced
MFA_DENY = ["DenyAllExceptListedIfNoMFA (ForceMFA policy)"]


def rdp_mfa():
    f = rdp_private()
    iid, account = "i-0d4e5f6a7b8c90004", "666677778888"
    text = json.dumps(f).replace("111122223333", account).replace("i-0c678d2c038786416", iid)
    f = json.loads(text)
    f["target"]["id"] = iid
    f["registration"]["value"]["agent_version"] = "3.3.987.0"
    user = f"arn:aws:iam::{account}:user/hoge"
    f["caller"] = known({"arn": user, "account": account, "user_id": "AIDA00000000000HOGE0"})
    f["credentials"] = known({"source": "environment", "temporary": True, "expires_at": "2026-11-20T21:00:00Z", "mfa_authenticated": True,
                              "mfa_serial": f"arn:aws:iam::{account}:mfa/hoge"})
    f["caller_permissions"] = known(checks(user, "ap-northeast-1", account, iid, ["AWS-StartPortForwardingSession"], {}, mfa="allowed", username="hoge"))
    return f


def rdp_mfa_long_term_keys():
    f = rdp_mfa()
    account = f["target"]["account"]
    f["credentials"] = known({"source": "profile", "profile": "default", "temporary": False})
    f["mfa_devices"] = known([f"arn:aws:iam::{account}:mfa/hoge-phone"])
    user = f["caller"]["value"]["arn"]
    f["caller_permissions"] = known(checks(user, "ap-northeast-1", account, f["target"]["id"], ["AWS-StartPortForwardingSession"],
        {"start_instance": "explicit_deny", "start_document": "explicit_deny", "by": MFA_DENY}, mfa="allowed", username="hoge"))
    return f


# ---------------------------------------------------------------- a hybrid node and a caller with partial read rights
def hybrid():
    f = base("mi-0123456789abcdef0", "eu-west-1", "888899990000")
    na = unavailable("not_applicable", why="hybrid managed node: not an EC2 instance")
    for k in ["instance", "instance_profile", "role", "dhmc_role", "vpc", "vpc_dns", "subnets", "route_tables", "vpc_endpoints",
              "security_groups", "network_acls", "prefix_lists", "remote_destination"]:
        f[k] = na
    f["dhmc"] = known({})
    f["registration"] = known({"registered": True, "ping_status": "Online", "agent_version": "3.3.1345.0", "last_ping": "2026-11-20T08:59:59Z",
                               "platform_type": "Linux", "platform_name": "Ubuntu"})
    f["session_preferences"] = known({"document_exists": True, "cloudwatch_log_group": "/ssm/sessions", "cloudwatch_streaming_enabled": True})
    user = "arn:aws:iam::888899990000:user/ops"
    f["caller"] = known({"arn": user, "account": "888899990000", "user_id": "AIDA000000000000OPS0"})
    f["credentials"] = known({"source": "environment", "temporary": False})
    perms = checks(user, "eu-west-1", "888899990000", "mi-0123456789abcdef0", "all", {}, username="ops")
    perms["checks"][0]["resource"] = "arn:aws:ssm:eu-west-1:888899990000:managed-instance/mi-0123456789abcdef0"
    f["caller_permissions"] = known(perms)
    f["client"] = client("macos", cli="aws-cli/2.17.20 Python/3.11.9 Darwin/23.6.0 exe/x86_64")
    f["cloudtrail"] = known([])
    f["activation_tier"] = known("standard")
    return f


def partial():
    f = rdp_private()
    f["vpc_endpoints"] = denied("ec2:DescribeVpcEndpoints")
    f["network_acls"] = denied("ec2:DescribeNetworkAcls")
    f["caller_permissions"] = denied("iam:SimulatePrincipalPolicy")
    f["cloudtrail"] = denied("cloudtrail:DescribeTrails")
    return f


def mutate(f, fn):
    g = copy.deepcopy(f)
    fn(g)
    return g


def sg(f, gid):
    return next(g for g in f["security_groups"]["value"] if g["group_id"] == gid)


def endpoint(f, service):
    return next(e for e in f["vpc_endpoints"]["value"] if e["service_name"].endswith("." + service))


CASES = []  # (name, description, document, options, expectations)
KEY = "arn:aws:kms:us-east-1:222233334444:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


def case(name, description, doc, expect, mode="shell", port=None, remote_host=None, file=None, ready=None, needs=None, agrees_with=None,
         typed=True):
    """One manifest entry. `ready` is the verdict the case must give: by default a case is ready unless it expects a
    failure; `needs` pins the permissions an Unknown finding must name; `agrees_with` names a case whose
    StartSession finding must have the same status (local evaluation and simulation of the same policy); `typed=False`
    keeps saved preferences without their document's type, as a gatherer older than that fact wrote them."""
    if ready is None:
        ready = "fail" not in expect.values()
    CASES.append({"name": name, "description": description, "file": f"{file or name}.json", "mode": mode, "port": port,
                  "remote_host": remote_host, "ready": ready, "expect": expect, "needs": needs, "agrees_with": agrees_with,
                  "_doc": doc if file is None else None, "_typed": typed})


def set_private_dns_off(f):
    for e in f["vpc_endpoints"]["value"]:
        e["private_dns_enabled"] = False


rdp = rdp_private()
case("rdp-private-strict-sg", "The layout of the article rdp-requirements: Windows in a private subnet, strict security groups, three endpoints and an S3 gateway, RDP on 3389.",
     rdp, {"network-path": "pass", "endpoint-sg-ingress": "pass", "instance-sg-egress": "pass", "s3-gateway-endpoint": "pass",
            "agent-version": "warn", "caller-start-session": "pass", "caller-session-control": "warn", "role-agent-permissions": "pass"},
     mode="port", port=3389)
case("rdp-private-strict-sg-broken-agent-2.3.634", "The same instance before its agent update: 2.3.634.0 predates port forwarding.",
     mutate(rdp, lambda f: f["registration"]["value"].update(agent_version="2.3.634.0")), {"agent-version": "fail"}, mode="port", port=3389)
case("rdp-private-strict-sg-broken-endpoint-sg-self", "The endpoints' security group admits only its own members.",
     mutate(rdp, lambda f: sg(f, "sg-0e2c0000000vpce00").update(ingress=[tcp(443, 443, {"security_group": "sg-0e2c0000000vpce00"})])),
     {"endpoint-sg-ingress": "fail", "instance-sg-egress": "pass"}, mode="port", port=3389)
case("rdp-private-strict-sg-broken-egress-missing", "The strict instance security group lost its egress rule to the endpoints.",
     mutate(rdp, lambda f: sg(f, "sg-0e2c000000000ec20").update(egress=[tcp(443, 443, {"prefix_list": "pl-61a54008"})])),
     {"instance-sg-egress": "fail", "endpoint-sg-ingress": "pass"}, mode="port", port=3389)
case("rdp-private-strict-sg-broken-no-s3-prefix-list", "The strict instance security group does not allow 443 to the S3 prefix list.",
     mutate(rdp, lambda f: sg(f, "sg-0e2c000000000ec20").update(egress=[tcp(443, 443, {"security_group": "sg-0e2c0000000vpce00"})])),
     {"s3-gateway-endpoint": "warn", "instance-sg-egress": "pass"}, mode="port", port=3389)
case("rdp-private-strict-sg-broken-stopped", "The instance was never started.",
     mutate(rdp, lambda f: (f["instance"]["value"].update(state="stopped"), f.update(registration=known({"registered": False})))),
     {"instance-running": "fail", "agent-online": "fail", "agent-version": "unknown"}, mode="port", port=3389)
case("rdp-private-strict-sg-broken-deprecated-role", "The role still uses the deprecated AmazonEC2RoleforSSM (and nothing else).",
     mutate(rdp, lambda f: f["role"]["value"].update(attached_policies=[{"arn": "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM",
                                                                        "name": "AmazonEC2RoleforSSM", "document": ROLEFORSSM}])),
     {"role-deprecated-policy": "warn", "role-agent-permissions": "fail"}, mode="port", port=3389)


def default_key_policy(account):
    """The key policy KMS gives a key by default: the account principal may do everything, which delegates to IAM."""
    return {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"}]}


def session_key(arn, state="Enabled", spec="SYMMETRIC_DEFAULT", policy=None, tags=None):
    """The preferences' KMS key as gathered (kms:DescribeKey, kms:GetKeyPolicy, kms:ListResourceTags): by default an
    enabled symmetric customer managed key with the default key policy and no tags."""
    account = arn.split(":")[4]
    return known({"arn": arn, "account": account, "key_state": state, "key_spec": spec, "key_usage": "ENCRYPT_DECRYPT",
                  "key_manager": "CUSTOMER", "policy": policy or known(default_key_policy(account)), "tags": known(tags or {})})


def s3_logging(f):
    key = "arn:aws:kms:ap-northeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    f["session_preferences"] = known({"document_exists": True, "s3_bucket": "ssm-session-logs-111122223333", "s3_key_prefix": "rdp",
                                      "kms_key_id": key})
    f["caller_permissions"]["value"]["checks"].append({"action": "kms:GenerateDataKey", "resource": key, "decision": "allowed"})
    f["session_key"] = session_key(key)


case("rdp-private-strict-sg-broken-logging-core-only", "A shell session whose logs go to S3 with KMS encryption, but the role has only AmazonSSMManagedInstanceCore and there is no kms endpoint.",
     mutate(rdp, s3_logging), {"role-logging-permissions": "fail", "logging-kms-endpoints": "fail", "caller-kms": "pass", "s3-gateway-endpoint": "pass"})
case("rdp-private-strict-sg-logging-port-mode", "The same preferences, for RDP: port forwarding is neither logged nor KMS-encrypted, so they do not apply.",
     None, {"role-logging-permissions": "skip", "logging-kms-endpoints": "skip", "caller-kms": "skip", "endpoint-sg-ingress": "pass"},
     mode="port", port=3389, file="rdp-private-strict-sg-broken-logging-core-only")
case("partial-permissions", "The strict RDP layout seen by a caller who may not describe endpoints, network ACLs, trails or simulate policies.",
     partial(), {"network-path": "unknown", "nacl-instance-subnet": "unknown", "caller-start-session": "unknown", "audit-trail": "unknown",
                 "role-agent-permissions": "pass"}, mode="port", port=3389,
     needs={"network-path": ["ec2:DescribeVpcEndpoints"], "nacl-instance-subnet": ["ec2:DescribeVpcEndpoints"],
            "caller-start-session": ["iam:SimulatePrincipalPolicy"], "audit-trail": ["cloudtrail:DescribeTrails"]})

shell = private_shell()
case("private-shell", "The Terraform layout of the article private-subnet-pitfalls: endpoints in the private subnet, security groups by VPC CIDR.",
     shell, {"network-path": "pass", "endpoint-private-dns": "pass", "endpoint-sg-ingress": "pass", "nacl-instance-subnet": "pass",
            "caller-start-session": "pass", "s3-gateway-endpoint": "warn"})
case("private-shell-broken-private-dns-off", "Endpoints created without private DNS.", mutate(shell, set_private_dns_off),
     {"endpoint-private-dns": "fail", "network-path": "fail"})
case("private-shell-broken-vpc-dns-hostnames", "The VPC has enableDnsHostnames off.",
     mutate(shell, lambda f: f["vpc_dns"]["value"].update(enable_dns_hostnames=False)), {"endpoint-private-dns": "fail", "network-path": "fail"})
case("private-shell-broken-no-ssmmessages", "Only the ssm and ec2messages endpoints were created.",
     mutate(shell, lambda f: f["vpc_endpoints"].update(value=[e for e in f["vpc_endpoints"]["value"] if not e["service_name"].endswith("ssmmessages")])),
     {"network-path": "fail", "endpoint-available": "pass"})
case("private-shell-broken-endpoint-pending", "The ssmmessages endpoint is still pending.",
     mutate(shell, lambda f: endpoint(f, "ssmmessages").update(state="pending")), {"endpoint-available": "fail"})
case("private-shell-broken-boundary", "A permissions boundary allows only ssm:*, removing the ssmmessages channel actions.",
     mutate(shell, lambda f: f["role"]["value"].update(permissions_boundary={"arn": "arn:aws:iam::222233334444:policy/ssm-only",
         "name": "ssm-only", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}})),
     {"role-agent-permissions": "fail"})
case("private-shell-broken-explicit-deny", "An inline policy denies ssmmessages:OpenDataChannel.",
     mutate(shell, lambda f: f["role"]["value"].update(inline_policies=[{"name": "no-data", "document": {"Version": "2012-10-17",
         "Statement": [{"Sid": "NoData", "Effect": "Deny", "Action": "ssmmessages:OpenDataChannel", "Resource": "*"}]}}])),
     {"role-agent-permissions": "fail"})
case("private-shell-broken-trust", "The role trusts lambda.amazonaws.com instead of EC2.",
     mutate(shell, lambda f: f["role"]["value"].update(trust_policy={"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})), {"role-trust": "fail"})
case("private-shell-broken-no-profile", "No instance profile, and DHMC is off.",
     mutate(shell, lambda f: (f["instance"]["value"].pop("instance_profile_arn"), f.update(instance_profile=unavailable("not_applicable", why="no instance profile"),
         role=unavailable("not_applicable", why="no instance profile"), registration=known({"registered": False})))),
     {"instance-role": "fail", "role-trust": "skip", "agent-online": "fail"})


def dhmc(f):
    f["instance"]["value"].pop("instance_profile_arn")
    f["instance_profile"] = unavailable("not_applicable", why="no instance profile")
    f["role"] = unavailable("not_applicable", why="no instance profile")
    f["dhmc"] = known({"role_name": "AWSSystemsManagerDefaultEC2InstanceManagementRole"})
    f["dhmc_role"] = known(role("AWSSystemsManagerDefaultEC2InstanceManagementRole", "222233334444",
        [{"arn": "arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy", "name": "AmazonSSMManagedEC2InstanceDefaultPolicy", "document": CORE}],
        trust={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))


def without_ec2messages(f):
    f["vpc_endpoints"]["value"] = [e for e in f["vpc_endpoints"]["value"] if not e["service_name"].endswith(".ec2messages")]


case("private-shell-no-ec2messages", "Only the ssm and ssmmessages endpoints, with agent 3.3.1142.0: from 3.3.40.0 the agent needs no ec2messages.",
     mutate(shell, without_ec2messages), {"network-path": "pass", "endpoint-sg-ingress": "pass", "nacl-endpoint-subnets": "pass",
                                          "role-agent-permissions": "pass"})
case("private-shell-broken-no-ec2messages-old-agent", "The same endpoints with agent 3.2.2303.0, which still reaches Systems Manager through ec2messages.",
     mutate(shell, lambda f: (without_ec2messages(f), f["registration"]["value"].update(agent_version="3.2.2303.0"))),
     {"network-path": "fail", "agent-version": "pass"})
case("private-shell-no-ec2messages-version-unknown", "The same endpoints, and the agent's registration cannot be read: whether ec2messages is needed is unknown.",
     mutate(shell, lambda f: (without_ec2messages(f), f.update(registration=denied("ssm:DescribeInstanceInformation")))),
     {"network-path": "unknown", "agent-version": "unknown", "endpoint-sg-ingress": "pass"},
     needs={"agent-version": ["ssm:DescribeInstanceInformation"]})

def dhmc_on(f):
    f["dhmc"] = known({"role_name": "AWSSystemsManagerDefaultEC2InstanceManagementRole"})
    f["dhmc_role"] = known(role("AWSSystemsManagerDefaultEC2InstanceManagementRole", "222233334444",
        [{"arn": "arn:aws:iam::aws:policy/AmazonSSMManagedEC2InstanceDefaultPolicy", "name": "AmazonSSMManagedEC2InstanceDefaultPolicy", "document": CORE}],
        trust={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))


S3_READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}


def profile_for_s3_only(f):
    """An instance profile made for an application: its role reads S3 and may not register with Systems Manager."""
    f["role"]["value"].update(attached_policies=[{"arn": "arn:aws:iam::222233334444:policy/app-s3-read", "name": "app-s3-read", "document": S3_READ}])
    f["instance"]["value"]["metadata_options"] = {"http_endpoint": "enabled", "http_tokens": "optional"}
    dhmc_on(f)


case("private-shell-dhmc-fallback", "An application's instance profile that cannot register with Systems Manager, in a DHMC account: the agent falls back to the DHMC role (IMDSv1 still allowed).",
     mutate(shell, profile_for_s3_only), {"instance-role": "warn", "role-agent-permissions": "pass", "role-trust": "pass",
                                          "dhmc-prerequisites": "pass"})
case("private-shell-broken-dhmc-fallback-old-agent", "The same, with agent 3.2.450.0, which predates the fallback to DHMC (3.2.582.0).",
     mutate(shell, lambda f: (profile_for_s3_only(f), f["registration"]["value"].update(agent_version="3.2.450.0"))),
     {"instance-role": "pass", "role-agent-permissions": "fail", "dhmc-prerequisites": "skip"})
case("private-shell-broken-dhmc-fallback-no-channels", "An instance profile that may register but not open session channels: the agent does not fall back, and sessions fail.",
     mutate(shell, lambda f: (dhmc_on(f), f["role"]["value"].update(attached_policies=[{"arn": "arn:aws:iam::222233334444:policy/register-only",
         "name": "register-only", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:UpdateInstanceInformation", "Resource": "*"}]}}]))),
     {"instance-role": "pass", "role-agent-permissions": "fail", "dhmc-prerequisites": "skip"})

def kms_endpoint(f, admits="10.0.0.0/16", encrypted=True):
    """KMS session encryption in the private subnet, with a kms interface endpoint behind its own security group.
    encrypted=False: the endpoint and the role's kms:Decrypt are there, but the preferences name no key."""
    f["session_preferences"] = known({"document_exists": True, "kms_key_id": KEY} if encrypted else {"document_exists": True})
    f["security_groups"]["value"].append({"group_id": "sg-0001kmsendpoint00a", "group_name": "kms endpoint",
                                          "ingress": [tcp(443, 443, {"cidr": admits})], "egress": []})
    f["vpc_endpoints"]["value"].append({"vpc_endpoint_id": "vpce-0001kms000000000", "vpc_id": "vpc-0f1e2d3c4b5a60001",
        "service_name": "com.amazonaws.us-east-1.kms", "endpoint_type": "Interface", "state": "available", "private_dns_enabled": True,
        "subnet_ids": ["subnet-0private0000000001"], "security_group_ids": ["sg-0001kmsendpoint00a"], "interface_ips": ["10.0.1.110"]})
    f["role"]["value"]["inline_policies"] = [{"name": "session-kms", "document": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY}]}}]
    if encrypted:
        f["caller_permissions"]["value"]["checks"].append({"action": "kms:GenerateDataKey", "resource": KEY, "decision": "allowed"})
        f["session_key"] = session_key(KEY)


case("private-shell-kms-endpoint", "KMS-encrypted shell sessions in the private subnet, with a kms endpoint that admits the VPC: checked like the core endpoints.",
     mutate(shell, kms_endpoint), {"endpoint-sg-ingress": "pass", "logging-kms-endpoints": "pass", "caller-kms": "pass", "role-logging-permissions": "pass"})
case("private-shell-broken-kms-endpoint-sg", "The kms endpoint's security group admits another network only: encrypted shell sessions cannot start.",
     mutate(shell, lambda f: kms_endpoint(f, admits="192.168.0.0/16")), {"endpoint-sg-ingress": "fail", "logging-kms-endpoints": "pass"})
case("private-shell-kms-endpoint-sg-port", "The same blocked kms endpoint for port forwarding, which is never encrypted: not a failure.", None,
     {"endpoint-sg-ingress": "pass", "logging-kms-endpoints": "skip"}, mode="port", port=22, file="private-shell-broken-kms-endpoint-sg")


# ---------------------------------------------------------------- the session key as KMS decides it (kms:DescribeKey,
# kms:GetKeyPolicy): KMS authorises against the key's ARN, whatever name the preferences give it
ALIAS_ARN = "arn:aws:kms:us-east-1:222233334444:alias/session-key"
KEY_ADMINS = {"Sid": "KeyAdministrators", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222233334444:role/key-admin"},
              "Action": "kms:*", "Resource": "*"}


def kms_alias(f):
    """KMS-encrypted sessions through the kms endpoint, the preferences naming the key by its alias."""
    kms_endpoint(f)
    f["session_preferences"]["value"]["kms_key_id"] = "alias/session-key"


def caller_kms(f):
    """The caller's kms:GenerateDataKey check on the session key."""
    return next(k for k in f["caller_permissions"]["value"]["checks"] if k["action"] == "kms:GenerateDataKey")


def key_policy(f, *statements):
    """A key policy of these statements only (no account principal: it does not delegate to IAM)."""
    f["session_key"]["value"]["policy"] = known({"Version": "2012-10-17", "Statement": list(statements)})


def session_users(f):
    """A key policy statement naming the instance role and the caller's role."""
    return {"Sid": "SessionUsers", "Effect": "Allow",
            "Principal": {"AWS": [f["role"]["value"]["arn"], f["caller_permissions"]["value"]["principal_arn"]]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}


case("private-shell-kms-alias", "The preferences name the session key by its alias (alias/session-key); your policy and the role's name the key's ARN, the key policy is the default one (delegates to IAM): KMS authorises against the key, so sessions work.",
     mutate(shell, kms_alias), {"caller-kms": "pass", "role-logging-permissions": "pass"})
case("private-shell-broken-kms-alias-arn-policy", "The role's and your policies name only the alias ARN (alias/session-key): KMS authorises Decrypt and GenerateDataKey against the key's ARN, so neither is allowed.",
     mutate(shell, lambda f: (kms_alias(f), f["role"]["value"]["inline_policies"][0]["document"]["Statement"][0].update(Resource=ALIAS_ARN),
                              caller_kms(f).update(decision="implicit_deny"))),
     {"caller-kms": "fail", "role-logging-permissions": "fail"})
case("private-shell-broken-kms-key-policy", "The key policy names only a key administrator role and does not delegate to IAM (no account principal): the IAM policies that allow the key have no effect.",
     mutate(shell, lambda f: (kms_alias(f), key_policy(f, KEY_ADMINS))), {"caller-kms": "fail", "role-logging-permissions": "fail"})
case("private-shell-kms-key-policy-names-users", "No IAM policy grants the key, but the key policy names the instance role and your role: in the key's account that is enough.",
     mutate(shell, lambda f: (kms_alias(f), f["role"]["value"].update(inline_policies=[]), caller_kms(f).update(decision="implicit_deny"),
                              key_policy(f, KEY_ADMINS, session_users(f)))),
     {"caller-kms": "pass", "role-logging-permissions": "pass"})
case("private-shell-broken-kms-disabled", "The session key is disabled: KMS refuses GenerateDataKey whatever the policies say.",
     mutate(shell, lambda f: (kms_alias(f), f["session_key"]["value"].update(key_state="Disabled"))),
     {"caller-kms": "fail", "role-logging-permissions": "pass"})
case("private-shell-broken-kms-asymmetric", "The preferences name an asymmetric key (RSA_2048): a data key needs a symmetric encryption key.",
     mutate(shell, lambda f: (kms_endpoint(f), f["session_key"]["value"].update(key_spec="RSA_2048"))), {"caller-kms": "fail"})
case("private-shell-kms-key-policy-unreadable", "The key policy could not be read (kms:GetKeyPolicy denied): whether KMS lets you and the role use the key cannot be told.",
     mutate(shell, lambda f: (kms_alias(f), f["session_key"]["value"].update(policy=denied("kms:GetKeyPolicy")))),
     {"caller-kms": "unknown", "role-logging-permissions": "unknown"},
     needs={"caller-kms": ["kms:GetKeyPolicy"], "role-logging-permissions": ["kms:GetKeyPolicy"]})

# ---------------------------------------------------------------- just-in-time node access (the region's approval policies,
# ssm:ListDocuments), on the private shell with its kms endpoint
JIT_POLICIES = known([{"name": "AutoApprove-OnCall", "document_type": "AutoApprovalPolicy"},
                      {"name": "ManualApproval-Prod", "document_type": "ManualApprovalPolicy"}])


def jit(f, approval=JIT_POLICIES, holds_start_session=False, request="allowed", denied_by=None):
    """The region's approval policies as gathered; as AWS asks of just-in-time access, the caller holds no
    ssm:StartSession of its own unless `holds_start_session`. Where approval policies are listed, the gathering
    also asks ssm:StartAccessRequest on the instance (`request`: its decision; `denied_by`: the layer)."""
    checks = f["caller_permissions"]["value"]["checks"]
    if not holds_start_session:
        for k in checks:
            if k["action"] == "ssm:StartSession":
                k["decision"] = "implicit_deny"
    f["approval_policies"] = approval
    if approval.get("value"):
        instance = next(k["resource"] for k in checks if k["action"] == "ssm:StartSession" and ":instance/" in k["resource"])
        k = {"action": "ssm:StartAccessRequest", "resource": instance, "decision": request}
        if denied_by:
            k["denied_by"] = denied_by
        checks.append(k)


case("jit-shell-request-access", "Just-in-time node access is set up in the region (an auto-approval and a manual approval policy) and, as AWS asks, you hold no ssm:StartSession: the way in is an access request, not a grant.",
     mutate(shell, lambda f: (kms_endpoint(f, encrypted=False), jit(f))), {"caller-start-session": "fail", "jit-node-access": "fail"})
case("jit-port-refused", "The same account, port forwarding from the CLI: the access token's session policy allows StartSession only on the shell document, so even an approved request does not open it.",
     None, {"caller-start-session": "fail", "jit-node-access": "fail"}, mode="port", port=22, file="jit-shell-request-access")
case("jit-ssh-refused", "The same account over SSH: refused under the token's session policy.",
     None, {"jit-node-access": "fail"}, mode="ssh", file="jit-shell-request-access")
case("jit-shell-direct-access", "Approval policies exist, but you still hold ssm:StartSession: sessions start directly, just-in-time access is not in your way.",
     mutate(shell, lambda f: (kms_endpoint(f, encrypted=False), jit(f, holds_start_session=True))),
     {"caller-start-session": "pass", "jit-node-access": "skip"})
case("jit-shell-broken-kms-untagged", "Just-in-time access with KMS-encrypted sessions whose key lacks the tag SystemsManagerJustInTimeNodeAccessManaged=true: the token may not call GenerateDataKey on it.",
     mutate(shell, lambda f: (kms_endpoint(f), f.update(session_key=session_key(KEY, tags={"Purpose": "sessions"})), jit(f))),
     {"jit-node-access": "fail", "caller-kms": "pass"})
case("jit-shell-kms-tagged", "The same with the key tagged: the request is the only thing left to do.",
     mutate(shell, lambda f: (kms_endpoint(f), f.update(session_key=session_key(KEY, tags={"SystemsManagerJustInTimeNodeAccessManaged": "true"})), jit(f))),
     {"jit-node-access": "fail", "caller-kms": "pass"})
case("jit-shell-broken-no-request-right", "Just-in-time access is set up, StartSession is not yours, and neither is ssm:StartAccessRequest on the node: the request would be refused too, so the fix is a grant of the request (and ssm:GetAccessToken), not the request.",
     mutate(shell, lambda f: (kms_endpoint(f, encrypted=False), jit(f, request="implicit_deny"))), {"caller-start-session": "fail", "jit-node-access": "fail"})
case("jit-shell-broken-request-denied-by-scp", "Just-in-time access is set up, but a service control policy denies ssm:StartAccessRequest: the organization's administrators must lift it.",
     mutate(shell, lambda f: (kms_endpoint(f, encrypted=False), jit(f, request="explicit_deny", denied_by={"layer": "service_control_policy"}))),
     {"caller-start-session": "fail", "jit-node-access": "fail"})
case("jit-shell-approval-policies-unreadable", "StartSession is not yours and the region's approval policies could not be listed: whether the way in is an access request cannot be told.",
     mutate(shell, lambda f: (kms_endpoint(f, encrypted=False), jit(f, approval=denied("ssm:ListDocuments")))),
     {"caller-start-session": "fail", "jit-node-access": "unknown"}, needs={"jit-node-access": ["ssm:ListDocuments"]})
case("private-shell-no-jit-start-denied", "No approval policy in the region and no ssm:StartSession: a plain denial, whose fix is a grant.",
     mutate(shell, lambda f: (kms_endpoint(f, encrypted=False), jit(f, approval=known([])))),
     {"caller-start-session": "fail", "jit-node-access": "skip"})

# ---------------------------------------------------------------- where a deny comes from: the simulator's decision details
# (OrganizationsDecisionDetail, PermissionsBoundaryDecisionDetail, matched statements' SourcePolicyType)
SIMULATOR_LIMITS = ("IAM's simulator covers identity policies and permission boundaries; SCPs only partly, and not resource control "
                    "policies or session policies.")


def start_denied_by(f, decision, layer, statement=None):
    """StartSession on the instance denied by one layer (`statement`: the deny statement the simulator matched)."""
    perms = f["caller_permissions"]["value"]
    k = perms["checks"][0]
    k.pop("matched_statements", None)
    k["decision"] = decision
    if statement:
        k["matched_statements"] = [statement]
    k["denied_by"] = layer
    perms["limitations"] = [SIMULATOR_LIMITS]


case("rdp-private-strict-sg-broken-scp-deny", "The article's user, whose account's service control policy denies ssm:StartSession (the simulator's OrganizationsDecisionDetail says AllowedByOrganizations false): the organization's administrators must change it, not the user's own policy.",
     mutate(rdp, lambda f: start_denied_by(f, "explicit_deny", {"layer": "service_control_policy"})),
     {"caller-start-session": "fail", "jit-node-access": "skip"}, mode="port", port=3389)
case("rdp-private-strict-sg-broken-boundary-simulated", "The article's user under a permissions boundary that does not allow ssm:StartSession (the simulator's PermissionsBoundaryDecisionDetail says AllowedByPermissionsBoundary false): the boundary must change.",
     mutate(rdp, lambda f: start_denied_by(f, "implicit_deny", {"layer": "permissions_boundary"})),
     {"caller-start-session": "fail", "jit-node-access": "skip"}, mode="port", port=3389)
case("rdp-private-strict-sg-broken-explicit-deny", "An explicit deny in the user's own policy DenyOutsideOfficeHours (a matched statement of an identity policy type): that statement must change.",
     mutate(rdp, lambda f: start_denied_by(f, "explicit_deny", {"layer": "identity_policy", "policy": "DenyOutsideOfficeHours"},
                                           "DenyOutsideOfficeHours")),
     {"caller-start-session": "fail", "jit-node-access": "skip"}, mode="port", port=3389)


def in_china(f):
    """The same layout in cn-north-1, account 999900001111: every ARN in the aws-cn partition."""
    text = json.dumps(f).replace("us-east-1", "cn-north-1").replace("arn:aws:", "arn:aws-cn:").replace("222233334444", "999900001111")
    return json.loads(text)


case("cn-private-shell", "The private shell layout in China (cn-north-1): ARNs in the aws-cn partition, service names under amazonaws.com.cn.",
     in_china(shell), {"network-path": "pass", "caller-start-session": "pass", "role-agent-permissions": "pass"})
case("cn-private-shell-broken-no-profile", "No instance profile in China: the remedy's policy ARN and trust principal are China's.",
     in_china(mutate(shell, lambda f: (f["instance"]["value"].pop("instance_profile_arn"),
         f.update(instance_profile=unavailable("not_applicable", why="no instance profile"),
                  role=unavailable("not_applicable", why="no instance profile"), registration=known({"registered": False}))))),
     {"instance-role": "fail"})

case("private-shell-dhmc", "No instance profile: Default Host Management Configuration supplies the role.", mutate(shell, dhmc),
     {"instance-role": "pass", "dhmc-prerequisites": "pass", "role-trust": "pass", "role-agent-permissions": "pass"})
case("private-shell-broken-dhmc-imds-off", "DHMC with the instance metadata service disabled.",
     mutate(shell, lambda f: (dhmc(f), f["instance"]["value"].update(metadata_options={"http_endpoint": "disabled", "http_tokens": "required"}))),
     {"dhmc-prerequisites": "fail"})

n = nat()
case("nat-private-shell", "A private subnet that goes out through a NAT gateway, no endpoints.", n,
     {"network-path": "pass", "endpoint-available": "skip", "instance-sg-egress": "pass", "nacl-instance-subnet": "pass", "s3-gateway-endpoint": "pass"})
case("nat-broken-nacl-ephemeral", "The subnet's network ACL lets 443 out but no replies back in.",
     mutate(n, lambda f: f["network_acls"].update(value=[{"network_acl_id": "acl-0002custom0000000", "subnet_ids": ["subnet-0private0000000001"], "entries": [
         {"rule_number": 100, "egress": True, "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "0.0.0.0/0", "action": "allow"},
         {"rule_number": 100, "egress": False, "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "0.0.0.0/0", "action": "allow"},
         {"rule_number": 32767, "egress": False, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"},
         {"rule_number": 32767, "egress": True, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"}]}])),
     {"nacl-instance-subnet": "fail", "network-path": "pass"})
case("nat-broken-blackhole", "The NAT gateway was deleted: its route is a blackhole.",
     mutate(n, lambda f: f["route_tables"]["value"][0]["routes"][1].update(state="blackhole")), {"network-path": "fail"})

def second_subnet(f, az, cidr="10.0.2.0/24", subnet="subnet-0endpointrdp00002"):
    """Moves the endpoints into their own subnet (10.0.2.0/24) in zone `az`."""
    f["subnets"]["value"].append({"subnet_id": subnet, "vpc_id": "vpc-0f1e2d3c4b5a60001", "availability_zone": az, "cidr_block": cidr})
    for i, e in enumerate(f["vpc_endpoints"]["value"]):
        e["subnet_ids"] = [subnet]
        e["interface_ips"] = [f"10.0.2.{100 + i}"]


case("private-shell-broken-endpoint-other-az", "The endpoints live only in a subnet of us-east-1b; the instance is in us-east-1a.",
     mutate(shell, lambda f: second_subnet(f, "us-east-1b")), {"endpoint-subnet-az": "warn", "network-path": "pass", "nacl-endpoint-subnets": "pass"})


def endpoint_subnet_acl(f):
    second_subnet(f, "us-east-1a")
    f["network_acls"]["value"].append({"network_acl_id": "acl-0endpointrdp00002", "subnet_ids": ["subnet-0endpointrdp00002"], "entries": [
        {"rule_number": 100, "egress": False, "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "10.0.9.0/24", "action": "allow"},
        {"rule_number": 100, "egress": True, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "allow"},
        {"rule_number": 32767, "egress": False, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"},
        {"rule_number": 32767, "egress": True, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"}]})


case("private-shell-broken-endpoint-subnet-nacl", "The endpoints' own subnet has an ACL that admits 443 only from another subnet.",
     mutate(shell, endpoint_subnet_acl), {"nacl-endpoint-subnets": "fail", "nacl-instance-subnet": "pass", "endpoint-subnet-az": "pass"})
case("private-shell-broken-endpoint-policy-deny", "The ssmmessages endpoint's policy denies every ssmmessages action.",
     mutate(shell, lambda f: endpoint(f, "ssmmessages").update(policy={"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
         {"Sid": "NoChannels", "Effect": "Deny", "Principal": "*", "Action": "ssmmessages:*", "Resource": "*"}]})), {"endpoint-policy": "fail"})
case("private-shell-broken-endpoint-policy-unreadable", "An endpoint policy that is not JSON: Unknown, never read as the default policy.",
     mutate(shell, lambda f: endpoint(f, "ssm").update(policy="{not a policy")), {"endpoint-policy": "unknown"})
case("private-shell-endpoint-policy-custom", "A custom endpoint policy that still allows the agent: worth a look, not a failure.",
     mutate(shell, lambda f: endpoint(f, "ssm").update(policy={"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Principal": "*", "Action": ["ssm:UpdateInstanceInformation", "ssm:ListAssociations", "ssm:GetDocument"], "Resource": "*"}]})),
     {"endpoint-policy": "warn"})
case("private-shell-broken-shell-profile-old-agent", "A shell profile is set in the preferences; agent 3.0.151.0 predates shell profiles.",
     mutate(shell, lambda f: (f.update(session_preferences=known({"document_exists": True, "shell_profile_enabled": True})),
                             f["registration"]["value"].update(agent_version="3.0.151.0"))), {"agent-version": "fail"})
case("nat-transit-gateway", "The default route goes to a transit gateway (a shared egress VPC).",
     mutate(n, lambda f: f["route_tables"]["value"][0]["routes"][1].update(target="tgw-0a1b2c3d4e5f60789")), {"network-path": "pass"})
case("nat-instance", "The default route goes to a NAT instance's network interface.",
     mutate(n, lambda f: f["route_tables"]["value"][0]["routes"][1].update(target="eni-0a1b2c3d4e5f60789")), {"network-path": "pass"})
case("nat-peering-default", "The default route points at a VPC peering connection, which never reaches the internet, but may reach endpoints centralised in the peer VPC.",
     mutate(n, lambda f: f["route_tables"]["value"][0]["routes"][1].update(target="pcx-0a1b2c3d4e5f60789")), {"network-path": "unknown"})
case("nat-centralised-endpoints", "Hub and spoke: no endpoint and no default route here, but 10.0.0.0/8 goes to a transit gateway, behind which a shared VPC may hold the endpoints.",
     mutate(n, lambda f: f["route_tables"]["value"][0]["routes"].__setitem__(1, {"destination": "10.0.0.0/8", "target": "tgw-0a1b2c3d4e5f60789"})),
     {"network-path": "unknown", "endpoint-available": "skip"})
case("nat-broken-no-way-out", "No endpoint, no default route and no route to any shared network: nothing can reach Systems Manager.",
     mutate(n, lambda f: f["route_tables"]["value"][0]["routes"].pop(1)), {"network-path": "fail"})


LOGGING = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetEncryptionConfiguration"], "Resource": "*"}]}


def cloudwatch_logging(f, kms=True, exists=True):
    """CloudWatch logging with encryption enforced (the console's default), and a role that may log."""
    f["session_preferences"] = known({"document_exists": True, "cloudwatch_log_group": "/ssm/sessions",
                                      "cloudwatch_encryption_enabled": True, "cloudwatch_streaming_enabled": True})
    group = {"name": "/ssm/sessions", "exists": exists}
    if kms and exists:
        group["kms_key_id"] = KEY
    f["log_group"] = known(group)
    f["log_bucket_encryption"] = unavailable("not_applicable", why="the session preferences name no bucket")
    f["role"]["value"]["inline_policies"] = [{"name": "session-logging", "document": LOGGING}]


def s3_logging_enforced(f, algorithm=None):
    f["session_preferences"] = known({"document_exists": True, "s3_bucket": "ssm-session-logs-222233334444", "s3_encryption_enabled": True})
    enc = {"bucket": "ssm-session-logs-222233334444", "exists": True}
    if algorithm:
        enc["algorithm"] = algorithm
    f["log_bucket_encryption"] = known(enc)
    f["log_group"] = unavailable("not_applicable", why="the session preferences name no log group")
    f["role"]["value"]["inline_policies"] = [{"name": "session-logging", "document": LOGGING}]


case("nat-cloudwatch-encrypted", "Session logs stream to a KMS-encrypted CloudWatch log group, with encryption enforced: the shell opens.",
     mutate(n, cloudwatch_logging), {"session-log-encryption": "pass", "role-logging-permissions": "pass", "logging-kms-endpoints": "pass"})
case("nat-cloudwatch-encrypted-port", "The same preferences for port forwarding, which is never logged: nothing to check.", None,
     {"session-log-encryption": "skip", "role-logging-permissions": "skip"}, mode="port", port=80, file="nat-cloudwatch-encrypted")
case("nat-broken-cloudwatch-unencrypted", "Encryption enforced, and the log group has no KMS key: the agent refuses every shell session.",
     mutate(n, lambda f: cloudwatch_logging(f, kms=False)), {"session-log-encryption": "fail"})
case("nat-broken-cloudwatch-group-missing", "Encryption enforced, and the log group does not exist: the agent reads it as unencrypted.",
     mutate(n, lambda f: cloudwatch_logging(f, exists=False)), {"session-log-encryption": "fail"})
case("nat-cloudwatch-group-unseen", "Encryption enforced, and the caller may not describe log groups: Unknown, never a pass.",
     mutate(n, lambda f: (cloudwatch_logging(f), f.update(log_group=denied("logs:DescribeLogGroups")))), {"session-log-encryption": "unknown"},
     needs={"session-log-encryption": ["logs:DescribeLogGroups"]})
case("nat-s3-encrypted", "Session logs go to an S3 bucket with default SSE-S3 encryption, and encryption is enforced.",
     mutate(n, lambda f: s3_logging_enforced(f, "AES256")), {"session-log-encryption": "pass", "role-logging-permissions": "pass"})
case("nat-s3-logging-unenforced", "Session logs go to S3 without enforced encryption: the role needs s3:PutObject, not s3:GetEncryptionConfiguration.",
     mutate(n, lambda f: (f.update(session_preferences=known({"document_exists": True, "s3_bucket": "ssm-session-logs-222233334444"})),
                          f["role"]["value"].update(inline_policies=[{"name": "put-logs", "document": {"Version": "2012-10-17", "Statement": [
                              {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::ssm-session-logs-222233334444/*"}]}}]))),
     {"role-logging-permissions": "pass", "session-log-encryption": "skip"})
case("nat-broken-s3-unencrypted", "Encryption enforced, and the bucket has no default encryption: the agent refuses every shell session.",
     mutate(n, s3_logging_enforced), {"session-log-encryption": "fail"})


def acl(entries_in, entries_out):
    return known([{"network_acl_id": "acl-0002custom0000000", "subnet_ids": ["subnet-0private0000000001"], "entries":
        [dict(e, egress=False) for e in entries_in] + [dict(e, egress=True) for e in entries_out] + [
         {"rule_number": 32767, "egress": False, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"},
         {"rule_number": 32767, "egress": True, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"}]}])


# AWS's example ACL opens 32768-65535 for the replies; the Linux kernel's range is 32768-61000.
LINUX_REPLIES = acl([{"rule_number": 100, "protocol": "tcp", "from_port": 32768, "to_port": 61000, "cidr": "0.0.0.0/0", "action": "allow"}],
                    [{"rule_number": 100, "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "0.0.0.0/0", "action": "allow"}])
case("nat-nacl-linux-ephemeral", "The subnet's ACL admits replies on 32768-61000 only: enough for Linux, whose kernel uses that range.",
     mutate(n, lambda f: f.update(network_acls=LINUX_REPLIES)), {"nacl-instance-subnet": "pass"})
case("nat-broken-nacl-windows-ephemeral", "The same ACL in front of a Windows instance, which uses 49152-65535: replies to 61001-65535 are dropped.",
     mutate(n, lambda f: (f.update(network_acls=LINUX_REPLIES), f["instance"]["value"].update(platform="windows"),
                          f["registration"]["value"].update(platform_type="Windows", platform_name="Microsoft Windows Server 2022 Datacenter"))),
     {"nacl-instance-subnet": "fail"})
case("nat-nacl-unknown-platform", "The same ACL, and the platform cannot be told (the registration is unreadable): part of 1024-65535 is closed, a warning.",
     mutate(n, lambda f: (f.update(network_acls=LINUX_REPLIES), f.update(registration=denied("ssm:DescribeInstanceInformation")))),
     {"nacl-instance-subnet": "warn"})


def bypassed(f):
    f["vpc_endpoints"] = copy.deepcopy(shell["vpc_endpoints"])
    set_private_dns_off(f)


case("nat-broken-ipv6-only", "An IPv6-only subnet: this version evaluates IPv4 paths and says so instead of guessing.",
     mutate(n, lambda f: (f["instance"]["value"].pop("private_ip"), f["instance"]["value"].update(ipv6_addresses=["2600:1f18:4d2:8a00::15"]))),
     {"network-path": "unknown", "instance-sg-egress": "unknown", "nacl-instance-subnet": "unknown"})
case("nat-endpoints-bypassed", "Endpoints exist but private DNS is off: traffic leaves through the NAT gateway instead.",
     mutate(n, bypassed), {"endpoint-private-dns": "warn", "network-path": "pass", "endpoint-sg-ingress": "skip"})

p = public()
case("public-shell", "A public subnet: internet gateway and a public address; SSH open to the office only.", p,
     {"network-path": "pass", "instance-sg-inbound": "pass", "instance-sg-egress": "pass"})
case("public-broken-no-public-ip", "A route to the internet gateway, but no public address.",
     mutate(p, lambda f: f["instance"]["value"].pop("public_ip")), {"network-path": "fail"})
case("public-broken-rdp-open", "RDP opened to the world \"for SSM\".",
     mutate(p, lambda f: sg(f, "sg-0001ec2000000000a")["ingress"].append(tcp(3389, 3389, {"cidr": "0.0.0.0/0"}))), {"instance-sg-inbound": "warn"})

ssh = ssh_cross_account()
case("ssh-cross-account", "The article ssh-assume-role: SSH from Windows through a role in the system account, assumed from the central account.", ssh,
     {"client-ssh-config": "pass", "caller-assume-role": "pass", "caller-start-session": "pass", "agent-version": "pass"}, mode="ssh")
case("ssh-cross-account-agent-2.3.722", "Agent 2.3.722.0 meets the SSH minimum of the start-session and SSH pages (2.3.672.0), not the prerequisites page's (3.0.222.0): a warning naming both.",
     mutate(ssh, lambda f: f["registration"]["value"].update(agent_version="2.3.722.0")), {"agent-version": "warn"}, mode="ssh")
case("ssh-cross-account-broken-agent-2.3.600", "Agent 2.3.600.0 predates SSH sessions by every AWS page.",
     mutate(ssh, lambda f: f["registration"]["value"].update(agent_version="2.3.600.0")), {"agent-version": "fail"}, mode="ssh")
case("ssh-cross-account-no-proxycommand", "~/.ssh/config has no ProxyCommand for i-* hosts: `ssh i-…` will not use Session Manager, but the session itself can open (a warning).",
     mutate(ssh, lambda f: f["client"]["value"].pop("ssh_proxy_entries")), {"client-ssh-config": "warn"}, mode="ssh")
case("ssh-cross-account-alias", "A Host alias whose HostName is the instance id, with AWS's PowerShell ProxyCommand: ssh reaches the instance as `ssh web`.",
     mutate(ssh, lambda f: f["client"]["value"].update(ssh_proxy_entries=[{"host_patterns": "web", "host_name": "i-0b2c3d4e5f6a70002",
         "proxy_command": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe \"aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p\""}])),
     {"client-ssh-config": "pass"}, mode="ssh")
case("ssh-cross-account-broken-relative-aws", "The Windows ProxyCommand calls `aws` without its absolute path.",
     mutate(ssh, lambda f: f["client"]["value"].update(ssh_proxy_entries=[{"host_patterns": "i-* mi-*",
         "proxy_command": "aws ssm start-session --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p"}])),
     {"client-ssh-config": "warn"}, mode="ssh")
case("ssh-cross-account-broken-wrong-document", "The role may start AWS-StartPortForwardingSession only, not AWS-StartSSHSession.",
     mutate(ssh, lambda f: [k.update(decision="allowed" if k["resource"].endswith("/AWS-StartPortForwardingSession") else "implicit_deny")
                            for k in f["caller_permissions"]["value"]["checks"] if "document/" in k["resource"]]),
     {"caller-start-session": "fail"}, mode="ssh")
case("ssh-cross-account-broken-assume-denied", "The central user may not assume the role: every call fails.",
     mutate(ssh, lambda f: f.update(caller=unavailable("error", message="AccessDenied: User: arn:aws:iam::444455556666:user/sugimura is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333344445555:role/SSMSSHRole"),
                                     caller_permissions=unavailable("not_gathered", why="no working credentials"))),
     {"caller-credentials": "fail", "caller-assume-role": "fail", "caller-start-session": "unknown"}, mode="ssh")

nginx = public_nginx()
case("public-nginx-port", "The article port-forwarding-howto: port forwarding to nginx on port 80 of the instance.", nginx,
     {"port-forward-scope": "pass", "agent-version": "pass", "client-plugin": "pass"}, mode="port", port=80)
case("public-nginx-port-broken-rds-host", "The trap the article port-forwarding-howto warns of: AWS-StartPortForwardingSession cannot reach an RDS host behind the instance.", None,
     {"port-forward-scope": "fail"}, mode="port", port=3306, remote_host="mydb.cluster-abc.ap-northeast-1.rds.amazonaws.com", file="public-nginx-port")
def database(f, admits="sg-0001ec2000000000a", subnet="subnet-0private0000000001", ip="10.0.1.50"):
    """A database whose network interface (security group, subnet) is in the account."""
    f["remote_destination"] = known({"host": ip, "addresses": [ip], "security_group_ids": ["sg-0db0000000000000a"], "subnet_id": subnet})
    f["security_groups"]["value"].append({"group_id": "sg-0db0000000000000a", "group_name": "database",
                                          "ingress": [tcp(3306, 3306, {"security_group": admits})], "egress": []})


def database_subnet(f, acl_in):
    """The database in its own subnet 10.0.2.0/24, behind an ACL admitting `acl_in`."""
    database(f, subnet="subnet-0database000000002", ip="10.0.2.50")
    f["subnets"]["value"].append({"subnet_id": "subnet-0database000000002", "vpc_id": "vpc-0f1e2d3c4b5a60001",
                                  "availability_zone": "ap-northeast-1a", "cidr_block": "10.0.2.0/24"})
    f["network_acls"]["value"].append({"network_acl_id": "acl-0database00000002", "subnet_ids": ["subnet-0database000000002"], "entries": [
        {"rule_number": 100, "egress": False, "protocol": "tcp", "from_port": 3306, "to_port": 3306, "cidr": acl_in, "action": "allow"},
        {"rule_number": 100, "egress": True, "protocol": "tcp", "from_port": 1024, "to_port": 65535, "cidr": "10.0.0.0/16", "action": "allow"},
        {"rule_number": 32767, "egress": False, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"},
        {"rule_number": 32767, "egress": True, "protocol": "-1", "cidr": "0.0.0.0/0", "action": "deny"}]})


def secondary_range(f):
    """A secondary VPC range 100.64.0.0/16 with a subnet of its own, and the database at its base + 2."""
    f["vpc"]["value"]["cidr_blocks"].append("100.64.0.0/16")
    f["route_tables"]["value"][0]["routes"].insert(1, {"destination": "100.64.0.0/16", "target": "local"})
    f["subnets"]["value"].append({"subnet_id": "subnet-0secondary00000003", "vpc_id": "vpc-0f1e2d3c4b5a60001",
                                  "availability_zone": "ap-northeast-1a", "cidr_block": "100.64.0.0/24"})
    database(f, subnet="subnet-0secondary00000003", ip="100.64.0.2")


case("public-remote-db", "Remote-host port forwarding to a database in the VPC, whose security group admits the instance's.",
     mutate(nginx, database),
     {"remote-host-allowed": "pass", "remote-host-reachable": "pass", "agent-version": "pass"}, mode="remote-port", port=3306, remote_host="10.0.1.50")
case("public-remote-db-other-subnet", "The database in its own subnet, whose network ACL admits 3306 from the instance's subnet and lets the replies out.",
     mutate(nginx, lambda f: database_subnet(f, "10.0.1.0/24")),
     {"remote-host-reachable": "pass"}, mode="remote-port", port=3306, remote_host="10.0.2.50")
case("public-remote-broken-dest-subnet-nacl", "The database's subnet ACL admits 3306 only from another subnet.",
     mutate(nginx, lambda f: database_subnet(f, "10.0.9.0/24")),
     {"remote-host-reachable": "fail", "remote-host-allowed": "pass"}, mode="remote-port", port=3306, remote_host="10.0.2.50")
case("public-remote-db-unseen", "The host's address is in no network interface of the account: its own firewall cannot be seen, so the answer is Unknown.",
     mutate(nginx, lambda f: f.update(remote_destination=known({"host": "10.0.1.50", "addresses": ["10.0.1.50"]}))),
     {"remote-host-reachable": "unknown", "remote-host-allowed": "pass"}, mode="remote-port", port=3306, remote_host="10.0.1.50")
case("public-remote-db-denied", "The caller may not describe network interfaces: the destination is not seen, never passed.",
     mutate(nginx, lambda f: f.update(remote_destination=denied("ec2:DescribeNetworkInterfaces"))),
     {"remote-host-reachable": "unknown"}, mode="remote-port", port=3306, remote_host="10.0.1.50",
     needs={"remote-host-reachable": ["ec2:DescribeNetworkInterfaces"]})
case("public-remote-broken-imds", "Forwarding to the instance metadata service, on the agent's default deny list.", None,
     {"remote-host-allowed": "fail"}, mode="remote-port", port=80, remote_host="169.254.169.254", file="public-nginx-port")
case("public-remote-secondary-cidr-base", "Forwarding to the base address + 2 of a secondary VPC range: the agent refuses only the primary range's reserved addresses.",
     mutate(nginx, secondary_range),
     {"remote-host-allowed": "pass"}, mode="remote-port", port=3306, remote_host="100.64.0.2")
case("public-remote-broken-egress", "The instance's security group lets only 443 out: the database port is blocked.",
     mutate(nginx, lambda f: (database(f), sg(f, "sg-0001ec2000000000a").update(egress=[tcp(443, 443, {"cidr": "0.0.0.0/0"})]))),
     {"remote-host-reachable": "fail", "instance-sg-egress": "pass"}, mode="remote-port", port=3306, remote_host="10.0.1.50")


case("public-remote-broken-dest-sg", "The database's security group admits only the application tier, not the instance.",
     mutate(nginx, lambda f: database(f, admits="sg-0app000000000000a")), {"remote-host-reachable": "fail", "remote-host-allowed": "pass"}, mode="remote-port", port=3306, remote_host="10.0.1.50")
case("public-remote-broken-reserved", "Forwarding to 10.0.0.2, the VPC's DNS resolver: a reserved address the agent refuses.", None,
     {"remote-host-allowed": "fail"}, mode="remote-port", port=53, remote_host="10.0.0.2", file="public-nginx-port")
case("public-remote-broken-loopback", "Remote-host forwarding to localhost with agent 3.3.4851.0, which refuses loopback.",
     mutate(nginx, lambda f: f["registration"]["value"].update(agent_version="3.3.4851.0")),
     {"remote-host-allowed": "fail"}, mode="remote-port", port=8080, remote_host="127.0.0.1")
case("public-remote-loopback-old-agent", "The same forwarding with agent 3.2.2303.0, which still allows loopback.", None,
     {"remote-host-allowed": "pass", "remote-host-reachable": "pass"}, mode="remote-port", port=8080, remote_host="127.0.0.1", file="public-nginx-port")
case("public-nginx-port-broken-agent-2.3.612", "An agent older than port forwarding.",
     mutate(nginx, lambda f: f["registration"]["value"].update(agent_version="2.3.612.0")), {"agent-version": "fail"}, mode="port", port=80)
case("public-nginx-port-broken-plugin-1.1.17", "A plugin older than port forwarding.",
     mutate(nginx, lambda f: f["client"]["value"]["session_manager_plugin"].update(version_output="1.1.17.0")), {"client-plugin": "fail"}, mode="port", port=80)
case("public-nginx-port-broken-no-plugin", "No session-manager-plugin on PATH: `SessionManagerPlugin is not found`.",
     mutate(nginx, lambda f: f["client"]["value"].pop("session_manager_plugin")), {"client-plugin": "fail"}, mode="port", port=80)

case("rdp-mfa-enforced", "The article rdp-with-mfa: MFA session credentials, and the MFA-enforcing policy lets the session through.", rdp_mfa(),
     {"caller-mfa": "pass", "caller-start-session": "pass", "network-path": "pass"}, mode="port", port=3389)
case("rdp-mfa-enforced-broken-no-mfa", "The error of the article rdp-with-mfa: long-term keys against a policy that denies without MFA.", rdp_mfa_long_term_keys(),
     {"caller-mfa": "fail", "caller-start-session": "fail"}, mode="port", port=3389)

case("hybrid-onprem", "A hybrid managed node (mi-) in the standard tier, which Session Manager no longer minds: no EC2 network, CloudWatch logging on, no trail.", hybrid(),
     {"instance-running": "skip", "network-path": "skip", "agent-online": "pass", "audit-trail": "warn", "hybrid-activation-tier": "pass"})
case("hybrid-onprem-tier-unseen", "The same node, and the caller may not read the tier setting: Unknown, naming the permission.",
     mutate(hybrid(), lambda f: f.update(activation_tier=denied("ssm:GetServiceSetting"))), {"hybrid-activation-tier": "unknown"},
     needs={"hybrid-activation-tier": ["ssm:GetServiceSetting"]})

# ---------------------------------------------------------------- the caller's policies, evaluated locally
def local(f, principal, policies, boundary=None, trust=None):
    """The caller may not simulate; its own policy documents are in the facts instead."""
    f["caller_permissions"] = denied("iam:SimulatePrincipalPolicy")
    doc = {"principal_arn": principal, "policies": [{"name": n, "document": d} for n, d in policies]}
    if boundary:
        doc["permissions_boundary"] = boundary
    if trust:
        doc["trust_policy"] = trust
    f["caller_policies"] = known(doc)


def rdp_user_policy(instance):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": [
            f"arn:aws:ec2:ap-northeast-1:111122223333:instance/{instance}",
            "arn:aws:ssm:ap-northeast-1::document/AWS-StartPortForwardingSession"]},
        {"Effect": "Allow", "Action": "ssm:TerminateSession", "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"}]}


PF_USER = "arn:aws:iam::111122223333:user/ssm-pf-user"
case("rdp-private-strict-sg-local-policy", "The caller may not simulate; the user policy of the article rdp-requirements (one instance, the port-forwarding document) is evaluated locally.",
     mutate(rdp, lambda f: local(f, PF_USER, [("ssm-pf-user-policy", rdp_user_policy("i-0c678d2c038786416"))])),
     {"caller-start-session": "pass", "caller-session-control": "warn", "caller-mfa": "pass"}, mode="port", port=3389)
case("rdp-private-strict-sg-local-broken-other-instance", "The same user policy names another instance.",
     mutate(rdp, lambda f: local(f, PF_USER, [("ssm-pf-user-policy", rdp_user_policy("i-0aaaaaaaaaaaaaaaa"))])),
     {"caller-start-session": "fail"}, mode="port", port=3389)
case("rdp-private-strict-sg-local-shell-document", "The user policy names only the port-forwarding document, and the user asks for a plain shell: it starts without the document, since the policy does not set ssm:SessionDocumentAccessCheck (AWS's pages disagree: a warning).",
     mutate(rdp, lambda f: local(f, PF_USER, [("ssm-pf-user-policy", rdp_user_policy("i-0c678d2c038786416"))])),
     {"caller-start-session": "warn"}, mode="shell", agrees_with="rdp-private-strict-sg-shell-document")
case("rdp-private-strict-sg-shell-document", "The same question answered by IAM's simulator: the document is denied, and the policies do not test ssm:SessionDocumentAccessCheck.",
     mutate(rdp, lambda f: f["caller_permissions"]["value"].update(session_document_access_check=False)),
     {"caller-start-session": "warn"}, mode="shell")


def document_checked(instance):
    """The user policy with AWS's 2023 quickstart condition: every StartSession must name an allowed document."""
    p = rdp_user_policy(instance)
    p["Statement"][0]["Condition"] = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    return p


case("rdp-private-strict-sg-local-broken-shell-document-checked", "The same user policy with ssm:SessionDocumentAccessCheck: a shell now needs SSM-SessionManagerRunShell, which it does not allow.",
     mutate(rdp, lambda f: local(f, PF_USER, [("ssm-pf-user-policy", document_checked("i-0c678d2c038786416"))])),
     {"caller-start-session": "fail"}, mode="shell", agrees_with="rdp-private-strict-sg-broken-shell-document-checked")
case("rdp-private-strict-sg-broken-shell-document-checked", "The same, answered by IAM's simulator: the probe without the key finds ssm:SessionDocumentAccessCheck missing, so the policies test it.",
     mutate(rdp, lambda f: f["caller_permissions"]["value"].update(session_document_access_check=True)),
     {"caller-start-session": "fail"}, mode="shell")
case("rdp-private-strict-sg-local-document-checked-port", "With ssm:SessionDocumentAccessCheck, port forwarding names its document anyway, and the policy allows it.",
     None, {"caller-start-session": "pass"}, mode="port", port=3389, file="rdp-private-strict-sg-local-broken-shell-document-checked",
     agrees_with="rdp-private-strict-sg")
case("rdp-private-strict-sg-local-broken-boundary", "A permissions boundary on the user allows only EC2 reads.",
     mutate(rdp, lambda f: local(f, PF_USER, [("ssm-pf-user-policy", rdp_user_policy("i-0c678d2c038786416"))],
         boundary={"arn": "arn:aws:iam::111122223333:policy/ec2-read-only", "name": "ec2-read-only",
                   "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}})),
     {"caller-start-session": "fail"}, mode="port", port=3389)

ALLOW_SSM = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession"], "Resource": "*"}]}
FORCE_MFA = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
    "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "sts:GetSessionToken"],
    "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}
PLAIN_BOOL_MFA = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyWithoutMFA", "Effect": "Deny", "Action": "*", "Resource": "*",
    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}
HOGE = "arn:aws:iam::666677778888:user/hoge"
rdp_keys = rdp_mfa_long_term_keys()
case("rdp-mfa-enforced-local-broken-no-mfa", "The MFA layout evaluated locally: long-term keys against a BoolIfExists MFA deny.",
     mutate(rdp_keys, lambda f: local(f, HOGE, [("AllowSSM", ALLOW_SSM), ("ForceMFA", FORCE_MFA)])),
     {"caller-start-session": "fail", "caller-mfa": "fail"}, mode="port", port=3389)
case("rdp-mfa-enforced-local-mfa", "The same policies with MFA session credentials.",
     mutate(rdp_mfa(), lambda f: local(f, HOGE, [("AllowSSM", ALLOW_SSM), ("ForceMFA", FORCE_MFA)])),
     {"caller-start-session": "pass", "caller-mfa": "pass"}, mode="port", port=3389)
case("rdp-mfa-enforced-local-plain-bool", "AWS's documented trap: a plain Bool MFA deny does not apply to long-term keys, which carry no MFA key.",
     mutate(rdp_keys, lambda f: local(f, HOGE, [("AllowSSM", ALLOW_SSM), ("DenyWithoutMFA", PLAIN_BOOL_MFA)])),
     {"caller-start-session": "pass", "caller-mfa": "pass"}, mode="port", port=3389)
case("rdp-mfa-enforced-local-broken-temporary-no-mfa", "Temporary credentials issued without MFA: the plain Bool deny applies to them.",
     mutate(rdp_keys, lambda f: (local(f, HOGE, [("AllowSSM", ALLOW_SSM), ("DenyWithoutMFA", PLAIN_BOOL_MFA)]),
                              f.update(credentials=known({"source": "environment", "temporary": True, "mfa_authenticated": False})))),
     {"caller-start-session": "fail", "caller-mfa": "fail"}, mode="port", port=3389)

SSO_ROLE = "arn:aws:iam::222233334444:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"
case("private-shell-local-unknown-source-ip", "An SSO role whose policy allows sessions only from the office IP range: the source address is not known here.",
     mutate(shell, lambda f: local(f, SSO_ROLE, [("office-only", {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "ssm:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}}]})])),
     {"caller-start-session": "unknown", "caller-session-control": "unknown"})
case("private-shell-local-unsupported-operator", "A policy with a condition operator the local evaluator does not know: Unknown, never Allow.",
     mutate(shell, lambda f: local(f, SSO_ROLE, [("binary", {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "ssm:*", "Resource": "*", "Condition": {"BinaryEquals": {"aws:SourceIdentity": "c3NtLWNoZWNr"}}}]})])),
     {"caller-start-session": "unknown"})

SSH_ROLE = "arn:aws:iam::333344445555:role/SSMSSHRole"
SSH_ROLE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ssm:StartSession"], "Resource": [
        "arn:aws:ec2:ap-northeast-1:333344445555:instance/i-0b2c3d4e5f6a70002", "arn:aws:ssm:ap-northeast-1::document/AWS-StartSSHSession"]},
    {"Effect": "Allow", "Action": ["ssm:TerminateSession"], "Resource": ["arn:aws:ssm:*:*:session/${aws:username}-*"]}]}
CENTRAL_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root"]}, "Action": "sts:AssumeRole", "Condition": {}}]}


def ssh_cross_account_local(f, trust=CENTRAL_TRUST):
    local(f, SSH_ROLE, [("ssm-ssh", SSH_ROLE_POLICY)], trust=trust)
    f["credentials"]["value"]["source_identity_arn"] = "arn:aws:iam::444455556666:user/sugimura"


case("ssh-cross-account-local-cross-account", "The cross-account SSH layout evaluated locally: the role's own policy and its trust of the central account.",
     mutate(ssh, ssh_cross_account_local), {"caller-start-session": "pass", "caller-assume-role": "pass", "caller-session-control": "warn"}, mode="ssh")
case("ssh-cross-account-local-broken-trust", "The role trusts a different central account; the assume fails.",
     mutate(ssh, lambda f: (ssh_cross_account_local(f, trust={"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}]}),
         f.update(caller=unavailable("error", message="AccessDenied: not authorized to perform: sts:AssumeRole")))),
     {"caller-assume-role": "fail", "caller-credentials": "fail"}, mode="ssh")

# ---------------------------------------------------------------- Run As (AWS page session-preferences-run-as; agent shell_unix.go)
def run_as(f, default=None, enabled=True):
    prefs = {"document_exists": True, "run_as_enabled": enabled, "document_type": "Session", "session_type": "Standard_Stream"}
    if default is not None:
        prefs["run_as_default_user"] = default
    f["session_preferences"] = known(prefs)


TARO = "arn:aws:iam::222233334444:user/taro"


def as_user_taro(f, tags=None):
    """The private-shell caller as an IAM user with its tags read (iam:ListUserTags)."""
    f["caller"] = known({"arn": TARO, "account": "222233334444", "user_id": "AIDA0000000000EXAMPLE"})
    f["credentials"] = known({"source": "profile", "profile": "dev", "temporary": False})
    f["caller_permissions"] = known(checks(TARO, "us-east-1", "222233334444", "i-0a1b2c3d4e5f60001", "all", {}, username="taro"))
    f["caller_tags"] = known({"principal_arn": TARO, "tags": tags or {}})


case("private-shell-run-as-default", "Run As on with a default OS user (ec2-user); the SSO role has no SSMSessionRunAs tag: the session runs as ec2-user (a session tag could override: said in a note).",
     mutate(shell, lambda f: (run_as(f, "ec2-user"), f.update(caller_tags=known({"principal_arn": SSO_ROLE, "tags": {"team": "dev"}})))),
     {"session-run-as": "pass"})
case("private-shell-run-as-user-tag", "Run As on without a default user; the IAM user's SSMSessionRunAs tag names taro.",
     mutate(shell, lambda f: (run_as(f), as_user_taro(f, {"SSMSessionRunAs": "taro"}))), {"session-run-as": "pass"})
case("private-shell-run-as-tag-over-default", "The default user is ssm-user, which fails with Run As on, but the user's tag names taro: the tag wins.",
     mutate(shell, lambda f: (run_as(f, "ssm-user"), as_user_taro(f, {"SSMSessionRunAs": "taro"}))), {"session-run-as": "pass"})
case("private-shell-run-as-broken-no-user", "Run As on, no default user and no SSMSessionRunAs tag: the agent says \"please set the RunAs default user\".",
     mutate(shell, lambda f: (run_as(f), as_user_taro(f, {"SSMSessionRunAs": "  "}))), {"session-run-as": "fail"})
case("private-shell-run-as-broken-root", "The user's SSMSessionRunAs tag names root: the agent refuses uid 0 (\"invalid uid and gid\").",
     mutate(shell, lambda f: (run_as(f, "ec2-user"), as_user_taro(f, {"SSMSessionRunAs": "root"}))), {"session-run-as": "fail"})
case("private-shell-run-as-broken-ssm-user", "Run As on with ssm-user as the default user: the agent does not create ssm-user with Run As on.",
     mutate(shell, lambda f: (run_as(f, "ssm-user"), as_user_taro(f))), {"session-run-as": "fail"})
case("private-shell-run-as-tags-unseen", "Run As on with a default user, and the caller may not list its tags: a tag would override the default, so Unknown naming iam:ListUserTags.",
     mutate(shell, lambda f: (run_as(f, "ec2-user"), as_user_taro(f), f.update(caller_tags=denied("iam:ListUserTags")))),
     {"session-run-as": "unknown"}, needs={"session-run-as": ["iam:ListUserTags"]})
case("private-shell-run-as-role-session-tag", "Run As on, no default user, and the SSO role has no SSMSessionRunAs tag: only a session tag from the identity provider could name a user, which no read-only call shows.",
     mutate(shell, lambda f: (run_as(f), f.update(caller_tags=known({"principal_arn": SSO_ROLE, "tags": {}})))),
     {"session-run-as": "unknown"})
case("private-shell-run-as-port", "Run As on without any user, and the session is port forwarding, which starts no shell.",
     None, {"session-run-as": "skip"}, mode="port", port=22, file="private-shell-run-as-broken-no-user")
case("rdp-private-strict-sg-run-as-windows", "Run As on without any user, and a shell to the Windows server: Windows ignores Run As.",
     mutate(rdp, lambda f: (run_as(f), f["caller_permissions"]["value"].update(session_document_access_check=False),
                            f.update(caller_tags=known({"principal_arn": PF_USER, "tags": {}})))),
     {"session-run-as": "skip"}, mode="shell")

# ---------------------------------------------------------------- tags in policy conditions (ABAC), evaluated locally
def abac_policy(instance_condition, sessions):
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ByTag", "Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ec2:*:*:instance/*",
         "Condition": {"StringEquals": instance_condition}},
        {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"},
        sessions]}


ROLE_SESSIONS = {"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"], "Resource": "*",
                 "Condition": {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": ["${aws:userid}*"]}}}
USER_SESSIONS = {"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession"],
                 "Resource": "arn:aws:ssm:*:*:session/${aws:username}-*"}


def tagged_instance(f, tags):
    f["instance"]["value"]["tags"] = dict({"Name": f["instance"]["value"]["name"]}, **tags)


case("private-shell-local-abac-instance-tag", "An SSO role's policy allows sessions on instances tagged Env=dev (ssm:resourceTag/Env), and the instance has the tag: read from DescribeInstances, it decides locally.",
     mutate(shell, lambda f: (tagged_instance(f, {"Env": "dev"}), local(f, SSO_ROLE, [("by-tag", abac_policy({"ssm:resourceTag/Env": "dev"}, ROLE_SESSIONS))]))),
     {"caller-start-session": "pass"})
case("private-shell-local-abac-broken-instance-tag", "The same policy, and the instance is tagged Env=prod: not allowed.",
     mutate(shell, lambda f: (tagged_instance(f, {"Env": "prod"}), local(f, SSO_ROLE, [("by-tag", abac_policy({"ssm:resourceTag/Env": "dev"}, ROLE_SESSIONS))]))),
     {"caller-start-session": "fail"})
case("private-shell-local-abac-broken-instance-untagged", "The same policy, and the instance has no Env tag at all: a tag that is not there is absent, not unknown.",
     mutate(shell, lambda f: (tagged_instance(f, {}), local(f, SSO_ROLE, [("by-tag", abac_policy({"aws:ResourceTag/Env": "dev"}, ROLE_SESSIONS))]))),
     {"caller-start-session": "fail"})
case("private-shell-local-abac-tags-unrecorded", "The same policy on a facts document that does not record the instance's tags (written before they were kept): Unknown, never a guess.",
     mutate(shell, lambda f: local(f, SSO_ROLE, [("by-tag", abac_policy({"ssm:resourceTag/Env": "dev"}, ROLE_SESSIONS))])),
     {"caller-start-session": "unknown"})
case("private-shell-local-abac-principal-tag", "An IAM user may open sessions on instances whose Env tag equals its own (ssm:resourceTag/Env = ${aws:PrincipalTag/Env}); both tags are dev.",
     mutate(shell, lambda f: (tagged_instance(f, {"Env": "dev"}), as_user_taro(f, {"Env": "dev"}),
                              local(f, TARO, [("by-tag", abac_policy({"ssm:resourceTag/Env": "${aws:PrincipalTag/Env}"}, USER_SESSIONS))]))),
     {"caller-start-session": "pass"})
case("private-shell-local-abac-broken-principal-tag", "The same policy; the user is tagged Env=prod and the instance Env=dev.",
     mutate(shell, lambda f: (tagged_instance(f, {"Env": "dev"}), as_user_taro(f, {"Env": "prod"}),
                              local(f, TARO, [("by-tag", abac_policy({"ssm:resourceTag/Env": "${aws:PrincipalTag/Env}"}, USER_SESSIONS))]))),
     {"caller-start-session": "fail"})
case("private-shell-local-abac-role-principal-tag", "A role caller under a policy on aws:PrincipalTag/Team, which the role lacks: only a session tag could carry it, and none can be read from outside: Unknown, saying so.",
     mutate(shell, lambda f: (tagged_instance(f, {"Env": "dev"}), f.update(caller_tags=known({"principal_arn": SSO_ROLE, "tags": {}})),
                              local(f, SSO_ROLE, [("by-tag", abac_policy({"aws:PrincipalTag/Team": "ops"}, ROLE_SESSIONS))]))),
     {"caller-start-session": "unknown"})

# ---------------------------------------------------------------- whose name begins a session id (AWS "Control session access")
def own_sessions_policy(instance, owner):
    p = rdp_user_policy(instance)
    p["Statement"][1] = {"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession", "ssmmessages:OpenDataChannel"],
                         "Resource": f"arn:aws:ssm:*:*:session/{owner}-*"}
    return p


case("rdp-private-strict-sg-local-username-sessions", "AWS's example policy for an IAM user's own sessions (session/${aws:username}-*), evaluated locally: an IAM user's session ids begin with its user name, so it matches.",
     mutate(rdp, lambda f: local(f, PF_USER, [("ssm-pf-user-policy", own_sessions_policy("i-0c678d2c038786416", "${aws:username}"))])),
     {"caller-session-control": "pass", "caller-data-channel": "pass"}, mode="port", port=3389)
case("rdp-private-strict-sg-local-broken-userid-sessions", "The same user's policy names session/${aws:userid}-*: an IAM user's session ids begin with its name, not its id (AIDA…), so it matches none.",
     mutate(rdp, lambda f: local(f, PF_USER, [("ssm-pf-user-policy", own_sessions_policy("i-0c678d2c038786416", "${aws:userid}"))])),
     {"caller-session-control": "warn", "caller-data-channel": "warn"}, mode="port", port=3389)
case("private-shell-local-broken-role-userid-sessions", "An SSO role's policy names session/${aws:userid}-*: a role's session ids begin with the role session name (taro-…), never AROA…:taro, so it matches none; AWS's tag condition is the fix.",
     mutate(shell, lambda f: local(f, SSO_ROLE, [("sessions", {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": "*"},
         {"Effect": "Allow", "Action": ["ssm:TerminateSession", "ssm:ResumeSession", "ssmmessages:OpenDataChannel"],
          "Resource": "arn:aws:ssm:*:*:session/${aws:userid}-*"}]})])),
     {"caller-session-control": "warn", "caller-data-channel": "warn"})
case("rdp-private-strict-sg-username-sessions", "Simulated: the user may end and resume sessions named by its user name, and not by its id: the user-name form decides.",
     mutate(rdp, lambda f: f["caller_permissions"].update(value=checks(PF_USER, "ap-northeast-1", "111122223333", "i-0c678d2c038786416",
         ["AWS-StartPortForwardingSession"], {}, username="ssm-pf-user", user_id="AIDA0000000000EXAMPLE")) or
         [k.update(decision="implicit_deny") for k in f["caller_permissions"]["value"]["checks"] if "session/AIDA" in k["resource"]]),
     {"caller-session-control": "pass", "caller-data-channel": "pass"}, mode="port", port=3389)

# ---------------------------------------------------------------- the plugin's release history (plugin-version-history)
case("private-shell-plugin-1.2.896", "session-manager-plugin 1.2.896.0, at or above the minimum supported version (1.2.764.0) and not withdrawn.",
     mutate(shell, lambda f: f.update(client=client("linux", plugin="1.2.896.0"))), {"client-plugin": "pass"})
case("private-shell-plugin-deprecated-1.2.889", "session-manager-plugin 1.2.889.0, which AWS's release history says was deprecated on 10/9/2026 (reverted in 1.2.896.0): a warning.",
     mutate(shell, lambda f: f.update(client=client("linux", plugin="1.2.889.0"))), {"client-plugin": "warn"})
case("private-shell-plugin-deprecated-1.2.688", "session-manager-plugin 1.2.688.0: below the minimum supported version, and deprecated on 11/20/2024.",
     mutate(shell, lambda f: f.update(client=client("linux", plugin="1.2.688.0"))), {"client-plugin": "warn"})
case("private-shell-plugin-1.2.707", "session-manager-plugin 1.2.707.0: works for a shell, below the minimum supported version 1.2.764.0.",
     mutate(shell, lambda f: f.update(client=client("linux", plugin="1.2.707.0"))), {"client-plugin": "warn"})

# ---------------------------------------------------------------- the preferences document's type (getting-started-create-preferences-cli)
def preferences_as(f, document_type, session_type):
    prefs = {"document_exists": True, "shell_profile_enabled": False}
    if document_type:
        prefs.update(document_type=document_type, session_type=session_type)
    f["session_preferences"] = known(prefs)


case("private-shell-preferences-session", "Preferences saved as AWS's CLI page creates them: a Session document of session type Standard_Stream.",
     mutate(shell, lambda f: preferences_as(f, "Session", "Standard_Stream")), {"session-preferences-type": "pass"})
case("private-shell-preferences-broken-command-type", "SSM-SessionManagerRunShell was created without --document-type, as a Command document: it cannot be a shell's session document.",
     mutate(shell, lambda f: preferences_as(f, "Command", "Standard_Stream")), {"session-preferences-type": "fail"})
case("private-shell-preferences-broken-session-type", "SSM-SessionManagerRunShell is a Session document of session type InteractiveCommands, not Standard_Stream.",
     mutate(shell, lambda f: preferences_as(f, "Session", "InteractiveCommands")), {"session-preferences-type": "fail"})
case("private-shell-preferences-type-unrecorded", "Facts gathered before the document type was recorded: Unknown, gather again.",
     mutate(shell, lambda f: preferences_as(f, None, None)), {"session-preferences-type": "unknown"},
     needs={"session-preferences-type": ["ssm:GetDocument"]}, typed=False)

# ---------------------------------------------------------------- the agent is not online: what EC2 and Systems Manager
# show from outside (asked only for targets that are not online; an online target's signals are not gathered)
AL2023_AMI = {"image_id": "ami-0453ec754f44f9a4a", "name": "al2023-ami-2023.6.20241121.0-kernel-6.1-x86_64",
              "description": "Amazon Linux 2023 AMI 2023.6.20241121.0 x86_64 HVM kernel-6.1", "owner_id": "137112412989",
              "owner_alias": "amazon", "platform_details": "Linux/UNIX", "architecture": "x86_64", "creation_date": "2024-11-20T19:51:20.000Z"}
RHEL_AMI = {"image_id": "ami-0583d8c7a9c35822c", "name": "RHEL-9.4.0_HVM-20240605-x86_64-82-Hourly2-GP3",
            "description": "Provided by Red Hat, Inc.", "owner_id": "309956199498", "platform_details": "Red Hat Enterprise Linux",
            "architecture": "x86_64", "creation_date": "2024-06-05T21:38:56.000Z"}
SIGNALS = ["image", "console_output", "status_checks", "connection_status", "activation"]


def online_signals(f, launched="2026-11-02T07:13:20Z", ami=AL2023_AMI):
    """An online instance as this version gathers it: the AMI and launch time, and no outside signals asked."""
    f["instance"]["value"].update(image_id=ami["image_id"], launch_time=launched)
    f["instance"]["value"]["metadata_options"]["http_put_response_hop_limit"] = 2
    for k in SIGNALS:
        f[k] = unavailable("not_gathered", why="the agent is online")
    f["activation"] = unavailable("not_applicable", why="an EC2 instance")
    f["serial_console_access"] = unavailable("not_gathered", why="no instance of the region is offline")
    f["instance_connect_endpoints"] = unavailable("not_gathered", why="no target in the VPC is offline")
    return f


def offline(f, registration, console, status=None, ami=AL2023_AMI, serial=False, eice=True):
    """The same instance with its agent not online, and what EC2 and Systems Manager show of it."""
    f["registration"] = known(registration)
    f["image"] = known(ami)
    f["console_output"] = known(console)
    f["status_checks"] = known(status or {"instance_status": "ok", "system_status": "ok"})
    f["connection_status"] = known("notconnected")
    f["serial_console_access"] = known(serial)
    f["instance_connect_endpoints"] = known([{"endpoint_id": "eice-0a1b2c3d4e5f60001", "subnet_id": "subnet-0private0000000001",
                                              "state": "create-complete"}] if eice else [])


def line(kind, text, time=None):
    out = {"kind": kind, "text": text}
    if time:
        out["time"] = time
    return out


LOST = {"registered": True, "ping_status": "ConnectionLost", "agent_version": "3.3.1142.0", "is_latest_version": False,
        "last_ping": "2026-11-20T06:12:40Z", "platform_type": "Linux", "platform_name": "Amazon Linux"}
STARTED = line("agent_started", "2026/11/02 07:14:09Z: Amazon SSM Agent v3.3.1142.0 is running", "2026-11-02T07:14:09Z")

al = online_signals(private_shell())
case("offline-al2023", "An Amazon Linux 2023 instance whose agent is online: the outside signals are not asked for.", al,
     {"agent-online": "pass", "agent-offline-cause": "skip"})
case("offline-al2023-broken-disk-full", "Its agent went offline after the root volume filled up: the console shows `No space left on device` and the service failing.",
     mutate(al, lambda f: offline(f, LOST, {"timestamp": "2026-11-20T08:58:31Z", "empty": False, "latest": True, "lines": [STARTED,
         line("disk_full", "[1565012.402211] systemd-journald[1187]: Failed to create new system journal: No space left on device"),
         line("agent_service_failed", "[1565340.118503] systemd[1]: amazon-ssm-agent.service: Failed with result 'exit-code'.")]})),
     {"agent-online": "fail", "agent-offline-cause": "fail"})
case("offline-al2023-broken-metadata-off", "The instance metadata service was turned off: the agent gets no credentials from the instance profile either, and never registers.",
     mutate(al, lambda f: (f["instance"]["value"].update(launch_time="2026-11-20T08:31:00Z"),
                           f["instance"]["value"]["metadata_options"].update(http_endpoint="disabled"),
                           offline(f, {"registered": False}, {"timestamp": "2026-11-20T08:40:12Z", "empty": False, "latest": True, "lines": []}))),
     {"agent-online": "fail", "agent-offline-cause": "fail", "instance-role": "pass"})
case("offline-al2023-just-launched", "Launched a minute ago: not registered yet, status checks initializing, no console output yet. Not ready now (StartSession says TargetNotConnected), but a failure that ends by itself: --wait waits on it.",
     mutate(al, lambda f: (f["instance"]["value"].update(launch_time="2026-11-20T08:59:02Z"),
                           offline(f, {"registered": False}, {"empty": True, "latest": True},
                                   status={"instance_status": "initializing", "system_status": "initializing"}))),
     {"agent-online": "fail", "agent-offline-cause": "warn"})
case("offline-al2023-just-launched-broken-no-profile", "Launched a minute ago without an instance profile (DHMC off): not \"still registering\" — it never will; the missing role is named.",
     mutate(al, lambda f: (f["instance"]["value"].update(launch_time="2026-11-20T08:59:02Z"), f["instance"]["value"].pop("instance_profile_arn"),
                           f.update(instance_profile=unavailable("not_applicable", why="no instance profile"),
                                    role=unavailable("not_applicable", why="no instance profile")),
                           offline(f, {"registered": False}, {"empty": True, "latest": True},
                                   status={"instance_status": "initializing", "system_status": "initializing"}))),
     {"agent-online": "fail", "agent-offline-cause": "fail", "instance-role": "fail"})
case("offline-al2023-broken-impaired", "The OS stopped answering: the instance status check is impaired, and the console shows the kernel killing processes for memory.",
     mutate(al, lambda f: offline(f, dict(LOST, last_ping="2026-11-20T03:05:12Z"), {"timestamp": "2026-11-20T08:57:40Z", "empty": False, "latest": True,
         "lines": [STARTED, line("out_of_memory", "[1540811.201931] Out of memory: Killed process 2211 (java) total-vm:8123456kB, anon-rss:3902212kB")]},
         status={"instance_status": "impaired", "system_status": "ok", "impaired_since": "2026-11-20T03:07:00Z"}, serial=True)),
     {"agent-online": "fail", "agent-offline-cause": "fail"})
case("offline-al2023-broken-on-the-host", "Offline, and nothing outside explains it (the agent started at boot, status checks pass): the host must be read, through the VPC's Instance Connect Endpoint.",
     mutate(al, lambda f: offline(f, LOST, {"timestamp": "2026-11-20T08:58:31Z", "empty": False, "latest": True, "lines": [STARTED]})),
     {"agent-online": "fail", "agent-offline-cause": "fail"})
case("offline-al2023-console-denied", "Offline, and the caller may not read the console output or the image: Unknown, naming the permissions.",
     mutate(al, lambda f: (offline(f, LOST, {"empty": True}), f.update(console_output=denied("ec2:GetConsoleOutput"), image=denied("ec2:DescribeImages")))),
     {"agent-online": "fail", "agent-offline-cause": "unknown"}, needs={"agent-offline-cause": ["ec2:GetConsoleOutput", "ec2:DescribeImages"]})

case("offline-al2023-reconnecting", "Its agent lost its connection two minutes ago (a reboot, say), and nothing outside explains it: not ready now, but a reconnect ends by itself; --wait waits on it.",
     mutate(al, lambda f: offline(f, dict(LOST, last_ping="2026-11-20T08:58:00Z"), {"timestamp": "2026-11-20T08:58:31Z", "empty": False, "latest": True, "lines": [STARTED]})),
     {"agent-online": "fail", "agent-offline-cause": "warn"})
case("offline-al2023-started-again", "Stopped overnight and started again two minutes ago: its registration still says ConnectionLost from before the stop, and the agent reconnects once the OS is up; --wait waits on it.",
     mutate(al, lambda f: (f["instance"]["value"].update(launch_time="2026-11-20T08:58:00Z"),
                           offline(f, dict(LOST, last_ping="2026-11-19T18:02:11Z"), {"empty": True, "latest": True},
                                   status={"instance_status": "initializing", "system_status": "initializing"}))),
     {"agent-online": "fail", "agent-offline-cause": "warn"})
case("offline-al2023-endpoint-pending", "The ssm endpoint was created moments ago and is still pending, and the agent has not registered: the endpoint is the cause, and both end by themselves; --wait waits on them.",
     mutate(al, lambda f: (endpoint(f, "ssm").update(state="pending"),
                           offline(f, {"registered": False}, {"timestamp": "2026-11-20T08:40:12Z", "empty": False, "latest": True, "lines": []}))),
     {"endpoint-available": "fail", "agent-online": "fail", "agent-offline-cause": "fail"})

rhel = online_signals(private_shell(), ami=RHEL_AMI)
rhel["registration"]["value"].update(platform_name="Red Hat Enterprise Linux")
rhel["instance"]["value"]["name"] = "ssm-rhel"
case("offline-rhel", "A RHEL 9 instance whose agent was installed by its user data: online.", rhel,
     {"agent-online": "pass", "agent-offline-cause": "skip"})
case("offline-rhel-broken-never-registered", "The same RHEL 9 instance launched without that user data: RHEL AMIs come without the agent, so it never registered; the account has no way in yet.",
     mutate(rhel, lambda f: (f["instance"]["value"].update(launch_time="2026-11-20T06:40:00Z"),
                             offline(f, {"registered": False}, {"timestamp": "2026-11-20T06:43:51Z", "empty": False, "latest": True, "lines": []},
                                     ami=RHEL_AMI, eice=False))),
     {"agent-online": "fail", "agent-offline-cause": "fail"})
case("offline-rhel-just-launched", "The RHEL 9 instance launched three minutes ago and not registered yet: RHEL AMIs come without the agent, but its user data may be installing it, so it is still registering, not a cause (ten minutes after the launch it is).",
     mutate(rhel, lambda f: (f["instance"]["value"].update(launch_time="2026-11-20T08:57:00Z"),
                             offline(f, {"registered": False}, {"empty": True, "latest": True}, ami=RHEL_AMI,
                                     status={"instance_status": "initializing", "system_status": "initializing"}))),
     {"agent-online": "fail", "agent-offline-cause": "warn"})


def expired_activation(f):
    f["registration"]["value"].update(ping_status="ConnectionLost", last_ping="2026-11-12T22:41:09Z",
                                      activation_id="4a1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
    f["connection_status"] = known("notconnected")
    for k in ("image", "console_output", "status_checks", "serial_console_access", "instance_connect_endpoints"):
        f[k] = unavailable("not_applicable", why="hybrid managed node: not an EC2 instance")
    f["activation"] = known({"activation_id": "4a1b2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "expired": True, "expiration_date": "2026-11-13T00:00:00Z",
                             "registration_limit": 10, "registrations_count": 3, "iam_role": "SSMServiceRole"})


case("hybrid-onprem-broken-expired-activation", "The hybrid node lost its connection after its agent was reinstalled, and the activation it registered with has expired.",
     mutate(hybrid(), expired_activation), {"agent-online": "fail", "agent-offline-cause": "fail", "instance-running": "skip"})

index = []
for c in CASES:
    doc, typed = c.pop("_doc"), c.pop("_typed")
    # Gathered preferences record their document's type: every saved document but those written by an older gatherer
    # (typed=False), which left it out.
    prefs = (doc or {}).get("session_preferences", {}).get("value", {})
    if prefs.get("document_exists") and "document_type" not in prefs and typed:
        prefs.update(document_type="Session", session_type="Standard_Stream")
    if doc is not None:
        with open(os.path.join(HERE, c["file"]), "w") as out:
            json.dump(doc, out, indent=2, ensure_ascii=False)
            out.write("\n")
    index.append({k: v for k, v in c.items() if v is not None})
with open(os.path.join(HERE, "index.json"), "w") as out:
    json.dump(index, out, indent=2, ensure_ascii=False)
    out.write("\n")
print(f"{len(index)} cases, {sum(1 for c in CASES if os.path.exists(os.path.join(HERE, c['file'])))} with files")


# A fleet document (schema version 2) of five targets in one account and region, built from the cases above with
# their VPCs and ids renamed apart: two share a VPC and a role, one is not ready for private DNS, one has no
# profile. `examples/fleet/sources.json` names each target's case: its reports must match that case's.
FLEET_REGION_KEYS = ["dhmc", "session_preferences", "log_group", "log_bucket_encryption", "activation_tier", "cloudtrail",
                     "remote_destination"]
FLEET_VPC_KEYS = ["vpc", "vpc_dns", "subnets", "route_tables", "vpc_endpoints", "security_groups", "network_acls", "prefix_lists"]


def renamed(doc, renames):
    text = json.dumps(doc)
    for old, new in renames:
        text = text.replace(old, new)
    return json.loads(text)


def fleet_of(parts):
    docs = [(case, renamed(json.load(open(os.path.join(HERE, f"{case}.json"))), renames)) for case, renames in parts]
    first = docs[0][1]
    region = first["target"]["region"]
    fleet = {"schema_version": 2, "gathered_at": first["gathered_at"], "caller": {}, "client": first["client"],
             "regions": {region: {k: first[k] for k in FLEET_REGION_KEYS if k in first}}, "instance_profiles": {},
             "roles": {}, "targets": []}
    fleet["regions"][region]["vpcs"] = {}
    checks, seen = [], set()
    for case, d in docs:
        assert d["caller"] == first["caller"] and d["target"]["region"] == region, case
        for k in FLEET_REGION_KEYS:
            assert d.get(k) == first.get(k), (case, k)
        vpc = d["instance"]["value"]["vpc_id"]
        network = {k: d[k] for k in FLEET_VPC_KEYS}
        assert fleet["regions"][region]["vpcs"].setdefault(vpc, network) == network, (case, vpc)
        arn = d["instance"]["value"].get("instance_profile_arn")
        if arn:
            assert fleet["instance_profiles"].setdefault(arn, d["instance_profile"]) == d["instance_profile"], case
            role = d["role"]["value"]
            assert fleet["roles"].setdefault(role["name"], d["role"]) == d["role"], case
        for k in d["caller_permissions"]["value"]["checks"]:
            key = json.dumps(k, sort_keys=True)
            if key not in seen:
                seen.add(key)
                checks.append(k)
        fleet["targets"].append({"id": d["target"]["id"], "region": region, "instance": d["instance"],
                                 "registration": d["registration"]})
    permissions = dict(first["caller_permissions"]["value"], checks=checks)
    fleet["caller"] = {"caller": first["caller"], "credentials": first["credentials"],
                       "caller_permissions": known(permissions)}
    for k in ("caller_policies", "mfa_devices"):
        if k in first:
            fleet["caller"][k] = first[k]
    return fleet, {d["target"]["id"]: case for case, d in docs}


NAME = '"name": "ssm-private"'
FLEET_PARTS = [
    ("private-shell", [(NAME, '"name": "billing-1"')]),
    ("private-shell-broken-no-profile", [("i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60012"), (NAME, '"name": "billing-2"')]),
    ("private-shell-broken-private-dns-off", [("i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60011"),
                                              ("vpc-0f1e2d3c4b5a60001", "vpc-0f1e2d3c4b5a60011"), (NAME, '"name": "reports-1"')]),
    ("nat-private-shell", [("vpc-0f1e2d3c4b5a60001", "vpc-0f1e2d3c4b5a60002"), (NAME, '"name": "batch-1"')]),
    ("public-shell", [("vpc-0f1e2d3c4b5a60001", "vpc-0f1e2d3c4b5a60003"), (NAME, '"name": "web-1"')]),
]
os.makedirs(os.path.join(HERE, "fleet"), exist_ok=True)
fleet, sources = fleet_of(FLEET_PARTS)
for name, doc in [("us-east-1.json", fleet), ("sources.json", sources)]:
    with open(os.path.join(HERE, "fleet", name), "w") as out:
        json.dump(doc, out, indent=2, ensure_ascii=False)
        out.write("\n")
print(f"fleet: {len(fleet['targets'])} targets, {len(fleet['regions'][fleet['targets'][0]['region']]['vpcs'])} VPCs")


#!/usr/bin/env python3
"""Builds an example layout in moto with real API calls, and prints what the tests need as JSON.

Usage: layouts.py MOTO_URL REGION LAYOUT [CALLER]
CALLER is `admin` (default: may do everything), `mfa` (may use SSM, but a ForceMFA policy denies all without MFA; with
a virtual MFA device), or `shell-document` / `shell-document-checked` (may start sessions on any instance with the
port-forwarding document only, without or with ssm:SessionDocumentAccessCheck), or `run-as-USER` (an admin tagged
SSMSessionRunAs=USER).
Layouts mirror examples/: rdp-private-strict-sg (strict security groups, three endpoints, S3 gateway, Windows), private-shell (VPC-CIDR
security groups), nat, public, and the broken variants rdp-private-strict-sg-endpoint-sg-self, private-shell-private-dns-off,
private-shell-no-profile, and fleet:INSTANCES:VPCS:ROLES (see fleet()). Each run creates fresh resources, and an IAM user with access keys to call as.
"""
import json, sys, uuid
import boto3

URL, REGION, LAYOUT = sys.argv[1], sys.argv[2], sys.argv[3]
CALLER = sys.argv[4] if len(sys.argv) > 4 else "admin"
KW = dict(endpoint_url=URL, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
ec2, iam = boto3.client("ec2", **KW), boto3.client("iam", **KW)
TAG = uuid.uuid4().hex[:8]
WINDOWS_AMI, LINUX_AMI = "ami-12c6146b", "ami-03cf127a"
CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def role_and_profile():
    return role_and_profile_named(f"ssm-role-{TAG}")


FORCE_MFA = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
    "NotAction": ["iam:*", "sts:*", "ec2:Describe*", "ssm:Describe*", "ssm:Get*", "cloudtrail:*"], "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}


READ_EVERYTHING = {"Effect": "Allow", "NotAction": "ssm:StartSession", "Resource": "*"}


def shell_document_policy(checked):
    """StartSession on any instance and the port-forwarding document only; with `checked`, AWS's 2023 condition
    that makes every StartSession name an allowed document."""
    start = {"Effect": "Allow", "Action": "ssm:StartSession", "Resource": [
        "arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*::document/AWS-StartPortForwardingSession"]}
    if checked:
        start["Condition"] = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    return {"Version": "2012-10-17", "Statement": [READ_EVERYTHING, start]}


def caller():
    user = f"tester-{TAG}"
    iam.create_user(UserName=user)
    if CALLER in ("shell-document", "shell-document-checked"):
        policy = shell_document_policy(CALLER == "shell-document-checked")
    else:
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps(policy))
    if CALLER == "mfa":
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-phone")["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=user, SerialNumber=device, AuthenticationCode1="123456", AuthenticationCode2="654321")
        arn = iam.create_policy(PolicyName=f"ForceMFA-{TAG}", PolicyDocument=json.dumps(FORCE_MFA))["Policy"]["Arn"]
        group = f"people-{TAG}"
        iam.create_group(GroupName=group)
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
        iam.add_user_to_group(GroupName=group, UserName=user)
    if CALLER.startswith("run-as-"):
        iam.tag_user(UserName=user, Tags=[{"Key": "SSMSessionRunAs", "Value": CALLER[len("run-as-"):]}])
    key = iam.create_access_key(UserName=user)["AccessKey"]
    # A role the user may switch into, as the system-account role of the article ssh-assume-role: trusts the account, may start sessions.
    role = f"SSMSSHRole-{TAG}"
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="ssm-ssh", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["ec2:Describe*", "ssm:Describe*", "ssm:Get*", "iam:Get*", "iam:List*", "iam:SimulatePrincipalPolicy", "cloudtrail:*"], "Resource": "*"}]}))
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"], "user": user, "role_arn": arn}


def vpc(cidr):
    v = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=v, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=v, EnableDnsHostnames={"Value": True})
    return v


def sg(v, name, ingress=(), egress=None):
    g = ec2.create_security_group(GroupName=f"{name}-{TAG}", Description=name, VpcId=v)["GroupId"]
    if ingress:
        ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=list(ingress))
    if egress is not None:
        ec2.revoke_security_group_egress(GroupId=g, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        if egress:
            ec2.authorize_security_group_egress(GroupId=g, IpPermissions=list(egress))
    return g


def https(**peer):
    return dict({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}, **peer)


def endpoints(v, subnet, group, private_dns=True, services=("ssm", "ec2messages", "ssmmessages")):
    for s in services:
        ec2.create_vpc_endpoint(VpcId=v, ServiceName=f"com.amazonaws.{REGION}.{s}", VpcEndpointType="Interface",
                                SubnetIds=[subnet], SecurityGroupIds=[group], PrivateDnsEnabled=private_dns)


def route_table(v, subnet):
    t = ec2.create_route_table(VpcId=v)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=t, SubnetId=subnet)
    return t


def run(subnet, groups, profile, ami=LINUX_AMI, ip=None, public=False):
    kw = dict(ImageId=ami, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": profile}) if profile else dict(ImageId=ami, MinCount=1, MaxCount=1)
    if public:
        kw["NetworkInterfaces"] = [{"DeviceIndex": 0, "SubnetId": subnet, "Groups": groups, "AssociatePublicIpAddress": True}]
    else:
        kw.update(SubnetId=subnet, SecurityGroupIds=groups)
        if ip:
            kw["PrivateIpAddress"] = ip
    return ec2.run_instances(**kw)["Instances"][0]["InstanceId"]


def rdp_private_strict_sg(self_only=False):
    v = vpc("192.168.0.0/16")
    subnet = ec2.create_subnet(VpcId=v, CidrBlock="192.168.64.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    t = route_table(v, subnet)
    s3 = ec2.create_vpc_endpoint(VpcId=v, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway", RouteTableIds=[t])
    pl = next(r["DestinationPrefixListId"] for r in ec2.describe_route_tables(RouteTableIds=[t])["RouteTables"][0]["Routes"]
              if r.get("DestinationPrefixListId"))
    vpce = sg(v, "ssmvpcendpoint")
    if self_only:
        ec2.authorize_security_group_ingress(GroupId=vpce, IpPermissions=[https(UserIdGroupPairs=[{"GroupId": vpce}])])
    else:
        ec2.authorize_security_group_ingress(GroupId=vpce, IpPermissions=[https(IpRanges=[{"CidrIp": "192.168.64.0/24"}])])
    inst = sg(v, "ssmvpcendpointforEC2", egress=[https(UserIdGroupPairs=[{"GroupId": vpce}]), https(PrefixListIds=[{"PrefixListId": pl}])])
    endpoints(v, subnet, vpce)
    return run(subnet, [inst], role_and_profile(), ami=WINDOWS_AMI, ip="192.168.64.10")


def private_shell(private_dns=True, profile=True, services=("ssm", "ec2messages", "ssmmessages")):
    v = vpc("10.0.0.0/16")
    subnet = ec2.create_subnet(VpcId=v, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    # moto gives endpoint interfaces random 10.x addresses outside the VPC, so the rules name 10.0.0.0/8
    # where the article private-subnet-pitfalls names the VPC's /16: the verdicts are the same.
    ep = sg(v, "for-endpoint", ingress=[https(IpRanges=[{"CidrIp": "10.0.0.0/8"}])], egress=[])
    inst = sg(v, "for-connect-to-ssm", egress=[https(IpRanges=[{"CidrIp": "10.0.0.0/8"}])])
    endpoints(v, subnet, ep, private_dns, services)
    return run(subnet, [inst], role_and_profile() if profile else None, ip="10.0.1.15")


def egress_layout(public, replies=None, ami=LINUX_AMI):
    """A public subnet or one behind a NAT gateway; `replies` (from, to) puts the instance's subnet behind a network ACL
    that admits only those reply ports."""
    v = vpc("10.0.0.0/16")
    subnet = ec2.create_subnet(VpcId=v, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    t = route_table(v, subnet)
    if public:
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=v)
        ec2.create_route(RouteTableId=t, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    else:
        outside = ec2.create_subnet(VpcId=v, CidrBlock="10.0.0.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=outside, AllocationId=eip)["NatGateway"]["NatGatewayId"]
        ec2.create_route(RouteTableId=t, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    if replies:
        acl = ec2.create_network_acl(VpcId=v)["NetworkAcl"]["NetworkAclId"]
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=True,
                                     CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                                     CidrBlock="0.0.0.0/0", PortRange={"From": replies[0], "To": replies[1]})
        current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"][0]
        association = next(a["NetworkAclAssociationId"] for a in current["Associations"] if a["SubnetId"] == subnet)
        ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    inst = sg(v, "instance")
    return run(subnet, [inst], role_and_profile(), ami=ami, public=public)


def logging(kms):
    """A NAT layout whose Session Manager preferences stream to a CloudWatch log group with encryption enforced (the
    console's default); the group has a KMS key, or not. The preferences document is the region's: this layout
    is for a region no other test uses."""
    logs = boto3.client("logs", **KW)
    ssm = boto3.client("ssm", **KW)
    group = f"/ssm/sessions-{TAG}"
    kw = {"kmsKeyId": f"arn:aws:kms:{REGION}:123456789012:key/{uuid.uuid4()}"} if kms else {}
    logs.create_log_group(logGroupName=group, **kw)
    prefs = {"schemaVersion": "1.0", "description": "Session Manager preferences", "sessionType": "Standard_Stream",
             "inputs": {"cloudWatchLogGroupName": group, "cloudWatchEncryptionEnabled": True, "cloudWatchStreamingEnabled": True}}
    try:
        ssm.create_document(Name="SSM-SessionManagerRunShell", DocumentType="Session", DocumentFormat="JSON", Content=json.dumps(prefs))
    except ssm.exceptions.DocumentAlreadyExists:
        version = ssm.update_document(Name="SSM-SessionManagerRunShell", DocumentVersion="$LATEST", DocumentFormat="JSON",
                                      Content=json.dumps(prefs))["DocumentDescription"]["DocumentVersion"]
        ssm.update_document_default_version(Name="SSM-SessionManagerRunShell", DocumentVersion=version)
    return egress_layout(public=False)


def run_as():
    """A NAT layout whose Session Manager preferences turn Run As on without a default user: the caller's
    SSMSessionRunAs tag must name one. For a region no other test uses."""
    ssm = boto3.client("ssm", **KW)
    prefs = {"schemaVersion": "1.0", "description": "Session Manager preferences", "sessionType": "Standard_Stream",
             "inputs": {"runAsEnabled": True, "runAsDefaultUser": ""}}
    try:
        ssm.create_document(Name="SSM-SessionManagerRunShell", DocumentType="Session", DocumentFormat="JSON", Content=json.dumps(prefs))
    except ssm.exceptions.DocumentAlreadyExists:
        pass
    # moto lists LINUX_AMI as a Windows image; Run As needs a Linux one (Windows ignores it).
    return egress_layout(public=False, ami="ami-760aaa0f")


def preferences_command():
    """A NAT layout whose SSM-SessionManagerRunShell was created as a Command document (no --document-type Session).
    For a region no other test uses."""
    ssm = boto3.client("ssm", **KW)
    content = {"schemaVersion": "2.2", "description": "not preferences", "mainSteps": [
        {"action": "aws:runShellScript", "name": "hello", "inputs": {"runCommand": ["echo hello"]}}]}
    try:
        ssm.create_document(Name="SSM-SessionManagerRunShell", DocumentType="Command", DocumentFormat="JSON", Content=json.dumps(content))
    except ssm.exceptions.DocumentAlreadyExists:
        pass
    return egress_layout(public=False, ami="ami-760aaa0f")


def preferences(inputs):
    """Saves the region's Session Manager preferences (the region's own document: a layout that sets them is for a
    region no other test uses)."""
    ssm = boto3.client("ssm", **KW)
    prefs = {"schemaVersion": "1.0", "description": "Session Manager preferences", "sessionType": "Standard_Stream", "inputs": inputs}
    try:
        ssm.create_document(Name="SSM-SessionManagerRunShell", DocumentType="Session", DocumentFormat="JSON", Content=json.dumps(prefs))
    except ssm.exceptions.DocumentAlreadyExists:
        version = ssm.update_document(Name="SSM-SessionManagerRunShell", DocumentVersion="$LATEST", DocumentFormat="JSON",
                                      Content=json.dumps(prefs))["DocumentDescription"]["DocumentVersion"]
        ssm.update_document_default_version(Name="SSM-SessionManagerRunShell", DocumentVersion=version)


def kms_session(variant):
    """A NAT layout whose preferences encrypt sessions with a KMS key named by its alias; the instance role allows
    kms:Decrypt on the key's ARN. Variants: `alias-arn-policy` (the role's policy names the alias ARN instead),
    `closed-key-policy` (the key policy names only an administrator role: no delegation to IAM), `disabled`."""
    kms = boto3.client("kms", **KW)
    key = kms.create_key(Description=f"sessions {TAG}", KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]
    alias = f"alias/session-{TAG}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    if variant == "disabled":
        kms.disable_key(KeyId=key["KeyId"])
    if variant == "closed-key-policy":
        account = key["Arn"].split(":")[4]
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "KeyAdministrators", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:role/key-admin"},
             "Action": "kms:*", "Resource": "*"}]}))
    preferences({"kmsKeyId": alias})
    instance = egress_layout(public=False)
    resource = key["Arn"].replace(f":key/{key['KeyId']}", f":{alias}") if variant == "alias-arn-policy" else key["Arn"]
    iam.put_role_policy(RoleName=f"ssm-role-{TAG}", PolicyName="session-kms", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": resource}]}))
    EXTRA.update(key_arn=key["Arn"], alias=alias)
    return instance


def remote_db():
    """The trap of the article port-forwarding-howto done right: remote-host forwarding to a database whose group admits only the app tier."""
    v = vpc("10.0.0.0/16")
    subnet = ec2.create_subnet(VpcId=v, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    t = route_table(v, subnet)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=v)
    ec2.create_route(RouteTableId=t, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    app = sg(v, "app")
    db = sg(v, "database", ingress=[{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": app}]}])
    ec2.create_network_interface(SubnetId=subnet, Groups=[db], PrivateIpAddress="10.0.1.50")
    return run(subnet, [sg(v, "instance")], role_and_profile(), public=True)


def fleet(instances, vpcs, roles):
    """A fleet for the fleet tests and the benchmark: `instances` Linux instances spread over `vpcs` VPCs and `roles`
    instance profiles, tagged Name=web-K, Env=prod|staging (alternately) and Fleet=<run tag>. Every VPC but the last
    is public (internet gateway, public addresses): ready. The last, when there are several, is private with no way
    out: its instances are not ready."""
    profiles = [role_and_profile_named(f"fleet-{TAG}-{r}") for r in range(roles)]
    subnets = []
    for n in range(vpcs):
        v = vpc(f"10.{n}.0.0/16")
        subnet = ec2.create_subnet(VpcId=v, CidrBlock=f"10.{n}.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
        t = route_table(v, subnet)
        public = n < vpcs - 1 or vpcs == 1
        if public:
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=v)
            ec2.create_route(RouteTableId=t, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
        subnets.append((subnet, sg(v, "instance"), public))
    out = {"instances": [], "ready": [], "not_ready": [], "prod": [], "tag": TAG, "roles": profiles}
    for k in range(instances):
        subnet, group, public = subnets[k % vpcs]
        env = "prod" if k % 2 == 0 else "staging"
        i = ec2.run_instances(ImageId=LINUX_AMI, MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[group],
                              IamInstanceProfile={"Name": profiles[k % roles]}, TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                  {"Key": "Name", "Value": f"web-{k}"}, {"Key": "Env", "Value": env}, {"Key": "Fleet", "Value": TAG}]}])["Instances"][0]["InstanceId"]
        out["instances"].append(i)
        out["ready" if public else "not_ready"].append(i)
        if env == "prod":
            out["prod"].append(i)
    out["instance"] = out["instances"][0]
    return out


def role_and_profile_named(name):
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    iam.attach_role_policy(RoleName=name, PolicyArn=CORE)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


BUILD = {
    "remote-db": remote_db,
    "rdp-private-strict-sg": lambda: rdp_private_strict_sg(),
    "rdp-private-strict-sg-endpoint-sg-self": lambda: rdp_private_strict_sg(self_only=True),
    "private-shell": lambda: private_shell(),
    "private-shell-private-dns-off": lambda: private_shell(private_dns=False),
    "private-shell-no-profile": lambda: private_shell(profile=False),
    "nat": lambda: egress_layout(public=False),
    "nat-linux-replies": lambda: egress_layout(public=False, replies=(32768, 61000)),
    "private-shell-no-ec2messages": lambda: private_shell(services=("ssm", "ssmmessages")),
    "logging-unencrypted": lambda: logging(kms=False),
    "logging-encrypted": lambda: logging(kms=True),
    "public": lambda: egress_layout(public=True),
    "run-as": run_as,
    "preferences-command": preferences_command,
    "kms-alias": lambda: kms_session("alias"),
    "kms-alias-arn-policy": lambda: kms_session("alias-arn-policy"),
    "kms-closed-key-policy": lambda: kms_session("closed-key-policy"),
    "kms-disabled": lambda: kms_session("disabled"),
}
EXTRA = {}

if __name__ == "__main__":
    if LAYOUT.startswith("fleet:"):
        # fleet:INSTANCES:VPCS:ROLES
        built = fleet(*map(int, LAYOUT.split(":")[1:]))
    else:
        built = {"instance": BUILD[LAYOUT]()}
        built.update(EXTRA)
    print(json.dumps(dict(built, **caller())))

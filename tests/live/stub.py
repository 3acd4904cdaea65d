#!/usr/bin/env python3
"""A small proxy in front of moto's server, for the live tests and the benchmark. Loopback only.

- Answers the operations moto lacks: ssm:DescribeInstanceInformation, ssm:GetServiceSetting (the DHMC role
  and the hybrid tier), iam:SimulatePrincipalPolicy, and ssm:ListDocuments for just-in-time approval policies
  (document types moto does not know), from a JSON config.
- Forwards every other request to moto unchanged.
- Injects failures per operation: access denied, throttling (N times), 5xx (N times).
- Adds a fixed delay to every request and records each (operation, start, end, body digest, simulated actions) for the benchmark.

Usage: stub.py --moto http://127.0.0.1:PORT --config FILE [--port 0] [--delay-ms 0]
Prints "listening on PORT" when ready. GET /__stub/calls returns the recorded calls as JSON.
Config (re-read on every request):
  {"registration": {"ping_status": "Online", "agent_version": "3.3.1142.0", "platform_type": "Linux"} | null,
   "dhmc_role": null | "RoleName",
   "simulate": {"decision": "allowed" | "implicitDeny" | "explicitDeny", "mfa_required": false,
                "uses_context": ["aws:SourceIp"],    # keys the policies use: reported missing when not given
                "deny_resources": ["document/SSM-SessionManagerRunShell"],  # implicitly denied, by ARN part
                "instance_tag": {"key": "ssm:resourceTag/Env", "value": "prod"},  # on instances: missing unless
                                               # given, implicitly denied unless equal (an ABAC policy)
                "denied_by": "organizations" | "boundary",   # the layer a denial's result names
                "actions": {"ssm:StartAccessRequest": "allowed"}},  # per action, over all of the above
   "activation_tier": "standard" | "advanced",
   "approval_policies": [{"name": "...", "type": "AutoApprovalPolicy" | "ManualApprovalPolicy"}],  # ssm:ListDocuments
   "hybrid_nodes": ["mi-..."], "unregistered": ["i-..."],   # listed unfiltered (with moto's instances) / never listed
   "computer_names": {"mi-...": "build-agent-7"},  # a node's ComputerName
   "registered_after": 3,                         # ssm:DescribeInstanceInformation lists nothing for its first 3 calls
   "online_after": 2,                             # … and ConnectionLost (last ping a minute ago) for its first 2
   "deny": ["ec2:DescribeVpcEndpoints", ...], "throttle": {"ec2:DescribeInstances": 2}, "fail5xx": {"sts:GetCallerIdentity": 9},
   # What moto lacks or cannot say of an agent that is not online (the registration may carry "activation_id"):
   "console_output": {"i-...": "text"},           # ec2:GetConsoleOutput (base64 on the wire); others go to moto
   "instance_status": {"i-...": {"instance": "impaired", "system": "ok"}},   # ec2:DescribeInstanceStatus; others go to moto
   "connection_status": {"i-...": "connected"},   # ssm:GetConnectionStatus; default notconnected
   "activations": [{"ActivationId": "...", "Expired": true, "RegistrationLimit": 1, "RegistrationsCount": 1}],  # ssm:DescribeActivations
   "serial_console_access": true,                 # ec2:GetSerialConsoleAccessStatus; default false
   "instance_connect_endpoints": [{"id": "eice-...", "subnet_id": "subnet-...", "state": "create-complete"}]}  # in every VPC asked
"""
import argparse, base64, hashlib, http.server, json, re, sys, threading, time, urllib.parse, urllib.request

CALLS, LOCK, COUNTERS = [], threading.Lock(), {}
SERVICES = {"ec2": "ec2", "iam": "iam", "sts": "sts", "ssm": "ssm", "cloudtrail": "cloudtrail"}


def operation(headers, body):
    """(service, Operation) from the SigV4 scope and the Action parameter or X-Amz-Target."""
    m = re.search(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request", headers.get("Authorization", ""))
    service = m.group(1) if m else "?"
    target = headers.get("X-Amz-Target")
    if target:
        return service, target.rsplit(".", 1)[-1]
    action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
    return service, action


def xml_error(code, message, status, ec2=False):
    if ec2:
        body = f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>stub</RequestID></Response>"
    else:
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>stub</RequestId></ErrorResponse>"
    return status, "text/xml", body.encode()


def json_error(code, message, status):
    return status, "application/x-amz-json-1.1", json.dumps({"__type": code, "message": message}).encode()


def failure(service, kind, op):
    json_proto = service in ("ssm", "cloudtrail", "kms")
    if kind == "deny":
        msg = f"User: arn:aws:iam::123456789012:user/tester is not authorized to perform: {service}:{op}"
        if json_proto:
            return json_error("AccessDeniedException", msg, 400)
        return xml_error("UnauthorizedOperation" if service == "ec2" else "AccessDenied", msg, 403, service == "ec2")
    if kind == "throttle":
        if json_proto:
            return json_error("ThrottlingException", "Rate exceeded", 400)
        return xml_error("RequestLimitExceeded" if service == "ec2" else "Throttling", "Rate exceeded", 503 if service == "ec2" else 400, service == "ec2")
    if json_proto:
        return json_error("InternalServerError", "stub 5xx", 500)
    return xml_error("InternalFailure" if service != "ec2" else "InternalError", "stub 5xx", 500, service == "ec2")


def simulated_actions(op, body):
    """The actions a SimulatePrincipalPolicy call asks about, for tests that check what was asked."""
    if op != "SimulatePrincipalPolicy":
        return []
    form = urllib.parse.parse_qs(body.decode())
    return [v[0] for k, v in sorted(form.items()) if k.startswith("ActionNames.member.")]


def simulate(config, body):
    form = urllib.parse.parse_qs(body.decode())
    actions = [v[0] for k, v in sorted(form.items()) if k.startswith("ActionNames.member.")]
    resources = [v[0] for k, v in sorted(form.items()) if k.startswith("ResourceArns.member.")]
    context = {}
    for k, v in form.items():
        m = re.match(r"ContextEntries\.member\.(\d+)\.ContextKeyName", k)
        if m:
            context[v[0]] = form.get(f"ContextEntries.member.{m.group(1)}.ContextKeyValues.member.1", [""])[0]
    sim = config.get("simulate") or {"decision": "allowed"}
    decision = sim.get("decision", "allowed")
    if sim.get("mfa_required") and context.get("aws:MultiFactorAuthPresent") != "true":
        decision = "explicitDeny"
    missing = "".join(f"<member>{k}</member>" for k in sim.get("uses_context", []) if k not in context)
    # Resources the policies do not allow, by a part of their ARN.
    denied = sim.get("deny_resources", [])
    # Per-action decisions override the rest (`"actions": {"ssm:StartAccessRequest": "allowed"}`).
    by_action = sim.get("actions", {})
    verdict = lambda r: "implicitDeny" if any(d in r for d in denied) else decision
    # An ABAC statement on instances: the tag's key is missing unless given, and allows only the value it names.
    tag = sim.get("instance_tag")
    def tagged(r):
        if not tag or ":instance/" not in r:
            return verdict(r), missing
        if tag["key"] not in context:
            return "implicitDeny", missing + f"<member>{tag['key']}</member>"
        return (verdict(r) if context[tag["key"]] == tag["value"] else "implicitDeny"), missing
    # Which layer refuses a denied resource: the organization's SCPs or the permissions boundary.
    layer = {"organizations": "<OrganizationsDecisionDetail><AllowedByOrganizations>false</AllowedByOrganizations></OrganizationsDecisionDetail>",
             "boundary": "<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>false</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>",
             }.get(sim.get("denied_by"), "")
    decided = lambda a, r: by_action.get(a, tagged(r)[0])
    detail = lambda a, r: layer if decided(a, r) != "allowed" else ""
    members = "".join(
        f"<member><EvalActionName>{a}</EvalActionName><EvalResourceName>{r}</EvalResourceName><EvalDecision>{decided(a, r)}</EvalDecision>{detail(a, r)}"
        f"<MatchedStatements><member><SourcePolicyId>stub-policy</SourcePolicyId></member></MatchedStatements>"
        f"<MissingContextValues>{tagged(r)[1]}</MissingContextValues></member>"
        for a in actions for r in (resources or ["*"]))
    xml = (f'<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult>'
           f"<IsTruncated>false</IsTruncated><EvaluationResults>{members}</EvaluationResults></SimulatePrincipalPolicyResult>"
           f"<ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>")
    return 200, "text/xml", xml.encode()


def moto_instances(headers):
    """The ids of moto's instances in the request's region: the same signed scope, asked of EC2."""
    auth = headers.get("Authorization", "").replace("/ssm/aws4_request", "/ec2/aws4_request")
    req = urllib.request.Request(ARGS.moto + "/", data=b"Action=DescribeInstances&Version=2016-11-15", method="POST",
                                 headers={"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return re.findall(r"<instanceId>(i-[0-9a-f]+)</instanceId>", r.read().decode())


EC2_NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'


def ec2_reply(op, inner):
    return 200, "text/xml", f"<{op}Response {EC2_NS}><requestId>stub</requestId>{inner}</{op}Response>".encode()


def form_values(body, prefix):
    """Values of an EC2 query list parameter (`InstanceId.1`, `Filter.1.Value.2`, …) in order."""
    form = urllib.parse.parse_qs(body.decode())
    return [v[0] for k, v in sorted(form.items()) if k.startswith(prefix)]


def status_xml(i, s):
    def summary(status):
        reach = "failed" if status == "impaired" else ("initializing" if status == "initializing" else "passed")
        since = f"<impairedSince>{s.get('impaired_since', '2026-11-20T03:07:00Z')}</impairedSince>" if status == "impaired" else ""
        return f"<status>{status}</status><details><item><name>reachability</name><status>{reach}</status>{since}</item></details>"
    return (f"<item><instanceId>{i}</instanceId><availabilityZone>us-east-1a</availabilityZone><instanceState><code>16</code>"
            f"<name>running</name></instanceState><systemStatus>{summary(s.get('system', 'ok'))}</systemStatus>"
            f"<instanceStatus>{summary(s.get('instance', 'ok'))}</instanceStatus></item>")


def offline_answer(config, service, op, body):
    """What moto lacks (or cannot say) of an agent that is not online; None to forward."""
    if service == "ec2" and op == "GetConsoleOutput":
        i = form_values(body, "InstanceId")[0]
        text = config.get("console_output", {}).get(i)
        if text is None:
            return None
        data = base64.b64encode(text.encode()).decode()
        return ec2_reply(op, f"<instanceId>{i}</instanceId><timestamp>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}</timestamp><output>{data}</output>")
    if service == "ec2" and op == "DescribeInstanceStatus":
        ids = form_values(body, "InstanceId.")
        configured = config.get("instance_status", {})
        if not any(i in configured for i in ids):
            return None
        return ec2_reply(op, "<instanceStatusSet>" + "".join(status_xml(i, configured.get(i, {})) for i in ids) + "</instanceStatusSet>")
    if service == "ec2" and op == "GetSerialConsoleAccessStatus":
        enabled = "true" if config.get("serial_console_access") else "false"
        return ec2_reply(op, f"<serialConsoleAccessEnabled>{enabled}</serialConsoleAccessEnabled><managedBy>account</managedBy>")
    if service == "ec2" and op == "DescribeInstanceConnectEndpoints":
        items = "".join(f"<item><instanceConnectEndpointId>{e['id']}</instanceConnectEndpointId><vpcId>{v}</vpcId>"
                        f"<subnetId>{e['subnet_id']}</subnetId><state>{e['state']}</state></item>"
                        for v in form_values(body, "Filter.1.Value.") for e in config.get("instance_connect_endpoints", []))
        return ec2_reply(op, f"<instanceConnectEndpointSet>{items}</instanceConnectEndpointSet>")
    if service == "ssm" and op == "GetConnectionStatus":
        target = json.loads(body or b"{}").get("Target", "")
        status = config.get("connection_status", {}).get(target, "notconnected")
        return 200, "application/x-amz-json-1.1", json.dumps({"Target": target, "Status": status}).encode()
    if service == "ssm" and op == "DescribeActivations":
        wanted = [v for f in json.loads(body or b"{}").get("Filters", []) for v in f.get("FilterValues", [])]
        found = [a for a in config.get("activations", []) if a["ActivationId"] in wanted]
        return 200, "application/x-amz-json-1.1", json.dumps({"ActivationList": found}).encode()
    return None


def answer(config, service, op, body, headers):
    """The stub's own answer, or None to forward to moto."""
    with LOCK:
        for kind in ("throttle", "fail5xx"):
            left = config.get(kind, {}).get(f"{service}:{op}", 0)
            used = COUNTERS.get((kind, service, op), 0)
            if used < left:
                COUNTERS[(kind, service, op)] = used + 1
                return failure(service, kind, op)
    if f"{service}:{op}" in config.get("deny", []):
        return failure(service, "deny", op)
    if service == "ssm" and op == "DescribeInstanceInformation":
        filters = json.loads(body or b"{}").get("Filters")
        # By id, by resource type (hybrid: the configured nodes), or (unfiltered) every instance moto has in the
        # region and the configured hybrid nodes.
        if not filters:
            ids = moto_instances(headers) + config.get("hybrid_nodes", [])
        elif filters[0].get("Key") == "ResourceType":
            ids = config.get("hybrid_nodes", []) if "ManagedInstance" in filters[0].get("Values", []) else moto_instances(headers)
        else:
            ids = filters[0].get("Values", [])
        reg = config.get("registration")
        ids = [i for i in ids if i not in config.get("unregistered", [])]
        # An agent that registers after a while: the first N answers list no instance.
        with LOCK:
            seen = COUNTERS.get(("registration", service, op), 0)
            COUNTERS[("registration", service, op)] = seen + 1
        if seen < config.get("registered_after", 0):
            ids = []
        # An agent that reconnects after a while (a reboot): ConnectionLost, its last ping a minute ago, for N answers.
        lost = seen < config.get("online_after", 0)
        items = [] if reg is None else [dict({"InstanceId": i, "LastPingDateTime": time.time() - (60 if lost else 0)}, **{
            "PingStatus": "ConnectionLost" if lost else reg.get("ping_status", "Online"), "AgentVersion": reg.get("agent_version", "3.3.1142.0"),
            "IsLatestVersion": False, "PlatformType": reg.get("platform_type", "Linux"), "PlatformName": "Amazon Linux"},
            **({"ActivationId": reg["activation_id"]} if reg.get("activation_id") else {}),
            **({"ComputerName": config["computer_names"][i]} if i in config.get("computer_names", {}) else {})) for i in ids]
        return 200, "application/x-amz-json-1.1", json.dumps({"InstanceInformationList": items}).encode()
    if service == "ssm" and op == "GetServiceSetting":
        setting_id = json.loads(body or b"{}").get("SettingId", "")
        if setting_id.endswith("activation-tier"):
            value = config.get("activation_tier", "standard")
        else:
            value = config.get("dhmc_role") or "$None"
        setting = {"SettingId": setting_id, "SettingValue": value, "Status": "Default"}
        return 200, "application/x-amz-json-1.1", json.dumps({"ServiceSetting": setting}).encode()
    if service == "iam" and op == "SimulatePrincipalPolicy":
        return simulate(config, body)
    if service == "ssm" and op == "ListDocuments":
        return approval_policies(config, body)
    return offline_answer(config, service, op, body)


def approval_policies(config, body):
    """ssm:ListDocuments for just-in-time node access approval policies (document types moto does not know): the
    configured ones, of the types the request's DocumentType filter names."""
    filters = json.loads(body or b"{}").get("Filters", [])
    types = [v for f in filters if f.get("Key") == "DocumentType" for v in f.get("Values", [])]
    docs = [{"Name": d["name"], "DocumentType": d["type"], "Owner": "123456789012", "DocumentFormat": "JSON"}
            for d in config.get("approval_policies", []) if not types or d["type"] in types]
    return 200, "application/x-amz-json-1.1", json.dumps({"DocumentIdentifiers": docs}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/__stub/calls":
            with LOCK:
                data = json.dumps(CALLS).encode()
            self.reply(200, "application/json", data)
        else:
            self.forward(b"")

    def do_POST(self):
        self.forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def reply(self, status, ctype, data, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def forward(self, body):
        start = time.time()
        try:
            with open(ARGS.config) as f:
                config = json.load(f)
        except (OSError, ValueError) as e:
            return self.reply(500, "text/plain", f"stub config {ARGS.config}: {e}".encode())
        service, op = operation(self.headers, body)
        time.sleep(ARGS.delay_ms / 1000)
        own = answer(config, service, op, body, self.headers)
        if own is None:
            req = urllib.request.Request(ARGS.moto + self.path, data=body if self.command == "POST" else None, method=self.command)
            for k, v in self.headers.items():
                if k.lower() not in ("host", "content-length", "connection"):
                    req.add_header(k, v)
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    own = (r.status, r.headers.get("Content-Type", "text/xml"), r.read())
            except urllib.error.HTTPError as e:
                own = (e.code, e.headers.get("Content-Type", "text/xml"), e.read())
        status, ctype, data = own
        extra = [("x-amzn-ErrorType", json.loads(data).get("__type", ""))] if status >= 400 and "json" in ctype else []
        with LOCK:
            CALLS.append({"op": f"{service}:{op}", "start": start, "end": time.time(), "status": status,
                          "digest": hashlib.sha256(body).hexdigest()[:16], "actions": simulated_actions(op, body)})
        self.reply(status, ctype, data, extra)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--moto", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--delay-ms", type=int, default=0)
    ARGS = p.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()

#!/usr/bin/env python3
"""Measures ssm-check's live gathering against a sequential `aws` CLI script, through the latency stub.

Figures: API calls (as the stub saw them), dependent rounds (the longest chain of calls each starting after the
previous one ended), duplicate calls (same operation and request body), and wall time (median of --runs).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REGION = "ap-northeast-1"


def start_stub(moto, config, delay):
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/live/stub.py"), "--moto", moto, "--config", config,
                          "--port", "0", "--delay-ms", str(delay)], stdout=subprocess.PIPE, text=True)
    port = p.stdout.readline().strip().rsplit(" ", 1)[-1]
    return p, f"http://127.0.0.1:{port}"


def calls(url):
    return json.loads(urllib.request.urlopen(f"{url}/__stub/calls").read())


def rounds(log):
    """Longest chain of calls where each starts after the previous ended: the dependent rounds."""
    log = sorted(log, key=lambda c: c["start"])
    depth = []
    for i, c in enumerate(log):
        before = [depth[j] for j in range(i) if log[j]["end"] <= c["start"]]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def duplicates(log):
    seen, dup = set(), 0
    for c in log:
        key = (c["op"], c["digest"])
        dup += key in seen
        seen.add(key)
    return dup


def stand_ins():
    """A home whose bin/ holds instant stand-ins for the local tools, so wall time measures AWS calls only (the real
    probes run in parallel with the first round)."""
    home = tempfile.mkdtemp()
    os.makedirs(os.path.join(home, "bin"))
    for name, text in [("session-manager-plugin", "1.2.764.0"), ("ssh", "OpenSSH_9.5p1")]:
        path = os.path.join(home, "bin", name)
        with open(path, "w") as fh:
            fh.write(f"#!/bin/sh\necho '{text}'\n")
        os.chmod(path, 0o755)
    return home


def env_for(url, keys, home):
    env = {"PATH": os.path.join(home, "bin") + os.pathsep + os.environ["PATH"], "HOME": home, "AWS_ENDPOINT_URL": url,
           "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_ACCESS_KEY_ID": keys["access_key_id"], "AWS_SECRET_ACCESS_KEY": keys["secret_access_key"]}
    return env


def sequential_script(aws, facts):
    """The same facts, one `aws` call after another, as a script a person would write."""
    i = facts["instance"]["value"]
    vpc = i["vpc_id"]
    role = facts["role"]["value"]
    f = lambda name, value: ["--filters", f"Name={name},Values={value}"]
    cmds = [
        ["sts", "get-caller-identity"],
        ["ec2", "describe-instances", "--instance-ids", i["instance_id"]],
        ["ssm", "describe-instance-information", "--filters", f"Key=InstanceIds,Values={i['instance_id']}"],
        ["ssm", "get-service-setting", "--setting-id", "/ssm/managed-instance/default-ec2-instance-management-role"],
        ["ssm", "get-document", "--name", "SSM-SessionManagerRunShell"],
        ["cloudtrail", "describe-trails"],
        ["ec2", "describe-vpcs", "--vpc-ids", vpc],
        ["ec2", "describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsSupport"],
        ["ec2", "describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsHostnames"],
        ["ec2", "describe-subnets"] + f("vpc-id", vpc),
        ["ec2", "describe-route-tables"] + f("vpc-id", vpc),
        ["ec2", "describe-vpc-endpoints"] + f("vpc-id", vpc),
        ["ec2", "describe-security-groups"] + f("vpc-id", vpc),
        ["ec2", "describe-network-acls"] + f("vpc-id", vpc),
        ["ec2", "describe-network-interfaces"] + f("vpc-id", vpc),
        ["ec2", "describe-prefix-lists"],
        ["iam", "get-instance-profile", "--instance-profile-name", i["instance_profile_arn"].rsplit("/", 1)[-1]],
        ["iam", "get-role", "--role-name", role["name"]],
        ["iam", "list-attached-role-policies", "--role-name", role["name"]],
        ["iam", "list-role-policies", "--role-name", role["name"]],
    ]
    for p in role["attached_policies"]:
        cmds.append(["iam", "get-policy", "--policy-arn", p["arn"]])
        cmds.append(["iam", "get-policy-version", "--policy-arn", p["arn"], "--version-id", "v1"])
    caller = facts["caller"]["value"]["arn"]
    for action in ["ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession"]:
        cmds.append(["iam", "simulate-principal-policy", "--policy-source-arn", caller, "--action-names", action,
                     "--resource-arns", f"arn:aws:ec2:{REGION}:123456789012:instance/{i['instance_id']}"])
    return [[aws] + c + ["--output", "json"] for c in cmds]


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--moto", required=True)
    a.add_argument("--delay-ms", type=int, default=50)
    a.add_argument("--binary", required=True)
    a.add_argument("--aws", required=True)
    a.add_argument("--runs", type=int, default=3)
    args = a.parse_args()

    keys = json.loads(subprocess.check_output([sys.executable, os.path.join(ROOT, "tests/live/layouts.py"), args.moto, REGION, "rdp-private-strict-sg"]))
    home = stand_ins()
    config = os.path.join(home, "stub.json")
    with open(config, "w") as fh:
        json.dump({"registration": {"agent_version": "2.3.722.0", "platform_type": "Windows"}, "simulate": {"decision": "allowed"}}, fh)

    results = {}
    facts = None
    for tool in ["ssm-check", "aws-cli-sequential"]:
        times, last_log = [], []
        for _ in range(args.runs):
            stub, url = start_stub(args.moto, config, args.delay_ms)
            env = env_for(url, keys, home)
            start = time.monotonic()
            if tool == "ssm-check":
                out = subprocess.run([args.binary, "gather", keys["instance"]], env=env, capture_output=True, text=True, check=True)
                facts = json.loads(out.stdout)
            else:
                for cmd in sequential_script(args.aws, facts):
                    subprocess.run(cmd, env=env, capture_output=True, text=True)
            times.append(time.monotonic() - start)
            last_log = calls(url)
            stub.terminate()
            stub.wait()
        results[tool] = {"calls": len(last_log), "rounds": rounds(last_log), "duplicates": duplicates(last_log),
                         "wall_s": round(statistics.median(times), 3)}

    # The same instance with its agent not online: what EC2 and Systems Manager show from outside is asked for too.
    with open(config, "w") as fh:
        json.dump({"registration": {"agent_version": "2.3.722.0", "platform_type": "Windows", "ping_status": "ConnectionLost"},
                   "simulate": {"decision": "allowed"}, "serial_console_access": True}, fh)
    times, last_log = [], []
    for _ in range(args.runs):
        stub, url = start_stub(args.moto, config, args.delay_ms)
        start = time.monotonic()
        subprocess.run([args.binary, "gather", keys["instance"]], env=env_for(url, keys, home), capture_output=True, check=True)
        times.append(time.monotonic() - start)
        last_log = calls(url)
        stub.terminate()
        stub.wait()
    offline = {"calls": len(last_log), "rounds": rounds(last_log), "duplicates": duplicates(last_log),
               "wall_s": round(statistics.median(times), 3)}

    speedup = results["aws-cli-sequential"]["wall_s"] / results["ssm-check"]["wall_s"]
    print(f"delay per request: {args.delay_ms} ms; median of {args.runs} runs; layout: rdp-private-strict-sg (private subnet, three endpoints, S3 gateway)")
    print(f"{'':22}{'API calls':>10}{'rounds':>8}{'duplicates':>12}{'wall time':>11}")
    for tool, r in results.items():
        print(f"{tool:22}{r['calls']:>10}{r['rounds']:>8}{r['duplicates']:>12}{r['wall_s']:>10.2f}s")
    r = offline
    print(f"{'ssm-check, agent offline':22}{r['calls']:>10}{r['rounds']:>8}{r['duplicates']:>12}{r['wall_s']:>10.2f}s")
    print(f"speed-up: {speedup:.1f}x")
    results["ssm-check-agent-offline"] = offline
    results["speedup"] = round(speedup, 1)
    results["delay_ms"] = args.delay_ms
    with open(os.path.join(ROOT, "target", "bench.json"), "w") as fh:
        json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()

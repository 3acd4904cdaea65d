#!/usr/bin/env python3
"""Measures a fleet run against today's alternative, one single-target check per instance, through the latency stub.

For a fleet layout (instances over VPCs and roles, built in moto by tests/live/layouts.py) it runs:
  - ssm-check with every id in one run,
  - ssm-check once per instance, one after another, and 8 at a time,
and prints API calls, dependent rounds, duplicate calls, wall time and peak memory (max RSS) of each. With
--only-fleet it runs the fleet check alone (for the 1,000-instance figures, where per-instance runs take long).
"""
import argparse, concurrent.futures, json, os, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from measure import calls, duplicates, env_for, rounds, stand_ins, start_stub  # noqa: E402

REGION = "ap-northeast-1"


def critical_path(log):
    """The longest chain of calls, each starting after the previous ended, weighted by duration: the time spent
    waiting for answers that nothing could overlap (the injected delay plus the emulator's own work)."""
    log = sorted(log, key=lambda c: c["start"])
    best = []
    for i, c in enumerate(log):
        before = [best[j] for j in range(i) if log[j]["end"] <= c["start"]]
        best.append(max(before, default=0) + c["end"] - c["start"])
    return max(best, default=0)


def run_measured(cmd, env):
    """Runs `cmd`; returns (seconds, max RSS in MB, exit code)."""
    start = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.monotonic() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd[:3])} …: exit {p.returncode}: {p.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024, p.returncode


def measure(label, moto, config, delay, keys, home, runs, work):
    """Runs `work(env)` `runs` times, each against a fresh stub; figures from the last run's log."""
    times, memory, log, waits = [], [], [], []
    for _ in range(runs):
        stub, url = start_stub(moto, config, delay)
        env = env_for(url, keys, home)
        elapsed, rss = work(env)
        times.append(elapsed)
        memory.append(rss)
        log = calls(url)
        waits.append(critical_path(log) if len(log) < 5000 else None)
        stub.terminate()
        stub.wait()
    return {"label": label, "calls": len(log), "rounds": rounds(log) if len(log) < 5000 else None,
            "duplicates": duplicates(log), "wall_s": round(statistics.median(times), 2), "max_rss_mb": round(max(memory), 1),
            "waiting_s": None if None in waits else round(statistics.median(waits), 2)}


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--moto", required=True)
    a.add_argument("--delay-ms", type=int, default=50)
    a.add_argument("--binary", required=True)
    a.add_argument("--layout", default="200:5:3", help="INSTANCES:VPCS:ROLES")
    a.add_argument("--runs", type=int, default=1)
    a.add_argument("--only-fleet", action="store_true")
    args = a.parse_args()

    start = time.monotonic()
    built = json.loads(subprocess.check_output([sys.executable, os.path.join(ROOT, "tests/live/layouts.py"), args.moto,
                                                REGION, f"fleet:{args.layout}"]))
    print(f"built fleet:{args.layout} in moto in {time.monotonic() - start:.0f} s", flush=True)
    ids = built["instances"]
    home = stand_ins()
    config = os.path.join(home, "stub.json")
    with open(config, "w") as fh:
        json.dump({"registration": {"agent_version": "3.3.1142.0"}, "simulate": {"decision": "allowed"}}, fh)
    binary = args.binary

    def fleet(env):
        elapsed, rss, _ = run_measured([binary, "--format", "json", "--timeout", "600"] + ids, env)
        return elapsed, rss

    def one(env):
        elapsed, rss, _ = run_measured([binary, "--format", "json", ids[0]], env)
        return elapsed, rss

    def each(parallel):
        def work(env):
            begin = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
                results = list(pool.map(lambda i: run_measured([binary, "--format", "json", i], env), ids))
            return time.monotonic() - begin, max(r[1] for r in results)
        return work

    rows = [measure(f"ssm-check, {len(ids)} ids in one run", args.moto, config, args.delay_ms, built, home, args.runs, fleet),
            measure("ssm-check, one instance", args.moto, config, args.delay_ms, built, home, args.runs, one)]
    if not args.only_fleet:
        rows.append(measure("once per instance, sequential", args.moto, config, args.delay_ms, built, home, 1, each(1)))
        rows.append(measure("once per instance, 8 at a time", args.moto, config, args.delay_ms, built, home, 1, each(8)))

    instances, vpcs, roles = args.layout.split(":")
    print(f"delay per request: {args.delay_ms} ms; fleet: {instances} instances, {vpcs} VPCs, {roles} roles; "
          f"median of {args.runs} run(s) for the first two rows")
    print(f"{'':36}{'API calls':>10}{'rounds':>8}{'duplicates':>12}{'wall time':>11}{'waiting':>9}{'own':>8}{'max RSS':>10}")
    for r in rows:
        rounds_ = "-" if r["rounds"] is None else r["rounds"]
        waiting = "-" if r["waiting_s"] is None else f"{r['waiting_s']:.2f}s"
        own = "-" if r["waiting_s"] is None else f"{r['wall_s'] - r['waiting_s']:.2f}s"
        print(f"{r['label']:36}{r['calls']:>10}{rounds_:>8}{r['duplicates']:>12}{r['wall_s']:>10.2f}s{waiting:>9}{own:>8}{r['max_rss_mb']:>8.1f}MB")
    print("waiting: the critical path of calls (injected delay and the emulator's own work); own: the rest (start-up, "
          "evaluation, output)")
    ratio = rows[0]["wall_s"] / rows[1]["wall_s"]
    print(f"fleet wall time / one instance's: {ratio:.2f}x")
    with open(os.path.join(ROOT, "target", f"bench-fleet-{instances}.json"), "w") as fh:
        json.dump({"layout": args.layout, "delay_ms": args.delay_ms, "rows": rows, "fleet_over_one": round(ratio, 2)}, fh, indent=2)


if __name__ == "__main__":
    main()

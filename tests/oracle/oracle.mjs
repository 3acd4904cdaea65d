#!/usr/bin/env node
// The oracle of tests/policy_oracle.rs: @cloud-copilot/iam-simulate, an independent IAM policy simulator, asked
// the same questions as ssm-check's own evaluator.
//
// stdin: JSON Lines, one case a line:
//   {"id": "...", "policies": [<identity policy>...], "boundary": <policy> | null,
//    "principal": "arn:aws:iam::111122223333:user/alice", "action": "ssm:StartSession",
//    "resource": "arn:aws:ec2:…:instance/i-…", "context": {"aws:username": "alice", ...}}
//   A key absent from `context` is absent from the request: the simulator fills in no key itself.
// stdout: one line a case, in order: {"id": ..., "decision": "allowed" | "explicit_deny" | "implicit_deny" | "error",
//   "detail": "..."}.

import { createInterface } from 'node:readline';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const DECISION = { Allowed: 'allowed', ExplicitlyDenied: 'explicit_deny', ImplicitlyDenied: 'implicit_deny' };

function account(arn) {
  const parts = typeof arn === 'string' ? arn.split(':') : [];
  return parts.length >= 6 ? parts[4] : '';
}

async function evaluate(c) {
  const simulation = {
    request: {
      principal: c.principal,
      action: c.action,
      // An AWS-owned document's ARN has no account: it is evaluated in the caller's.
      resource: { resource: c.resource, accountId: account(c.resource) || account(c.principal) },
      contextVariables: Object.fromEntries(Object.entries(c.context ?? {}).map(([k, v]) => [k, String(v)])),
    },
    identityPolicies: (c.policies ?? []).map((policy, i) => ({ name: `policy${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(c.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: c.boundary }] } : {}),
  };
  const res = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (res.resultType === 'error') {
    return { decision: 'error', detail: `the simulator refused the case: ${JSON.stringify(res.errors)}` };
  }
  const results = res.resultType === 'single' ? [res.result] : res.results;
  const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))];
  return {
    decision: DECISION[res.overallResult] ?? 'error',
    detail: ignored.length ? `ignored context keys: ${ignored.join(', ')}` : '',
  };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let id = null;
  let out;
  try {
    const c = JSON.parse(line);
    id = c.id ?? null;
    out = await evaluate(c);
  } catch (e) {
    out = { decision: 'error', detail: String(e?.message ?? e) };
  }
  process.stdout.write(JSON.stringify({ id, ...out }) + '\n');
}

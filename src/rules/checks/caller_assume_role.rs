//! `caller-assume-role`: The profile's cross-account role is in effect (`rules/caller-assume-role.toml`).

use crate::facts::Unavailable;
use crate::policy::{evaluate_trust, Context, Evaluation, Policy};
use crate::rules::outcome::{Outcome, Verdict};
use crate::rules::shared::permissions::line;
use crate::rules::shared::Check;

pub fn check(c: &Check) -> Verdict {
    let creds = c
        .facts
        .credentials
        .need("how the credentials were obtained")?;
    let Some(role_arn) = &creds.role_arn else {
        return Ok(Outcome::skip("the profile does not assume a role"));
    };
    let source = creds.source_profile.as_deref().unwrap_or("its source");
    let trust = trust_verdict(c, role_arn);
    let caller = match c.facts.caller.get_ref() {
        Ok(caller) => caller,
        Err(reason @ Unavailable::Error { .. }) => {
            let mut out = Outcome::fail(format!("assuming {role_arn} from {source} failed: {}", reason.describe())).remedy(format!(
                "The role's trust policy must allow your account (arn:{}:iam::{}:root) or your user, and your user needs \
                 sts:AssumeRole on {role_arn}. Check role_arn and source_profile in ~/.aws/config.",
                c.facts.partition().name,
                source_account(c).unwrap_or("ACCOUNT_ID")
            ));
            if let Some(line) = trust {
                out = out.evidence(line);
            }
            return Ok(out);
        }
        Err(reason) => return Err(Outcome::missing("who the caller is", reason)),
    };
    let role_name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let assumed =
        caller.arn.contains(":assumed-role/") && caller.arn.split('/').nth(1) == Some(role_name);
    if !assumed {
        return Ok(Outcome::fail(format!("the profile names {role_arn}, but the calls run as {}", caller.arn))
            .remedy("Check that --profile selects the profile with role_arn, and that no AWS_ACCESS_KEY_ID in the environment overrides it."));
    }
    let mut out = Outcome::pass(format!("{source} assumed {role_arn}"))
        .evidence(format!("running as {}", caller.arn));
    if let Some(line) = trust {
        out = out.evidence(line);
    }
    if let Some(perms) = c.facts.caller_permissions.value() {
        for k in perms
            .checks
            .iter()
            .filter(|k| k.action.eq_ignore_ascii_case("sts:AssumeRole"))
        {
            out = out.evidence(format!(
                "{}: {}",
                k.principal_arn.as_deref().unwrap_or(&perms.principal_arn),
                line(k)
            ));
        }
    }
    Ok(out)
}

/// What the assumed role's trust policy says of the source identity, when both are in the facts.
fn trust_verdict(c: &Check, role_arn: &str) -> Option<String> {
    let source = c.facts.credentials.value()?.source_identity_arn.clone()?;
    let doc = c.facts.caller_policies.value()?.trust_policy.clone()?;
    let policy = Policy::parse(&doc).ok()?;
    let ctx = Context::open::<&str>([]);
    Some(
        match evaluate_trust(
            &policy,
            "trust policy",
            "sts:AssumeRole",
            ("AWS", &source),
            &ctx,
        ) {
            Evaluation::Allowed { by } => {
                format!("the trust policy of {role_arn} lets {source} assume it ({by})")
            }
            Evaluation::Unknown { why } => {
                format!("cannot tell whether {role_arn} trusts {source}: {why}")
            }
            _ => format!("the trust policy of {role_arn} does not let {source} assume it"),
        },
    )
}

/// The account of the profile's source identity, when it is known.
fn source_account<'a>(c: &'a Check) -> Option<&'a str> {
    let arn = c
        .facts
        .credentials
        .value()?
        .source_identity_arn
        .as_deref()?;
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

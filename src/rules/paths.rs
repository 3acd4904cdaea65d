//! The network questions several rules share: which services the session's traffic must reach and by which way
//! (`legs`), how to weigh a problem by whether its service is needed (`Problems`), and which ports the replies
//! come back to (`ephemeral`).

use super::needs::{Need, ServiceNeed};
use super::{Check, Outcome};
use crate::facts::VpcEndpoint;
use crate::network::path::{Analysis, ServicePath, Via};
use crate::network::ports::PortSet;

/// A service the session may need, how the instance reaches it, and whether it must.
pub struct Leg<'a> {
    pub service: &'static str,
    pub path: ServicePath<'a>,
    pub need: Need,
}

/// The services to check, each with its path.
pub fn legs<'a>(c: &Check<'a>, a: &Analysis<'a>) -> Vec<Leg<'a>> {
    c.services_to_check()
        .into_iter()
        .map(|ServiceNeed { service, need }| Leg {
            service,
            path: a.service_path(service),
            need,
        })
        .collect()
}

/// The interface endpoints the session's traffic actually goes to.
pub fn endpoints_in_use<'l, 'a>(legs: &'l [Leg<'a>]) -> Vec<(&'l Leg<'a>, &'a VpcEndpoint)> {
    legs.iter()
        .filter_map(|l| match l.path.via {
            Via::Endpoint(e) => Some((l, e)),
            Via::Internet => None,
        })
        .collect()
}

/// Sorts problems by whether their service is required: any required one fails; otherwise problems of services
/// that may be needed make the answer Unknown, with the reason they may be.
pub(super) struct Problems {
    required: Vec<String>,
    maybe: Vec<String>,
    why_maybe: Vec<String>,
}

impl Problems {
    pub fn new() -> Self {
        Problems {
            required: Vec::new(),
            maybe: Vec::new(),
            why_maybe: Vec::new(),
        }
    }

    pub fn add(&mut self, need: &Need, problem: String) {
        match need {
            Need::Required(_) => self.required.push(problem),
            Need::Unknown(why) => {
                self.maybe.push(problem);
                if !self.why_maybe.contains(why) {
                    self.why_maybe.push(why.clone());
                }
            }
            Need::NotNeeded(_) => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.maybe.is_empty()
    }

    /// Fail with the required problems, or — said the same way — Unknown with the others, adding why they may
    /// not matter; `None` when there are none.
    pub fn outcome(&self, fail: impl FnOnce(&str) -> Outcome) -> Option<Outcome> {
        if !self.required.is_empty() {
            return Some(fail(&self.required.join("; ")));
        }
        if self.maybe.is_empty() {
            return None;
        }
        let mut out = fail(&self.maybe.join("; "));
        out.status = super::Status::Unknown;
        out.message = format!(
            "{}; but whether that matters is not known: {}",
            out.message,
            self.why_maybe.join("; ")
        );
        Some(out)
    }
}

/// The ports an instance's own connections come from, which the replies return to: by platform, as AWS's
/// "Ephemeral ports" page gives them (Linux kernels 32768-61000, Windows Server 2008 and later 49152-65535); macOS
/// uses the IANA range 49152-65535 by default. An unknown platform is judged on the whole 1024-65535.
pub struct Ephemeral {
    pub ports: PortSet,
    /// e.g. `Linux (32768-61000)`.
    pub label: String,
    pub known: bool,
}

pub fn ephemeral(c: &Check) -> Ephemeral {
    let registered = c
        .facts
        .registration
        .value()
        .and_then(|r| r.platform_type.as_deref());
    let windows_instance = c
        .facts
        .instance
        .value()
        .is_some_and(|i| i.platform.as_deref() == Some("windows"));
    // The agent's own report of its platform first; EC2's `Platform` says only whether it is Windows.
    let (from, to, name) = match (registered, windows_instance) {
        (Some(p), _) if p.eq_ignore_ascii_case("Windows") => (49152, 65535, "Windows"),
        (Some(p), _) if p.eq_ignore_ascii_case("Linux") => (32768, 61000, "Linux"),
        (Some(p), _) if p.eq_ignore_ascii_case("MacOS") => (49152, 65535, "macOS"),
        (None, true) => (49152, 65535, "Windows"),
        _ => {
            return Ephemeral {
                ports: PortSet::range(1024, 65535),
                label: "1024-65535 (the platform is not known)".into(),
                known: false,
            }
        }
    };
    Ephemeral {
        ports: PortSet::range(from, to),
        label: format!("{from}-{to} ({name} ephemeral ports)"),
        known: true,
    }
}

//! What EC2 and Systems Manager show from outside a target whose agent is not online: its image, console output,
//! status checks, connection status and a hybrid node's activation, and the region's and VPC's ways in (serial
//! console access, Instance Connect Endpoints). Asked only for targets whose registration is known and not
//! `Online` — never for every instance — beside the networks and roles (one round after the listing); status
//! checks, images, activations and endpoints in one call per region, the console output and the connection status
//! per target.

use super::ec2::{filter, rfc3339};
use super::errors::{classify, Failure};
use super::listing::Listing;
use super::pages::all_pages;
use super::session::RegionClients;
use super::store::{Run, Store};
use crate::facts::*;
use crate::selection::is_hybrid;
use futures_util::StreamExt;
use std::collections::{BTreeMap, BTreeSet};

/// DescribeInstanceStatus takes up to 100 instance ids.
const IDS_PER_STATUS: usize = 100;

/// One target's signals.
pub struct Signals {
    image: Fact<Image>,
    console_output: Fact<ConsoleOutput>,
    status_checks: Fact<StatusChecks>,
    connection_status: Fact<String>,
    activation: Fact<Activation>,
}

impl Signals {
    pub fn not_gathered(why: &str) -> Signals {
        Signals {
            image: Fact::not_gathered(why),
            console_output: Fact::not_gathered(why),
            status_checks: Fact::not_gathered(why),
            connection_status: Fact::not_gathered(why),
            activation: Fact::not_gathered(why),
        }
    }

    /// Files the signals in the target's facts.
    pub fn file(self, t: &mut TargetFacts) {
        t.image = self.image;
        t.console_output = self.console_output;
        t.status_checks = self.status_checks;
        t.connection_status = self.connection_status;
        t.activation = self.activation;
    }
}

/// Why the signals of a target whose agent is online are not asked for.
pub const ONLINE: &str = "the agent is online";

/// Why the signals of `id` are not asked for, or `None` when they are: its agent is known not to be online and,
/// for an instance, it is running.
pub fn not_asked(id: &str, listing: &Listing) -> Option<&'static str> {
    let registration = match &listing.registrations {
        Ok(r) => r.get(id),
        Err(_) => return Some("the agent's registration could not be seen"),
    };
    if registration.is_some_and(|r| r.ping_status.as_deref() == Some("Online")) {
        return Some(ONLINE);
    }
    if is_hybrid(id) {
        return None;
    }
    let running = listing
        .instances
        .iter()
        .flatten()
        .any(|i| i.instance_id == id && i.state == "running");
    (!running).then_some("the instance is not running")
}

/// The signals of this region's targets whose agent is not online, by target id; the region's and its VPCs'
/// ways in go straight to the store.
pub async fn signals(
    run: &Run<'_>,
    rc: &RegionClients,
    listing: &Listing,
) -> BTreeMap<String, Signals> {
    let mut out = BTreeMap::new();
    let mut offline: Vec<&str> = Vec::new();
    for id in &listing.found {
        match not_asked(id, listing) {
            Some(why) => {
                out.insert(id.clone(), Signals::not_gathered(why));
            }
            None => offline.push(id),
        }
    }
    let instances: Vec<&Instance> = listing
        .instances
        .iter()
        .flatten()
        .filter(|i| offline.contains(&i.instance_id.as_str()))
        .collect();
    let activations: BTreeSet<&str> = offline
        .iter()
        .filter_map(|id| listing.registrations.as_ref().ok()?.get(*id))
        .filter_map(|r| r.activation_id.as_deref())
        .collect();
    let (images, statuses, consoles, connections, activations, _) = tokio::join!(
        images(&rc.ec2, &instances),
        statuses(run.concurrency(), &rc.ec2, &instances),
        per_target(run, &instances, |i| console(&rc.ec2, &i.instance_id)),
        per_target(run, &offline, |id| connection(&rc.ssm, id)),
        activations_of(&rc.ssm, &activations),
        ways_in(run, rc, &instances)
    );
    let store = &run.store;
    for id in offline {
        let instance = instances.iter().find(|i| i.instance_id == id);
        let registration = listing.registrations.as_ref().ok().and_then(|r| r.get(id));
        let why = if is_hybrid(id) {
            "hybrid managed node: not an EC2 instance"
        } else {
            "an EC2 instance"
        };
        let signals = Signals {
            image: match instance {
                Some(i) => image_of(i, &images),
                None => Fact::not_applicable(why),
            },
            console_output: match consoles.get(id) {
                Some(c) => store.fact(c.clone()),
                None => Fact::not_applicable(why),
            },
            status_checks: match instance {
                Some(i) => status_of(&i.instance_id, &statuses),
                None => Fact::not_applicable(why),
            },
            connection_status: store.fact(connections[id].clone()),
            activation: activation_of(registration, &activations, why),
        };
        out.insert(id.to_string(), signals);
    }
    out
}

type Images = Result<Vec<Image>, Failure>;

/// The instances' AMIs, in one call: by filter, so that a deregistered AMI is absent rather than an error.
async fn images(c: &aws_sdk_ec2::Client, instances: &[&Instance]) -> Images {
    let ids: BTreeSet<String> = instances
        .iter()
        .filter_map(|i| i.image_id.clone())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = ids.into_iter().collect();
    let pages = c
        .describe_images()
        .filters(filter("image-id", &ids))
        .include_deprecated(true)
        .include_disabled(true)
        .into_paginator();
    all_pages(pages.send(), "ec2:DescribeImages", |p| {
        p.images().iter().map(image).collect::<Vec<_>>()
    })
    .await
}

fn image(i: &aws_sdk_ec2::types::Image) -> Image {
    Image {
        image_id: i.image_id().unwrap_or_default().to_string(),
        name: i.name().map(str::to_string),
        description: i.description().map(str::to_string),
        owner_id: i.owner_id().map(str::to_string),
        owner_alias: i.image_owner_alias().map(str::to_string),
        platform_details: i.platform_details().map(str::to_string),
        architecture: i.architecture().map(|a| a.as_str().to_string()),
        creation_date: i.creation_date().map(str::to_string),
    }
}

fn image_of(instance: &Instance, images: &Images) -> Fact<Image> {
    let Some(id) = &instance.image_id else {
        return Fact::not_gathered("the instance names no AMI");
    };
    match images {
        Ok(all) => match all.iter().find(|i| &i.image_id == id) {
            Some(i) => Fact::known(i.clone()),
            None => Fact::unavailable(Unavailable::NotFound {
                what: format!(
                    "AMI {id} is not visible: deregistered, or no longer shared with this account"
                ),
            }),
        },
        Err(Failure::Fact(reason)) => Fact::unavailable(reason.clone()),
        Err(Failure::Environment(e)) => Fact::unavailable(Unavailable::Error {
            message: e.0.clone(),
        }),
    }
}

pub type Statuses = Result<Vec<(String, StatusChecks)>, Failure>;

/// The instances' status checks, a hundred instances a call, side by side.
pub async fn statuses(
    in_flight: usize,
    c: &aws_sdk_ec2::Client,
    instances: &[&Instance],
) -> Statuses {
    let ids: Vec<String> = instances.iter().map(|i| i.instance_id.clone()).collect();
    let calls = ids.chunks(IDS_PER_STATUS).map(|part| {
        let request = c
            .describe_instance_status()
            .set_instance_ids(Some(part.to_vec()))
            .include_all_instances(true);
        async move {
            let out = request
                .send()
                .await
                .map_err(|e| classify(&e, "ec2:DescribeInstanceStatus"))?;
            Ok::<_, Failure>(
                out.instance_statuses()
                    .iter()
                    .filter_map(status)
                    .collect::<Vec<_>>(),
            )
        }
    });
    let parts: Vec<Statuses> = futures_util::stream::iter(calls)
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let mut all = Vec::new();
    for part in parts {
        all.extend(part?);
    }
    Ok(all)
}

fn status(s: &aws_sdk_ec2::types::InstanceStatus) -> Option<(String, StatusChecks)> {
    let summary = |x: Option<&aws_sdk_ec2::types::InstanceStatusSummary>| {
        x.and_then(|x| x.status()).map(|s| s.as_str().to_string())
    };
    let impaired_since = [s.instance_status(), s.system_status()]
        .into_iter()
        .flatten()
        .flat_map(|x| x.details())
        .filter_map(|d| d.impaired_since())
        .filter_map(rfc3339)
        .min();
    let checks = StatusChecks {
        instance_status: summary(s.instance_status()),
        system_status: summary(s.system_status()),
        impaired_since,
        events: s
            .events()
            .iter()
            .filter_map(|e| e.code().map(|code| code.as_str().to_string()))
            .collect(),
    };
    Some((s.instance_id()?.to_string(), checks))
}

pub fn status_of(id: &str, statuses: &Statuses) -> Fact<StatusChecks> {
    match statuses {
        // None reported yet: right after a start, EC2 has not run a check.
        Ok(all) => Fact::known(
            all.iter()
                .find(|(i, _)| i == id)
                .map(|(_, s)| s.clone())
                .unwrap_or_default(),
        ),
        Err(Failure::Fact(reason)) => Fact::unavailable(reason.clone()),
        Err(Failure::Environment(e)) => Fact::unavailable(Unavailable::Error {
            message: e.0.clone(),
        }),
    }
}

/// One call per target, a few at a time, by target id.
async fn per_target<'t, T, F, Fut, R>(
    run: &Run<'_>,
    targets: &'t [T],
    call: F,
) -> BTreeMap<String, Result<R, Failure>>
where
    T: Target + 't,
    F: Fn(&'t T) -> Fut,
    Fut: std::future::Future<Output = Result<R, Failure>>,
{
    futures_util::stream::iter(targets.iter().map(|t| {
        let future = call(t);
        async move { (t.id().to_string(), future.await) }
    }))
    .buffer_unordered(run.concurrency())
    .collect()
    .await
}

/// What `per_target` calls on: an instance or a node id.
trait Target {
    fn id(&self) -> &str;
}

impl Target for &Instance {
    fn id(&self) -> &str {
        &self.instance_id
    }
}

impl Target for &str {
    fn id(&self) -> &str {
        self
    }
}

/// The console output's telling lines: the latest output where the instance type supports it (Nitro), else
/// the buffered output of the last state change.
async fn console(c: &aws_sdk_ec2::Client, id: &str) -> Result<ConsoleOutput, Failure> {
    let ask = |latest: bool| c.get_console_output().instance_id(id).latest(latest).send();
    let action = "ec2:GetConsoleOutput";
    let (out, latest) = match ask(true).await {
        Ok(out) => (out, true),
        Err(e) => match classify(&e, action) {
            Failure::Fact(Unavailable::Error { .. }) => {
                (ask(false).await.map_err(|e| classify(&e, action))?, false)
            }
            other => return Err(other),
        },
    };
    let text = out
        .output()
        .and_then(|b64| aws_smithy_types::base64::decode(b64.trim()).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    Ok(ConsoleOutput::read(
        &text,
        out.timestamp().and_then(rfc3339),
        latest,
    ))
}

/// `connected` or `notconnected`: what StartSession checks.
async fn connection(c: &aws_sdk_ssm::Client, id: &str) -> Result<String, Failure> {
    let out = c
        .get_connection_status()
        .target(id)
        .send()
        .await
        .map_err(|e| classify(&e, "ssm:GetConnectionStatus"))?;
    Ok(out
        .status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "unknown".into()))
}

type Activations = Result<Vec<Activation>, Failure>;

/// The activations the hybrid nodes registered with, in one listing.
async fn activations_of(c: &aws_sdk_ssm::Client, ids: &BTreeSet<&str>) -> Activations {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = aws_sdk_ssm::types::DescribeActivationsFilter::builder()
        .filter_key(aws_sdk_ssm::types::DescribeActivationsFilterKeys::ActivationIds)
        .set_filter_values(Some(ids.iter().map(|s| s.to_string()).collect()))
        .build();
    let pages = c.describe_activations().filters(filter).into_paginator();
    all_pages(pages.send(), "ssm:DescribeActivations", |p| {
        p.activation_list()
            .iter()
            .map(|a| Activation {
                activation_id: a.activation_id().unwrap_or_default().to_string(),
                expired: a.expired(),
                expiration_date: a.expiration_date().and_then(rfc3339),
                registration_limit: a.registration_limit(),
                registrations_count: a.registrations_count(),
                iam_role: a.iam_role().map(str::to_string),
            })
            .collect::<Vec<_>>()
    })
    .await
}

fn activation_of(
    registration: Option<&Registration>,
    activations: &Activations,
    why: &str,
) -> Fact<Activation> {
    let Some(id) = registration.and_then(|r| r.activation_id.as_deref()) else {
        return Fact::not_applicable(why);
    };
    match activations {
        Ok(all) => match all.iter().find(|a| a.activation_id == id) {
            Some(a) => Fact::known(a.clone()),
            None => Fact::unavailable(Unavailable::NotFound {
                what: format!("activation {id} no longer exists (deleted)"),
            }),
        },
        Err(Failure::Fact(reason)) => Fact::unavailable(reason.clone()),
        Err(Failure::Environment(e)) => Fact::unavailable(Unavailable::Error {
            message: e.0.clone(),
        }),
    }
}

/// The ways in that need no agent: the region's serial console access and the Instance Connect Endpoints of
/// the offline instances' VPCs; filed in the store.
async fn ways_in(run: &Run<'_>, rc: &RegionClients, instances: &[&Instance]) {
    let store = &run.store;
    if instances.is_empty() {
        let fact = Fact::not_gathered("no instance of the region is offline");
        store.with(|f| f.region_mut(&rc.name).serial_console_access = fact);
        return;
    }
    let vpcs: BTreeSet<String> = instances.iter().filter_map(|i| i.vpc_id.clone()).collect();
    let (serial, endpoints) =
        tokio::join!(serial_console(&rc.ec2), connect_endpoints(&rc.ec2, &vpcs));
    let serial = store.fact(serial);
    store.with(|f| f.region_mut(&rc.name).serial_console_access = serial);
    for vpc in vpcs {
        let fact = match &endpoints {
            Ok(all) => Ok(all
                .iter()
                .filter(|(v, _)| *v == vpc)
                .map(|(_, e)| e.clone())
                .collect()),
            Err(e) => Err(e.clone()),
        };
        file_endpoints(store, &rc.name, &vpc, fact);
    }
}

fn file_endpoints(
    store: &Store,
    region: &str,
    vpc: &str,
    endpoints: Result<Vec<InstanceConnectEndpoint>, Failure>,
) {
    let fact = store.fact(endpoints);
    store.with(|f| {
        f.region_mut(region)
            .vpcs
            .entry(vpc.to_string())
            .or_insert_with(|| VpcFacts::not_gathered("the VPC was not looked up"))
            .instance_connect_endpoints = fact;
    });
}

async fn serial_console(c: &aws_sdk_ec2::Client) -> Result<bool, Failure> {
    let out = c
        .get_serial_console_access_status()
        .send()
        .await
        .map_err(|e| classify(&e, "ec2:GetSerialConsoleAccessStatus"))?;
    Ok(out.serial_console_access_enabled().unwrap_or(false))
}

async fn connect_endpoints(
    c: &aws_sdk_ec2::Client,
    vpcs: &BTreeSet<String>,
) -> Result<Vec<(String, InstanceConnectEndpoint)>, Failure> {
    if vpcs.is_empty() {
        return Ok(Vec::new());
    }
    let vpcs: Vec<String> = vpcs.iter().cloned().collect();
    let pages = c
        .describe_instance_connect_endpoints()
        .filters(filter("vpc-id", &vpcs))
        .into_paginator();
    all_pages(pages.send(), "ec2:DescribeInstanceConnectEndpoints", |p| {
        p.instance_connect_endpoints()
            .iter()
            .map(|e| {
                (
                    e.vpc_id().unwrap_or_default().to_string(),
                    InstanceConnectEndpoint {
                        endpoint_id: e
                            .instance_connect_endpoint_id()
                            .unwrap_or_default()
                            .to_string(),
                        subnet_id: e.subnet_id().unwrap_or_default().to_string(),
                        state: e
                            .state()
                            .map(|s| s.as_str().to_string())
                            .unwrap_or_default(),
                    },
                )
            })
            .collect::<Vec<_>>()
    })
    .await
}

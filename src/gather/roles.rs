//! Instance profiles and roles, each fetched once however many targets share it: a memo of started lookups,
//! so a role that is both an instance profile's and DHMC's (or the caller's) is read once, and a managed policy
//! that several roles attach is read once (`Policies`).

use super::errors::Failure;
use super::iam;
use super::policies::Policies;
use super::store::Store;
use crate::facts::{InstanceProfile, Role};
use futures_util::future::{BoxFuture, Shared};
use futures_util::FutureExt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

type RoleLookup = Shared<BoxFuture<'static, Result<Role, Failure>>>;

pub struct Roles {
    iam: aws_sdk_iam::Client,
    policies: Arc<Policies>,
    started: Mutex<HashMap<String, RoleLookup>>,
    /// Instance profiles already being looked up (by ARN): regions share them, as IAM is global.
    profiles: Mutex<HashSet<String>>,
}

impl Roles {
    pub fn new(iam: aws_sdk_iam::Client) -> Roles {
        Roles {
            policies: Arc::new(Policies::new(iam.clone())),
            iam,
            started: Mutex::new(HashMap::new()),
            profiles: Mutex::new(HashSet::new()),
        }
    }

    /// The managed policies' memo, shared with the caller's documents.
    pub fn policies(&self) -> Arc<Policies> {
        self.policies.clone()
    }

    /// The role, fetched once.
    pub fn role(&self, name: &str) -> RoleLookup {
        let mut started = self.started.lock().expect("not poisoned");
        started
            .entry(name.to_string())
            .or_insert_with(|| {
                let (c, name, policies) =
                    (self.iam.clone(), name.to_string(), self.policies.clone());
                async move { iam::role(&c, &name, &policies).await }
                    .boxed()
                    .shared()
            })
            .clone()
    }

    /// Looks up a role and files it in the store.
    pub async fn file_role(&self, name: &str, store: &Store) {
        let role = self.role(name).await;
        let fact = store.fact(role);
        store.with(|f| {
            f.roles.insert(name.to_string(), fact);
        });
    }

    /// An instance profile and its role, filed in the store once, whichever region asks first.
    pub async fn file_profile(&self, arn: &str, store: &Store) {
        if !self
            .profiles
            .lock()
            .expect("not poisoned")
            .insert(arn.to_string())
        {
            return;
        }
        let profile: Result<InstanceProfile, Failure> = iam::instance_profile(&self.iam, arn).await;
        let role = profile
            .as_ref()
            .ok()
            .and_then(|p| p.role_names.first().cloned());
        let fact = store.fact(profile);
        store.with(|f| {
            f.instance_profiles.insert(arn.to_string(), fact);
        });
        if let Some(name) = role {
            self.file_role(&name, store).await;
        }
    }
}

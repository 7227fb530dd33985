//! Counting the AWS calls an apply, refresh or destroy makes, from the
//! emulator's request log. Shared by `make bench` (benches/terraform.rs),
//! which reports the counts, and the acceptance tests, which assert them.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use super::admin_access::{Env, Grant, PermissionSet, VIEW_ONLY, jsonencode_policy};
use super::emulator::AwsRequest;

/// The services behind IAM Identity Center's shared 20 TPS quota.
pub const IDENTITY_CENTER: [&str; 2] = ["sso-admin", "identitystore"];

pub fn is_identity_center(r: &AwsRequest) -> bool {
    IDENTITY_CENTER.contains(&r.service.as_str())
}

/// `service:Operation -> count`, for messages that show where calls went.
pub fn by_operation<'a>(
    requests: impl IntoIterator<Item = &'a AwsRequest>,
) -> BTreeMap<String, usize> {
    let mut by_op = BTreeMap::new();
    for r in requests {
        *by_op
            .entry(format!("{}:{}", r.service, r.operation))
            .or_default() += 1;
    }
    by_op
}

/// What one Terraform command cost.
#[derive(Debug, Clone)]
pub struct Phase {
    pub wall: Duration,
    pub requests: Vec<AwsRequest>,
}

impl Phase {
    /// Runs `args` in `env`'s working directory, with the request log
    /// cleared first, and collects the log afterwards.
    pub fn measure(env: &Env, args: &[&str]) -> Phase {
        env.emulator.clear_requests();
        let started = Instant::now();
        env.tf.run_ok(args);
        let wall = started.elapsed();
        Phase {
            wall,
            requests: env.emulator.requests(),
        }
    }

    pub fn identity_center_calls(&self) -> usize {
        self.requests
            .iter()
            .filter(|r| is_identity_center(r))
            .count()
    }

    /// Identity Center requests the emulator answered with a throttle (429).
    pub fn identity_center_throttles(&self) -> usize {
        self.requests
            .iter()
            .filter(|r| is_identity_center(r) && r.status == Some(429))
            .count()
    }

    pub fn identity_center_by_operation(&self) -> BTreeMap<String, usize> {
        by_operation(self.requests.iter().filter(|r| is_identity_center(r)))
    }
}

/// The grants the call-count figures are measured on: `n` grants of one
/// group, each with its own permission set (a managed and an inline policy,
/// like [`measured_grant`]), on the one cluster `prod`.
pub fn fleet(n: usize) -> Vec<Grant> {
    (0..n)
        .map(|i| {
            let mut g = measured_grant();
            g.label = format!("g{i}");
            if let Some(ps) = &mut g.permission_set {
                ps.name = format!("EKSFleet{i}");
            }
            g
        })
        .collect()
}

/// Apply and destroy of [`fleet`]`(n)` at `-parallelism=parallelism`.
pub struct FleetRun {
    pub grants: usize,
    pub apply: Phase,
    pub destroy: Phase,
}

impl FleetRun {
    pub fn apply_per_grant(&self) -> f64 {
        self.apply.identity_center_calls() as f64 / self.grants as f64
    }

    pub fn destroy_per_grant(&self) -> f64 {
        self.destroy.identity_center_calls() as f64 / self.grants as f64
    }
}

impl fmt::Display for FleetRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} grants: apply {} Identity Center calls ({:.2}/grant) in {:.1} s: {:?}",
            self.grants,
            self.apply.identity_center_calls(),
            self.apply_per_grant(),
            self.apply.wall.as_secs_f64(),
            self.apply.identity_center_by_operation()
        )?;
        write!(
            f,
            "{} grants: destroy {} Identity Center calls ({:.2}/grant) in {:.1} s: {:?}",
            self.grants,
            self.destroy.identity_center_calls(),
            self.destroy_per_grant(),
            self.destroy.wall.as_secs_f64(),
            self.destroy.identity_center_by_operation()
        )
    }
}

/// Writes [`fleet`]`(n)` into `env`, applies it, and destroys it, counting
/// each phase's calls. `env` must start empty.
pub fn apply_and_destroy_fleet(env: &Env, n: usize, parallelism: usize) -> FleetRun {
    let grants = fleet(n);
    env.write(&grants.iter().collect::<Vec<_>>());
    let p = format!("-parallelism={parallelism}");
    let apply = Phase::measure(
        env,
        &["apply", "-input=false", "-no-color", "-auto-approve", &p],
    );
    let destroy = Phase::measure(
        env,
        &["destroy", "-input=false", "-no-color", "-auto-approve", &p],
    );
    FleetRun {
        grants: n,
        apply,
        destroy,
    }
}

/// The one-cluster grant the refresh figure is measured on: a permission set
/// with a managed and an inline policy, on `prod`.
pub fn measured_grant() -> Grant {
    let mut ps = PermissionSet::named("EKSMeasured");
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    ps.inline_policy = Some(jsonencode_policy(&["eks:DescribeCluster"]));
    Grant::new("g", ps, &["prod"])
}

/// Applies [`measured_grant`] and returns the AWS calls (every service) of
/// one `plan -refresh-only` of it.
pub fn refresh_of_one_grant(env: &Env) -> Phase {
    env.write(&[&measured_grant()]);
    env.tf.apply();
    Phase::measure(env, &["plan", "-refresh-only", "-input=false", "-no-color"])
}

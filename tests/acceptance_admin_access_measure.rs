//! The AWS calls made by one refresh of a one-cluster grant, asserted against
//! issue 3's goal (7 or fewer). The count is deterministic, so it is a test;
//! the apply's wall-time overhead is a measurement, in benches/apply_overhead.rs.

mod support;

use std::collections::BTreeMap;

use support::admin_access::*;

#[test]
fn one_refresh_of_a_one_cluster_grant_makes_at_most_seven_aws_calls() {
    let env = Env::start(Setup::default());
    let mut ps = PermissionSet::named("EKSMeasured");
    ps.managed_policy_arns = vec![VIEW_ONLY.into()];
    ps.inline_policy = Some(jsonencode_policy(&["eks:DescribeCluster"]));
    let g = Grant::new("g", ps, &["prod"]);
    env.write(&[&g]);
    env.tf.apply();

    env.emulator.clear_requests();
    env.tf
        .run_ok(&["plan", "-refresh-only", "-input=false", "-no-color"]);
    let requests = env.emulator.requests();
    let mut by_op: BTreeMap<String, usize> = BTreeMap::new();
    for r in &requests {
        *by_op
            .entry(format!("{}:{}", r.service, r.operation))
            .or_default() += 1;
    }
    println!("MEASURE refresh_calls={} {by_op:?}", requests.len());
    assert!(
        !requests.is_empty(),
        "a refresh must read AWS; the request log saw nothing"
    );

    assert!(
        requests.len() <= 7,
        "one refresh of a one-cluster grant made {} AWS calls (goal: 7 or fewer): {by_op:#?}",
        requests.len()
    );
}

//! The AWS calls made by one refresh of a one-cluster grant, asserted against
//! issue 3's goal (7 or fewer). The count is deterministic, so it is a test;
//! `make bench` (benches/terraform.rs) reports the same figure with the
//! others, through the same helper.

mod support;

use support::admin_access::*;
use support::calls::{by_operation, refresh_of_one_grant};

#[test]
fn one_refresh_of_a_one_cluster_grant_makes_at_most_seven_aws_calls() {
    let env = Env::start(Setup::default());
    let refresh = refresh_of_one_grant(&env);
    let requests = &refresh.requests;
    let by_op = by_operation(requests);
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

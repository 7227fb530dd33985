//! Identity Center calls per grant (issue 12): apply and destroy of 20
//! one-cluster grants stay within the call budget that sets how fast a big
//! apply can go under Identity Center's shared 20 TPS. The counts come from
//! the emulator's request log, so they are deterministic enough to assert;
//! `make bench` reports the same figures at N=100.

mod support;

use serde_json::json;
use support::admin_access::*;
use support::calls::apply_and_destroy_fleet;

#[test]
fn twenty_grants_apply_and_destroy_within_the_identity_center_call_budget() {
    let env = Env::start(Setup {
        delays: json!({
            "assignment_delay": 0.5,
            "provisioning_delay": 0.5,
            "deletion_delay": 0.5,
            "role_visibility_delay": 0.25,
            "eks_principal_delay": 0.25,
        }),
        ..Setup::default()
    });
    let run = apply_and_destroy_fleet(&env, 20, 10);
    println!("{run}");
    assert_nothing_left(&env, None);
    assert!(
        run.apply_per_grant() <= 5.5,
        "apply: {:.2} Identity Center calls per grant (budget 5.5)\n{run}",
        run.apply_per_grant()
    );
    assert!(
        run.destroy_per_grant() <= 4.5,
        "destroy: {:.2} Identity Center calls per grant (budget 4.5)\n{run}",
        run.destroy_per_grant()
    );
}

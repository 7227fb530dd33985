//! Provider-level acceptance tests through real Terraform: the schema Terraform
//! sees, and configuration errors caught at validate/plan time without a
//! single AWS call.

mod support;

use serde_json::Value;
use support::{Emulator, Output, Tf, provider_config};

/// 1-based line number of the first line of `hcl` containing `needle`.
fn line_of(hcl: &str, needle: &str) -> u64 {
    hcl.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in config"))
}

/// Error diagnostics from `terraform validate -json`.
fn validate_errors(tf: &Tf) -> (Output, Vec<Value>) {
    let out = tf.run(&["validate", "-json", "-no-color"]);
    let json = out.json();
    assert_eq!(
        json["valid"],
        Value::Bool(false),
        "config should be invalid\n{out}"
    );
    let errors = json["diagnostics"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter(|x| x["severity"] == "error")
                .cloned()
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert!(!errors.is_empty(), "no error diagnostics\n{out}");
    (out, errors)
}

/// A data source that makes Terraform keep (and therefore validate) the
/// provider configuration: provider blocks nothing uses are pruned.
const USES_PROVIDER: &str =
    "\ndata \"eks_sso_reserved_role\" \"admin\" {\n  permission_set_name = \"Admin\"\n}\n";

fn assert_no_aws_calls(emulator: &Emulator, when: &str) {
    let calls = emulator.requests();
    assert!(
        calls.is_empty(),
        "expected no AWS call {when}, got {calls:#?}"
    );
}

#[test]
fn schema_through_terraform_shows_provider_and_reserved_role_data_source() {
    let emulator = Emulator::start();
    let tf = Tf::new(&emulator);
    tf.write(&provider_config(&emulator, "eu-west-1", ""));

    let schema = tf.providers_schema_json();
    // registry.terraform.io/eks-sso/eks under Terraform.
    let address = tf.provider_address();
    let provider = &schema["provider_schemas"][address.as_str()];
    assert!(
        provider.is_object(),
        "{address} missing from providers schema: {schema}"
    );

    let config = &provider["provider"]["block"];
    for attr in [
        "region",
        "profile",
        "shared_config_files",
        "shared_credentials_files",
        "max_retries",
    ] {
        assert!(
            config["attributes"][attr].is_object(),
            "provider attribute {attr} missing: {config}"
        );
    }
    for block in ["assume_role", "sso", "endpoints", "default_tags"] {
        assert!(
            config["block_types"][block].is_object(),
            "provider block {block} missing: {config}"
        );
    }
    let endpoints = &config["block_types"]["endpoints"]["block"]["attributes"];
    for svc in ["eks", "iam", "sts", "ssoadmin", "identitystore"] {
        assert!(
            endpoints[svc].is_object(),
            "endpoints.{svc} missing: {endpoints}"
        );
    }

    let ds = &provider["data_source_schemas"]["eks_sso_reserved_role"]["block"]["attributes"];
    assert!(ds.is_object(), "eks_sso_reserved_role missing: {provider}");
    assert_eq!(ds["permission_set_name"]["required"], true, "{ds}");
    assert_eq!(ds["wait"]["optional"], true, "{ds}");
    for out in ["name", "arn", "arn_without_path", "path", "unique_id"] {
        assert_eq!(ds[out]["computed"], true, "{out} should be computed: {ds}");
    }

    assert_no_aws_calls(&emulator, "for a schema request");
}

#[test]
fn valid_configuration_validates_without_aws_calls() {
    let emulator = Emulator::start();
    let tf = Tf::new(&emulator);
    tf.write(&format!(
        "{}\ndata \"eks_sso_reserved_role\" \"admin\" {{\n  permission_set_name = \"Admin\"\n  wait = \"30s\"\n}}\n",
        provider_config(&emulator, "eu-west-1", "  sso {\n    region = \"us-east-1\"\n  }\n")
    ));
    tf.validate().expect_success();
    assert_no_aws_calls(&emulator, "during validate");
}

#[test]
fn endpoint_that_is_not_a_url_fails_validate_at_its_attribute() {
    let emulator = Emulator::start();
    let tf = Tf::new(&emulator);
    let hcl = format!(
        "{}\nprovider \"eks\" {{\n  region = \"eu-west-1\"\n  endpoints {{\n    eks = \"not a url\"\n  }}\n}}\n{USES_PROVIDER}",
        support::required_providers()
    );
    tf.write(&hcl);

    let (out, errors) = validate_errors(&tf);
    let line = line_of(&hcl, "eks = \"not a url\"");
    assert!(
        errors.iter().any(|d| d["range"]["start"]["line"] == line),
        "no error pointing at main.tf line {line} (endpoints.eks)\n{out}"
    );
    let text = out.stdout.to_lowercase();
    assert!(
        text.contains("url"),
        "diagnostic should explain the URL problem\n{out}"
    );

    // Plan stops at the same place, still before any AWS call.
    tf.plan_raw().expect_failure().assert_contains("not a url");
    assert_no_aws_calls(&emulator, "for an invalid endpoint");
}

#[test]
fn assume_role_without_role_arn_fails_validate_at_the_block() {
    let emulator = Emulator::start();
    let tf = Tf::new(&emulator);
    let hcl = format!(
        "{}\nprovider \"eks\" {{\n  region = \"eu-west-1\"\n  assume_role {{\n    session_name = \"terraform\"\n  }}\n}}\n{USES_PROVIDER}",
        support::required_providers()
    );
    tf.write(&hcl);

    let (out, errors) = validate_errors(&tf);
    let first = line_of(&hcl, "assume_role {");
    let last = first + 2;
    assert!(
        errors.iter().any(|d| {
            let line = d["range"]["start"]["line"].as_u64().unwrap_or(0);
            (first..=last).contains(&line)
        }),
        "no error pointing into the assume_role block (lines {first}-{last})\n{out}"
    );
    assert!(
        out.stdout.contains("role_arn"),
        "diagnostic should name role_arn\n{out}"
    );

    tf.plan_raw().expect_failure().assert_contains("role_arn");
    assert_no_aws_calls(&emulator, "for assume_role without role_arn");
}

#[test]
fn invalid_wait_duration_fails_plan_without_aws_calls() {
    let emulator = Emulator::start();
    let tf = Tf::new(&emulator);
    let hcl = format!(
        "{}\ndata \"eks_sso_reserved_role\" \"admin\" {{\n  permission_set_name = \"Admin\"\n  wait = \"soon\"\n}}\n",
        provider_config(&emulator, "eu-west-1", "")
    );
    tf.write(&hcl);

    let (out, errors) = validate_errors(&tf);
    let line = line_of(&hcl, "wait = \"soon\"");
    assert!(
        errors.iter().any(|d| d["range"]["start"]["line"] == line),
        "no error pointing at the wait attribute (line {line})\n{out}"
    );
    tf.plan_raw().expect_failure().assert_contains("wait");
    assert_no_aws_calls(&emulator, "for an invalid wait duration");
}

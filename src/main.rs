//! The `terraform-provider-eks` executable. Terraform starts it; all the
//! work happens in the library.

use std::process::ExitCode;
use std::sync::Arc;

use terraform_provider_eks::tfplugin::serve;
use terraform_provider_eks::{meta, registry};

fn main() -> ExitCode {
    let mut debug = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            // Go providers spell it with one dash; accept both.
            "--debug" | "-debug" => debug = true,
            "--version" | "-version" => {
                println!("{} {}", meta::BINARY_NAME, meta::VERSION);
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!(
                    "{}: unknown argument {other:?}. Usage: {} [--debug | --version]",
                    meta::BINARY_NAME,
                    meta::BINARY_NAME
                );
                return ExitCode::from(2);
            }
        }
    }
    // Construction is cheap: no AWS client exists until a call needs one.
    serve::run(Arc::new(registry::provider()), debug)
}

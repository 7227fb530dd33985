//! Compiles the protocol definitions in `proto/` into Rust.
//!
//! `protox` parses them in pure Rust (it also ships the google/protobuf
//! well-known types), so building needs no system `protoc`.

use std::io;

const PROTOS: &[&str] = &[
    "proto/tfplugin6.proto",
    "proto/plugin.proto",
    "proto/health.proto",
];

fn main() -> io::Result<()> {
    link_the_binary_at_a_fixed_address();
    println!("cargo:rerun-if-changed=proto");
    for p in PROTOS {
        println!("cargo:rerun-if-changed={p}");
    }
    let fds = protox::compile(PROTOS, ["proto"]).map_err(|e| io::Error::other(e.to_string()))?;
    tonic_prost_build::configure()
        .build_server(true)
        // Clients are only used by the protocol tests; unused code is not linked.
        .build_client(true)
        // RPCs we do not implement answer Unimplemented, which Terraform tolerates.
        .generate_default_stubs(true)
        .emit_rerun_if_changed(false)
        .compile_fds(fds)
}

/// On Linux the provider binary is linked as a plain (non-PIE) executable.
///
/// A position-independent executable carries one relocation per pointer in
/// its data (50,000 here: vtables, string tables), which the loader applies
/// at every start: it reads 0.8 MB of relocation records and writes half a
/// megabyte of pages that then count as the process's own memory. Terraform
/// starts the provider three times per plan. Linked at a fixed address,
/// those pointers are final in the file. What is given up is the random
/// placement of the executable's own image (libraries, heap, stack and
/// mmaps are still randomised); Go, in which nearly every Terraform provider
/// is written, links the same way by default on Linux. benches/README.md
/// has the measured effect.
fn link_the_binary_at_a_fixed_address() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

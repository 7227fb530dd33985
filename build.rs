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

//! tfplugin6: everything Terraform-specific. Nothing in here knows about AWS.

pub mod codec_error;
pub mod codec_json;
pub mod codec_msgpack;
pub mod convert;
pub mod decimal;
pub mod diag_proto;
pub mod diagnostics;
pub mod ecdsa_p521;
pub mod framework;
pub mod go_plugin;
pub mod grpc_provider;
pub mod handshake;
pub mod listen;
pub mod logging;
pub mod pb;
pub mod plan;
pub mod schema;
pub mod schema_proto;
pub mod schema_type;
pub mod serve;
pub mod state_upgrade;
pub mod tls;
pub mod type_json;
pub mod types;
pub mod value;

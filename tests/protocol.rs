//! Protocol tests: the built binary, started the way Terraform starts it,
//! spoken to over gRPC the way go-plugin's client does.
//!
//! Every test owns its temp dir (socket dir and TMPDIR) and process, and no
//! test uses a fixed port, so they run in parallel.

#[path = "support/plugin_client.rs"]
mod plugin_client;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plugin_client::{Auth, ClientCert, Handshake, Launch, Plugin, connect, free_port};
use terraform_provider_eks::registry;
use terraform_provider_eks::tfplugin::codec_msgpack;
use terraform_provider_eks::tfplugin::framework::Provider as _;
use terraform_provider_eks::tfplugin::pb::health::health_check_response::ServingStatus;
use terraform_provider_eks::tfplugin::pb::health::{
    HealthCheckRequest, health_client::HealthClient,
};
use terraform_provider_eks::tfplugin::pb::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_eks::tfplugin::pb::tfplugin6 as pb;
use terraform_provider_eks::tfplugin::pb::tfplugin6::attribute_path::step::Selector;
use terraform_provider_eks::tfplugin::pb::tfplugin6::provider_client::ProviderClient;
use terraform_provider_eks::tfplugin::schema_type;
use terraform_provider_eks::tfplugin::types::CtyType;
use terraform_provider_eks::tfplugin::value::Value;
use tonic::transport::Channel;

/// Starts the provider like Terraform and connects with mTLS.
async fn start() -> (Plugin, Handshake, Channel) {
    start_with(&[]).await
}

/// [`start`] with extra environment variables for the provider process.
async fn start_with(env: &[(&str, &str)]) -> (Plugin, Handshake, Channel) {
    let client = Arc::new(ClientCert::generate());
    let mut launch = Launch::like_terraform(&client);
    for (k, v) in env {
        launch = launch.set(k, v);
    }
    let plugin = launch.spawn();
    let hs = plugin.handshake();
    let channel = connect(&hs.network, &hs.address, tls(&hs, Some(client)))
        .await
        .unwrap_or_else(|e| panic!("connect: {e:?}; stderr:\n{}", plugin.stderr()));
    (plugin, hs, channel)
}

fn tls(hs: &Handshake, client: Option<Arc<ClientCert>>) -> Auth {
    Auth::Tls {
        server_cert: hs.cert_der(),
        client,
    }
}

async fn health(channel: Channel, service: &str) -> Result<i32, tonic::Status> {
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .map(|r| r.into_inner().status)
}

fn serving() -> i32 {
    ServingStatus::Serving as i32
}

#[tokio::test]
async fn handshake_line_announces_a_unix_socket_and_a_ca_certificate() {
    let (plugin, hs, _channel) = start().await;
    assert_eq!(hs.core_version, "1");
    assert_eq!(hs.app_version, "6");
    assert_eq!(hs.network, "unix");
    assert_eq!(hs.protocol, "grpc");
    assert!(hs.raw.ends_with('\n') && !hs.raw.trim_end().contains('\n'));
    let sock = std::path::Path::new(&hs.address);
    assert_eq!(
        sock.parent(),
        Some(plugin.dir.path()),
        "socket in PLUGIN_UNIX_SOCKET_DIR"
    );
    assert!(sock.exists());

    assert!(
        !hs.cert.contains('='),
        "certificate field must be unpadded base64"
    );
    let der = hs.cert_der();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("DER certificate");
    assert!(
        cert.is_ca(),
        "go-plugin trusts the server certificate as a root: it must be a CA"
    );
    let san = cert
        .subject_alternative_name()
        .unwrap()
        .expect("SAN extension")
        .value;
    assert!(
        san.general_names.iter().any(|n| matches!(
            n,
            x509_parser::extensions::GeneralName::DNSName("localhost")
        )),
        "SAN must name localhost"
    );
    let eku = cert.extended_key_usage().unwrap().expect("EKU").value;
    assert!(eku.server_auth && eku.client_auth);
    let now = x509_parser::time::ASN1Time::now().timestamp();
    let nb = cert.validity().not_before.timestamp();
    assert!(
        nb <= now - 25 && nb >= now - 120,
        "not-before backdated ~30 s"
    );
}

#[tokio::test]
async fn health_reports_plugin_serving_over_mtls() {
    let (_plugin, _hs, channel) = start().await;
    assert_eq!(health(channel.clone(), "plugin").await.unwrap(), serving());
    assert_eq!(health(channel.clone(), "").await.unwrap(), serving());
    let unknown = health(channel, "something-else").await.unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn connections_without_the_launchers_certificate_are_refused() {
    let client = Arc::new(ClientCert::generate());
    let plugin = Launch::like_terraform(&client).spawn();
    let hs = plugin.handshake();

    // No client certificate at all.
    let refused = match connect(&hs.network, &hs.address, tls(&hs, None)).await {
        Err(_) => true,
        Ok(ch) => health(ch, "plugin").await.is_err(),
    };
    assert!(
        refused,
        "a TLS client without a certificate must not get an answer"
    );

    // A certificate, but not the one from PLUGIN_CLIENT_CERT.
    let stranger = Arc::new(ClientCert::generate());
    let refused = match connect(&hs.network, &hs.address, tls(&hs, Some(stranger))).await {
        Err(_) => true,
        Ok(ch) => health(ch, "plugin").await.is_err(),
    };
    assert!(
        refused,
        "a TLS client with a foreign certificate must not get an answer"
    );

    // Plain HTTP/2 on the TLS socket.
    let refused = match connect(&hs.network, &hs.address, Auth::Plain).await {
        Err(_) => true,
        Ok(ch) => health(ch, "plugin").await.is_err(),
    };
    assert!(refused, "plaintext must not get an answer when mTLS is on");

    // The right certificate still works afterwards.
    let ch = connect(&hs.network, &hs.address, tls(&hs, Some(client)))
        .await
        .unwrap();
    assert_eq!(health(ch, "plugin").await.unwrap(), serving());
}

#[tokio::test]
async fn provider_schema_lists_the_provider_block_and_reserved_role_data_source() {
    let (_plugin, _hs, channel) = start().await;
    let mut p = ProviderClient::new(channel);
    let resp = p
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let caps = resp.server_capabilities.unwrap();
    assert!(caps.plan_destroy && caps.get_provider_schema_optional);

    let provider = resp.provider.unwrap().block.unwrap();
    let region = provider
        .attributes
        .iter()
        .find(|a| a.name == "region")
        .expect("provider attribute region");
    assert_eq!(region.r#type, b"\"string\"");
    assert!(region.optional);
    assert_eq!(region.description_kind, pb::StringKind::Markdown as i32);
    let blocks: Vec<&str> = provider
        .block_types
        .iter()
        .map(|b| b.type_name.as_str())
        .collect();
    assert!(
        blocks.contains(&"endpoints") && blocks.contains(&"assume_role"),
        "{blocks:?}"
    );

    let ds = resp
        .data_source_schemas
        .get("eks_sso_reserved_role")
        .expect("eks_sso_reserved_role data source");
    assert!(!ds.block.as_ref().unwrap().attributes.is_empty());

    // GetMetadata agrees with the schema.
    let meta = p
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = meta
        .data_sources
        .iter()
        .map(|d| d.type_name.as_str())
        .collect();
    assert!(names.contains(&"eks_sso_reserved_role"));
    assert_eq!(meta.resources.len(), resp.resource_schemas.len());
    assert!(
        meta.server_capabilities
            .unwrap()
            .get_provider_schema_optional
    );
}

/// A provider configuration value: every attribute null except the given
/// top-level blocks/attributes.
fn provider_config(overrides: &[(&str, Value)]) -> (Vec<u8>, CtyType) {
    let ty = schema_type::block_type(&registry::provider().schema().block);
    let CtyType::Object { attributes, .. } = &ty else {
        panic!("provider type is an object")
    };
    let mut obj: BTreeMap<String, Value> = attributes
        .keys()
        .map(|k| (k.clone(), Value::Null))
        .collect();
    for (k, v) in overrides {
        obj.insert(k.to_string(), v.clone());
    }
    let bytes = codec_msgpack::encode(&Value::Object(obj), &ty).unwrap();
    (bytes, ty)
}

fn nulls_with(ty: &CtyType, set: &[(&str, Value)]) -> Value {
    let CtyType::Object { attributes, .. } = ty else {
        panic!("object type expected")
    };
    let mut obj: BTreeMap<String, Value> = attributes
        .keys()
        .map(|k| (k.clone(), Value::Null))
        .collect();
    for (k, v) in set {
        obj.insert(k.to_string(), v.clone());
    }
    Value::Object(obj)
}

#[tokio::test]
async fn invalid_provider_config_gets_a_diagnostic_with_an_attribute_path() {
    let (_plugin, _hs, channel) = start().await;
    let full = schema_type::block_type(&registry::provider().schema().block);
    let CtyType::Object { attributes, .. } = &full else {
        unreachable!()
    };
    let endpoints = nulls_with(
        &attributes["endpoints"],
        &[("eks", Value::string("not a url"))],
    );
    let (config, _) = provider_config(&[("endpoints", endpoints)]);
    let resp = ProviderClient::new(channel)
        .validate_provider_config(pb::validate_provider_config::Request {
            config: Some(pb::DynamicValue {
                msgpack: config,
                json: vec![],
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let d = resp
        .diagnostics
        .iter()
        .find(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .unwrap_or_else(|| panic!("expected an error diagnostic: {:?}", resp.diagnostics));
    let steps: Vec<Selector> = d
        .attribute
        .as_ref()
        .expect("attribute path")
        .steps
        .iter()
        .map(|s| s.selector.clone().unwrap())
        .collect();
    assert_eq!(
        steps,
        vec![
            Selector::AttributeName("endpoints".into()),
            Selector::AttributeName("eks".into())
        ]
    );
}

#[tokio::test]
async fn valid_provider_config_and_configure_give_no_diagnostics() {
    let (_plugin, _hs, channel) = start().await;
    let (config, _) = provider_config(&[("region", Value::string("eu-west-1"))]);
    let mut p = ProviderClient::new(channel);
    let dv = pb::DynamicValue {
        msgpack: config,
        json: vec![],
    };
    let v = p
        .validate_provider_config(pb::validate_provider_config::Request {
            config: Some(dv.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(v.diagnostics.is_empty(), "{:?}", v.diagnostics);
    let c = p
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.0".into(),
            config: Some(dv),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
}

#[tokio::test]
async fn user_errors_are_diagnostics_and_unoffered_rpcs_are_unimplemented() {
    let (_plugin, _hs, channel) = start().await;
    let mut p = ProviderClient::new(channel);

    let unknown = p
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "eks_no_such_thing".into(),
            config: None,
            client_capabilities: None,
        })
        .await
        .expect("unknown types are diagnostics, not gRPC errors")
        .into_inner();
    assert_eq!(unknown.diagnostics.len(), 1);
    assert!(unknown.diagnostics[0].detail.contains("eks_no_such_thing"));

    let garbage = p
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "eks_sso_reserved_role".into(),
            config: Some(pb::DynamicValue {
                msgpack: vec![0xc1, 0xff, 0x00],
                json: vec![],
            }),
        })
        .await
        .expect("undecodable values are diagnostics, not gRPC errors")
        .into_inner();
    assert_eq!(garbage.diagnostics.len(), 1);
    assert_eq!(
        garbage.diagnostics[0].severity,
        pb::diagnostic::Severity::Error as i32
    );

    let fns = p
        .get_functions(pb::get_functions::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(fns.functions.is_empty());

    let eph = p
        .validate_ephemeral_resource_config(pb::validate_ephemeral_resource_config::Request {
            type_name: "x".into(),
            config: None,
        })
        .await
        .unwrap_err();
    assert_eq!(eph.code(), tonic::Code::Unimplemented);
}

#[tokio::test]
async fn stop_provider_returns_and_the_server_keeps_answering() {
    let (mut plugin, _hs, channel) = start().await;
    let mut p = ProviderClient::new(channel.clone());
    let stop = p
        .stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stop.error, "");
    let meta = p.get_metadata(pb::get_metadata::Request {}).await.unwrap();
    assert!(meta.into_inner().server_capabilities.is_some());
    assert_eq!(health(channel, "plugin").await.unwrap(), serving());
    assert!(plugin.child.try_wait().unwrap().is_none(), "still running");
}

#[tokio::test]
async fn controller_shutdown_exits_zero_quickly_and_cleans_up() {
    let (mut plugin, hs, channel) = start().await;
    // A long-lived stream open, as Terraform's client keeps one.
    let mut stdio =
        terraform_provider_eks::tfplugin::pb::plugin::grpc_stdio_client::GrpcStdioClient::new(
            channel.clone(),
        );
    let _stream = stdio.stream_stdio(()).await.unwrap().into_inner();

    let asked = Instant::now();
    GrpcControllerClient::new(channel)
        .shutdown(terraform_provider_eks::tfplugin::pb::plugin::Empty {})
        .await
        .unwrap();
    let status = plugin.wait_exit(Duration::from_secs(2)).unwrap_or_else(|| {
        panic!(
            "still running 2 s after Shutdown; stderr:\n{}",
            plugin.stderr()
        )
    });
    assert!(status.success(), "exit status {status:?}");
    assert!(asked.elapsed() < Duration::from_secs(2));
    assert!(
        !std::path::Path::new(&hs.address).exists(),
        "socket file removed"
    );
    assert_eq!(
        plugin.remaining_stdout(),
        "",
        "nothing but the handshake on stdout"
    );
}

#[tokio::test]
async fn sigterm_exits_and_sigint_is_ignored() {
    let (mut plugin, _hs, channel) = start().await;
    plugin.signal("INT");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        plugin.child.try_wait().unwrap().is_none(),
        "SIGINT must not stop the plugin"
    );
    assert_eq!(health(channel, "plugin").await.unwrap(), serving());

    plugin.signal("TERM");
    let status = plugin
        .wait_exit(Duration::from_secs(3))
        .expect("exits on SIGTERM");
    assert!(status.success());
}

#[test]
fn an_orphaned_plugin_exits_on_its_own() {
    let client = ClientCert::generate();
    let plugin = Launch::like_terraform(&client).orphaned().spawn();
    let hs = plugin.handshake();
    assert!(std::path::Path::new(&hs.address).exists());
    assert!(
        plugin.stdout_closes_within(Duration::from_secs(8)),
        "plugin still running after its parent exited"
    );
    assert!(
        !std::path::Path::new(&hs.address).exists(),
        "socket file removed"
    );
}

#[test]
fn run_by_hand_it_explains_itself_and_exits_1() {
    let mut plugin = Launch::by_hand().spawn();
    let status = plugin.wait_exit(Duration::from_secs(5)).expect("exits");
    assert_eq!(status.code(), Some(1));
    assert!(
        plugin.stderr().contains("This binary is a plugin"),
        "stderr: {}",
        plugin.stderr()
    );
    assert!(plugin.stderr().contains("Terraform"));
    assert_eq!(plugin.remaining_stdout(), "");
}

#[test]
fn protocol_five_alone_is_refused() {
    let client = ClientCert::generate();
    let mut plugin = Launch::like_terraform(&client)
        .set("PLUGIN_PROTOCOL_VERSIONS", "5")
        .spawn();
    let status = plugin.wait_exit(Duration::from_secs(5)).expect("exits");
    assert_eq!(status.code(), Some(1));
    assert!(
        plugin.stderr().contains("version 6"),
        "stderr: {}",
        plugin.stderr()
    );
    assert_eq!(plugin.remaining_stdout(), "");
}

#[tokio::test]
async fn without_unix_sockets_it_listens_on_tcp_within_the_port_range() {
    let client = Arc::new(ClientCert::generate());
    let port = free_port();
    let launch = Launch::like_terraform(&client);
    // A socket dir that does not exist makes the unix listener fail.
    let missing = launch.dir.path().join("missing").display().to_string();
    let plugin = launch
        .set("PLUGIN_UNIX_SOCKET_DIR", &missing)
        .set("PLUGIN_MIN_PORT", &port.to_string())
        .set("PLUGIN_MAX_PORT", &port.to_string())
        .spawn();
    let hs = plugin.handshake();
    assert_eq!(hs.network, "tcp");
    assert_eq!(hs.address, format!("127.0.0.1:{port}"));
    let ch = connect(&hs.network, &hs.address, tls(&hs, Some(client)))
        .await
        .unwrap();
    assert_eq!(health(ch, "plugin").await.unwrap(), serving());
}

#[test]
fn with_the_whole_port_range_taken_it_fails_rather_than_leave_the_range() {
    let client = ClientCert::generate();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port().to_string();
    let launch = Launch::like_terraform(&client);
    let missing = launch.dir.path().join("missing").display().to_string();
    let mut plugin = launch
        .set("PLUGIN_UNIX_SOCKET_DIR", &missing)
        .set("PLUGIN_MIN_PORT", &port)
        .set("PLUGIN_MAX_PORT", &port)
        .spawn();
    let status = plugin.wait_exit(Duration::from_secs(5)).expect("exits");
    assert_eq!(status.code(), Some(1));
    assert!(
        plugin.stderr().contains(&port),
        "stderr: {}",
        plugin.stderr()
    );
    assert_eq!(plugin.remaining_stdout(), "");
}

#[tokio::test]
async fn debug_mode_prints_reattach_config_and_serves_without_tls() {
    let mut plugin = Launch::by_hand().arg("--debug").spawn();
    let mut printed = String::new();
    let reattach = loop {
        let line = plugin
            .stdout_line(Duration::from_secs(10))
            .unwrap_or_else(|| {
                panic!(
                    "no reattach line; stdout so far:\n{printed}\nstderr:\n{}",
                    plugin.stderr()
                )
            });
        printed.push_str(&line);
        if let Some(rest) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            break rest.strip_suffix('\'').expect("closing quote").to_string();
        }
    };
    let v: serde_json::Value = serde_json::from_str(&reattach).expect("valid JSON");
    let e = &v[terraform_provider_eks::meta::PROVIDER_SOURCE];
    assert_eq!(e["Protocol"], "grpc");
    assert_eq!(e["ProtocolVersion"], 6);
    assert_eq!(e["Test"], true);
    assert_eq!(e["Pid"], plugin.pid());
    assert_eq!(e["Addr"]["Network"], "unix");
    let address = e["Addr"]["String"].as_str().unwrap().to_string();

    let ch = connect("unix", &address, Auth::Plain).await.unwrap();
    assert_eq!(health(ch.clone(), "plugin").await.unwrap(), serving());
    let schema = ProviderClient::new(ch)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(
        schema
            .data_source_schemas
            .contains_key("eks_sso_reserved_role")
    );

    // In debug mode the operator's Ctrl-C stops it.
    plugin.signal("INT");
    let status = plugin
        .wait_exit(Duration::from_secs(3))
        .expect("exits on Ctrl-C in debug mode");
    assert!(status.success());
    assert!(!std::path::Path::new(&address).exists());
}

#[test]
fn version_flag_prints_the_version() {
    let out = std::process::Command::new(plugin_client::BIN)
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("terraform-provider-eks "), "{text}");
}

// ---- identity, list resources and generated configuration over the wire ----

const CREATOR: &str = "eks_cluster_creator_role";

fn creator_type() -> CtyType {
    let p = registry::provider();
    let r = p
        .resources()
        .into_iter()
        .find(|r| r.type_name() == CREATOR)
        .expect("the creator role is registered");
    schema_type::block_type(&r.schema().block)
}

fn creator_identity_type() -> CtyType {
    CtyType::object([("account_id", CtyType::String), ("name", CtyType::String)])
}

fn msgpack(v: &Value, ty: &CtyType) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: codec_msgpack::encode(v, ty).unwrap(),
        json: vec![],
    })
}

fn summaries(d: &[pb::Diagnostic]) -> Vec<String> {
    d.iter().map(|d| d.summary.clone()).collect()
}

#[tokio::test]
async fn identity_list_and_config_generation_are_advertised() {
    let (_plugin, _hs, channel) = start().await;
    let mut p = ProviderClient::new(channel);
    let schema = p
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    assert!(schema.server_capabilities.unwrap().generate_resource_config);
    let list = schema
        .list_resource_schemas
        .get(CREATOR)
        .expect("a list schema");
    let attrs: Vec<&str> = list
        .block
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(attrs, vec!["path_prefix", "name_prefix"]);

    let meta = p
        .get_metadata(pb::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let lists: Vec<&str> = meta
        .list_resources
        .iter()
        .map(|l| l.type_name.as_str())
        .collect();
    assert_eq!(lists, vec![CREATOR]);

    let ids = p
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(ids.diagnostics.is_empty());
    let id = &ids.identity_schemas[CREATOR];
    assert_eq!(id.version, 0);
    let attrs: Vec<(&str, bool, bool, &[u8])> = id
        .identity_attributes
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.required_for_import,
                a.optional_for_import,
                a.r#type.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        attrs,
        vec![
            ("account_id", false, true, &b"\"string\""[..]),
            ("name", true, false, &b"\"string\""[..]),
        ]
    );
}

#[tokio::test]
async fn stored_identities_upgrade_along_their_version() {
    let (_plugin, _hs, channel) = start().await;
    let mut p = ProviderClient::new(channel);
    let upgrade = |version: i64| pb::upgrade_resource_identity::Request {
        type_name: CREATOR.into(),
        version,
        raw_identity: Some(pb::RawState {
            json: br#"{"account_id":"123456789012","name":"EKSClusterCreator"}"#.to_vec(),
            flatmap: Default::default(),
        }),
    };
    let current = p
        .upgrade_resource_identity(upgrade(0))
        .await
        .unwrap()
        .into_inner();
    assert!(current.diagnostics.is_empty(), "{:?}", current.diagnostics);
    let data = current.upgraded_identity.unwrap().identity_data.unwrap();
    let v = codec_msgpack::decode(&data.msgpack, &creator_identity_type()).unwrap();
    assert_eq!(v.attr("name"), &Value::string("EKSClusterCreator"));
    assert_eq!(v.attr("account_id"), &Value::string("123456789012"));

    let newer = p
        .upgrade_resource_identity(upgrade(1))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        summaries(&newer.diagnostics),
        vec!["Identity written by a newer provider"]
    );
    assert!(newer.upgraded_identity.is_none());
}

#[tokio::test]
async fn generated_config_is_what_a_person_would_write() {
    let (_plugin, _hs, channel) = start().await;
    let ty = creator_type();
    let state = nulls_with(
        &ty,
        &[
            ("id", Value::string("EKSClusterCreator")),
            ("name", Value::string("EKSClusterCreator")),
            ("path", Value::string("/")),
            ("permissions", Value::string("eksctl_minimum")),
            ("policy_name", Value::string("EKSClusterCreatorPolicy")),
            (
                "max_session_duration",
                Value::Number(terraform_provider_eks::tfplugin::value::Number::from_i64(
                    3600,
                )),
            ),
            (
                "trusted_permission_sets",
                Value::Set(vec![Value::string("EKSClusterAdminAccess")]),
            ),
            ("managed_policy_arns", Value::Set(vec![])),
            (
                "arn",
                Value::string("arn:aws:iam::123456789012:role/EKSClusterCreator"),
            ),
            ("unique_id", Value::string("AROAEXAMPLE")),
            ("trust_policy", Value::string("{}")),
        ],
    );
    let resp = ProviderClient::new(channel)
        .generate_resource_config(pb::generate_resource_config::Request {
            type_name: CREATOR.into(),
            state: msgpack(&state, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let config = codec_msgpack::decode(&resp.config.unwrap().msgpack, &ty).unwrap();
    assert_eq!(
        config,
        nulls_with(
            &ty,
            &[(
                "trusted_permission_sets",
                Value::Set(vec![Value::string("EKSClusterAdminAccess")]),
            )]
        ),
        "defaults, empty sets and computed values are left out"
    );
}

#[tokio::test]
async fn list_configs_and_import_identities_are_checked_without_aws() {
    let (_plugin, _hs, channel) = start().await;
    let mut p = ProviderClient::new(channel);
    let list_ty = CtyType::object([
        ("path_prefix", CtyType::String),
        ("name_prefix", CtyType::String),
    ]);
    let bad = nulls_with(&list_ty, &[("path_prefix", Value::string("eks"))]);
    let resp = p
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: CREATOR.into(),
            config: msgpack(&bad, &list_ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&resp.diagnostics), vec!["Invalid path_prefix"]);
    let steps: Vec<Selector> = resp.diagnostics[0]
        .attribute
        .as_ref()
        .expect("an attribute path")
        .steps
        .iter()
        .map(|s| s.selector.clone().unwrap())
        .collect();
    assert_eq!(steps, vec![Selector::AttributeName("path_prefix".into())]);

    // An identity without the required name: refused before anything else.
    let id_ty = creator_identity_type();
    let partial = nulls_with(&id_ty, &[("account_id", Value::string("123456789012"))]);
    let resp = p
        .import_resource_state(pb::import_resource_state::Request {
            type_name: CREATOR.into(),
            identity: Some(pb::ResourceIdentityData {
                identity_data: msgpack(&partial, &id_ty),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summaries(&resp.diagnostics), vec!["Incomplete identity"]);
    assert!(resp.imported_resources.is_empty());

    // A name alone needs no AWS call: the stub carries it, and the
    // identity with it.
    let named = nulls_with(&id_ty, &[("name", Value::string("EKSClusterCreator"))]);
    let resp = p
        .import_resource_state(pb::import_resource_state::Request {
            type_name: CREATOR.into(),
            identity: Some(pb::ResourceIdentityData {
                identity_data: msgpack(&named, &id_ty),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let r = &resp.imported_resources[0];
    let id = r.identity.clone().unwrap().identity_data.unwrap();
    assert_eq!(codec_msgpack::decode(&id.msgpack, &id_ty).unwrap(), named);
}

/// A TCP endpoint that accepts connections and never answers: an AWS call
/// to it waits until cancelled.
async fn silent_endpoint() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

#[tokio::test]
async fn list_resource_streams_and_stop_provider_ends_a_listing() {
    let (url, silent) = silent_endpoint().await;
    let (_plugin, _hs, channel) = start_with(&[
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ])
    .await;
    let mut p = ProviderClient::new(channel);
    let list_ty = CtyType::object([
        ("path_prefix", CtyType::String),
        ("name_prefix", CtyType::String),
    ]);
    let list = |limit: i64| pb::list_resource::Request {
        type_name: CREATOR.into(),
        config: msgpack(&nulls_with(&list_ty, &[]), &list_ty),
        include_resource_object: false,
        limit,
    };

    // Before ConfigureProvider: one event saying so, then the stream ends.
    let mut stream = p.list_resource(list(10)).await.unwrap().into_inner();
    let first = stream.message().await.unwrap().expect("an event");
    assert_eq!(
        summaries(&first.diagnostic),
        vec!["Provider not configured"]
    );
    assert!(stream.message().await.unwrap().is_none());

    let full = schema_type::block_type(&registry::provider().schema().block);
    let CtyType::Object { attributes, .. } = &full else {
        unreachable!()
    };
    let endpoints = nulls_with(
        &attributes["endpoints"],
        &[("iam", Value::string(&url)), ("sts", Value::string(&url))],
    );
    let (config, _) = provider_config(&[
        ("region", Value::string("us-east-1")),
        ("endpoints", endpoints),
    ]);
    let c = p
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(pb::DynamicValue {
                msgpack: config,
                json: vec![],
            }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);

    // A limit of 0 lists nothing at all.
    let mut none = p.list_resource(list(0)).await.unwrap().into_inner();
    assert!(none.message().await.unwrap().is_none());

    // ListRoles hangs on the silent endpoint until StopProvider.
    let mut stream = p.list_resource(list(10)).await.unwrap().into_inner();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    p.stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("StopProvider ends the listing promptly")
        .unwrap()
        .expect("an event saying why");
    assert_eq!(summaries(&event.diagnostic), vec!["Listing cancelled"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        stream.message().await.unwrap().is_none(),
        "then the stream ends"
    );

    // Hanging up mid-listing leaves the server serving.
    let stream = p.list_resource(list(10)).await.unwrap().into_inner();
    drop(stream);
    let meta = p.get_metadata(pb::get_metadata::Request {}).await.unwrap();
    assert!(meta.into_inner().server_capabilities.is_some());
    silent.abort();
}

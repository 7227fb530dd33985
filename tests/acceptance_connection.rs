//! The connection data sources (`eks_kubeconfig`, `eks_sso_cli_profile`)
//! through real Terraform against the emulator, with their outputs handed to
//! the real clients a user would feed them to:
//!
//! - the AWS CLI v1 from the project venv (pinned in tests/requirements.txt)
//!   and, when installed, the AWS CLI v2 from Debian read the rendered config through
//!   `AWS_CONFIG_FILE`;
//! - `kubectl config view` parses the kubeconfig;
//! - the exec command taken from kubectl's view of the kubeconfig produces an
//!   ExecCredential with static credentials, and fails with an SSO-token error
//!   for the SSO profile when no token is cached (seed J2's logged-out state).
//!
//! kubectl comes from the machine (or `make clients`, which installs it from
//! Debian); when it is missing the test fails and says so rather than
//! skipping. The v2 CLI is used when present (`make clients` installs it);
//! without it the test prints a note, and fails if EKS_REQUIRE_AWSCLI_V2=1.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::{Value, json};
use support::clients::{ClientRun as Run, run_client as run};
use support::{ACCOUNT, Emulator, Tf, hcl_string, paths, provider_config};

const REGION: &str = "eu-west-1";
const OTHER_REGION: &str = "us-west-2";
const SSO_REGION: &str = "us-east-1";
const CLUSTER: &str = "blog-cluster";
const WEST_CLUSTER: &str = "west-cluster";
const SSO_PROFILE: &str = "EKSClusterAdminAccess-EKSAccount1";
const PERMISSION_SET: &str = "EKSClusterAdminAccess";
const CREATOR_PROFILE: &str = "eks-cluster-creator";
const STATIC_PROFILE: &str = "static-creds";
/// A context name that is only valid YAML when quoted.
const ODD_CONTEXT: &str = "on-call: platform #1";
const EXEC_API: &str = "client.authentication.k8s.io/v1beta1";
const INSTALL_HINT: &str = "run `make clients` (installs Debian's kubernetes-client and awscli as root), or set EKS_KUBECTL / EKS_AWSCLI_V2 to binaries you have";

// ---------------------------------------------------------------------------
// Real clients
// ---------------------------------------------------------------------------

/// One AWS CLI the outputs are checked with.
struct AwsCli {
    label: &'static str,
    bin: PathBuf,
    /// v2 only: `configure list-profiles` exists.
    v2: bool,
    /// AWS CLI v2 before 2.13 ignores AWS_ENDPOINT_URL, so it can only run
    /// commands that need no network (get-token without --role-arn presigns
    /// locally).
    honours_endpoint_env: bool,
}

struct Clients {
    kubectl: PathBuf,
    clis: Vec<AwsCli>,
    python: PathBuf,
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn version_of(bin: &Path) -> String {
    Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map(|o| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .unwrap_or_default()
}

/// Finds kubectl and both AWS CLIs, failing with the install hint when one is
/// missing: a check that silently did not run would prove nothing.
fn clients() -> Clients {
    let kubectl = std::env::var_os("EKS_KUBECTL")
        .map(PathBuf::from)
        .or_else(|| find_on_path("kubectl"))
        .unwrap_or_else(|| panic!("kubectl is not installed: {INSTALL_HINT}"));

    let v1 = paths::venv_dir().join("bin/aws");
    assert!(
        v1.is_file(),
        "{} is missing: run `make venv` (awscli is pinned in tests/requirements.txt)",
        v1.display()
    );
    let v1_version = version_of(&v1);
    assert!(
        v1_version.starts_with("aws-cli/1."),
        "{} is not AWS CLI v1: {v1_version}",
        v1.display()
    );

    let candidates = [
        std::env::var_os("EKS_AWSCLI_V2").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/aws")),
        Some(PathBuf::from("/usr/local/bin/aws")),
    ];
    let v2 = candidates
        .into_iter()
        .flatten()
        .filter(|p| p.is_file())
        .map(|p| {
            let v = version_of(&p);
            (p, v)
        })
        .find(|(_, v)| v.starts_with("aws-cli/2."));

    let mut clis = vec![AwsCli {
        label: "aws-cli v1 (venv)",
        bin: v1,
        v2: false,
        honours_endpoint_env: true,
    }];
    match v2 {
        Some((bin, version)) => {
            let minor: u32 = version
                .trim_start_matches("aws-cli/2.")
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            clis.push(AwsCli {
                label: "aws-cli v2",
                bin,
                v2: true,
                honours_endpoint_env: minor >= 13,
            });
        }
        // The v2 checks are extra coverage (the seeds use v2): a machine
        // without it runs the v1 checks and says what it left out, unless
        // the run requires v2 (.ci/run, after `make clients`).
        None if std::env::var_os("EKS_REQUIRE_AWSCLI_V2").is_some_and(|v| v == "1") => {
            panic!("AWS CLI v2 is not installed and EKS_REQUIRE_AWSCLI_V2=1: {INSTALL_HINT}")
        }
        None => eprintln!(
            "note: AWS CLI v2 not found (EKS_AWSCLI_V2, /usr/bin/aws, /usr/local/bin/aws): only the venv's v1 CLI checks the rendered config here; {INSTALL_HINT}"
        ),
    }

    Clients {
        kubectl,
        clis,
        python: paths::venv_python(),
    }
}

/// The files the clients read, and an empty HOME (no SSO token cache).
struct Workspace {
    dir: PathBuf,
    home: PathBuf,
    aws_config: PathBuf,
    endpoint: String,
}

impl Workspace {
    fn new(tf: &Tf, emulator: &Emulator, aws_config_text: &str) -> Workspace {
        let dir = tf.dir().join("clients");
        let home = dir.join("home");
        fs::create_dir_all(&home).expect("client home");
        let aws_config = dir.join("aws-config");
        fs::write(&aws_config, aws_config_text).expect("write aws config");
        Workspace {
            dir,
            home,
            aws_config,
            endpoint: emulator.endpoint().to_string(),
        }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// The environment every client gets: the rendered config, no
    /// credentials file, no instance metadata, the emulator as endpoint.
    fn env(&self, path: &str) -> Vec<(String, String)> {
        [
            ("PATH", path.to_string()),
            ("HOME", self.home.to_string_lossy().into_owned()),
            (
                "AWS_CONFIG_FILE",
                self.aws_config.to_string_lossy().into_owned(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir
                    .join("no-credentials")
                    .to_string_lossy()
                    .into_owned(),
            ),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_PAGER", String::new()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// PATH on which `aws` is `cli` (the kubeconfig's exec command is plain `aws`).
fn path_for(cli: &AwsCli) -> String {
    let dir = cli.bin.parent().expect("aws has a parent directory");
    format!("{}:/usr/bin:/bin", dir.display())
}

/// Parses YAML with PyYAML (a YAML 1.1 parser, like kubectl's go-yaml) from
/// the venv, so quoting mistakes show up as wrong types.
fn yaml_to_json(python: &Path, file: &Path) -> Value {
    let script = "import json, sys, yaml\nprint(json.dumps(yaml.safe_load(open(sys.argv[1]))))";
    let path = std::env::var("PATH").unwrap_or_default();
    run(
        python,
        &["-c", script, &file.to_string_lossy()],
        &[("PATH".to_string(), path)],
    )
    .ok()
    .json()
}

/// `kubectl config view --raw -o json` of one kubeconfig.
fn kubectl_view(clients: &Clients, ws: &Workspace, kubeconfig: &Path) -> Value {
    let mut env = ws.env("/usr/bin:/bin");
    env.push((
        "KUBECONFIG".into(),
        kubeconfig.to_string_lossy().into_owned(),
    ));
    run(
        &clients.kubectl,
        &["config", "view", "--raw", "-o", "json"],
        &env,
    )
    .ok()
    .json()
}

/// kubectl's client minor version; 1.22 added `interactiveMode` to the exec
/// config, and older clients (Debian bookworm ships 1.20) drop the field when
/// they re-serialize.
fn kubectl_minor(clients: &Clients) -> u32 {
    let out = run(
        &clients.kubectl,
        &["version", "--client", "-o", "json"],
        &[("HOME".to_string(), "/nonexistent".to_string())],
    )
    .ok()
    .json();
    out["clientVersion"]["minor"]
        .as_str()
        .and_then(|m| {
            m.trim_end_matches(|c: char| !c.is_ascii_digit())
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("cannot read kubectl's version from {out}"))
}

/// The exec plugin of the only user in a kubectl view.
fn exec_of(view: &Value) -> &Value {
    let users = view["users"].as_array().expect("users in kubectl view");
    assert_eq!(users.len(), 1, "{view}");
    &users[0]["user"]["exec"]
}

/// Runs the exec plugin exactly as kubectl would: command, args and env from
/// the kubeconfig, plus KUBERNETES_EXEC_INFO saying the session is not
/// interactive (what `interactiveMode: Never` leads kubectl to send).
fn run_exec(exec: &Value, ws: &Workspace, cli: &AwsCli) -> Run {
    let command = exec["command"].as_str().expect("exec command");
    let args: Vec<&str> = exec["args"]
        .as_array()
        .expect("exec args")
        .iter()
        .map(|a| a.as_str().expect("string arg"))
        .collect();
    let path = path_for(cli);
    let program = std::env::split_paths(&path)
        .map(|d| d.join(command))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("exec command {command:?} not found on {path}"));
    let mut env = ws.env(&path);
    for e in exec["env"].as_array().into_iter().flatten() {
        env.push((
            e["name"].as_str().expect("env name").to_string(),
            e["value"].as_str().expect("env value").to_string(),
        ));
    }
    env.push((
        "KUBERNETES_EXEC_INFO".into(),
        json!({"kind": "ExecCredential", "apiVersion": EXEC_API, "spec": {"interactive": false}})
            .to_string(),
    ));
    let mut run = run(&program, &args, &env);
    run.what = format!("[{}] {}", cli.label, run.what);
    run
}

/// The presigned STS URL inside a `k8s-aws-v1.` token, with its query decoded.
fn token_query(token: &str) -> BTreeMap<String, String> {
    let encoded = token
        .strip_prefix("k8s-aws-v1.")
        .unwrap_or_else(|| panic!("token without the k8s-aws-v1. prefix: {token}"));
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .unwrap_or_else(|e| panic!("token is not base64url ({e}): {token}"));
    let url = String::from_utf8(url).expect("token URL is UTF-8");
    let query = url
        .split_once('?')
        .unwrap_or_else(|| panic!("token URL has no query: {url}"))
        .1;
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect()
}

/// Checks an ExecCredential the way the EKS authenticator reads its token;
/// returns the token's query parameters.
fn assert_exec_credential(run: &Run, region: &str) -> BTreeMap<String, String> {
    let cred = run.json();
    assert_eq!(cred["kind"], "ExecCredential", "{}", run.stdout);
    assert_eq!(cred["apiVersion"], EXEC_API, "{}", run.stdout);
    assert!(
        cred["status"]["expirationTimestamp"].is_string(),
        "{}",
        run.stdout
    );
    let token = cred["status"]["token"].as_str().expect("token");
    let q = token_query(token);
    assert_eq!(
        q.get("Action").map(String::as_str),
        Some("GetCallerIdentity"),
        "{q:?}"
    );
    assert_eq!(
        q.get("X-Amz-Expires").map(String::as_str),
        Some("60"),
        "{q:?}"
    );
    let signed = q.get("X-Amz-SignedHeaders").cloned().unwrap_or_default();
    assert!(signed.split(';').any(|h| h == "x-k8s-aws-id"), "{q:?}");
    let credential = q.get("X-Amz-Credential").cloned().unwrap_or_default();
    assert!(
        credential.contains(&format!("/{region}/sts/aws4_request")),
        "token not signed for {region}: {credential}"
    );
    q
}

// ---------------------------------------------------------------------------
// Terraform configuration
// ---------------------------------------------------------------------------

fn sso_block() -> String {
    format!("  sso {{\n    region = {}\n  }}\n", hcl_string(SSO_REGION))
}

fn journey_config(emulator: &Emulator) -> String {
    let creator_role = format!("arn:aws:iam::{ACCOUNT}:role/EKSClusterCreator");
    let reader_role = format!("arn:aws:iam::{ACCOUNT}:role/eks-reader");
    format!(
        r#"{provider}
data "eks_sso_cli_profile" "admin" {{
  profile_name             = {sso_profile}
  account_id               = {account}
  permission_set_name      = {ps}
  assume_role_arn          = {creator_role}
  assume_role_profile_name = {creator_profile}
}}

data "eks_kubeconfig" "sso" {{
  cluster_name = {cluster}
  aws_profile  = data.eks_sso_cli_profile.admin.profile_name
}}

data "eks_kubeconfig" "static" {{
  cluster_name = {cluster}
  aws_profile  = {static_profile}
}}

data "eks_kubeconfig" "role" {{
  cluster_name = {west}
  region       = {other_region}
  aws_profile  = {static_profile}
  role_arn     = {reader_role}
  context_name = {odd_context}
}}

output "aws_config" {{
  value = data.eks_sso_cli_profile.admin.config
}}

output "profile" {{
  value = {{
    start_url        = data.eks_sso_cli_profile.admin.start_url
    sso_region       = data.eks_sso_cli_profile.admin.sso_region
    region           = data.eks_sso_cli_profile.admin.region
    output           = data.eks_sso_cli_profile.admin.output
    sso_session_name = data.eks_sso_cli_profile.admin.sso_session_name
  }}
}}

output "kubeconfig_sso" {{
  value = data.eks_kubeconfig.sso.kubeconfig
}}

output "kubeconfig_static" {{
  value = data.eks_kubeconfig.static.kubeconfig
}}

output "kubeconfig_role" {{
  value = data.eks_kubeconfig.role.kubeconfig
}}

output "static" {{
  value = {{
    arn                        = data.eks_kubeconfig.static.arn
    endpoint                   = data.eks_kubeconfig.static.endpoint
    certificate_authority_data = data.eks_kubeconfig.static.certificate_authority_data
    context_name               = data.eks_kubeconfig.static.context_name
    region                     = data.eks_kubeconfig.static.region
  }}
}}
"#,
        provider = provider_config(emulator, REGION, &sso_block()),
        sso_profile = hcl_string(SSO_PROFILE),
        account = hcl_string(ACCOUNT),
        ps = hcl_string(PERMISSION_SET),
        creator_role = hcl_string(&creator_role),
        creator_profile = hcl_string(CREATOR_PROFILE),
        cluster = hcl_string(CLUSTER),
        west = hcl_string(WEST_CLUSTER),
        other_region = hcl_string(OTHER_REGION),
        static_profile = hcl_string(STATIC_PROFILE),
        reader_role = hcl_string(&reader_role),
        odd_context = hcl_string(ODD_CONTEXT),
    )
}

fn out_str(outputs: &Value, name: &str) -> String {
    outputs[name]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("output {name} missing or not a string in {outputs}"))
        .to_string()
}

fn create_cluster(emulator: &Emulator, region: &str, name: &str, status: &str) -> Value {
    emulator.create_cluster(json!({
        "account": ACCOUNT,
        "region": region,
        "name": name,
        "authentication_mode": "API",
        "status": status,
    }))
}

/// Terraform's diagnostics, with box-drawing margins and line wrapping removed.
fn flatten(text: &str) -> String {
    text.replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn connection_outputs_work_with_real_clients() {
    let clients = clients();
    let emulator = Emulator::start();
    let sso = emulator.sso_setup(json!({"region": SSO_REGION, "groups": [], "users": []}));
    let identity_store = sso["identity_store_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no identity_store_id in {sso}"))
        .to_string();
    let cluster = create_cluster(&emulator, REGION, CLUSTER, "ACTIVE");
    let west = create_cluster(&emulator, OTHER_REGION, WEST_CLUSTER, "ACTIVE");
    // The role the `role_arn` kubeconfig's exec assumes. STS checks trust, so
    // it must exist and trust the account the static profile signs in to.
    emulator.create_role(json!({
        "account": ACCOUNT,
        "name": "eks-reader",
        "trust_policy": {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
                "Action": "sts:AssumeRole",
            }],
        },
    }));
    emulator.clear_requests();

    let tf = Tf::with_region(&emulator, REGION);
    tf.write(&journey_config(&emulator));
    tf.apply();

    // One DescribeCluster per kubeconfig, in the cluster's region; one
    // instance lookup for the default start URL.
    let describes: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.service == "eks" && r.operation == "DescribeCluster")
        .collect();
    assert_eq!(describes.len(), 3, "{describes:?}");
    assert_eq!(
        describes
            .iter()
            .filter(|r| r.region.as_deref() == Some(OTHER_REGION))
            .count(),
        1,
        "{describes:?}"
    );
    assert_eq!(emulator.count("sso-admin", "ListInstances"), 1);

    let outputs = tf.output_json();
    let profile = &outputs["profile"]["value"];
    assert_eq!(
        profile["start_url"],
        format!("https://{identity_store}.awsapps.com/start")
    );
    assert_eq!(profile["sso_region"], SSO_REGION);
    assert_eq!(profile["region"], REGION);
    assert_eq!(profile["output"], "json");
    assert_eq!(profile["sso_session_name"], "sso");
    let stat = &outputs["static"]["value"];
    assert_eq!(stat["arn"], cluster["arn"]);
    assert_eq!(stat["endpoint"], cluster["endpoint"]);
    assert_eq!(
        stat["certificate_authority_data"],
        cluster["certificateAuthority"]["data"]
    );
    assert_eq!(stat["context_name"], cluster["arn"]);
    assert_eq!(stat["region"], REGION);

    // Re-reading gives byte-identical text: the plan stays empty.
    assert!(tf.plan_is_empty(), "second plan is not empty");

    // The files a user would write from these outputs. The static-credential
    // profile stands in for any non-SSO profile the user already has.
    let aws_config = format!(
        "{}\n[profile {STATIC_PROFILE}]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = testing\nregion = {REGION}\n",
        out_str(&outputs, "aws_config")
    );
    let ws = Workspace::new(&tf, &emulator, &aws_config);
    let kc_sso = ws.write("kubeconfig-sso.yaml", &out_str(&outputs, "kubeconfig_sso"));
    let kc_static = ws.write(
        "kubeconfig-static.yaml",
        &out_str(&outputs, "kubeconfig_static"),
    );
    let kc_role = ws.write(
        "kubeconfig-role.yaml",
        &out_str(&outputs, "kubeconfig_role"),
    );

    check_aws_config(&clients, &ws, &identity_store);
    let views = check_kubeconfigs(
        &clients,
        &ws,
        [&kc_sso, &kc_static, &kc_role],
        &cluster,
        &west,
    );
    check_matches_update_kubeconfig(&clients, &ws, &kc_static);
    check_exec(&clients, &ws, &emulator, &views);
}

/// Every profile in the test's config file, in byte order.
fn all_profiles() -> Vec<&'static str> {
    let mut all = vec![SSO_PROFILE, CREATOR_PROFILE, STATIC_PROFILE];
    all.sort_unstable();
    all
}

/// The rendered config as the AWS CLIs see it.
fn check_aws_config(clients: &Clients, ws: &Workspace, identity_store: &str) {
    let get = |cli: &AwsCli, key: &str, profile: &str| -> String {
        run(
            &cli.bin,
            &["configure", "get", key, "--profile", profile],
            &ws.env(&path_for(cli)),
        )
        .ok()
        .stdout
        .trim()
        .to_string()
    };
    for cli in &clients.clis {
        let ctx = cli.label;
        assert_eq!(get(cli, "sso_account_id", SSO_PROFILE), ACCOUNT, "{ctx}");
        assert_eq!(
            get(cli, "sso_role_name", SSO_PROFILE),
            PERMISSION_SET,
            "{ctx}"
        );
        assert_eq!(get(cli, "sso_session", SSO_PROFILE), "sso", "{ctx}");
        assert_eq!(get(cli, "region", SSO_PROFILE), REGION, "{ctx}");
        assert_eq!(get(cli, "output", SSO_PROFILE), "json", "{ctx}");
        assert_eq!(
            get(cli, "role_arn", CREATOR_PROFILE),
            format!("arn:aws:iam::{ACCOUNT}:role/EKSClusterCreator"),
            "{ctx}"
        );
        assert_eq!(
            get(cli, "source_profile", CREATOR_PROFILE),
            SSO_PROFILE,
            "{ctx}"
        );
        if cli.v2 {
            let listed = run(
                &cli.bin,
                &["configure", "list-profiles"],
                &ws.env(&path_for(cli)),
            )
            .ok();
            let mut names: Vec<&str> = listed.stdout.lines().map(str::trim).collect();
            names.sort_unstable();
            assert_eq!(names, all_profiles(), "{ctx}");
        }
    }

    // CLI v1 has no `configure list-profiles` and `configure get` cannot read
    // `[sso-session]` sections, so ask its config loader (botocore, the code
    // behind every v1 command) for the profiles and the parsed sso-session.
    let script = "import json, botocore.session\n\
                  s = botocore.session.Session()\n\
                  print(json.dumps({'profiles': sorted(s.available_profiles), 'sso_sessions': s.full_config.get('sso_sessions', {})}))";
    let mut env = ws.env(&path_for(&clients.clis[0]));
    env.retain(|(k, _)| k != "AWS_ENDPOINT_URL");
    let parsed = run(&clients.python, &["-c", script], &env).ok().json();
    assert_eq!(parsed["profiles"], json!(all_profiles()));
    assert_eq!(
        parsed["sso_sessions"],
        json!({"sso": {
            "sso_start_url": format!("https://{identity_store}.awsapps.com/start"),
            "sso_region": SSO_REGION,
            "sso_registration_scopes": "sso:account:access",
        }})
    );
}

/// kubectl's view of each kubeconfig, checked field by field.
fn check_kubeconfigs(
    clients: &Clients,
    ws: &Workspace,
    files: [&PathBuf; 3],
    cluster: &Value,
    west: &Value,
) -> [Value; 3] {
    let minor = kubectl_minor(clients);
    let [sso, stat, role] = files.map(|f| kubectl_view(clients, ws, f));
    let raw = files.map(|f| yaml_to_json(&clients.python, f));

    let arn = cluster["arn"].as_str().expect("cluster arn");
    for (view, label) in [(&sso, "sso"), (&stat, "static")] {
        assert_eq!(view["current-context"], arn, "{label}: {view}");
        assert_eq!(view["clusters"][0]["name"], arn, "{label}");
        assert_eq!(
            view["clusters"][0]["cluster"]["server"], cluster["endpoint"],
            "{label}"
        );
        assert_eq!(
            view["clusters"][0]["cluster"]["certificate-authority-data"],
            cluster["certificateAuthority"]["data"],
            "{label}"
        );
        assert_eq!(view["contexts"][0]["context"]["cluster"], arn, "{label}");
        assert_eq!(view["contexts"][0]["context"]["user"], arn, "{label}");
        assert_eq!(view["users"][0]["name"], arn, "{label}");
    }
    let base_args = |name: &str, region: &str| {
        json!([
            "--region",
            region,
            "eks",
            "get-token",
            "--cluster-name",
            name,
            "--output",
            "json"
        ])
    };
    let profile_env = |p: &str| json!([{"name": "AWS_PROFILE", "value": p}]);

    let e = exec_of(&sso);
    assert_eq!(e["apiVersion"], EXEC_API);
    assert_eq!(e["command"], "aws");
    assert_eq!(e["args"], base_args(CLUSTER, REGION));
    assert_eq!(e["env"], profile_env(SSO_PROFILE));

    let e = exec_of(&stat);
    assert_eq!(e["args"], base_args(CLUSTER, REGION));
    assert_eq!(e["env"], profile_env(STATIC_PROFILE));

    // The role kubeconfig: another region, --role-arn, and a context name
    // that only survives if it was quoted.
    assert_eq!(role["current-context"], ODD_CONTEXT, "{role}");
    assert_eq!(role["contexts"][0]["name"], ODD_CONTEXT);
    assert_eq!(role["clusters"][0]["name"], west["arn"]);
    assert_eq!(role["clusters"][0]["cluster"]["server"], west["endpoint"]);
    let e = exec_of(&role);
    let mut args = base_args(WEST_CLUSTER, OTHER_REGION);
    let list = args.as_array_mut().expect("array");
    list.push(json!("--role-arn"));
    list.push(json!(format!("arn:aws:iam::{ACCOUNT}:role/eks-reader")));
    assert_eq!(e["args"], args);

    // interactiveMode: every kubeconfig carries it (checked with a YAML 1.1
    // parser); kubectl 1.22+ also keeps it in its own view.
    for (parsed, view) in raw.iter().zip([&sso, &stat, &role]) {
        assert_eq!(
            parsed["users"][0]["user"]["exec"]["interactiveMode"], "Never",
            "{parsed}"
        );
        if minor >= 22 {
            assert_eq!(exec_of(view)["interactiveMode"], "Never", "{view}");
        }
    }
    if minor < 22 {
        eprintln!(
            "note: kubectl 1.{minor} predates interactiveMode (added in 1.22) and drops it from `config view`; checked in the files themselves instead"
        );
    }
    [sso, stat, role]
}

/// Our static-profile kubeconfig equals what `aws eks update-kubeconfig
/// --profile P` writes for the same cluster, apart from the
/// `interactiveMode: Never` we add.
fn check_matches_update_kubeconfig(clients: &Clients, ws: &Workspace, ours: &Path) {
    let cli = &clients.clis[0];
    let theirs = ws.dir.join("kubeconfig-update-kubeconfig.yaml");
    run(
        &cli.bin,
        &[
            "eks",
            "update-kubeconfig",
            "--region",
            REGION,
            "--name",
            CLUSTER,
            "--profile",
            STATIC_PROFILE,
            "--kubeconfig",
            &theirs.to_string_lossy(),
        ],
        &ws.env(&path_for(cli)),
    )
    .ok();
    let mut ours = yaml_to_json(&clients.python, ours);
    let removed = ours["users"][0]["user"]["exec"]
        .as_object_mut()
        .and_then(|exec| exec.remove("interactiveMode"));
    assert_eq!(removed, Some(json!("Never")));
    let theirs = yaml_to_json(&clients.python, &theirs);
    assert_eq!(
        ours, theirs,
        "kubeconfig differs from aws eks update-kubeconfig's"
    );
}

/// The exec plugins, run as kubectl would run them.
fn check_exec(clients: &Clients, ws: &Workspace, emulator: &Emulator, views: &[Value; 3]) {
    let [sso, stat, role] = views;
    for cli in &clients.clis {
        // Static credentials, no role: get-token presigns locally.
        let out = run_exec(exec_of(stat), ws, cli).ok();
        let q = assert_exec_credential(&out, REGION);
        assert!(
            q["X-Amz-Credential"].starts_with("AKIAIOSFODNN7EXAMPLE/"),
            "[{}] token not signed with the static profile: {q:?}",
            cli.label
        );

        // --role-arn: get-token assumes the role through the emulator's STS
        // and signs with the temporary credentials.
        if cli.honours_endpoint_env {
            emulator.clear_requests();
            let out = run_exec(exec_of(role), ws, cli).ok();
            let q = assert_exec_credential(&out, OTHER_REGION);
            assert!(
                q["X-Amz-Credential"].starts_with("ASIA") && q.contains_key("X-Amz-Security-Token"),
                "[{}] token not signed with assumed-role credentials: {q:?}",
                cli.label
            );
            assert_eq!(emulator.count("sts", "AssumeRole"), 1, "[{}]", cli.label);
        } else {
            eprintln!(
                "note: {} ignores AWS_ENDPOINT_URL (added in 2.13), so the --role-arn exec runs only with the v1 CLI",
                cli.label
            );
        }

        // The SSO profile with no cached token: a clear failure, no login
        // attempt and no AWS request.
        emulator.clear_requests();
        let out = run_exec(exec_of(sso), ws, cli);
        assert_ne!(
            out.code,
            Some(0),
            "[{}] succeeded without an SSO token:\n{}",
            cli.label,
            out.stdout
        );
        let stderr = out.stderr.to_lowercase();
        assert!(
            stderr.contains("sso token") || stderr.contains("aws sso login"),
            "[{}] stderr does not mention the SSO token:\n{}",
            cli.label,
            out.stderr
        );
        assert!(
            !out.stdout.contains("ExecCredential"),
            "[{}] {}",
            cli.label,
            out.stdout
        );
        assert!(
            emulator.requests().is_empty(),
            "[{}] {:?}",
            cli.label,
            emulator.requests()
        );
    }

    // The chained creator profile resolves through the SSO profile: without a
    // token it fails the same way. (AWS CLI 2.9 crashes on sso-session source
    // profiles, a bug fixed in later v2 releases, so this runs with v1.)
    let cli = &clients.clis[0];
    let out = run(
        &cli.bin,
        &["sts", "get-caller-identity", "--profile", CREATOR_PROFILE],
        &ws.env(&path_for(cli)),
    );
    assert_ne!(out.code, Some(0), "{}", out.stdout);
    assert!(
        out.stderr.to_lowercase().contains("sso token"),
        "chained profile did not reach the SSO profile:\n{}",
        out.stderr
    );
}

#[test]
fn kubeconfig_reports_missing_and_inactive_clusters() {
    let emulator = Emulator::start();
    create_cluster(&emulator, REGION, "booting", "CREATING");
    let tf = Tf::with_region(&emulator, REGION);
    tf.write(&format!(
        "{}\ndata \"eks_kubeconfig\" \"missing\" {{\n  cluster_name = \"no-such-cluster\"\n}}\n\ndata \"eks_kubeconfig\" \"creating\" {{\n  cluster_name = \"booting\"\n}}\n",
        provider_config(&emulator, REGION, "")
    ));
    let out = tf.plan_raw().expect_failure();
    let text = flatten(&out.combined());
    for needle in [
        "EKS cluster not found",
        "No EKS cluster named \"no-such-cluster\" exists in eu-west-1 in account 123456789012",
        "aws eks list-clusters --region eu-west-1",
        "EKS cluster \"booting\" in eu-west-1 is CREATING",
        "wait until the cluster is ACTIVE",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{out}");
    }
}

#[test]
fn invalid_connection_arguments_fail_offline() {
    let emulator = Emulator::start();
    let tf = Tf::with_region(&emulator, REGION);
    tf.write(&format!(
        r#"{}
data "eks_sso_cli_profile" "bad" {{
  profile_name        = "has space"
  account_id          = "12345"
  permission_set_name = "Admin*"
  output              = "xml"
  start_url           = "http://portal.example.com/start"
  assume_role_arn     = "arn:aws:iam::123456789012:role/EKSClusterCreator"
}}

data "eks_kubeconfig" "bad" {{
  cluster_name = "-bad"
  region       = "mars-1"
  role_arn     = "EKSClusterCreator"
}}
"#,
        provider_config(&emulator, REGION, &sso_block())
    ));
    let out = tf.validate().expect_failure();
    let text = flatten(&out.combined());
    for needle in [
        "\"has space\" is not a usable AWS CLI profile name",
        "\"12345\" is not an AWS account ID",
        "\"Admin*\" is not a valid permission set name",
        "\"xml\" is not an AWS CLI output format",
        "is not an AWS access portal URL",
        "set assume_role_profile_name",
        "\"-bad\" is not a valid EKS cluster name",
        "\"mars-1\" is not an AWS region name",
        "\"EKSClusterCreator\" is not an IAM role ARN",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{out}");
    }
    assert!(
        emulator.requests().is_empty(),
        "validation called AWS: {:?}",
        emulator.requests()
    );
}

#[test]
fn explicit_start_url_needs_no_identity_center_call() {
    let emulator = Emulator::start();
    let tf = Tf::with_region(&emulator, REGION);
    tf.write(&format!(
        r#"{}
data "eks_sso_cli_profile" "k8studio" {{
  profile_name        = "k8studio-sso"
  account_id          = {account}
  permission_set_name = "K8StudioEKSExec"
  start_url           = "https://my-company.awsapps.com/start"
  sso_region          = "us-east-1"
  sso_session_name    = "k8studio"
  output              = "yaml"
}}

output "config" {{
  value = data.eks_sso_cli_profile.k8studio.config
}}
"#,
        provider_config(&emulator, REGION, ""),
        account = hcl_string(ACCOUNT),
    ));
    tf.apply();
    assert_eq!(
        tf.output("config"),
        format!(
            "[sso-session k8studio]\nsso_start_url = https://my-company.awsapps.com/start\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n[profile k8studio-sso]\nsso_session = k8studio\nsso_account_id = {ACCOUNT}\nsso_role_name = K8StudioEKSExec\nregion = {REGION}\noutput = yaml\n"
        )
    );
    assert!(
        emulator.requests().is_empty(),
        "rendering with an explicit start_url called AWS: {:?}",
        emulator.requests()
    );
}

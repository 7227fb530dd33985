//! The go-plugin handshake: what Terraform tells us through the environment
//! when it launches the provider, and the one line we answer on stdout.
//!
//! Terraform (and OpenTofu) start providers through HashiCorp's go-plugin.
//! The launcher proves itself with a magic cookie, offers protocol versions
//! and port limits, and reads back a single line naming the address to dial.
//! Anything else on stdout makes it give up, so this module is the only place
//! that writes there.

use std::io::{self, Write};
use std::path::PathBuf;

use thiserror::Error;

/// The environment variable go-plugin uses to tell its plugins apart from
/// programs run by hand, and the value Terraform and OpenTofu put in it.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// go-plugin's own wire version: the first field of the handshake line.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The only Terraform plugin protocol major version we speak.
pub const APP_PROTOCOL_VERSION: u32 = 6;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error(
        "This binary is a plugin: it is meant to be run by Terraform or OpenTofu, not directly.\n\
         Declare the provider in a configuration's required_providers block and run \
         `terraform init` (or `tofu init`); Terraform then starts it when needed.\n\
         To debug it, run it with --debug and follow the instructions it prints."
    )]
    NotLaunchedByTerraform,
    #[error(
        "Terraform offered plugin protocol versions [{offered}], but this provider speaks only \
         version {APP_PROTOCOL_VERSION}. Use Terraform 1.0 or later, or OpenTofu."
    )]
    UnsupportedProtocol { offered: String },
    #[error("{name}={value:?} is not a valid port number")]
    BadPort { name: &'static str, value: String },
    #[error("PLUGIN_MIN_PORT ({min}) is greater than PLUGIN_MAX_PORT ({max})")]
    PortRange { min: u16, max: u16 },
}

/// What the launcher asked for, read from the environment once at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchConfig {
    /// The protocol version we will announce (always 6 once negotiated).
    pub protocol_version: u32,
    /// Inclusive TCP port range for the fallback listener; `(0, 0)` lets the
    /// OS pick.
    pub min_port: u16,
    pub max_port: u16,
    /// Where to create the unix socket; the system temp dir when unset.
    pub unix_socket_dir: Option<PathBuf>,
    /// Group that should own the socket (go-plugin's PLUGIN_UNIX_SOCKET_GROUP).
    pub unix_socket_group: Option<String>,
    /// The launcher's certificate (PEM) when it wants automatic mutual TLS.
    pub client_cert_pem: Option<String>,
}

impl LaunchConfig {
    /// Reads the launch environment. `debug` skips the cookie check (the
    /// operator starts the process themselves) and ignores any client
    /// certificate, since reattaching Terraform connects without TLS.
    pub fn from_env(debug: bool) -> Result<LaunchConfig, HandshakeError> {
        Self::from_lookup(debug, |k| std::env::var(k).ok())
    }

    /// As [`LaunchConfig::from_env`], with the environment supplied by the
    /// caller so tests need not mutate the process environment.
    pub fn from_lookup(
        debug: bool,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<LaunchConfig, HandshakeError> {
        if !debug && get(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(HandshakeError::NotLaunchedByTerraform);
        }
        let protocol_version = if debug {
            APP_PROTOCOL_VERSION
        } else {
            negotiate(get("PLUGIN_PROTOCOL_VERSIONS").as_deref())?
        };
        let min_port = port(&get, "PLUGIN_MIN_PORT")?;
        let max_port = port(&get, "PLUGIN_MAX_PORT")?;
        if min_port > max_port {
            return Err(HandshakeError::PortRange {
                min: min_port,
                max: max_port,
            });
        }
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        Ok(LaunchConfig {
            protocol_version,
            min_port,
            max_port,
            unix_socket_dir: non_empty("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from),
            unix_socket_group: non_empty("PLUGIN_UNIX_SOCKET_GROUP"),
            client_cert_pem: if debug {
                None
            } else {
                non_empty("PLUGIN_CLIENT_CERT")
            },
        })
    }
}

/// Picks our version from the launcher's comma-separated offer. Like
/// go-plugin, an absent offer means "the plugin's default", which is 6.
pub fn negotiate(offered: Option<&str>) -> Result<u32, HandshakeError> {
    let Some(list) = offered.filter(|s| !s.trim().is_empty()) else {
        return Ok(APP_PROTOCOL_VERSION);
    };
    let speaks_ours = list
        .split(',')
        .any(|v| v.trim().parse::<u32>() == Ok(APP_PROTOCOL_VERSION));
    if speaks_ours {
        Ok(APP_PROTOCOL_VERSION)
    } else {
        Err(HandshakeError::UnsupportedProtocol {
            offered: list.trim().to_string(),
        })
    }
}

fn port(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<u16, HandshakeError> {
    match get(name) {
        None => Ok(0),
        Some(v) if v.trim().is_empty() => Ok(0),
        Some(v) => v
            .trim()
            .parse::<u16>()
            .map_err(|_| HandshakeError::BadPort {
                name,
                value: v.clone(),
            }),
    }
}

/// The handshake line, without its newline:
/// `CORE|APP|NETWORK|ADDRESS|grpc|CERT`, where CERT is the server
/// certificate's DER in unpadded standard base64, or empty without TLS.
pub fn handshake_line(protocol_version: u32, network: &str, address: &str, cert: &str) -> String {
    format!("{CORE_PROTOCOL_VERSION}|{protocol_version}|{network}|{address}|grpc|{cert}")
}

/// Writes the handshake line to stdout and flushes it: Terraform waits for
/// this line before dialling.
pub fn announce(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn refuses_to_run_without_the_cookie() {
        let err = LaunchConfig::from_lookup(false, env(&[])).unwrap_err();
        assert_eq!(err, HandshakeError::NotLaunchedByTerraform);
        assert!(err.to_string().starts_with("This binary is a plugin"));
        let wrong = env(&[(MAGIC_COOKIE_KEY, "nope")]);
        assert!(LaunchConfig::from_lookup(false, wrong).is_err());
    }

    #[test]
    fn debug_mode_needs_no_cookie_and_ignores_the_client_cert() {
        let cfg = LaunchConfig::from_lookup(true, env(&[("PLUGIN_CLIENT_CERT", "pem")])).unwrap();
        assert_eq!(cfg.client_cert_pem, None);
        assert_eq!(cfg.protocol_version, 6);
    }

    #[test]
    fn negotiates_version_six_only() {
        assert_eq!(negotiate(Some("5,6")), Ok(6));
        assert_eq!(negotiate(Some(" 6 ")), Ok(6));
        assert_eq!(negotiate(None), Ok(6));
        assert!(matches!(
            negotiate(Some("5")),
            Err(HandshakeError::UnsupportedProtocol { .. })
        ));
        assert!(negotiate(Some("4,5,60")).is_err());
    }

    #[test]
    fn reads_ports_and_rejects_bad_ranges() {
        let ok = env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_MIN_PORT", "10000"),
            ("PLUGIN_MAX_PORT", "25000"),
            ("PLUGIN_CLIENT_CERT", "-----BEGIN CERTIFICATE-----"),
        ]);
        let cfg = LaunchConfig::from_lookup(false, ok).unwrap();
        assert_eq!((cfg.min_port, cfg.max_port), (10000, 25000));
        assert!(cfg.client_cert_pem.is_some());

        let inverted = env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_MIN_PORT", "3"),
            ("PLUGIN_MAX_PORT", "2"),
        ]);
        assert_eq!(
            LaunchConfig::from_lookup(false, inverted),
            Err(HandshakeError::PortRange { min: 3, max: 2 })
        );
        let junk = env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_MIN_PORT", "x"),
        ]);
        assert!(matches!(
            LaunchConfig::from_lookup(false, junk),
            Err(HandshakeError::BadPort { .. })
        ));
    }

    #[test]
    fn formats_the_line_go_plugin_parses() {
        assert_eq!(
            handshake_line(6, "unix", "/tmp/plugin123", "AbC"),
            "1|6|unix|/tmp/plugin123|grpc|AbC"
        );
        assert_eq!(
            handshake_line(6, "tcp", "127.0.0.1:10000", ""),
            "1|6|tcp|127.0.0.1:10000|grpc|"
        );
    }
}

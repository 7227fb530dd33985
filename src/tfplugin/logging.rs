//! Logs as hclog-style JSON lines on stderr.
//!
//! go-plugin forwards a plugin's stderr into Terraform's own log, and it
//! understands hclog's JSON shape (`@level`, `@message`, `@module`,
//! `@timestamp`, then free-form fields), so `TF_LOG=DEBUG` shows our lines
//! at the right level. stdout is reserved for the handshake line.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

/// Our crate's tracing target prefix: events from here follow the
/// configured level.
const OWN_TARGET: &str = "terraform_provider_eks";

/// The gRPC/HTTP/TLS stack logs every frame at DEBUG and TRACE: noise in
/// Terraform's log, so only its warnings pass.
const TRANSPORT_TARGETS: &[&str] = &[
    "h2",
    "hyper",
    "hyper_util",
    "tonic",
    "tower",
    "rustls",
    "tokio_rustls",
];

/// Installs the global subscriber. Cheap: no regex filters, no threads.
/// `module` is the hclog module name, e.g. `provider.terraform-provider-eks`.
pub fn init(module: &'static str) {
    let level = level_from_env(|k| std::env::var(k).ok());
    let _ = tracing_subscriber::registry()
        .with(HclogLayer { module }.with_filter(targets(level)))
        .try_init();
}

/// Our events at `level`; other libraries (the AWS SDK) one notch quieter
/// and never below DEBUG, since their TRACE output dumps whole requests;
/// the transport stack at WARN.
fn targets(level: LevelFilter) -> Targets {
    let deps = if level == LevelFilter::TRACE {
        LevelFilter::DEBUG
    } else {
        level.min(LevelFilter::WARN)
    };
    TRANSPORT_TARGETS.iter().fold(
        Targets::new()
            .with_target(OWN_TARGET, level)
            .with_default(deps),
        |t, name| t.with_target(*name, level.min(LevelFilter::WARN)),
    )
}

/// Picks the level from `TF_LOG_PROVIDER`, then `TF_LOG` (Terraform's own
/// variables, also passed to providers). Unset or unrecognised: WARN, so
/// ordinary runs stay quiet.
pub fn level_from_env(get: impl Fn(&str) -> Option<String>) -> LevelFilter {
    let raw = get("TF_LOG_PROVIDER")
        .filter(|v| !v.trim().is_empty())
        .or_else(|| get("TF_LOG"))
        .unwrap_or_default();
    match raw.trim().to_ascii_lowercase().as_str() {
        "trace" | "json" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "info" => LevelFilter::INFO,
        "warn" => LevelFilter::WARN,
        "error" => LevelFilter::ERROR,
        "off" => LevelFilter::OFF,
        _ => LevelFilter::WARN,
    }
}

struct HclogLayer {
    module: &'static str,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let target = (!meta.target().starts_with(OWN_TARGET)).then(|| meta.target());
        let line = render(
            *meta.level(),
            &fields.message,
            self.module,
            &timestamp(SystemTime::now()),
            target,
            fields.extra,
        );
        // One write per line so concurrent events never interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// One JSON object plus newline, keys in hclog's order.
fn render(
    level: Level,
    message: &str,
    module: &str,
    timestamp: &str,
    target: Option<&str>,
    extra: Map<String, Json>,
) -> String {
    let mut obj = Map::new();
    obj.insert("@level".into(), Json::from(level_name(level)));
    obj.insert("@message".into(), Json::from(message));
    obj.insert("@module".into(), Json::from(module));
    obj.insert("@timestamp".into(), Json::from(timestamp));
    if let Some(t) = target {
        obj.insert("target".into(), Json::from(t));
    }
    for (k, v) in extra {
        obj.entry(k).or_insert(v);
    }
    let mut s = Json::Object(obj).to_string();
    s.push('\n');
    s
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Field names whose values never reach a log line, whatever the caller
/// passed: a last line of defence against logging credentials.
fn is_secret(name: &str) -> bool {
    const MARKERS: &[&str] = &[
        "secret",
        "password",
        "passwd",
        "token",
        "credential",
        "session",
        "private_key",
        "access_key",
        "authorization",
        "signature",
    ];
    let n = name.to_ascii_lowercase();
    MARKERS.iter().any(|m| n.contains(m))
}

const REDACTED: &str = "[redacted]";

/// Masks the values of credential-like names *inside* a value's text, which
/// [`is_secret`] on the field's own name cannot see: libraries log whole
/// structs through `Debug` (`Credentials { access_key_id: "…", .. }`,
/// header maps with `"authorization": "…"`, `token=…`). A quoted string or a
/// bare word that follows such a name and a `:` or `=` is replaced; every
/// other byte is kept, so the line stays readable.
fn mask_nested(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    // The last name seen, and whether a `:`/`=` followed it.
    let mut key: Option<String> = None;
    let mut after_sep = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let masking = after_sep && key.as_deref().is_some_and(is_secret);
        if c == '"' {
            let start = i;
            let mut literal = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                literal.push(chars[i]);
                i += 1;
            }
            i = (i + 1).min(chars.len());
            if masking {
                out.push('"');
                out.push_str(REDACTED);
                out.push('"');
                key = None;
            } else {
                out.extend(&chars[start..i]);
                key = Some(literal);
            }
            after_sep = false;
        } else if c.is_alphanumeric() || c == '_' || c == '-' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-')) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if masking {
                out.push_str(REDACTED);
                key = None;
            } else {
                out.push_str(&word);
                key = Some(word);
            }
            after_sep = false;
        } else {
            if (c == ':' || c == '=') && key.is_some() && !after_sep {
                after_sep = true;
            } else if !c.is_whitespace() {
                key = None;
                after_sep = false;
            }
            out.push(c);
            i += 1;
        }
    }
    out
}

#[derive(Default)]
struct Fields {
    message: String,
    extra: Map<String, Json>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Json) {
        let name = field.name();
        if name == "message" {
            self.message = match value {
                Json::String(s) => mask_nested(&s),
                other => mask_nested(&other.to_string()),
            };
        } else if is_secret(name) {
            self.extra.insert(name.to_string(), Json::from(REDACTED));
        } else {
            let value = match value {
                Json::String(s) => Json::from(mask_nested(&s)),
                other => other,
            };
            self.extra.insert(name.to_string(), value);
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.put(field, Json::from(s));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Json::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Json::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Json::from(value.to_string()));
    }
}

/// RFC 3339 in UTC with microseconds, as hclog writes it:
/// `2026-04-29T10:11:12.123456Z`.
fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, day) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339_utc_with_micros() {
        let t = UNIX_EPOCH + Duration::from_micros(1_777_457_472_123_456);
        assert_eq!(timestamp(t), "2026-04-29T10:11:12.123456Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        // A leap day.
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn lines_have_hclog_keys_and_one_newline() {
        let mut extra = Map::new();
        extra.insert("type_name".into(), Json::from("eks_x"));
        let line = render(
            Level::DEBUG,
            "planning",
            "provider.terraform-provider-eks",
            "2026-04-29T10:11:12.123456Z",
            None,
            extra,
        );
        assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
        let v: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(v["@level"], "debug");
        assert_eq!(v["@message"], "planning");
        assert_eq!(v["@module"], "provider.terraform-provider-eks");
        assert_eq!(v["@timestamp"], "2026-04-29T10:11:12.123456Z");
        assert_eq!(v["type_name"], "eks_x");
        assert!(line.starts_with("{\"@level\""));
    }

    #[test]
    fn transport_chatter_is_held_back() {
        use tracing::Level;
        let t = targets(LevelFilter::TRACE);
        assert!(t.would_enable("terraform_provider_eks::tfplugin::serve", &Level::TRACE));
        assert!(!t.would_enable("h2::codec::framed_write", &Level::DEBUG));
        assert!(t.would_enable("h2::codec::framed_write", &Level::WARN));
        assert!(t.would_enable("aws_smithy_runtime::client", &Level::DEBUG));
        assert!(!t.would_enable("aws_smithy_runtime::client", &Level::TRACE));
        let quiet = targets(LevelFilter::WARN);
        assert!(!quiet.would_enable("terraform_provider_eks::x", &Level::INFO));
        assert!(!quiet.would_enable("aws_config", &Level::INFO));
        assert!(quiet.would_enable("aws_config", &Level::WARN));
    }

    #[test]
    fn credential_like_fields_are_redacted() {
        assert!(is_secret("aws_secret_access_key"));
        assert!(is_secret("SessionToken"));
        assert!(is_secret("password"));
        assert!(!is_secret("type_name"));
        assert!(!is_secret("region"));
    }

    #[test]
    fn credential_like_names_inside_values_are_masked() {
        // The shape aws-config's Debug of a profile credentials chain has.
        let chain = r#"ProfileChain { base: AccessKey(Credentials { provider_name: "ProfileFile", access_key_id: "ASIACANARY0123456789", secret_access_key: "** redacted **", expires_after: "never" }), chain: [] }"#;
        let masked = mask_nested(chain);
        assert!(!masked.contains("ASIACANARY0123456789"), "{masked}");
        assert!(
            masked.contains(r#"access_key_id: "[redacted]""#),
            "{masked}"
        );
        assert!(
            masked.contains(r#"provider_name: "ProfileFile""#),
            "{masked}"
        );
        assert!(masked.contains(r#"expires_after: "never""#), "{masked}");
        // Quoted names (header maps), `=` and bare words, escapes inside strings.
        let headers = r#"{"authorization": "AWS4-HMAC-SHA256 Credential=AKIA1/x", "host": "h"} token=abc123 region=us-east-1 note="a \"quoted\" word""#;
        let masked = mask_nested(headers);
        assert!(
            !masked.contains("AKIA1") && !masked.contains("abc123"),
            "{masked}"
        );
        assert!(masked.contains(r#""host": "h""#), "{masked}");
        assert!(masked.contains("region=us-east-1"), "{masked}");
        assert!(masked.contains(r#"note="a \"quoted\" word""#), "{masked}");
        // Text without credential-like names is unchanged.
        let plain = r#"resolving endpoint: Params { region: Some("us-east-1"), endpoint: Some("http://127.0.0.1:1") }"#;
        assert_eq!(mask_nested(plain), plain);
    }

    #[test]
    fn level_comes_from_tf_log_provider_then_tf_log() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(level_from_env(env(&[])), LevelFilter::WARN);
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "DEBUG")])),
            LevelFilter::DEBUG
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "DEBUG"), ("TF_LOG_PROVIDER", "trace")])),
            LevelFilter::TRACE
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "JSON")])),
            LevelFilter::TRACE
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "bogus")])),
            LevelFilter::WARN
        );
    }
}

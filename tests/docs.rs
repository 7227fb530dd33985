//! The Registry docs in docs/ are generated (tools/docs.py) from the schema
//! Terraform reads from this build plus templates/ and examples/:
//!
//! - the committed pages equal what the generator makes now (else the diff
//!   and `make docs` are printed);
//! - every attribute and block of every type appears in its page with its
//!   description, and docs/index.md names every type;
//! - identity and list-resource schemas, once a type has them, give an
//!   "Import by identity" section and a docs/list-resources page;
//! - the example snippets pass `terraform validate` against this schema.
//!
//! The schema is read with the venv's Terraform 1.15 (not `TF_BIN`): older
//! CLIs omit identity and list-resource schemas, which would change the pages.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use support::{Emulator, Tf, paths};

/// `terraform providers schema -json` for this build, as the generator sees it.
fn schema_json(emu: &Emulator) -> Value {
    let mut tf = Tf::new(emu);
    tf.set_bin(paths::venv_dir().join("bin/terraform"));
    tf.write(&support::required_providers());
    tf.providers_schema_json()
}

fn run_docs(args: &[&str]) -> (bool, String) {
    let out = Command::new(paths::venv_python())
        .arg(paths::repo_root().join("tools/docs.py"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run tools/docs.py");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn write_schema(dir: &Path, schema: &Value) -> PathBuf {
    let file = dir.join("schema.json");
    fs::write(&file, schema.to_string()).expect("write schema JSON");
    file
}

fn provider_of(schema: &Value) -> &Value {
    schema["provider_schemas"]
        .as_object()
        .and_then(|m| m.values().next())
        .expect("one provider in the schema JSON")
}

#[test]
fn committed_docs_match_the_generated_ones() {
    let emu = Emulator::start();
    let schema = schema_json(&emu);
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write_schema(tmp.path(), &schema);
    let (ok, out) = run_docs(&["--check", "--schema-json", &file.to_string_lossy()]);
    assert!(
        ok,
        "docs/ is stale. Regenerate it with `make docs` and commit the result.\n{out}"
    );
}

/// Every attribute and nested block of `block`, as `(path, description)`.
fn members(block: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
    for (name, a) in block["attributes"].as_object().into_iter().flatten() {
        out.push((
            format!("{prefix}{name}"),
            a["description"].as_str().unwrap_or_default().to_string(),
        ));
    }
    for (name, bt) in block["block_types"].as_object().into_iter().flatten() {
        let path = format!("{prefix}{name}");
        out.push((
            path.clone(),
            bt["block"]["description"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ));
        members(&bt["block"], &format!("{path}."), out);
    }
}

/// The page's section for `path`: the whole page for a top-level name, the
/// "Nested Schema for `parent`" section for a nested one.
fn section_for<'a>(page: &'a str, path: &str) -> &'a str {
    match path.rsplit_once('.') {
        None => page,
        Some((parent, _)) => {
            let heading = format!("### Nested Schema for `{parent}`");
            let start = page
                .find(&heading)
                .unwrap_or_else(|| panic!("no section {heading:?}"));
            let rest = &page[start + heading.len()..];
            &rest[..rest.find("### Nested Schema for").unwrap_or(rest.len())]
        }
    }
}

#[test]
fn every_schema_member_is_documented_and_the_index_names_every_type() {
    let emu = Emulator::start();
    let schema = schema_json(&emu);
    let p = provider_of(&schema);
    let docs = paths::repo_root().join("docs");
    let index = fs::read_to_string(docs.join("index.md")).expect("docs/index.md");

    let mut pages: Vec<(String, PathBuf, &Value)> =
        vec![("provider".into(), docs.join("index.md"), &p["provider"])];
    for (key, dir) in [
        ("resource_schemas", "resources"),
        ("data_source_schemas", "data-sources"),
        ("list_resource_schemas", "list-resources"),
        ("ephemeral_resource_schemas", "ephemeral-resources"),
    ] {
        for (tf_type, s) in p[key].as_object().into_iter().flatten() {
            let name = tf_type.strip_prefix("eks_").expect("eks_ prefix");
            let rel = format!("{dir}/{name}.md");
            assert!(
                index.contains(&format!("[`{tf_type}`]({rel})")),
                "docs/index.md does not link {tf_type}"
            );
            pages.push((tf_type.clone(), docs.join(rel), s));
        }
    }
    assert!(pages.len() >= 6, "provider plus five types expected");
    let mut missing = Vec::new();
    for (what, file, s) in pages {
        let page =
            fs::read_to_string(&file).unwrap_or_else(|e| panic!("{what}: {}: {e}", file.display()));
        let mut all = Vec::new();
        members(&s["block"], "", &mut all);
        for (path, description) in all {
            let leaf = path.rsplit('.').next().unwrap_or(&path);
            let section = section_for(&page, &path);
            let line = section
                .lines()
                .find(|l| l.starts_with(&format!("- `{leaf}` (")));
            match line {
                None => missing.push(format!("{what}: {path} is not listed")),
                Some(l) if description.is_empty() => missing.push(format!(
                    "{what}: {path} has no description in the schema ({l})"
                )),
                Some(l)
                    if !l.contains(
                        &description.split_whitespace().collect::<Vec<_>>().join(" "),
                    ) =>
                {
                    missing.push(format!(
                        "{what}: {path}'s description is not on its line: {l}"
                    ))
                }
                Some(_) => {}
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// A schema JSON with an identity schema and a list resource (Terraform
/// 1.14+ output) renders both, whether or not this build has them yet.
#[test]
fn identity_and_list_resource_schemas_get_their_sections() {
    let emu = Emulator::start();
    let mut schema = schema_json(&emu);
    let key = schema["provider_schemas"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .expect("provider key");
    let p = &mut schema["provider_schemas"][&key];
    p["resource_identity_schemas"]["eks_cluster_creator_role"] = json!({
        "version": 0,
        "attributes": {
            "account_id": {"type": "string", "description": "Account that holds the role.", "required_for_import": true},
            "name": {"type": "string", "description": "Role name.", "required_for_import": true},
        }
    });
    p["list_resource_schemas"]["eks_cluster_creator_role"] = json!({
        "version": 0,
        "block": {
            "description": "Roles that trust AWSReservedSSO roles.",
            "attributes": {"path_prefix": {"type": "string", "description": "Only roles under this path.", "optional": true}}
        }
    });
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write_schema(tmp.path(), &schema);
    let out_dir = tmp.path().join("docs");
    let (ok, out) = run_docs(&[
        "--schema-json",
        &file.to_string_lossy(),
        "--out",
        &out_dir.to_string_lossy(),
    ]);
    assert!(ok, "{out}");
    let role = fs::read_to_string(out_dir.join("resources/cluster_creator_role.md")).expect("page");
    let identity = &role[role
        .find("### Import by identity")
        .unwrap_or_else(|| panic!("no identity section:\n{role}"))..];
    assert!(identity.contains("identity = {"), "{identity}");
    assert!(
        identity.contains("- `account_id` (String) Account that holds the role."),
        "{identity}"
    );
    assert!(
        identity.contains("- `name` (String) Role name."),
        "{identity}"
    );
    let list = fs::read_to_string(out_dir.join("list-resources/cluster_creator_role.md"))
        .expect("list-resources page");
    assert!(
        list.contains("# eks_cluster_creator_role (List Resource)"),
        "{list}"
    );
    assert!(
        list.contains("- `path_prefix` (String) Only roles under this path."),
        "{list}"
    );
    let index = fs::read_to_string(out_dir.join("index.md")).expect("index");
    assert!(
        index.contains("[`eks_cluster_creator_role`](list-resources/cluster_creator_role.md)"),
        "{index}"
    );
}

/// The snippets under examples/provider, examples/resources and
/// examples/data-sources are valid configurations for this schema.
#[test]
fn example_snippets_validate() {
    let emu = Emulator::start();
    let root = paths::repo_root().join("examples");
    let mut snippets = vec![root.join("provider/provider.tf")];
    for kind in ["resources", "data-sources"] {
        for entry in fs::read_dir(root.join(kind)).expect("examples dir") {
            let dir = entry.expect("entry").path();
            for f in fs::read_dir(&dir).expect("example dir") {
                let f = f.expect("file").path();
                if f.extension().is_some_and(|e| e == "tf") {
                    snippets.push(f);
                }
            }
        }
    }
    assert!(snippets.len() >= 6, "{snippets:?}");
    let provider = fs::read_to_string(&snippets[0]).expect("provider example");
    for file in &snippets {
        let tf = Tf::new(&emu);
        let text = fs::read_to_string(file).expect("snippet");
        // Every snippet is validated beside the provider example, as the
        // Registry shows them together.
        if file == &snippets[0] {
            tf.write(&text);
        } else {
            tf.write(&provider);
            tf.write_file("example.tf", &text);
        }
        let out = tf.validate();
        assert!(
            out.success(),
            "{} does not validate:\n{out}",
            file.display()
        );
    }
}

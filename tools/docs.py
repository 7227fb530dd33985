#!/usr/bin/env python3
"""Generate docs/ in the Terraform Registry's layout from the provider's schema.

    tools/docs.py --provider target/debug/terraform-provider-eks --terraform .venv/bin/terraform [--check]
    tools/docs.py --schema-json schema.json [--check]

The schema is what `terraform providers schema -json` reports for the
provider (run here through a dev_overrides CLI config, or read from
--schema-json). From it, `templates/` and `examples/`, this writes:

    docs/index.md                          the provider: templates/index.md.tmpl
    docs/resources/<name>.md               each resource (<name> drops the `eks_` prefix)
    docs/data-sources/<name>.md            each data source
    docs/list-resources/<name>.md          each list resource (Terraform 1.14+ schemas)
    docs/ephemeral-resources/<name>.md     each ephemeral resource

Every attribute and block appears with its description, its type and whether
it is required, optional or read-only; nested blocks get their own sections.
A resource with an identity schema gets an "Import by identity" section.

A page's layout comes from `templates/<kind>/<name>.md.tmpl` when that exists
(hand-written prose around the generated parts), otherwise from the default
below. Placeholders, each alone on its line:

    {{ description }}   the schema's description of the type
    {{ example }}       "## Example Usage" with examples/<kind>/<type>/<resource|data-source|list-resource>.*
    {{ schema }}        the generated "## Schema" section
    {{ import }}        "## Import": import.sh, import-by-string-id.tf, identity import
    {{ types }}         (index) every type, linked
    {{ provider_example }}  (index) examples/provider/provider.tf

--check writes nothing: it prints a unified diff of every page that differs
from docs/ (and every stale page) and exits 1, naming the command that fixes it.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "eks_"
SOURCE = "eks-sso/eks"
FIX = "make docs"

# kind in the schema JSON -> (docs folder, page heading label, example file stem)
KINDS = [
    ("resource_schemas", "resources", "Resource", "resource.tf"),
    ("data_source_schemas", "data-sources", "Data Source", "data-source.tf"),
    ("list_resource_schemas", "list-resources", "List Resource", "list-resource.tfquery.hcl"),
    ("ephemeral_resource_schemas", "ephemeral-resources", "Ephemeral Resource", "ephemeral-resource.tf"),
]

DEFAULT_TEMPLATE = """{{ heading }}

{{ description }}

{{ example }}

{{ schema }}

{{ import }}
"""


class DocsError(Exception):
    pass


# -- schema JSON ------------------------------------------------------------


def schema_from_terraform(provider: Path, terraform: Path) -> dict:
    """`terraform providers schema -json` with the provider at `provider`
    loaded through dev_overrides, in a scratch HOME so no user setting leaks in."""
    with tempfile.TemporaryDirectory(prefix="eks-docs-") as tmp:
        t = Path(tmp)
        (t / "plugins").mkdir()
        os.symlink(provider.resolve(), t / "plugins" / "terraform-provider-eks")
        (t / "terraform.rc").write_text(
            f'provider_installation {{\n  dev_overrides {{\n    "{SOURCE}" = "{t / "plugins"}"\n  }}\n  direct {{}}\n}}\n'
        )
        (t / "main.tf").write_text(f'terraform {{\n  required_providers {{\n    eks = {{ source = "{SOURCE}" }}\n  }}\n}}\n')
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "TF_CLI_CONFIG_FILE": str(t / "terraform.rc"),
            "TF_DATA_DIR": str(t / ".terraform"),
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
        }
        proc = subprocess.run(
            [str(terraform), "providers", "schema", "-json"],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise DocsError(f"terraform providers schema -json failed:\n{proc.stdout}{proc.stderr}")
        return parse_schema_output(proc.stdout)


def parse_schema_output(text: str) -> dict:
    for candidate in [text] + [line for line in text.splitlines() if line.lstrip().startswith("{")]:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    raise DocsError("no JSON document in the output of terraform providers schema -json")


def only_provider(doc: dict) -> dict:
    schemas = doc.get("provider_schemas") or {}
    found = [v for k, v in schemas.items() if k.endswith("/" + SOURCE)]
    if len(found) != 1:
        raise DocsError(f"expected one provider {SOURCE} in the schema JSON, found {list(schemas)}")
    return found[0]


# -- rendering --------------------------------------------------------------


def type_name(t) -> str:
    if isinstance(t, str):
        return {"string": "String", "number": "Number", "bool": "Boolean", "dynamic": "Dynamic"}.get(t, t)
    kind, inner = t[0], t[1]
    if kind in ("list", "set", "map"):
        return f"{kind.capitalize()} of {type_name(inner)}"
    if kind == "object":
        return "Object"
    if kind == "tuple":
        return "Tuple"
    return str(t)


def anchor(kind: str, path: list[str]) -> str:
    return f"nested{kind}--" + "--".join(path)


def one_line(text: str) -> str:
    return " ".join((text or "").split())


def attr_line(name: str, a: dict, nested_anchor: str | None = None) -> str:
    if "nested_type" in a:
        mode = a["nested_type"].get("nesting_mode", "single")
        label = "Attributes" if mode == "single" else f"Attributes {mode.capitalize()}"
    else:
        label = type_name(a.get("type", "dynamic"))
    flags = [label]
    if a.get("sensitive"):
        flags.append("Sensitive")
    if a.get("write_only"):
        flags.append("Write-only")
    if a.get("deprecated"):
        flags.append("Deprecated")
    line = f"- `{name}` ({', '.join(flags)})"
    desc = one_line(a.get("description", ""))
    if desc:
        line += " " + desc
    if nested_anchor:
        line += f" (see [below for nested schema](#{nested_anchor}))"
    return line


def block_line(name: str, bt: dict, nested_anchor: str) -> str:
    mode = bt.get("nesting_mode", "single")
    label = {"single": "Block", "group": "Block", "list": "Block List", "set": "Block Set", "map": "Block Map"}.get(mode, "Block")
    extra = []
    if bt.get("min_items"):
        extra.append(f"Min: {bt['min_items']}")
    if bt.get("max_items"):
        extra.append(f"Max: {bt['max_items']}")
    if bt["block"].get("deprecated"):
        extra.append("Deprecated")
    line = f"- `{name}` ({', '.join([label] + extra)})"
    desc = one_line(bt["block"].get("description", ""))
    if desc:
        line += " " + desc
    return line + f" (see [below for nested schema](#{nested_anchor}))"


def classify(a: dict) -> str:
    if a.get("required"):
        return "Required"
    if a.get("optional"):
        return "Optional"
    return "Read-Only"


def render_block(block: dict, path: list[str], heading: str, out: list[str], nested: list) -> None:
    """Appends the Required/Optional/Read-Only lists of `block`; queues its
    nested blocks and nested attribute types for their own sections."""
    groups: dict[str, list[str]] = {"Required": [], "Optional": [], "Read-Only": []}
    for name, a in sorted((block.get("attributes") or {}).items()):
        nested_anchor = None
        if "nested_type" in a:
            nested_anchor = anchor("atts", path + [name])
            nested.append(("atts", path + [name], a["nested_type"]))
        groups[classify(a)].append(attr_line(name, a, nested_anchor))
    for name, bt in sorted((block.get("block_types") or {}).items()):
        nested_anchor = anchor("block", path + [name])
        nested.append(("block", path + [name], bt["block"]))
        group = "Required" if bt.get("min_items", 0) >= 1 else "Optional"
        groups[group].append(block_line(name, bt, nested_anchor))
    for group in ("Required", "Optional", "Read-Only"):
        if groups[group]:
            out.append(f"{heading}{group}" if heading.startswith("#") else f"{group}:")
            out.append("")
            out.extend(groups[group])
            out.append("")


def render_schema(block: dict) -> str:
    out = ["## Schema", ""]
    nested: list = []
    render_block(block, [], "### ", out, nested)
    while nested:
        kind, path, inner = nested.pop(0)
        out.append(f'<a id="{anchor(kind, path)}"></a>')
        out.append(f"### Nested Schema for `{'.'.join(path)}`")
        out.append("")
        if kind == "atts":
            inner = {"attributes": inner.get("attributes") or {}}
        render_block(inner, path, "", out, nested)
    return "\n".join(out).rstrip() + "\n"


def render_identity(identity: dict) -> str:
    out = []
    attrs = identity.get("attributes") or {}
    for label, test in (
        ("Required", lambda a: a.get("required_for_import")),
        ("Optional", lambda a: a.get("optional_for_import") and not a.get("required_for_import")),
    ):
        lines = []
        for name, a in sorted(attrs.items()):
            if test(a):
                lines.append(attr_line(name, a))
        if lines:
            out += [f"{label}:", ""] + lines + [""]
    return "\n".join(out).rstrip()


def identity_example(tf_type: str, identity: dict) -> str:
    attrs = identity.get("attributes") or {}
    width = max((len(n) for n in attrs), default=0)
    lines = [f"import {{", f"  to = {tf_type}.example", "  identity = {"]
    for name, a in sorted(attrs.items()):
        if a.get("required_for_import"):
            lines.append(f'    {name.ljust(width)} = "<{name}>"')
    lines += ["  }", "}"]
    return "\n".join(lines)


def fence(lang: str, text: str) -> str:
    return f"```{lang}\n{text.rstrip()}\n```"


def read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


def frontmatter(title: str, description: str) -> str:
    first = one_line(description.split("\n\n")[0]) if description else ""
    return f'---\npage_title: "{title} - terraform-provider-eks"\nsubcategory: ""\ndescription: |-\n  {first}\n---\n\n'


def fill(template: str, values: dict[str, str], where: str) -> str:
    out = []
    for line in template.splitlines():
        key = line.strip()
        if key.startswith("{{") and key.endswith("}}"):
            name = key[2:-2].strip()
            if name not in values:
                raise DocsError(f"{where}: unknown placeholder {key} (known: {', '.join(sorted(values))})")
            if values[name]:
                out.append(values[name].rstrip("\n"))
            continue
        out.append(line)
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"


def page(kind_dir: str, label: str, example_file: str, tf_type: str, schema: dict, identity: dict | None, root: Path) -> str:
    name = tf_type.removeprefix(PREFIX)
    ex_dir = root / "examples" / kind_dir / tf_type
    example = read(ex_dir / example_file)
    lang = "terraform"
    import_parts = []
    if kind_dir == "resources":
        import_sh = read(ex_dir / "import.sh")
        by_id = read(ex_dir / "import-by-string-id.tf")
        by_identity = read(ex_dir / "import-by-identity.tf")
        if import_sh or by_id or identity:
            import_parts.append("## Import")
            import_parts.append("")
        if by_id:
            import_parts += ["In Terraform 1.5 and later, use an `import` block with the import ID:", "", fence("terraform", by_id), ""]
        if import_sh:
            import_parts += ["With `terraform import`:", "", fence("shell", import_sh), ""]
        if identity:
            import_parts += [
                "### Import by identity",
                "",
                "In Terraform and OpenTofu 1.12 and later, an `import` block can name the resource by its identity:",
                "",
                fence("terraform", by_identity or identity_example(tf_type, identity)),
                "",
                "Identity schema:",
                "",
                render_identity(identity),
                "",
            ]
    values = {
        "title": f"{tf_type} ({label})",
        "heading": f"# {tf_type} ({label})",
        "description": (schema["block"].get("description") or "").strip(),
        "example": f"## Example Usage\n\n{fence(lang, example)}" if example else "",
        "schema": render_schema(schema["block"]),
        "import": "\n".join(import_parts).strip(),
    }
    tmpl_path = root / "templates" / kind_dir / f"{name}.md.tmpl"
    template = read(tmpl_path) or DEFAULT_TEMPLATE
    # Resources and data sources must show one; list and ephemeral resources
    # get the section once their snippet exists.
    if not example and kind_dir in ("resources", "data-sources"):
        raise DocsError(f"{ex_dir / example_file} is missing: every resource and data source needs an example")
    body = fill(template, {k: v for k, v in values.items() if k != "title"}, str(tmpl_path))
    return frontmatter(values["title"], values["description"]) + body


def render_all(doc: dict, root: Path) -> dict[str, str]:
    """Relative path under docs/ -> page text."""
    p = only_provider(doc)
    pages: dict[str, str] = {}
    types_md = []
    identities = p.get("resource_identity_schemas") or {}
    for key, kind_dir, label, example_file in KINDS:
        schemas = p.get(key) or {}
        if not schemas:
            continue
        types_md.append(f"### {label}s\n")
        for tf_type in sorted(schemas):
            name = tf_type.removeprefix(PREFIX)
            identity = identities.get(tf_type) if kind_dir == "resources" else None
            pages[f"{kind_dir}/{name}.md"] = page(kind_dir, label, example_file, tf_type, schemas[tf_type], identity, root)
            desc = one_line((schemas[tf_type]["block"].get("description") or "").split(". ")[0]).rstrip(".")
            types_md.append(f"- [`{tf_type}`]({kind_dir}/{name}.md): {desc}.")
        types_md.append("")
    provider_example = read(root / "examples" / "provider" / "provider.tf")
    if not provider_example:
        raise DocsError(f"{root / 'examples/provider/provider.tf'} is missing")
    tmpl_path = root / "templates" / "index.md.tmpl"
    template = read(tmpl_path)
    if template is None:
        raise DocsError(f"{tmpl_path} is missing")
    values = {
        "description": (p["provider"]["block"].get("description") or "").strip(),
        "provider_example": fence("terraform", provider_example),
        "schema": render_schema(p["provider"]["block"]),
        "types": "\n".join(types_md).strip(),
    }
    pages["index.md"] = frontmatter("Provider: eks", values["description"]) + fill(template, values, str(tmpl_path))
    return pages


# -- writing and checking ---------------------------------------------------


def existing_pages(docs: Path) -> dict[str, str]:
    if not docs.is_dir():
        return {}
    return {str(f.relative_to(docs)): f.read_text() for f in sorted(docs.rglob("*.md"))}


def check(pages: dict[str, str], docs: Path) -> list[str]:
    have = existing_pages(docs)
    diffs = []
    for rel in sorted(set(pages) | set(have)):
        want, got = pages.get(rel), have.get(rel)
        if want == got:
            continue
        diffs.extend(
            difflib.unified_diff(
                (got or "").splitlines(keepends=True),
                (want or "").splitlines(keepends=True),
                fromfile=f"docs/{rel} (committed)" if got is not None else "/dev/null",
                tofile=f"docs/{rel} (generated)" if want is not None else "/dev/null (stale page)",
            )
        )
    return diffs


def write(pages: dict[str, str], docs: Path) -> None:
    for rel in existing_pages(docs):
        if rel not in pages:
            (docs / rel).unlink()
    for rel, text in pages.items():
        target = docs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if read(target) != text:
            target.write_text(text)
    for d in sorted((p for p in docs.rglob("*") if p.is_dir()), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provider", type=Path, help="provider binary to read the schema from")
    ap.add_argument("--terraform", type=Path, help="terraform CLI that reads it (1.14+ shows list resources and identities)")
    ap.add_argument("--schema-json", type=Path, help="use this `providers schema -json` output instead")
    ap.add_argument("--root", type=Path, default=ROOT, help="repository root (templates/, examples/, docs/)")
    ap.add_argument("--out", type=Path, help="docs directory to write or check (default: <root>/docs)")
    ap.add_argument("--check", action="store_true", help="compare with docs/ instead of writing")
    args = ap.parse_args(argv)
    try:
        if args.schema_json:
            doc = parse_schema_output(args.schema_json.read_text())
        elif args.provider and args.terraform:
            doc = schema_from_terraform(args.provider, args.terraform)
        else:
            raise DocsError("give --schema-json, or --provider and --terraform")
        pages = render_all(doc, args.root)
    except DocsError as e:
        print(f"docs: {e}", file=sys.stderr)
        return 2
    docs = args.out or args.root / "docs"
    if args.check:
        diffs = check(pages, docs)
        if diffs:
            sys.stdout.writelines(diffs)
            print(f"\ndocs: docs/ differs from what the schema and examples generate. Run `{FIX}` and commit docs/.")
            return 1
        print(f"docs: {len(pages)} pages up to date")
        return 0
    write(pages, docs)
    print(f"docs: wrote {len(pages)} pages to {docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

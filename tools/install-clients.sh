#!/usr/bin/env bash
# `make clients`: install the real clients the connection acceptance tests hand
# our outputs to (tests/acceptance_connection.rs). This is the only step that
# installs anything system-wide; `make test` never runs it.
#
#   kubectl   parses the generated kubeconfig (`kubectl config view`).
#             Debian bookworm ships it as `kubernetes-client` (1.20).
#   aws (v2)  Debian's `awscli` package is AWS CLI v2 (2.9.x). The seeds use v2
#             (`aws configure sso`, `aws configure list-profiles`), so the tests
#             check the rendered config with it as well as with the pinned v1
#             CLI from the project venv (tests/requirements.txt, tools/venv.sh).
#
# Idempotent: a client that is already on PATH is left alone, so this costs
# nothing on a prepared machine. It needs root (or sudo) only when something is
# missing. Set EKS_SKIP_APT=1 to only report what is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${EKS_VENV:-$root/.venv}"

missing=()

if command -v kubectl >/dev/null 2>&1; then
  echo "clients: kubectl present ($(command -v kubectl))"
else
  missing+=(kubernetes-client)
fi

# Only a v2 CLI counts here: the venv's v1 `aws` may be first on PATH when this
# runs from an activated venv, and /usr/bin/aws is where Debian puts v2.
aws_v2=""
for candidate in "${EKS_AWSCLI_V2:-}" /usr/bin/aws /usr/local/bin/aws; do
  if [[ -n "$candidate" && -x "$candidate" ]] && "$candidate" --version 2>&1 | grep -q '^aws-cli/2\.'; then
    aws_v2="$candidate"
    break
  fi
done
if [[ -n "$aws_v2" ]]; then
  echo "clients: AWS CLI v2 present ($aws_v2)"
else
  missing+=(awscli)
fi

if ((${#missing[@]} > 0)); then
  if [[ "${EKS_SKIP_APT:-}" == 1 ]]; then
    echo "clients: missing Debian packages: ${missing[*]} (EKS_SKIP_APT=1, not installing)" >&2
    exit 1
  fi
  if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "clients: need root to apt-get install ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "clients: installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The v1 CLI comes from the venv, pinned in tests/requirements.txt.
if [[ ! -x "$venv/bin/aws" ]]; then
  echo "clients: $venv/bin/aws is missing; run tools/venv.sh (make venv) first" >&2
  exit 1
fi

echo "clients: kubectl $(kubectl version --client 2>/dev/null | head -n1)"
echo "clients: $("$venv/bin/aws" --version 2>&1) (venv)"
for candidate in "${EKS_AWSCLI_V2:-}" /usr/bin/aws /usr/local/bin/aws; do
  if [[ -n "$candidate" && -x "$candidate" ]] && "$candidate" --version 2>&1 | grep -q '^aws-cli/2\.'; then
    echo "clients: $("$candidate" --version 2>&1) ($candidate)"
    break
  fi
done

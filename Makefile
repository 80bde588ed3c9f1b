# SmallStack. `make run` serves the app; `make test` runs every test. Both bootstrap first.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CARGO_TERM_COLOR := never

BIN := target/release/smallstack

.PHONY: run test build bootstrap lint test-rust test-e2e check-docker bench soak backup clean

## run: build in release mode, apply migrations, serve on http://127.0.0.1:3000
run: build
	$(BIN) migrate
	$(BIN) serve

## test: formatting and lints, Rust unit and integration tests, then the end-to-end suite in Chromium
test: build
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory check-docker
	$(MAKE) --no-print-directory test-rust
	$(MAKE) --no-print-directory test-e2e

## lint: rustfmt, and clippy with warnings denied for the server side (ssr) and the WASM side
## (hydrate, wasm32) separately: the two never share one feature set.
lint:
	cargo fmt --all --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

## build: the release binary (target/release/smallstack) and the site (target/site)
build: bootstrap
	cargo leptos build --release --precompress --split
	@# cargo-leptos compresses quickly; recompress at the highest gzip level for what is served.
	find target/site -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.json' \) -exec gzip -9 -k -f {} \;

bootstrap:
	@scripts/bootstrap.sh

# Same profile and features as the release build above, so no dependency is compiled twice.
test-rust:
	cargo test --release --workspace --exclude frontend

test-e2e:
	node end2end/run.mjs

## check-docker: the Dockerfile's builder runs make build's commands and its image starts like make run
check-docker:
	@scripts/check-docker-build.sh

## bench: load and speed figures (pages, writes, backup under load, client weight, memory) into BENCHMARKS.md
bench: build
	python3 scripts/bench.py

## soak: the long fault tests: 20 SIGKILL-and-restart cycles under load (make test runs 3)
soak: build
	SMALLSTACK_SOAK_CYCLES=20 cargo test --release -p server --test faults -- --nocapture

## backup: make a verified backup of data/db.sqlite3 now
backup: build
	$(BIN) backup create

clean:
	cargo clean
	rm -rf node_modules end2end/test-results end2end/.scratch

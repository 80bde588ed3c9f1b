# SmallStack. `make run` serves the app; `make test` runs every test. Both bootstrap first.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CARGO_TERM_COLOR := never

BIN := target/release/smallstack

.PHONY: run test build bootstrap test-rust test-e2e bench soak backup clean

## run: build in release mode, apply migrations, serve on http://127.0.0.1:3000
run: build
	$(BIN) migrate
	$(BIN) serve

## test: Rust unit and integration tests, then the end-to-end suite in Chromium
test: build
	$(MAKE) --no-print-directory test-rust
	$(MAKE) --no-print-directory test-e2e

## build: the release binary (target/release/smallstack) and the site (target/site)
build: bootstrap
	cargo leptos build --release --precompress

bootstrap:
	@scripts/bootstrap.sh

# Same profile and features as the release build above, so no dependency is compiled twice.
test-rust:
	cargo test --release --workspace --exclude frontend

test-e2e:
	node end2end/run.mjs

## backup: make a verified backup of data/db.sqlite3 now
backup: build
	$(BIN) backup create

clean:
	cargo clean
	rm -rf node_modules end2end/test-results end2end/.scratch

#!/usr/bin/env bash
# Installs whatever the build and the tests need and is missing. Idempotent: a second run only checks.
# Everything comes from crates.io, npm or Debian; nothing is downloaded at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

say() { printf 'bootstrap: %s\n' "$*" >&2; }
need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

# Debian packages: Chromium for the end-to-end tests, sqlite3 for `smallstack db shell` and the
# benchmarks, wrk for the load tests. BOOTSTRAP_FOR=build (the Dockerfile) needs none of the test tools.
missing_debs=()
if [ "${BOOTSTRAP_FOR:-all}" != build ]; then
  command -v chromium >/dev/null 2>&1 || missing_debs+=(chromium)
  command -v wrk >/dev/null 2>&1 || missing_debs+=(wrk)
  command -v brotli >/dev/null 2>&1 || missing_debs+=(brotli)
fi
command -v sqlite3 >/dev/null 2>&1 || missing_debs+=(sqlite3)
if [ ${#missing_debs[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing_debs[*]}"
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 12 minutes, once per machine)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: one of its locked dependencies is no longer on the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# s3s-fs: the real S3 server the off-site copy tests run on loopback. A binary, not a
# dev-dependency: as one it would change the features of shared dependencies (hyper, tokio-util)
# and `cargo test --release` would stop reusing the release build. 0.15+ needs rustc 1.96.
S3S_FS_VERSION=0.14.1
if [ "${BOOTSTRAP_FOR:-all}" != build ] && [ "$(s3s-fs --version 2>/dev/null | awk '{print $2}')" != "$S3S_FS_VERSION" ]; then
  say "installing s3s-fs $S3S_FS_VERSION (about 9 minutes, once per machine)"
  cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked
fi

# npm: binaryen (wasm-opt), playwright-core and axe-core (the accessibility check), pinned by
# package-lock.json.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

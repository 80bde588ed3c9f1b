#!/usr/bin/env bash
# Checks that the Dockerfile builds and starts SmallStack as `make run` does, so the two cannot
# drift apart (no Docker engine runs where the tests run, so this is how CI covers the image):
#
# - the builder stage's build steps — each `RUN` that directly follows a `# make build` comment —
#   are, in order, exactly the commands `make -n build` prints (the bootstrap, then the release
#   build), and no other `RUN` of the builder runs cargo, make or the bootstrap;
# - the builder puts node_modules/.bin on PATH, as the Makefile does for its recipes (wasm-opt);
# - `make run` is `make build` followed only by the built binary: the image's CMD is its last
#   command (`serve`), and any other one is something `serve` does itself at start (`migrate`);
# - the runtime stage copies that binary and the site folder (Cargo.toml's site-root) out of the
#   builder.
#
# Usage: scripts/check-docker-build.sh [Dockerfile [Makefile]]. Exit 1 with the difference.
set -euo pipefail
cd "$(dirname "$0")/.."
dockerfile=${1:-Dockerfile}
makefile=${2:-Makefile}

# The message, then any details (multi-line strings), indented.
fail() {
  printf 'check-docker-build: %s\n' "$1" >&2
  shift
  for detail in "$@"; do printf '%s\n' "$detail" | sed 's/^/  /' >&2; done
  exit 1
}
# One command per line, blanks squeezed, empty lines dropped.
normalize() { sed -E -e 's/[[:space:]]+/ /g' -e 's/^ //' -e 's/ $//' | sed '/^$/d'; }

[ -f "$dockerfile" ] || fail "$dockerfile: no such file"
[ -f "$makefile" ] || fail "$makefile: no such file"
command -v make >/dev/null 2>&1 || fail "GNU make is needed to read $makefile"

# --- the Makefile: what `make build` and `make run` would run, without running anything --------
make_n() {
  local out
  out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -f "$makefile" -n "$1" 2>&1) \
    || fail "make -n $1 failed:" "$out"
  # Recipe lines that are shell comments run nothing.
  normalize <<<"$out" | { grep -v '^#' || true; }
}
make_build=$(make_n build) || exit 1
make_run=$(make_n run) || exit 1
[ -n "$make_build" ] || fail "make -n build printed no command"
grep -q '^cargo leptos build' <<<"$make_build" || fail "make build does not run cargo leptos build; make -n build:" "$make_build"
n_build=$(wc -l <<<"$make_build")
[ "$(head -n "$n_build" <<<"$make_run")" = "$make_build" ] \
  || fail "make run does not start with make build's commands; make -n run:" "$make_run"
run_rest=$(tail -n +"$((n_build + 1))" <<<"$make_run")
[ -n "$run_rest" ] || fail "make run runs nothing after the build"

# --- the Dockerfile: logical lines (continuations joined) of each stage --------------------------
logical=$(awk '
  { sub(/\r$/, "") }
  pending != "" { line = pending " " $0 } pending == "" { line = $0 }
  /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, "", line); pending = line; next }
  { pending = ""; print line }
  END { if (pending != "") print pending }
' "$dockerfile")
stages=$(grep -ciE '^[[:space:]]*FROM[[:space:]]' <<<"$logical" || true)
[ "$stages" -ge 2 ] || fail "$dockerfile: expected a builder stage and a runtime stage, found $stages FROM"
builder=$(awk '
  /^[[:space:]]*FROM[[:space:]]/ { inside = (tolower($0) ~ /[[:space:]]as[[:space:]]+builder[[:space:]]*$/); next }
  inside
' <<<"$logical")
[ -n "$builder" ] || fail "$dockerfile: no stage named builder (FROM … AS builder)"
runtime=$(awk '/^[[:space:]]*[Ff][Rr][Oo][Mm][[:space:]]/ { body = ""; next } { body = body $0 "\n" } END { printf "%s", body }' <<<"$logical")

# The marked build steps, in order; a marker must be followed by a RUN (shell form).
docker_build=$(awk '
  /^[[:space:]]*#[[:space:]]*make build[[:space:]]*:?[[:space:]]*$/ { marked = 1; next }
  /^[[:space:]]*(#|$)/ { next }
  marked {
    if (toupper($1) != "RUN") { print "ERROR: a # make build comment is followed by: " $0; exit }
    sub(/^[[:space:]]*[Rr][Uu][Nn][[:space:]]+/, "")
    while ($0 ~ /^--[a-z-]+(=[^[:space:]]*)?[[:space:]]/) sub(/^--[a-z-]+(=[^[:space:]]*)?[[:space:]]+/, "")
    if ($0 ~ /^\[/) { print "ERROR: exec-form RUN is not checked; write the build step in shell form: " $0; exit }
    print; marked = 0
  }
' <<<"$builder" | normalize)
grep -q '^ERROR: ' <<<"$docker_build" && fail "$dockerfile: $(grep '^ERROR: ' <<<"$docker_build" | head -1 | cut -c8-)"
[ -n "$docker_build" ] || fail "$dockerfile: no build step in the builder stage (a RUN after a '# make build' comment)"

if [ "$docker_build" != "$make_build" ]; then
  fail "the Dockerfile's build steps differ from make build's (update the RUN after '# make build'):" \
    "make -n build:" "$(sed 's/^/  /' <<<"$make_build")" \
    "$dockerfile:" "$(sed 's/^/  /' <<<"$docker_build")"
fi

# No second, unchecked build path in the builder.
unmarked=$(awk '
  /^[[:space:]]*#[[:space:]]*make build[[:space:]]*:?[[:space:]]*$/ { skip = 1; next }
  /^[[:space:]]*(#|$)/ { next }
  skip { skip = 0; next }
  toupper($1) == "RUN" { print }
' <<<"$builder")
if grep -qE '(^|[[:space:];&|(])(cargo|make|bootstrap\.sh|scripts/bootstrap)' <<<"$unmarked"; then
  fail "$dockerfile: a RUN of the builder builds outside the checked steps (mark it '# make build' and add it to the Makefile, or remove it):" \
    "$(grep -E '(^|[[:space:];&|(])(cargo|make|bootstrap\.sh|scripts/bootstrap)' <<<"$unmarked" | head -3)"
fi
grep -qiE '^[[:space:]]*ENV[[:space:]].*PATH=[^[:space:]]*node_modules/\.bin' <<<"$builder" \
  || fail "$dockerfile: the builder does not put node_modules/.bin on PATH (the Makefile does: wasm-opt comes from npm)"

# --- what the image runs, and what it copies out of the builder ---------------------------------
bin=$(head -1 <<<"$run_rest" | awk '{ print $1 }')
while IFS= read -r line; do
  [ "${line%% *}" = "$bin" ] || fail "make run runs something else than the built binary $bin after the build:" "$line"
done <<<"$run_rest"
last=$(tail -1 <<<"$run_rest")
expected_cmd="$(basename "$bin")${last#"$bin"}"
cmd=$(grep -iE '^[[:space:]]*CMD[[:space:]]' <<<"$runtime" | tail -1 | sed -E 's/^[[:space:]]*[Cc][Mm][Dd][[:space:]]+//')
[ -n "$cmd" ] || fail "$dockerfile: the runtime stage has no CMD"
if [[ $cmd == \[* ]]; then
  cmd=$(sed -E 's/^\[//; s/\][[:space:]]*$//; s/"[[:space:]]*,[[:space:]]*"/ /g; s/"//g' <<<"$cmd")
fi
cmd=$(normalize <<<"$cmd")
[ "$cmd" = "$expected_cmd" ] || fail "the image starts '$cmd'; make run ends with '$last' (expected CMD: $expected_cmd)"
while IFS= read -r line; do
  [ "$line" = "$last" ] && continue
  case "${line#"$bin" }" in
    migrate) ;; # `serve` applies the migrations itself before it listens
    *) fail "make run also runs '$line', which the image does not" ;;
  esac
done <<<"$run_rest"

workdir=$(grep -iE '^[[:space:]]*WORKDIR[[:space:]]' <<<"$builder" | tail -1 | awk '{ print $2 }')
[ -n "$workdir" ] || fail "$dockerfile: the builder has no WORKDIR"
site_root=$(sed -n 's/^site-root[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' Cargo.toml | head -1)
[ -n "$site_root" ] || fail "Cargo.toml: no site-root in [workspace.metadata.leptos]"
copies=$(grep -iE '^[[:space:]]*COPY[[:space:]]+--from=builder[[:space:]]' <<<"$runtime" | awk '{ print $3 }')
for wanted in "$workdir/$bin" "$workdir/$site_root"; do
  grep -qxF "$wanted" <<<"$copies" || fail "$dockerfile: the runtime stage does not copy $wanted out of the builder"
done

printf 'check-docker-build: ok: %s builds with make build'"'"'s commands and starts %s:\n' "$dockerfile" "$expected_cmd"
sed 's/^/  /' <<<"$make_build"

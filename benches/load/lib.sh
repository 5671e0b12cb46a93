# Helpers shared by the load scripts (sourced; needs node).

# A free TCP port on 127.0.0.1.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# json_get FILE KEY: the top-level string KEY of the JSON object in FILE (the first '{'..last '}'
# span, so log lines around the object do not matter).
json_get() {
  node -e '
    const t = require("fs").readFileSync(process.argv[1], "utf8");
    const j = JSON.parse(t.slice(t.indexOf("{"), t.lastIndexOf("}") + 1));
    const v = process.argv[2].split(".").reduce((o, k) => (o == null ? o : o[k]), j);
    if (typeof v !== "string") { console.error(`no string ${process.argv[2]} in ${process.argv[1]}`); process.exit(1); }
    console.log(v);' "$1" "$2"
}

# build_bins PROFILE PACKAGE:BIN...: cargo-build these binaries with PROFILE (within
# BUILD_TIMEOUT seconds, else die) and print the directory that holds them. Needs ROOT, die.
build_bins() {
  local profile=$1 args=() pb
  shift
  for pb in "$@"; do args+=(-p "${pb%%:*}" --bin "${pb##*:}"); done
  (cd "$ROOT" && timeout "${BUILD_TIMEOUT:-3600}" cargo build --profile "$profile" "${args[@]}" >&2) \
    || die "cargo build failed or took more than ${BUILD_TIMEOUT:-3600}s"
  echo "${CARGO_TARGET_DIR:-$ROOT/target}/$([ "$profile" = dev ] && echo debug || echo "$profile")"
}

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

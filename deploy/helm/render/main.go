// Command render renders a Helm chart the way `helm template` does, for CI machines where
// Helm itself cannot be installed. It uses the libraries Helm renders with: Go's
// text/template and Masterminds/sprig (Helm 3's template functions), and ghodss/yaml, the
// package sigs.k8s.io/yaml (Helm's YAML library) was forked from, for toYaml and values.
// On top of those it provides what Helm adds, and only that: .Values (the chart's
// values.yaml coalesced with -f files and --set), .Release, .Chart, .Capabilities.KubeVersion,
// .Template, and the functions include, tpl, required, toYaml, fromYaml, fromYamlArray,
// toJson, fromJson, fromJsonArray and lookup (empty, as in `helm template`); env and
// expandenv are removed as Helm removes them. A chart that renders here uses nothing Helm
// lacks; Helm features the renderer lacks (subcharts, .Files, .Capabilities.APIVersions,
// toToml, list indices in --set) make it fail loudly rather than render something else.
//
// Build it offline against Debian's packages in GOPATH mode (golang-github-masterminds-sprig-dev
// and golang-github-ghodss-yaml-dev install into /usr/share/gocode):
//
//	GO111MODULE=off GOPATH=/tmp/gopath:/usr/share/gocode go build -o render .
//
// Usage:
//
//	render [-f values.yaml].. [--set a.b=c].. [--set-string a.b=c].. [--name RELEASE]
//	       [--namespace NS] [--kube-version 1.31.0] [--upgrade] [--json | --notes] CHART_DIR
//
// Output: each rendered manifest as "---\n# Source: CHART/templates/FILE\n..." like
// `helm template` (ordinary resources in Helm's install order, then hooks); with --json a
// JSON array of {"source", "hook", "manifest"}; with --notes the rendered NOTES.txt.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	// In GOPATH mode these are Helm's github.com/Masterminds/semver/v3 and sprig/v3.
	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
)

// Metadata is Chart.yaml, with the field names templates see as .Chart (Helm's
// chart.Metadata).
type Metadata struct {
	APIVersion   string                   `json:"apiVersion,omitempty"`
	Name         string                   `json:"name,omitempty"`
	Version      string                   `json:"version,omitempty"`
	KubeVersion  string                   `json:"kubeVersion,omitempty"`
	Description  string                   `json:"description,omitempty"`
	Type         string                   `json:"type,omitempty"`
	Keywords     []string                 `json:"keywords,omitempty"`
	Home         string                   `json:"home,omitempty"`
	Sources      []string                 `json:"sources,omitempty"`
	Dependencies []map[string]interface{} `json:"dependencies,omitempty"`
	Maintainers  []map[string]interface{} `json:"maintainers,omitempty"`
	Icon         string                   `json:"icon,omitempty"`
	AppVersion   string                   `json:"appVersion,omitempty"`
	Deprecated   bool                     `json:"deprecated,omitempty"`
	Annotations  map[string]string        `json:"annotations,omitempty"`
}

// KubeVersion is .Capabilities.KubeVersion.
type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

// String is the version, as in Helm ("v1.31.0").
func (k KubeVersion) String() string { return k.Version }

// GitVersion is the version, as in Helm.
func (k KubeVersion) GitVersion() string { return k.Version }

// Capabilities is .Capabilities (only KubeVersion: the renderer knows no cluster).
type Capabilities struct {
	KubeVersion KubeVersion
}

// Manifest is one rendered YAML document.
type Manifest struct {
	Source  string
	Content string
	Kind    string
	Hook    string
}

// installOrder is Helm's releaseutil.InstallOrder.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService",
}

// docSeparator is Helm's releaseutil manifest separator.
var docSeparator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// releaseName is what Helm accepts as a release name (DNS-1123 subdomain, at most 53).
var releaseName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	var files, sets, setStrings multiFlag
	fs.Var(&files, "f", "values file (repeatable; later ones win)")
	fs.Var(&files, "values", "values file (same as -f)")
	fs.Var(&sets, "set", "set a value: a.b=c[,d=e] (repeatable)")
	fs.Var(&setStrings, "set-string", "set a value as a string (repeatable)")
	name := fs.String("name", "jans", "release name")
	namespace := fs.String("namespace", "default", "release namespace")
	kube := fs.String("kube-version", "1.31.0", "Kubernetes version for .Capabilities.KubeVersion")
	upgrade := fs.Bool("upgrade", false, "render as an upgrade (.Release.IsUpgrade, revision 2)")
	asJSON := fs.Bool("json", false, "print a JSON array of the manifests")
	notes := fs.Bool("notes", false, "print the rendered NOTES.txt instead of the manifests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("name one chart directory (flags go before it)")
	}
	if len(*name) > 53 || !releaseName.MatchString(*name) {
		return fmt.Errorf("release name %q: must be a DNS-1123 subdomain of at most 53 characters", *name)
	}
	chartDir := fs.Arg(0)

	meta, err := loadMetadata(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	kv, err := semver.NewVersion(*kube)
	if err != nil {
		return fmt.Errorf("--kube-version %q: %v", *kube, err)
	}
	if meta.KubeVersion != "" {
		c, err := semver.NewConstraint(meta.KubeVersion)
		if err != nil {
			return fmt.Errorf("Chart.yaml kubeVersion %q: %v", meta.KubeVersion, err)
		}
		if !c.Check(kv) {
			return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes v%s", meta.KubeVersion, kv)
		}
	}

	defaults, err := readValues(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	user := map[string]interface{}{}
	for _, f := range files {
		v, err := readValues(f)
		if err != nil {
			return err
		}
		user = mergeMaps(user, v)
	}
	for _, s := range sets {
		if err := parseSet(s, user, false); err != nil {
			return fmt.Errorf("--set %s: %v", s, err)
		}
	}
	for _, s := range setStrings {
		if err := parseSet(s, user, true); err != nil {
			return fmt.Errorf("--set-string %s: %v", s, err)
		}
	}
	values := coalesce(user, defaults)

	revision := 1
	if *upgrade {
		revision = 2
	}
	top := map[string]interface{}{
		"Values": values,
		"Chart":  meta,
		"Release": map[string]interface{}{
			"Name":      *name,
			"Namespace": *namespace,
			"IsUpgrade": *upgrade,
			"IsInstall": !*upgrade,
			"Revision":  revision,
			"Service":   "Helm",
		},
		"Capabilities": Capabilities{KubeVersion: KubeVersion{
			Version: "v" + kv.String(),
			Major:   strconv.FormatUint(kv.Major(), 10),
			Minor:   strconv.FormatUint(kv.Minor(), 10),
		}},
	}

	rendered, err := renderTemplates(meta.Name, filepath.Join(chartDir, "templates"), top)
	if err != nil {
		return err
	}
	notesName := path.Join(meta.Name, "templates", "NOTES.txt")
	if *notes {
		fmt.Print(rendered[notesName])
		return nil
	}
	delete(rendered, notesName)
	manifests, err := sortManifests(rendered)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(manifests)
	}
	for _, m := range manifests {
		fmt.Printf("---\n# Source: %s\n%s\n", m.Source, m.Content)
	}
	return nil
}

func loadMetadata(file string) (*Metadata, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	raw, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	meta := &Metadata{}
	if err := dec.Decode(meta); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	switch {
	case meta.APIVersion != "v2":
		return nil, fmt.Errorf("%s: apiVersion must be v2", file)
	case meta.Name == "":
		return nil, fmt.Errorf("%s: name is required", file)
	case meta.Type != "" && meta.Type != "application":
		return nil, fmt.Errorf("%s: only application charts are rendered", file)
	case len(meta.Dependencies) > 0:
		return nil, fmt.Errorf("%s: dependencies (subcharts) are not supported by this renderer", file)
	}
	if _, err := semver.StrictNewVersion(meta.Version); err != nil {
		return nil, fmt.Errorf("%s: version %q is not SemVer 2: %v", file, meta.Version, err)
	}
	return meta, nil
}

// readValues reads a YAML values file as Helm does (through JSON: numbers are float64).
func readValues(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	v := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if v == nil {
		v = map[string]interface{}{}
	}
	return v, nil
}

// mergeMaps is Helm's mergeMaps for user values: b over a, maps merged recursively, nulls
// kept (they delete chart defaults in coalesce).
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if vm, ok := v.(map[string]interface{}); ok {
			if om, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(om, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// coalesce lays user values over the chart's defaults as Helm does: maps merge, anything
// else replaces, and a null removes the default.
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(defaults))
	for k, v := range defaults {
		out[k] = v
	}
	for k, uv := range user {
		if uv == nil {
			delete(out, k)
			continue
		}
		um, userMap := uv.(map[string]interface{})
		dm, defaultMap := out[k].(map[string]interface{})
		switch {
		case userMap && defaultMap:
			out[k] = coalesce(um, dm)
		case userMap:
			out[k] = coalesce(um, map[string]interface{}{})
		default:
			out[k] = uv
		}
	}
	return out
}

// parseSet applies one --set argument (Helm's strvals for name paths: a.b=c, comma-separated
// pairs, backslash escapes; list indices and {a,b} lists are refused, not guessed).
func parseSet(arg string, into map[string]interface{}, asString bool) error {
	for _, pair := range splitUnescaped(arg, ',') {
		eq := indexUnescaped(pair, '=')
		if eq < 0 {
			return fmt.Errorf("%q: expected key=value", pair)
		}
		key, raw := pair[:eq], unescape(pair[eq+1:])
		if strings.ContainsAny(key, "[]") || strings.HasPrefix(raw, "{") {
			return fmt.Errorf("%q: list syntax is not supported by this renderer", pair)
		}
		parts := splitUnescaped(key, '.')
		m := into
		for i, p := range parts {
			p = unescape(p)
			if p == "" {
				return fmt.Errorf("%q: empty key", pair)
			}
			if i == len(parts)-1 {
				m[p] = typedValue(raw, asString)
				break
			}
			next, ok := m[p].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				m[p] = next
			}
			m = next
		}
	}
	return nil
}

// typedValue is Helm's strvals.typedVal.
func typedValue(val string, asString bool) interface{} {
	if asString {
		return val
	}
	switch {
	case strings.EqualFold(val, "true"):
		return true
	case strings.EqualFold(val, "false"):
		return false
	case strings.EqualFold(val, "null"):
		return nil
	case val == "0":
		return int64(0)
	}
	if val != "" && val[0] != '0' {
		if i, err := strconv.ParseInt(val, 10, 64); err == nil {
			return i
		}
	}
	return val
}

func splitUnescaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func indexUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == c {
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// renderTemplates parses every file under templates/ as Helm does (names CHART/templates/REL)
// and executes each whose base name does not start with "_".
func renderTemplates(chart, dir string, top map[string]interface{}) (map[string]string, error) {
	root := template.New("gotpl")
	root.Option("missingkey=zero")
	root.Funcs(funcMap(root))
	var names []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		text, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		name := path.Join(chart, "templates", filepath.ToSlash(rel))
		if _, err := root.New(name).Parse(string(text)); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := map[string]string{}
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		vals := make(map[string]interface{}, len(top)+1)
		for k, v := range top {
			vals[k] = v
		}
		vals["Template"] = map[string]interface{}{
			"Name":     name,
			"BasePath": path.Join(chart, "templates"),
		}
		var b strings.Builder
		if err := root.ExecuteTemplate(&b, name, vals); err != nil {
			return nil, err
		}
		out[name] = strings.ReplaceAll(b.String(), "<no value>", "")
	}
	return out, nil
}

// funcMap is sprig's text functions with Helm's changes and additions, bound to t.
func funcMap(t *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	included := map[string]int{}
	f["include"] = func(name string, data interface{}) (string, error) {
		if included[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		included[name]++
		defer func() { included[name]-- }()
		var b strings.Builder
		err := t.ExecuteTemplate(&b, name, data)
		return b.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		c, err := t.Clone()
		if err != nil {
			return "", err
		}
		c.Option("missingkey=zero")
		c.Funcs(funcMap(c))
		c, err = c.New(t.Name()).Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", text, err)
		}
		var b strings.Builder
		if err := c.Execute(&b, data); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
		}
		return strings.ReplaceAll(b.String(), "<no value>", ""), nil
	}
	f["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warn)
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warn)
		}
		return val, nil
	}
	f["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromYamlArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := yaml.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	f["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromJsonArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	// `helm template` has no cluster: lookup finds nothing.
	f["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}

// sortManifests splits each rendered file into documents, drops empty ones, checks that
// each is YAML, and orders them as Helm does: ordinary resources by kind in install order,
// then hooks.
func sortManifests(rendered map[string]string) ([]Manifest, error) {
	var sources []string
	for s := range rendered {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	var generic, hooks []Manifest
	for _, source := range sources {
		for _, doc := range docSeparator.Split(strings.TrimSpace(rendered[source]), -1) {
			doc = strings.TrimSpace(doc)
			if doc == "" {
				continue
			}
			var head struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return nil, fmt.Errorf("YAML parse error on %s: %v", source, err)
			}
			m := Manifest{Source: source, Content: doc, Kind: head.Kind,
				Hook: head.Metadata.Annotations["helm.sh/hook"]}
			if m.Hook != "" {
				hooks = append(hooks, m)
			} else {
				generic = append(generic, m)
			}
		}
	}
	byKind(generic)
	byKind(hooks)
	return append(generic, hooks...), nil
}

// byKind is Helm's kind sort: install order, unknown kinds last (alphabetically), the
// original order kept among equals.
func byKind(ms []Manifest) {
	rank := map[string]int{}
	for i, k := range installOrder {
		rank[k] = i
	}
	sort.SliceStable(ms, func(i, j int) bool {
		a, aok := rank[ms[i].Kind]
		b, bok := rank[ms[j].Kind]
		switch {
		case !aok && !bok:
			return ms[i].Kind < ms[j].Kind
		case !aok:
			return false
		case !bok:
			return true
		}
		return a < b
	})
}

func printJSON(ms []Manifest) error {
	type entry struct {
		Source   string          `json:"source"`
		Hook     string          `json:"hook,omitempty"`
		Manifest json.RawMessage `json:"manifest"`
	}
	out := make([]entry, 0, len(ms))
	for _, m := range ms {
		raw, err := yaml.YAMLToJSON([]byte(m.Content))
		if err != nil {
			return fmt.Errorf("%s: %v", m.Source, err)
		}
		out = append(out, entry{Source: m.Source, Hook: m.Hook, Manifest: raw})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

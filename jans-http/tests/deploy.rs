//! The deployment files. The Helm chart (`deploy/helm/jans`) is rendered by
//! `deploy/helm/render`, a stand-in for `helm template` built from the libraries Helm
//! renders with (Go's text/template and sprig), because Helm cannot be installed on the
//! build machines; the output is linted with yamllint, validated against the Kubernetes
//! schemas bundled in kubernetes-validate (strict: no unknown fields), parsed, and checked
//! for what the chart promises. The Dockerfile is checked against the workspace and the
//! chart. No image is built: there is no Docker daemon here.
//!
//! Go (Debian's golang-go) with Debian's golang-github-masterminds-sprig-dev and
//! golang-github-ghodss-yaml-dev, and PyPI's yamllint and kubernetes-validate are
//! required: without them these tests fail, they never skip (`.ci/run` installs them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use jans_testkit::{repo_root as repo, run};
use serde_json::Value;

const ISSUER: &str = "https://id.example.com";
/// base64url of 32 bytes, as `jans` wants the master key.
const MASTER_KEY: &str = "t3TzTvCBWJUIgGAaGzCSffFK-4S8qIOgdhM-a6SXPAs";
const COMPONENTS: [&str; 6] = ["auth", "fido2", "scim", "config-api", "casa", "saml"];
/// The Kubernetes versions validated against: the chart's `kubeVersion` floor and the
/// newest schemas kubernetes-validate 1.37.0 bundles.
const KUBE_VERSIONS: [&str; 2] = ["1.25.0", "1.37.0"];

fn chart() -> PathBuf {
    repo().join("deploy/helm/jans")
}

/// The renderer, built once per run with Go in GOPATH mode against Debian's packages.
fn renderer() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let gocode = Path::new("/usr/share/gocode/src/github.com");
            for dir in ["Masterminds/sprig", "ghodss/yaml"] {
                assert!(
                    gocode.join(dir).is_dir(),
                    "{} is missing: the chart tests need Debian's golang-github-masterminds-sprig-dev \
                     and golang-github-ghodss-yaml-dev (and golang-go); .ci/run installs them",
                    gocode.join(dir).display()
                );
            }
            let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("helm-render");
            std::fs::create_dir_all(&tmp).unwrap();
            let exe = tmp.join("render");
            let gopath = format!("{}:/usr/share/gocode", tmp.join("gopath").display());
            let built = Command::new("go")
                .current_dir(repo().join("deploy/helm/render"))
                .args(["build", "-o"])
                .arg(&exe)
                .arg(".")
                .env("GO111MODULE", "off")
                .env("GOPATH", gopath)
                .env("GOFLAGS", "")
                .env("GOCACHE", tmp.join("cache"))
                .output();
            match built {
                Ok(o) if o.status.success() => {}
                other => panic!(
                    "building deploy/helm/render with `go build` failed ({other:?}); the chart \
                     tests need Go (golang-go) and Debian's sprig and ghodss-yaml packages; \
                     .ci/run installs them"
                ),
            }
            run(Command::new("go")
                .current_dir(repo().join("deploy/helm/render"))
                .args(["vet", "."])
                .env("GO111MODULE", "off")
                .env("GOPATH", format!("{}:/usr/share/gocode", tmp.join("gopath").display()))
                .env("GOFLAGS", "")
                .env("GOCACHE", tmp.join("cache")));
            let unformatted = run(Command::new("gofmt")
                .arg("-l")
                .arg(repo().join("deploy/helm/render")));
            assert!(
                unformatted.stdout.is_empty(),
                "gofmt would change {}",
                String::from_utf8_lossy(&unformatted.stdout)
            );
            exe
        })
        .clone()
}

/// `render ARGS.. deploy/helm/jans`, whatever its outcome.
fn render_raw(args: &[&str]) -> Output {
    Command::new(renderer())
        .args(args)
        .arg(chart())
        .output()
        .unwrap()
}

fn render_yaml(args: &[&str]) -> String {
    let out = render_raw(args);
    assert!(
        out.status.success(),
        "render {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One rendered manifest.
#[derive(Debug)]
struct Doc {
    source: String,
    hook: Option<String>,
    m: Value,
}

impl Doc {
    fn kind(&self) -> &str {
        self.m["kind"].as_str().unwrap()
    }
    fn name(&self) -> &str {
        self.m["metadata"]["name"].as_str().unwrap()
    }
    fn annotation(&self, key: &str) -> Option<&str> {
        self.m["metadata"]["annotations"][key].as_str()
    }
}

/// The chart rendered with ARGS: yamllint and kubernetes-validate pass on the YAML, and
/// the manifests come back parsed (from the renderer's JSON output of the same render).
fn render(args: &[&str]) -> Vec<Doc> {
    let yaml = render_yaml(args);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rendered.yaml");
    std::fs::write(&file, &yaml).unwrap();
    yamllint(&[&file]);
    for version in KUBE_VERSIONS {
        let out = python_tool("kubernetes_validate", "kubernetes-validate")
            .args(["--strict", "--quiet", "-k", version])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubernetes-validate -k {version} rejected the manifests of {args:?}:\n{}{}\n{yaml}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut json_args = vec!["--json"];
    json_args.extend_from_slice(args);
    let out = render_yaml(&json_args);
    let docs: Vec<Value> = serde_json::from_str(&out).unwrap();
    // The YAML has one "# Source:" header per manifest, like `helm template`.
    assert_eq!(
        yaml.matches("\n# Source: jans/templates/").count(),
        docs.len()
    );
    assert!(yaml.starts_with("---\n# Source: jans/templates/"));
    docs.into_iter()
        .map(|d| Doc {
            source: d["source"].as_str().unwrap().to_owned(),
            hook: d["hook"].as_str().map(str::to_owned),
            m: d["manifest"].clone(),
        })
        .collect()
}

/// `python3 -m MODULE`, or the console script when that module is not importable (console
/// scripts may be missing from PATH under pyenv until a rehash).
fn python_tool(module: &str, script: &str) -> Command {
    let importable = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if importable {
        let mut c = Command::new("python3");
        c.args(["-m", module]);
        return c;
    }
    match Command::new(script).arg("--version").output() {
        Ok(o) if o.status.success() => Command::new(script),
        other => panic!(
            "neither `python3 -m {module}` nor `{script}` works ({other:?}): the chart tests \
             need PyPI's yamllint==1.38.0 and kubernetes-validate==1.37.0; .ci/run installs them"
        ),
    }
}

fn yamllint(files: &[&Path]) {
    run(python_tool("yamllint", "yamllint")
        .args(["-s", "-f", "parsable", "-c"])
        .arg(repo().join("deploy/.yamllint"))
        .args(files));
}

fn of_kind<'a>(docs: &'a [Doc], kind: &str) -> Vec<&'a Doc> {
    docs.iter().filter(|d| d.kind() == kind).collect()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// The only container of a pod template.
fn container(workload: &Doc) -> &Value {
    let containers = workload.m["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 1, "{}", workload.name());
    &containers[0]
}

fn env<'a>(container: &'a Value, name: &str) -> Option<&'a Value> {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
}

/// NAME is read from the Secret SECRET under KEY, and never given as a literal.
fn assert_secret_env(workload: &Doc, name: &str, secret: &str, key: &str) {
    let c = container(workload);
    let e = env(c, name).unwrap_or_else(|| panic!("{}: no {name}", workload.name()));
    assert!(
        e.get("value").is_none(),
        "{}: literal {name}",
        workload.name()
    );
    assert_eq!(
        e["valueFrom"]["secretKeyRef"],
        serde_json::json!({"name": secret, "key": key}),
        "{}: {name}",
        workload.name()
    );
}

/// The settings every jans pod has: non-root, read-only root file system with the data
/// directory mounted, no capabilities, RuntimeDefault seccomp, no API token.
fn assert_hardened(workload: &Doc) {
    let pod = &workload.m["spec"]["template"]["spec"];
    let c = container(workload);
    let name = workload.name();
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
    assert_eq!(pod["securityContext"]["runAsUser"], 65532, "{name}");
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
        "{name}"
    );
    assert_eq!(pod["automountServiceAccountToken"], false, "{name}");
    let sc = &c["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true, "{name}");
    assert_eq!(sc["allowPrivilegeEscalation"], false, "{name}");
    assert_eq!(sc["readOnlyRootFilesystem"], true, "{name}");
    assert_eq!(strs(&sc["capabilities"]["drop"]), ["ALL"], "{name}");
    assert_eq!(
        env(c, "JANS_DATA_DIR").unwrap()["value"],
        "/var/lib/jans",
        "{name}"
    );
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/var/lib/jans", "{name}");
    let mount = c["volumeMounts"][0]["name"].as_str().unwrap();
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount)
        .unwrap_or_else(|| panic!("{name}: no volume {mount}"));
    assert!(
        volume.get("emptyDir").is_some() || volume.get("persistentVolumeClaim").is_some(),
        "{name}: {volume}"
    );
    assert_eq!(env(c, "JANS_ISSUER").unwrap()["value"], ISSUER, "{name}");
}

/// A Deployment serving COMPONENTS: `serve --components COMPONENTS`, listening on the
/// probed port, with liveness, readiness and startup probes on the health endpoints.
fn assert_serves(d: &Doc, components: &str) {
    let c = container(d);
    let args = strs(&c["args"]);
    let serve = args.iter().position(|a| *a == "serve").unwrap();
    assert_eq!(
        args[serve + 1..],
        ["--components", components],
        "{}",
        d.name()
    );
    assert_eq!(env(c, "JANS_LISTEN").unwrap()["value"], "0.0.0.0:8080");
    assert_eq!(c["ports"][0]["containerPort"], 8080);
    assert_eq!(c["ports"][0]["name"], "http");
    for (probe, path) in [
        ("livenessProbe", "/health/live"),
        ("readinessProbe", "/health/ready"),
        ("startupProbe", "/health/live"),
    ] {
        assert_eq!(c[probe]["httpGet"]["path"], path, "{} {probe}", d.name());
        assert_eq!(c[probe]["httpGet"]["port"], "http", "{} {probe}", d.name());
    }
    assert_hardened(d);
}

/// Every Service, PodDisruptionBudget and HPA names a Deployment, and their selectors pick
/// that Deployment's pods and no other's.
fn assert_selectors_match(docs: &[Doc]) {
    let deployments = of_kind(docs, "Deployment");
    let labels = |d: &Doc| d.m["spec"]["template"]["metadata"]["labels"].clone();
    let selects = |selector: &Value, d: &Doc| {
        selector
            .as_object()
            .unwrap()
            .iter()
            .all(|(k, v)| labels(d)[k] == *v)
    };
    for d in &deployments {
        assert!(selects(&d.m["spec"]["selector"]["matchLabels"], d));
    }
    for doc in docs {
        let selector = match doc.kind() {
            "Service" => &doc.m["spec"]["selector"],
            "PodDisruptionBudget" => &doc.m["spec"]["selector"]["matchLabels"],
            _ => continue,
        };
        let picked: Vec<&str> = deployments
            .iter()
            .filter(|d| selects(selector, d))
            .map(|d| d.name())
            .collect();
        assert_eq!(
            picked,
            [doc.name()],
            "{} {} selects {picked:?}",
            doc.kind(),
            doc.name()
        );
    }
}

fn aio_args() -> Vec<String> {
    vec![
        "--set".into(),
        format!("issuer={ISSUER}"),
        "--set".into(),
        "database.url=postgres://jans:secret@db:5432/jans".into(),
        "--set".into(),
        format!("masterKey.value={MASTER_KEY}"),
    ]
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn chart_and_values_files_pass_yamllint() {
    let c = chart();
    yamllint(&[
        &c.join("Chart.yaml"),
        &c.join("values.yaml"),
        &c.join("values-microservices.yaml"),
        &repo().join("deploy/.yamllint"),
    ]);
    // The image tag defaults to the chart's appVersion: the workspace's version.
    let chart_yaml = std::fs::read_to_string(c.join("Chart.yaml")).unwrap();
    let cargo = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let version = cargo
        .split("[workspace.package]")
        .nth(1)
        .and_then(|s| s.lines().find(|l| l.starts_with("version = ")))
        .unwrap()
        .trim_start_matches("version = ");
    assert!(
        chart_yaml.contains(&format!("\nappVersion: {version}\n")),
        "Chart.yaml appVersion is not {version}"
    );
    assert!(chart_yaml.starts_with("apiVersion: v2\n"));
}

#[test]
fn all_in_one_is_one_deployment_serving_every_component() {
    let docs = render(&refs(&aio_args()));
    let deployments = of_kind(&docs, "Deployment");
    assert_eq!(deployments.len(), 1, "{docs:#?}");
    let d = deployments[0];
    assert_eq!(d.name(), "jans");
    assert_eq!(d.source, "jans/templates/deployment.yaml");
    assert_serves(d, &COMPONENTS.join(","));
    assert_eq!(d.m["spec"]["replicas"], 1);
    assert_eq!(
        container(d)["image"],
        "jans:0.1.0",
        "the image tag defaults to appVersion"
    );
    assert_eq!(
        env(container(d), "JANS_PERSISTENCE_TYPE").unwrap()["value"],
        "postgres"
    );
    // The URL and the key come from the chart's Secret, which the pods and the Job read.
    assert_secret_env(d, "JANS_DATABASE_URL", "jans-secrets", "url");
    assert_secret_env(d, "JANS_MASTER_KEY", "jans-secrets", "masterKey");
    let secrets = of_kind(&docs, "Secret");
    assert_eq!(secrets.len(), 1);
    let secret = secrets[0];
    assert_eq!(secret.name(), "jans-secrets");
    assert_eq!(
        secret.m["stringData"],
        serde_json::json!({"url": "postgres://jans:secret@db:5432/jans", "masterKey": MASTER_KEY})
    );
    // The Job runs before ordinary resources exist, so the Secret is a hook created first.
    let job = of_kind(&docs, "Job");
    assert_eq!(job.len(), 1);
    let job = job[0];
    assert_migrate_job(job, "jans-secrets", "url", "jans-secrets", "masterKey");
    assert_eq!(secret.hook.as_deref(), Some("pre-install,pre-upgrade"));
    let weight = |d: &Doc| {
        d.annotation("helm.sh/hook-weight")
            .unwrap()
            .parse::<i32>()
            .unwrap()
    };
    assert!(weight(secret) < weight(job));
    assert!(
        !secret
            .annotation("helm.sh/hook-delete-policy")
            .unwrap()
            .contains("hook-succeeded"),
        "the pods still need the Secret after the Job"
    );
    // Hooks come after the ordinary resources, as `helm template` prints them.
    let first_hook = docs.iter().position(|d| d.hook.is_some()).unwrap();
    assert!(docs[first_hook..].iter().all(|d| d.hook.is_some()));
    assert_eq!(of_kind(&docs, "Service").len(), 1);
    assert_eq!(of_kind(&docs, "PodDisruptionBudget").len(), 1);
    assert!(of_kind(&docs, "HorizontalPodAutoscaler").is_empty());
    assert!(of_kind(&docs, "Ingress").is_empty());
    assert!(of_kind(&docs, "PersistentVolumeClaim").is_empty());
    assert_selectors_match(&docs);

    // The same with an Ingress: every Janssen path to the one Service.
    let mut args = aio_args();
    args.extend(["--set".into(), "ingress.enabled=true".into()]);
    let docs = render(&refs(&args));
    let routes = ingress_routes(&docs);
    assert_eq!(
        routes
            .iter()
            .map(|(p, _, _)| p.as_str())
            .collect::<Vec<_>>(),
        [
            "/jans-auth",
            "/.well-known",
            "/jans-fido2",
            "/jans-scim",
            "/jans-config-api",
            "/jans-casa",
            "/jans-saml"
        ]
    );
    assert!(routes.iter().all(|(_, _, s)| s == "jans"));
}

fn assert_migrate_job(job: &Doc, db_secret: &str, db_key: &str, mk_secret: &str, mk_key: &str) {
    assert_eq!(job.name(), "jans-migrate");
    assert_eq!(job.hook.as_deref(), Some("pre-install,pre-upgrade"));
    assert_eq!(
        job.annotation("helm.sh/hook-delete-policy"),
        Some("before-hook-creation,hook-succeeded")
    );
    assert!(job.m["spec"]["backoffLimit"].as_u64().unwrap() > 0);
    assert_eq!(job.m["spec"]["template"]["spec"]["restartPolicy"], "Never");
    let c = container(job);
    // The Job's data directory is an emptyDir: no admin client whose secret would be lost.
    assert!(
        strs(&c["args"]).ends_with(&["migrate", "--no-admin-client"]),
        "{:?}",
        c["args"]
    );
    assert_secret_env(job, "JANS_DATABASE_URL", db_secret, db_key);
    assert_secret_env(job, "JANS_MASTER_KEY", mk_secret, mk_key);
    assert_eq!(
        env(c, "JANS_PERSISTENCE_TYPE").unwrap()["value"],
        "postgres"
    );
    assert_hardened(job);
}

/// (path, pathType, Service) of the one Ingress.
fn ingress_routes(docs: &[Doc]) -> Vec<(String, String, String)> {
    let ingresses = of_kind(docs, "Ingress");
    assert_eq!(ingresses.len(), 1);
    let rule = &ingresses[0].m["spec"]["rules"][0];
    assert_eq!(rule["host"], "id.example.com", "the issuer's host");
    rule["http"]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["backend"]["service"]["port"]["name"], "http");
            (
                p["path"].as_str().unwrap().to_owned(),
                p["pathType"].as_str().unwrap().to_owned(),
                p["backend"]["service"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn microservices_is_one_deployment_per_component() {
    let overlay = chart().join("values-microservices.yaml");
    let overlay = overlay.to_str().unwrap();
    let issuer = format!("issuer={ISSUER}");
    let docs = render(&["-f", overlay, "--set", &issuer]);
    let deployments = of_kind(&docs, "Deployment");
    assert_eq!(
        deployments.iter().map(|d| d.name()).collect::<Vec<_>>(),
        COMPONENTS.map(|c| format!("jans-{c}"))
    );
    for (d, component) in deployments.iter().zip(COMPONENTS) {
        assert_serves(d, component);
        assert_eq!(
            d.m["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"],
            component
        );
        // The overlay names existing Secrets: the pods read those.
        assert_secret_env(d, "JANS_DATABASE_URL", "jans-db", "url");
        assert_secret_env(d, "JANS_MASTER_KEY", "jans-master-key", "masterKey");
    }
    // Casa and the SAML IdP are OpenID Connect clients of the auth-server in-process (their
    // clients in its store, their callbacks' codes redeemed at its token endpoint): their
    // pods have auth's issuer, store and master key.
    let auth = container(deployments[0]);
    for d in deployments
        .iter()
        .filter(|d| ["jans-casa", "jans-saml"].contains(&d.name()))
    {
        for name in [
            "JANS_ISSUER",
            "JANS_PERSISTENCE_TYPE",
            "JANS_DATABASE_URL",
            "JANS_MASTER_KEY",
        ] {
            assert_eq!(
                env(container(d), name),
                env(auth, name),
                "{} {name}",
                d.name()
            );
        }
    }
    // existingSecret for both: the chart makes no Secret, and the Job reads the same ones.
    assert!(of_kind(&docs, "Secret").is_empty());
    let jobs = of_kind(&docs, "Job");
    assert_eq!(jobs.len(), 1);
    assert_migrate_job(jobs[0], "jans-db", "url", "jans-master-key", "masterKey");

    // The auth Deployment scales with its HPA (and so has no fixed replica count); the
    // others keep theirs.
    let hpas = of_kind(&docs, "HorizontalPodAutoscaler");
    assert_eq!(hpas.len(), 1);
    let hpa = &hpas[0].m;
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");
    assert_eq!(
        hpa["spec"]["scaleTargetRef"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "jans-auth"})
    );
    assert_eq!(hpa["spec"]["minReplicas"], 2);
    assert_eq!(hpa["spec"]["maxReplicas"], 20);
    assert_eq!(hpa["spec"]["metrics"][0]["resource"]["name"], "cpu");
    assert!(deployments[0].m["spec"].get("replicas").is_none());
    assert_eq!(deployments[1].m["spec"]["replicas"], 2);

    // A PodDisruptionBudget and a Service per Deployment.
    let pdbs = of_kind(&docs, "PodDisruptionBudget");
    assert_eq!(
        pdbs.iter().map(|d| d.name()).collect::<Vec<_>>(),
        deployments.iter().map(|d| d.name()).collect::<Vec<_>>()
    );
    for p in &pdbs {
        assert_eq!(p.m["apiVersion"], "policy/v1");
        assert_eq!(p.m["spec"]["maxUnavailable"], 1);
    }
    assert_eq!(of_kind(&docs, "Service").len(), deployments.len());
    assert_selectors_match(&docs);

    // Janssen's paths, each to its component's Service.
    let routes = ingress_routes(&docs);
    for (path, kind, service) in [
        ("/jans-auth", "Prefix", "jans-auth"),
        ("/.well-known", "Prefix", "jans-auth"),
        ("/.well-known/fido2-configuration", "Exact", "jans-fido2"),
        ("/jans-fido2", "Prefix", "jans-fido2"),
        ("/.well-known/scim-configuration", "Exact", "jans-scim"),
        ("/jans-scim", "Prefix", "jans-scim"),
        ("/jans-config-api", "Prefix", "jans-config-api"),
        ("/jans-casa", "Prefix", "jans-casa"),
        ("/jans-saml", "Prefix", "jans-saml"),
        // The admin routes FIDO2, SCIM and SAML serve themselves: past the config-api pods
        // (Ingress picks the longest matching prefix).
        ("/jans-config-api/fido2", "Prefix", "jans-fido2"),
        ("/jans-config-api/scim", "Prefix", "jans-scim"),
        ("/jans-config-api/kc/saml", "Prefix", "jans-saml"),
    ] {
        assert!(
            routes.contains(&(path.into(), kind.into(), service.into())),
            "{path} -> {service} missing from {routes:?}"
        );
    }
    assert_eq!(routes.len(), 12);
    let ingress = of_kind(&docs, "Ingress")[0];
    assert_eq!(ingress.m["spec"]["tls"][0]["secretName"], "jans-tls");
    assert_eq!(ingress.m["spec"]["ingressClassName"], "nginx");

    // A disabled component has no Deployment, Service, PDB or route.
    let docs = render(&[
        "-f",
        overlay,
        "--set",
        &issuer,
        "--set",
        "components.casa.enabled=false,components.scim.enabled=false",
    ]);
    let names: Vec<&str> = of_kind(&docs, "Deployment")
        .iter()
        .map(|d| d.name())
        .collect();
    assert_eq!(
        names,
        ["jans-auth", "jans-fido2", "jans-config-api", "jans-saml"]
    );
    assert_eq!(of_kind(&docs, "PodDisruptionBudget").len(), 4);
    assert_eq!(of_kind(&docs, "Service").len(), 4);
    let routes = ingress_routes(&docs);
    assert!(
        routes
            .iter()
            .all(|(p, _, _)| !p.contains("casa") && !p.contains("scim"))
    );
}

#[test]
fn sled_is_one_pod_on_a_volume() {
    let issuer = format!("issuer={ISSUER}");
    let docs = render(&["--set", &issuer, "--set", "persistence.type=sled"]);
    let deployments = of_kind(&docs, "Deployment");
    assert_eq!(deployments.len(), 1);
    let d = deployments[0];
    assert_serves(d, &COMPONENTS.join(","));
    assert_eq!(d.m["spec"]["replicas"], 1);
    assert_eq!(d.m["spec"]["strategy"]["type"], "Recreate");
    assert_eq!(
        d.m["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "jans-data"
    );
    let pvcs = of_kind(&docs, "PersistentVolumeClaim");
    assert_eq!(pvcs.len(), 1);
    assert_eq!(pvcs[0].name(), "jans-data");
    assert_eq!(pvcs[0].annotation("helm.sh/resource-policy"), Some("keep"));
    // No database, no migration, no Secret: the first start writes the key to the volume.
    let c = container(d);
    assert!(env(c, "JANS_DATABASE_URL").is_none());
    assert!(env(c, "JANS_MASTER_KEY").is_none());
    assert_eq!(env(c, "JANS_PERSISTENCE_TYPE").unwrap()["value"], "sled");
    assert!(of_kind(&docs, "Job").is_empty());
    assert!(of_kind(&docs, "Secret").is_empty());
    assert!(docs.iter().all(|d| d.hook.is_none()));

    // A master key given for sled: an ordinary (not hook) Secret, read by the pod.
    let mk = format!("masterKey.value={MASTER_KEY}");
    let docs = render(&[
        "--set",
        &issuer,
        "--set",
        "persistence.type=sled",
        "--set",
        &mk,
    ]);
    let secret = of_kind(&docs, "Secret");
    assert_eq!(secret.len(), 1);
    assert!(secret[0].hook.is_none());
    assert_eq!(
        secret[0].m["stringData"],
        serde_json::json!({"masterKey": MASTER_KEY})
    );
    assert_secret_env(
        of_kind(&docs, "Deployment")[0],
        "JANS_MASTER_KEY",
        "jans-secrets",
        "masterKey",
    );
}

#[test]
fn mixed_secrets_and_value_overrides() {
    // The URL from an existing Secret (custom key), the key from a value: the chart's
    // Secret holds only the key.
    let issuer = format!("issuer={ISSUER}");
    let mk = format!("masterKey.value={MASTER_KEY}");
    let docs = render(&[
        "--set",
        &issuer,
        "--set",
        "database.existingSecret=pg-app,database.existingSecretKey=uri",
        "--set",
        &mk,
        // Helm's value semantics: null removes a default, numbers are typed.
        "--set",
        "podDisruptionBudget.maxUnavailable=null,podDisruptionBudget.minAvailable=1",
        "--set",
        "image.repository=registry.example.com/jans,image.tag=1.2.3",
        "--set",
        "allInOne.replicas=3",
        "--name",
        "idp",
    ]);
    let secrets = of_kind(&docs, "Secret");
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0].name(), "idp-jans-secrets");
    assert_eq!(
        secrets[0].m["stringData"],
        serde_json::json!({"masterKey": MASTER_KEY})
    );
    let d = of_kind(&docs, "Deployment")[0];
    assert_eq!(d.name(), "idp-jans");
    assert_eq!(d.m["spec"]["replicas"], 3);
    assert_eq!(container(d)["image"], "registry.example.com/jans:1.2.3");
    assert_secret_env(d, "JANS_DATABASE_URL", "pg-app", "uri");
    assert_secret_env(d, "JANS_MASTER_KEY", "idp-jans-secrets", "masterKey");
    assert_migrate_job_named(&docs, "idp-jans-migrate");
    let pdb = &of_kind(&docs, "PodDisruptionBudget")[0].m["spec"];
    assert_eq!(pdb["minAvailable"], 1);
    assert!(pdb.get("maxUnavailable").is_none());
    // No database CA given: no CA volume, no CA file.
    assert!(env(container(d), "JANS_DATABASE_CA_FILE").is_none());
}

#[test]
fn database_ca_is_mounted_for_tls() {
    let issuer = format!("issuer={ISSUER}");
    let mk = format!("masterKey.value={MASTER_KEY}");
    let docs = render(&[
        "--set",
        &issuer,
        "--set",
        &mk,
        "--set",
        "database.url=postgres://jans@db/jans?sslmode=require",
        "--set",
        "database.caSecret=pg-ca",
    ]);
    let d = of_kind(&docs, "Deployment")[0];
    let job = of_kind(&docs, "Job")[0];
    for pod in [d, job] {
        let c = container(pod);
        assert_eq!(
            env(c, "JANS_DATABASE_CA_FILE").unwrap()["value"],
            "/etc/jans/database-ca/ca.pem"
        );
        let mounts = c["volumeMounts"].as_array().unwrap();
        let mount = mounts.iter().find(|m| m["name"] == "database-ca").unwrap();
        assert_eq!(mount["mountPath"], "/etc/jans/database-ca");
        assert_eq!(mount["readOnly"], true);
        let volumes = pod.m["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .unwrap();
        let volume = volumes.iter().find(|v| v["name"] == "database-ca").unwrap();
        assert_eq!(volume["secret"]["secretName"], "pg-ca");
        assert_eq!(volume["secret"]["items"][0]["key"], "ca.crt");
        assert_eq!(volume["secret"]["items"][0]["path"], "ca.pem");
    }
}

/// The one Job is NAME and reads the URL from pg-app's key uri.
fn assert_migrate_job_named(docs: &[Doc], name: &str) {
    let jobs = of_kind(docs, "Job");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].name(), name);
    assert_secret_env(jobs[0], "JANS_DATABASE_URL", "pg-app", "uri");
}

#[test]
fn values_that_cannot_work_fail_the_render_with_the_reason() {
    let issuer = format!("issuer={ISSUER}");
    let mk = format!("masterKey.value={MASTER_KEY}");
    let db = "database.url=postgres://db/jans";
    let cases: &[(&[&str], &str)] = &[
        (&["--set", db, "--set", &mk], "issuer is required"),
        (
            &[
                "--set",
                "issuer=http://id.example.com",
                "--set",
                db,
                "--set",
                &mk,
            ],
            "requires an https URL",
        ),
        (
            &["--set", &issuer, "--set", &mk],
            "the PostgreSQL URL is required",
        ),
        (
            &["--set", &issuer, "--set", db],
            "the master key is required",
        ),
        (
            &[
                "--set",
                &issuer,
                "--set",
                db,
                "--set",
                "masterKey.value=short",
            ],
            "43 characters",
        ),
        (
            &[
                "--set",
                &issuer,
                "--set",
                "persistence.type=sled",
                "--set",
                "mode=microservices",
            ],
            "use mode all-in-one",
        ),
        (
            &[
                "--set",
                &issuer,
                "--set",
                "persistence.type=sled",
                "--set",
                "allInOne.replicas=2",
            ],
            "allInOne.replicas must be 1",
        ),
        (
            &["--set", &issuer, "--set", "persistence.type=ldap"],
            "use postgres or sled",
        ),
        (
            &["--set", &issuer, "--set", "mode=cluster"],
            "use all-in-one or microservices",
        ),
        (
            &[
                "--set",
                &issuer,
                "--set",
                db,
                "--set",
                &mk,
                "--set",
                "components.oauth.enabled=true",
            ],
            "unknown component",
        ),
        (
            &[
                "--set",
                &issuer,
                "--set",
                db,
                "--set",
                &mk,
                "--set",
                "podDisruptionBudget.minAvailable=1",
            ],
            "exactly one of minAvailable and maxUnavailable",
        ),
        (
            &[
                "--set",
                &issuer,
                "--set",
                db,
                "--set",
                &mk,
                "--set",
                "components.auth.enabled=false,components.fido2.enabled=false,components.scim.enabled=false,components.config-api.enabled=false,components.casa.enabled=false,components.saml.enabled=false",
            ],
            "enable at least one component",
        ),
        // Chart.yaml's kubeVersion, checked as Helm checks it.
        (
            &[
                "--kube-version",
                "1.24.0",
                "--set",
                &issuer,
                "--set",
                db,
                "--set",
                &mk,
            ],
            "incompatible with Kubernetes",
        ),
    ];
    for (args, reason) in cases {
        let out = render_raw(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} rendered");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed manifests");
    }
}

#[test]
fn notes_render_for_each_layout() {
    let issuer = format!("issuer={ISSUER}");
    let overlay = chart().join("values-microservices.yaml");
    let notes = render_yaml(&["--notes", "-f", overlay.to_str().unwrap(), "--set", &issuer]);
    assert!(
        notes.contains("jans-auth  (jans serve --components auth)"),
        "{notes}"
    );
    assert!(notes.contains("hook Job jans-migrate"), "{notes}");
    assert!(
        notes.contains("exec deploy/jans-auth -- jans client add"),
        "{notes}"
    );
    let notes = render_yaml(&[
        "--notes",
        "--set",
        &issuer,
        "--set",
        "persistence.type=sled",
    ]);
    assert!(notes.contains("PersistentVolumeClaim jans-data"), "{notes}");
    assert!(
        notes.contains(&format!("{ISSUER}/jans-auth/restv1/register")),
        "{notes}"
    );
}

/// Instructions of the Dockerfile (continuation lines joined), with the stage they are in.
fn dockerfile() -> Vec<(usize, String, String)> {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let mut out = Vec::new();
    let mut stage = 0;
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || (line.starts_with('#') && pending.is_empty()) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        let (op, rest) = full.split_once(' ').unwrap();
        let op = op.to_ascii_uppercase();
        if op == "FROM" && !out.is_empty() {
            stage += 1;
        }
        out.push((stage, op, rest.trim().to_owned()));
    }
    out
}

#[test]
fn dockerfile_builds_the_jans_binary_into_a_non_root_image() {
    let ins = dockerfile();
    let last_stage = ins.last().unwrap().0;
    assert_eq!(last_stage, 1, "a builder stage and a runtime stage");
    let get = |stage: usize, op: &str| -> Vec<&str> {
        ins.iter()
            .filter(|(s, o, _)| *s == stage && o == op)
            .map(|(_, _, r)| r.as_str())
            .collect()
    };
    // The builder uses the pinned toolchain and builds jans-http's binary.
    let toolchain = std::fs::read_to_string(repo().join("rust-toolchain.toml")).unwrap();
    let channel = toolchain
        .lines()
        .find_map(|l| l.strip_prefix("channel = "))
        .unwrap()
        .trim_matches('"');
    let from = get(0, "FROM")[0];
    assert!(
        from.starts_with(&format!("rust:{channel}-")),
        "builder {from} is not the pinned toolchain {channel}"
    );
    let manifest = std::fs::read_to_string(repo().join("jans-http/Cargo.toml")).unwrap();
    let bin = manifest
        .split("[[bin]]")
        .nth(1)
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("name = ")))
        .unwrap()
        .trim_matches('"');
    let build = get(0, "RUN").join(" ");
    assert!(
        build.contains(&format!(
            "cargo build --release --locked -p jans-http --bin {bin}"
        )),
        "{build}"
    );
    assert!(build.contains(&format!("target/release/{bin} /out/usr/local/bin/jans")));
    // What the builder copies exists and is not excluded from the build context.
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    let ignored: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for copy in get(0, "COPY") {
        let parts: Vec<&str> = copy.split_whitespace().collect();
        for src in &parts[..parts.len() - 1] {
            assert!(repo().join(src).exists(), "COPY source {src} is missing");
        }
    }
    let cargo = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let members = cargo
        .lines()
        .find_map(|l| l.strip_prefix("members = "))
        .unwrap();
    let members: Vec<&str> = serde_json::from_str(members).unwrap();
    let needed: Vec<&str> = members
        .iter()
        .copied()
        .chain(["Cargo.toml", "Cargo.lock", "rust-toolchain.toml"])
        .collect();
    for path in needed {
        assert!(repo().join(path).exists(), "{path}");
        assert!(
            !ignored.contains(&path),
            ".dockerignore excludes {path}, which the build needs"
        );
    }
    for excluded in ["target", ".git", "**/node_modules"] {
        assert!(
            ignored.contains(&excluded),
            ".dockerignore keeps {excluded}"
        );
    }

    // The runtime: the binary from the builder, a numeric non-root user that owns the data
    // directory and is the chart's runAsUser, the listen address the chart probes, the
    // health check through `jans healthcheck`.
    let copies = get(1, "COPY");
    assert!(copies.contains(&"--from=build /out/usr/local/bin/jans /usr/local/bin/jans"));
    let user = get(1, "USER");
    assert_eq!(user.len(), 1);
    let uid: u32 = user[0].split(':').next().unwrap().parse().unwrap();
    assert_ne!(uid, 0);
    assert!(copies.contains(
        &format!("--from=build --chown={uid}:{uid} /out/var/lib/jans /var/lib/jans").as_str()
    ));
    let values = std::fs::read_to_string(chart().join("values.yaml")).unwrap();
    assert!(values.contains(&format!("  runAsUser: {uid}\n")));
    let env = get(1, "ENV").join(" ");
    assert!(env.contains("JANS_LISTEN=0.0.0.0:8080"), "{env}");
    assert!(env.contains("JANS_DATA_DIR=/var/lib/jans"), "{env}");
    assert_eq!(get(1, "EXPOSE"), ["8080"]);
    let health = get(1, "HEALTHCHECK");
    assert_eq!(health.len(), 1);
    assert!(
        health[0].ends_with(r#"CMD ["/usr/local/bin/jans", "healthcheck"]"#),
        "{}",
        health[0]
    );
    assert_eq!(get(1, "ENTRYPOINT"), [r#"["/usr/local/bin/jans"]"#]);
    assert_eq!(get(1, "CMD"), [r#"["serve"]"#]);
    // The command the health check runs exists.
    let help = run(Command::new(env!("CARGO_BIN_EXE_jans")).args(["healthcheck", "--help"]));
    assert!(String::from_utf8_lossy(&help.stdout).contains("/health/ready"));
}

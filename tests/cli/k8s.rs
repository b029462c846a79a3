//! `captest k8s render`: the manifests validate offline against the Kubernetes schemas of the
//! version the README names (`kubernetes-validate`, installed by test.sh), read back as YAML to
//! what was asked (the scenario byte for byte, the load flags), and bad input is one line, exit 2.

use std::path::Path;
use std::process::Command;

use crate::support::run_captest;

/// The Kubernetes version of deploy/k8s/README.md and the README (`backoffLimitPerIndex` GA).
const KUBERNETES_VERSION: &str = "1.33.0";

/// A scenario whose text a careless YAML writer would change: quotes, a `#`, a `: `, tabs,
/// trailing spaces, an empty line, non-ASCII text and no final line end.
const SCENARIO: &str = "# a comment: kept\n[users.Reader]\nweight = 1\n\n[[users.Reader.tasks]]\nrequest = \"GET /items?q=a: b #c\"\t\nname = 'naïve → ✓'   \nheaders = { \"X-Yes\" = \"no\" }";

/// `kubernetes-validate --strict` of `manifests` for [`KUBERNETES_VERSION`]: success and output.
fn validate(dir: &Path, manifests: &[u8]) -> (bool, String) {
    let file = dir.join("manifests.yaml");
    std::fs::write(&file, manifests).expect("write the manifests");
    let output = Command::new("python3")
        .args([
            "-m",
            "kubernetes_validate",
            "--strict",
            "-k",
            KUBERNETES_VERSION,
        ])
        .arg(&file)
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !text.contains("No module named kubernetes_validate"),
        "kubernetes-validate is missing: ./test.sh --install-only installs it"
    );
    (output.status.success(), text)
}

/// The documents of a YAML stream, as JSON, read by PyYAML (kubernetes-validate's reader).
fn documents(dir: &Path, manifests: &[u8]) -> Vec<serde_json::Value> {
    let file = dir.join("read.yaml");
    std::fs::write(&file, manifests).expect("write the manifests");
    let script = "import json, sys, yaml\nprint(json.dumps(list(yaml.safe_load_all(open(sys.argv[1], encoding='utf-8')))))";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "PyYAML reads the manifests: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn rendered_manifests_validate_and_read_back_as_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("items.toml");
    std::fs::write(&scenario, SCENARIO).expect("write the scenario");
    let output = run_captest(&[
        "k8s",
        "render",
        "--shards",
        "4",
        "--namespace",
        "perf",
        "--image",
        "registry.example/captest:1",
        "--scenario",
        scenario.to_str().expect("UTF-8 path"),
        "--storage-class",
        "nfs",
        "rate",
        "--host",
        "http://api:8080",
        "--rps",
        "200",
        "-t",
        "10m",
        "--tags",
        "read,write",
    ]);
    assert!(
        output.status.success(),
        "render: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (valid, report) = validate(dir.path(), &output.stdout);
    assert!(valid, "kubernetes-validate {KUBERNETES_VERSION}: {report}");

    let documents = documents(dir.path(), &output.stdout);
    let kinds: Vec<&str> = documents
        .iter()
        .map(|d| d["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "ConfigMap",
            "PersistentVolumeClaim",
            "Service",
            "Job",
            "Job"
        ]
    );
    assert_eq!(
        documents[0]["data"]["scenario.toml"], SCENARIO,
        "the scenario, byte for byte"
    );
    assert_eq!(documents[1]["spec"]["storageClassName"], "nfs");
    let shards = &documents[4]["spec"];
    assert_eq!(shards["completions"], 4);
    assert_eq!(shards["parallelism"], 4);
    let args: Vec<&str> = shards["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("a string"))
        .collect();
    assert_eq!(
        args[..10],
        [
            "rate",
            "/scenario/scenario.toml",
            "--host",
            "http://api:8080",
            "--rps",
            "200",
            "-t",
            "10m",
            "--tags",
            "read,write"
        ]
    );
}

#[test]
fn manifests_that_break_the_schema_are_refused_by_the_validator() {
    // The check above can fail: the same manifests with a misspelt field do not validate.
    let output = run_captest(&[
        "k8s",
        "render",
        "--shards",
        "2",
        "run",
        "--host",
        "http://api:8080",
        "-t",
        "1m",
    ]);
    assert!(
        output.status.success(),
        "render: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout)
        .replace("backoffLimitPerIndex", "backoffLimitPerIndx");
    let dir = tempfile::tempdir().expect("temp dir");
    let (valid, report) = validate(dir.path(), text.as_bytes());
    assert!(!valid, "a misspelt field validates: {report}");
}

#[test]
fn bad_render_input_is_one_line_and_exit_2() {
    let cases: [(&[&str], &str); 7] = [
        (&["--shards", "0", "run"], "--shards"),
        (
            &["--shards", "2", "--name", "Load_1", "run"],
            "--name \"Load_1\": expected a DNS label",
        ),
        (
            &["--shards", "2", "--storage", "lots", "run"],
            "--storage \"lots\": expected a Kubernetes quantity",
        ),
        (
            &["--shards", "2", "run", "-u", "x"],
            "the run flags: invalid value 'x' for '--users <USERS>'",
        ),
        (
            &["--shards", "2", "step", "--csv", "out/run"],
            "leave --csv out of the step flags",
        ),
        (
            &["--shards", "2", "run", "items.toml"],
            "give the scenario file as --scenario items.toml",
        ),
        (
            &["--shards", "2", "rate", "--rps", "5"],
            "give rate -t/--run-time (or stages)",
        ),
    ];
    for (args, needle) in cases {
        let output = run_captest(&[&["k8s", "render"], args].concat());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        assert!(
            stderr.contains(needle),
            "{args:?}: {stderr:?} names {needle:?}"
        );
        assert!(output.stdout.is_empty(), "{args:?}: nothing printed");
    }
}

#[test]
fn the_example_in_deploy_k8s_is_what_render_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = crate::support::captest()
        .current_dir(root)
        .args(["k8s", "render", "--shards", "4", "--namespace", "perf"])
        .args(["--image", "registry.example/captest:1"])
        .args(["--scenario", "examples/items-crud.toml", "run"])
        .args([
            "--host",
            "http://items.perf:8080",
            "-u",
            "200",
            "-r",
            "20",
            "-t",
            "10m",
        ])
        .output()
        .expect("captest runs");
    assert!(
        output.status.success(),
        "render: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let example = std::fs::read(root.join("deploy/k8s/example.yaml")).expect("the example");
    assert!(
        output.stdout == example,
        "deploy/k8s/example.yaml is out of date: regenerate it with the command in deploy/k8s/README.md"
    );
}

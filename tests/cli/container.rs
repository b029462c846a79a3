//! The container image (deploy/Dockerfile, FROM scratch) built by deploy/image.sh from the binary
//! under test, on the machine's Docker engine: it runs as a non-root user, and a `captest run`
//! container reaches a `captest demo-server` container by its name on a private network (both
//! with a read-only root filesystem, as the Kubernetes manifests run them), writing files on a
//! bind-mounted directory that `captest analyze` reads on the host. Skipped, saying
//! why, only when no Docker daemon answers.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::support::docker::{docker, docker_ok, unavailable, Scratch};
use crate::support::{cores, read_csv, run_captest, with_suffix};

/// `deploy/image.sh --binary BINARY --tag TAG`: the image of the test build (a dynamically
/// linked debug binary, so the script copies its libraries in too).
fn build_image(tag: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/image.sh");
    let output = Command::new(script)
        .args(["--binary", env!("CARGO_BIN_EXE_captest"), "--tag", tag])
        .output()
        .expect("deploy/image.sh runs");
    assert!(
        output.status.success(),
        "deploy/image.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The request total a demo server's container printed on stderr when it stopped.
fn server_total(container: &str) -> u64 {
    docker_ok(&["stop", "--time", "10", container]);
    let logs = docker(&["logs", container]);
    let stderr = String::from_utf8_lossy(&logs.stderr);
    let line = stderr
        .lines()
        .rev()
        .find(|line| line.starts_with('{'))
        .unwrap_or_else(|| panic!("no counters in the server's stderr: {stderr}"));
    let counters: serde_json::Value = serde_json::from_str(line).expect("counters are JSON");
    counters["total"].as_u64().expect("a total")
}

/// Docker arguments split on spaces (none of ours holds one), with `{…}` names filled in.
fn words(text: &str, names: &[(&str, &str)]) -> Vec<String> {
    text.split_whitespace()
        .map(|word| {
            names.iter().fold(word.to_owned(), |word, (key, value)| {
                word.replace(key, value)
            })
        })
        .collect()
}

/// Runs `docker` with `text`'s words (see [`words`]); its stdout.
fn docker_words(text: &str, names: &[(&str, &str)]) -> String {
    let args = words(text, names);
    docker_ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The image's user is numeric and not root, and `--version` runs as it.
fn assert_runs_non_root(image: &str) {
    let user = docker_ok(&["image", "inspect", "--format", "{{.Config.User}}", image]);
    assert_eq!(user.trim(), "65532:65532", "a numeric non-root user");
    let version = docker_ok(&["run", "--rm", image, "--version"]);
    assert!(
        version.starts_with("captest "),
        "--version printed {version:?}"
    );
}

#[test]
fn image_runs_non_root_and_reaches_a_target_by_service_name() {
    if let Some(reason) = unavailable() {
        println!("skipped: the container tests need Docker: {reason}");
        return;
    }
    let mut scratch = Scratch::new();
    let image = scratch.image();
    build_image(&image);
    assert_runs_non_root(&image);

    let _load = cores::Load::start();
    let network = scratch.network();
    let target = scratch.container("target");
    let client = scratch.container("client");
    let results = tempfile::tempdir().expect("temp dir");
    // Written by the image's user 65532, not by the test's.
    std::fs::set_permissions(results.path(), PermissionsExt::from_mode(0o777))
        .expect("chmod the results directory");
    let mount = format!("{}:/results", results.path().display());
    let names = [
        ("{image}", image.as_str()),
        ("{network}", network.as_str()),
        ("{target}", target.as_str()),
        ("{client}", client.as_str()),
        ("{mount}", mount.as_str()),
    ];
    docker_words(
        "run --detach --read-only --network {network} --name {target} {image} \
         demo-server --bind 0.0.0.0:8080",
        &names,
    );
    docker_words(
        "run --name {client} --read-only --network {network} --volume {mount} {image} \
         run --host http://{target}:8080 -u 2 -r 2 -t 3s --wait-for-target 30s -q --csv /results/run",
        &names,
    );
    let total = server_total(&target);

    let prefix = results.path().join("run");
    let stats = read_csv(&with_suffix(&prefix, "_stats.csv"));
    let aggregated = stats
        .iter()
        .find(|row| row["Name"] == "Aggregated")
        .expect("an Aggregated row");
    assert!(total > 0, "the target served requests");
    assert_eq!(
        aggregated["Request Count"],
        total.to_string(),
        "every request the server saw is counted"
    );
    let analyzed = run_captest(&["analyze", prefix.to_str().expect("UTF-8 path")]);
    assert!(
        analyzed.status.success(),
        "captest analyze on the host reads the container's files: {}",
        String::from_utf8_lossy(&analyzed.stderr)
    );
}

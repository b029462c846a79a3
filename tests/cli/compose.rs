//! `deploy/compose.yaml` end to end: coordinator, three shards and a demo target in containers
//! on a private network; one shard is killed mid-run (`docker kill`, SIGKILL): the
//! coordinator reports it and completes the run with the other two, keeping what it had
//! reported. Skipped, with the reason printed, where there is no Docker engine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use captest_format::files;

/// The image the test runs: built from the binary under test with deploy/image.sh.
const TAG: &str = "captest:compose-test";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn docker_works() -> bool {
    Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `docker-compose` (1.x), else `docker compose` (the v2 plugin).
fn compose() -> Vec<String> {
    let v1 = Command::new("docker-compose").arg("version").output();
    if v1.is_ok_and(|o| o.status.success()) {
        vec!["docker-compose".to_owned()]
    } else {
        vec!["docker".to_owned(), "compose".to_owned()]
    }
}

/// A compose project, taken down (containers, network) on drop.
struct Project {
    name: String,
    results: PathBuf,
}

impl Project {
    fn run(&self, args: &[&str]) -> Output {
        let program = compose();
        Command::new(&program[0])
            .args(&program[1..])
            .args(["-f", "deploy/compose.yaml", "-p", &self.name])
            .args(args)
            .current_dir(repo())
            .env("CAPTEST_IMAGE", TAG)
            .env("CAPTEST_RESULTS", &self.results)
            .env("CAPTEST_RUN_TIME", "15s")
            .output()
            .expect("compose runs")
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = self.run(&["down", "-v", "--remove-orphans"]);
    }
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

fn build_image() -> bool {
    let script = repo().join("deploy/image.sh");
    if !script.is_file() {
        println!("skipped: deploy/image.sh is missing (it comes with the container image)");
        return false;
    }
    let built = Command::new("bash")
        .arg(&script)
        .args(["--binary", env!("CARGO_BIN_EXE_captest"), "--tag", TAG])
        .output()
        .expect("deploy/image.sh runs");
    assert!(built.status.success(), "{built:?}");
    true
}

/// `docker kill` of the container `id`, whose bundle's seconds file is `seconds`; on failure
/// (the container already ended) its logs say why.
fn kill(id: &str, seconds: &Path) {
    let kill = Command::new("docker")
        .args(["kill", id])
        .output()
        .expect("docker kill");
    if !kill.status.success() {
        let logs = Command::new("docker").args(["logs", id]).output();
        panic!(
            "{kill:?}; {} lines in {}; the shard's logs: {logs:?}",
            lines(seconds),
            seconds.display()
        );
    }
}

#[test]
fn compose_runs_a_coordinated_run_that_survives_a_killed_shard() {
    if !docker_works() {
        println!("skipped: no Docker engine answers `docker info`");
        return;
    }
    if !build_image() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let results = dir.path().join("results");
    std::fs::create_dir(&results).expect("results directory");
    // The image runs as user 65532.
    let opened = Command::new("chmod").arg("777").arg(&results).status();
    assert!(opened.is_ok_and(|s| s.success()));
    let project = Project {
        name: format!("captest-compose-{}", std::process::id()),
        results: results.clone(),
    };
    let up = project.run(&["up", "-d"]);
    assert!(up.status.success(), "{up:?}");
    // The container's id now: a docker-compose call (Python) can take seconds on a busy machine,
    // so the kill below is a plain `docker kill`, which lands at once.
    let shard_1 = String::from_utf8_lossy(&project.run(&["ps", "-q", "shard-1"]).stdout)
        .trim()
        .to_owned();
    let killed = files::prefixed(&results.join("shard-1/run"), files::SHARD_SECONDS);
    let deadline = Instant::now() + Duration::from_secs(90);
    while lines(&killed) < 3 {
        if Instant::now() >= deadline {
            let logs = project.run(&["logs", "--tail", "5"]);
            panic!(
                "shard 1 reported nothing; logs:\n{}{}",
                String::from_utf8_lossy(&logs.stdout),
                String::from_utf8_lossy(&logs.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    kill(&shard_1, &killed);
    let id = String::from_utf8_lossy(&project.run(&["ps", "-q", "coordinator"]).stdout)
        .trim()
        .to_owned();
    let waited = Command::new("docker")
        .args(["wait", &id])
        .output()
        .expect("docker wait");
    assert_eq!(
        String::from_utf8_lossy(&waited.stdout).trim(),
        "0",
        "the coordinator's exit code"
    );
    let logs = Command::new("docker")
        .args(["logs", &id])
        .output()
        .expect("docker logs");
    let stderr = String::from_utf8_lossy(&logs.stderr);
    assert!(stderr.contains("shard 1 lost"), "{stderr}");
    let merged = results.join("merged/run");
    let meta = std::fs::read_to_string(files::prefixed(&merged, files::SHARD_META))
        .expect("the merged run's _shard.json");
    let meta: serde_json::Value = serde_json::from_str(&meta).expect("JSON");
    assert_eq!(meta["shard"]["lost"], serde_json::json!([1]), "{meta}");
    let survived: u64 = ["shard-0/run", "shard-2/run"]
        .iter()
        .map(|p| crate::shards::aggregated_requests(&results.join(p)))
        .sum();
    let total = crate::shards::aggregated_requests(&merged);
    assert!(
        survived > 0 && total > survived,
        "{total} merged, {survived} from the survivors"
    );
}

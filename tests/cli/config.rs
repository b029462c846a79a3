//! `captest.toml`, profiles, `CAPTEST_*` variables and `--wait-for-target`: flag > env > profile >
//! file, as in Locust.

use std::path::Path;
use std::process::Output;

use crate::support::*;
use captest_format::columns::USER_COUNT;
use captest_format::files;

pub(crate) fn in_dir(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = captest();
    command.args(args).current_dir(dir);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("captest runs")
}

pub(crate) fn max_users(prefix: &Path) -> f64 {
    read_csv(&with_suffix(prefix, files::HISTORY))
        .iter()
        .map(|r| r[USER_COUNT].parse::<f64>().expect("users"))
        .fold(0.0, f64::max)
}

#[test]
fn profiles_env_and_flags_stack_in_order() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("captest.toml"),
        format!(
            "host = \"{}\"\npath = \"/health\"\nwait = \"50ms\"\nquiet = true\n\n[profiles.basic]\nusers = 2\nspawn-rate = 10\nrun-time = \"2s\"\ncsv = \"out/basic\"\n\n[profiles.stress]\nusers = 6\nspawn-rate = 10\nrun-time = \"2s\"\ncsv = \"out/stress\"\n",
            server.url
        ),
    )
    .expect("config");
    let basic = in_dir(dir.path(), &["run", "--profile", "basic"], &[]);
    assert_eq!(basic.status.code(), Some(0), "{basic:?}");
    assert_eq!(max_users(&dir.path().join("out/basic")), 2.0);
    let from_env = in_dir(
        dir.path(),
        &["run", "--profile", "stress"],
        &[("CAPTEST_USERS", "3")],
    );
    assert_eq!(from_env.status.code(), Some(0), "{from_env:?}");
    assert_eq!(
        max_users(&dir.path().join("out/stress")),
        3.0,
        "env beats the profile"
    );
    let from_flag = in_dir(
        dir.path(),
        &["run", "--profile", "stress", "-u", "4"],
        &[("CAPTEST_USERS", "3")],
    );
    assert_eq!(from_flag.status.code(), Some(0), "{from_flag:?}");
    assert_eq!(
        max_users(&dir.path().join("out/stress")),
        4.0,
        "the flag beats env"
    );
    // The step command exactly as users type it, host from the file.
    let step = in_dir(
        dir.path(),
        &[
            "step",
            "--start",
            "1",
            "--step",
            "1",
            "--every",
            "2s",
            "--max-steps",
            "2",
            "--csv",
            "out/step",
        ],
        &[],
    );
    assert_eq!(step.status.code(), Some(0), "{step:?}");
    assert_eq!(read_csv(&dir.path().join("out/step_steps.csv")).len(), 2);
}

#[test]
fn config_mistakes_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("captest.toml"),
        "hots = \"http://127.0.0.1:1\"\n",
    )
    .expect("config");
    let unknown = in_dir(dir.path(), &["run", "-t", "1s"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("captest.toml") && stderr.contains("unknown setting \"hots\""),
        "{stderr}"
    );
    std::fs::write(dir.path().join("captest.toml"), "users = 1\n").expect("config");
    let profile = in_dir(dir.path(), &["run", "--profile", "nope"], &[]);
    assert_eq!(profile.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&profile.stderr).contains("no profile \"nope\""));
    let no_host = in_dir(
        dir.path(),
        &["step", "--start", "10", "--step", "20", "--every", "2m"],
        &[],
    );
    assert_eq!(no_host.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&no_host.stderr);
    assert!(
        stderr.contains("--host")
            && stderr.contains("CAPTEST_HOST")
            && stderr.contains("captest.toml"),
        "{stderr}"
    );
}

#[test]
fn wait_for_target_polls_until_the_host_answers() {
    let port = closed_port();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("http://127.0.0.1:{port}");
    let gave_up = in_dir(
        dir.path(),
        &[
            "run",
            "--host",
            &url,
            "--wait-for-target",
            "1s",
            "-t",
            "1s",
            "-q",
        ],
        &[],
    );
    assert_eq!(gave_up.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&gave_up.stderr).contains("did not accept connections within 1s")
    );
    let bind = format!("127.0.0.1:{port}");
    let late = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        DemoServer::start(&["--bind", &bind])
    });
    let waited = in_dir(
        dir.path(),
        &[
            "run",
            "--host",
            &url,
            "--path",
            "/health",
            "--wait-for-target",
            "20s",
            "-t",
            "1s",
            "-q",
        ],
        &[],
    );
    let _server = late.join().expect("server thread");
    assert_eq!(waited.status.code(), Some(0), "{waited:?}");
}

#[test]
fn the_example_config_profiles_all_load() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let config = std::fs::read_to_string(example.join("config/captest.toml"))
        .expect("example config")
        .replace("http://127.0.0.1:8089", &server.url)
        .replace(
            "examples/items-crud.toml",
            example.join("items-crud.toml").to_str().expect("utf-8"),
        );
    std::fs::write(dir.path().join("captest.toml"), config).expect("config");
    for profile in ["basic", "stress", "spike", "cache"] {
        // Each profile's settings, shortened to three seconds (the flag beats the profile): the
        // stress profile's HTML report needs a steady window of two rows after the first one,
        // the last with users running.
        let output = in_dir(
            dir.path(),
            &["run", "--profile", profile, "-t", "3s", "-q"],
            &[],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{profile}: {stderr}"
        );
        let csv = dir.path().join(format!("results/{profile}_stats.csv"));
        assert!(csv.is_file(), "{profile}: {stderr}");
    }
    assert!(dir.path().join("results/stress.html").is_file());
}

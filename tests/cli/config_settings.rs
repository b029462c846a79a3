//! What a config file selects and sets end to end: positional class names pick classes of the
//! configured scenario, a profile beats the top level (and `--config` may name any file), and step
//! and rate settings come from the file.

use std::path::Path;

use crate::config::{in_dir, max_users};
use crate::support::*;
use captest_format::columns::{NAME, OFFERED_RATE, REQUESTS, REQUEST_COUNT, STOP_REASON};
use captest_format::files;

fn stats_names(prefix: &Path) -> Vec<String> {
    read_csv(&with_suffix(prefix, files::STATS))
        .into_iter()
        .map(|r| r[NAME].clone())
        .filter(|n| n != "Aggregated")
        .collect()
}

/// Writes `shop.toml` (classes Reader and HighVolumeUser) and a `captest.toml` naming it, with
/// `server` as the host and a profile `stress` that writes `out/stress`.
fn write_shop(dir: &Path, server: &DemoServer) {
    std::fs::write(
        dir.join("shop.toml"),
        r#"
[[users]]
name = "Reader"
wait = { constant = "20ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/health"
name = "reader health"

[[users]]
name = "HighVolumeUser"
wait = { constant = "20ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/items"
name = "high volume items"
"#,
    )
    .expect("scenario");
    std::fs::write(
        dir.join("captest.toml"),
        format!(
            "host = \"{}\"\nscenario = \"shop.toml\"\nquiet = true\n\n[profiles.stress]\nusers = 2\nspawn-rate = 10\nrun-time = \"1s\"\ncsv = \"out/stress\"\n",
            server.url
        ),
    )
    .expect("config");
}

#[test]
fn positional_class_names_select_classes_of_the_configured_scenario() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    write_shop(dir.path(), &server);
    // Locust's `locust -f shop.py HighVolumeUser`: the scenario from the file, the class named.
    let selected = in_dir(
        dir.path(),
        &["run", "--profile", "stress", "HighVolumeUser"],
        &[],
    );
    assert_eq!(selected.status.code(), Some(0), "{selected:?}");
    assert_eq!(
        stats_names(&dir.path().join("out/stress")),
        vec!["high volume items".to_owned()]
    );
    // Several class names; and a scenario file given first still is the scenario.
    let both = in_dir(
        dir.path(),
        &["run", "--profile", "stress", "Reader", "HighVolumeUser"],
        &[],
    );
    assert_eq!(both.status.code(), Some(0), "{both:?}");
    assert_eq!(stats_names(&dir.path().join("out/stress")).len(), 2);
    let explicit = in_dir(
        dir.path(),
        &["run", "shop.toml", "Reader", "--profile", "stress"],
        &[],
    );
    assert_eq!(explicit.status.code(), Some(0), "{explicit:?}");
    assert_eq!(
        stats_names(&dir.path().join("out/stress")),
        vec!["reader health".to_owned()]
    );
    class_name_mistakes_send_nothing(dir.path(), &server);
}

/// An unknown class, or a class name with no scenario anywhere, is a one-line error (exit 2) and
/// sends no request.
fn class_name_mistakes_send_nothing(dir: &Path, server: &DemoServer) {
    let sent_before_mistakes = server.counters()["total"].clone();
    let unknown = in_dir(dir, &["run", "--profile", "stress", "Nobody"], &[]);
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no user class \"Nobody\"") && stderr.contains("Reader, HighVolumeUser"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    // No scenario anywhere: a class name alone is a one-line error, not a file to read.
    let bare = tempfile::tempdir().expect("temp dir");
    let alone = in_dir(
        bare.path(),
        &["run", "HighVolumeUser", "--host", &server.url, "-t", "1s"],
        &[],
    );
    assert_eq!(alone.status.code(), Some(2), "{alone:?}");
    let stderr = String::from_utf8_lossy(&alone.stderr);
    assert!(
        stderr.contains("HighVolumeUser: not a scenario file")
            && stderr.contains("CAPTEST_SCENARIO"),
        "{stderr}"
    );
    assert_eq!(
        server.counters()["total"],
        sent_before_mistakes,
        "no request was sent by the runs in error"
    );
}

#[test]
fn a_profile_beats_the_top_level_and_config_may_be_any_file() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = format!(
        "host = \"{}\"\npath = \"/health\"\nwait = \"20ms\"\nquiet = true\nusers = 5\nspawn-rate = 20\n\n[profiles.small]\nusers = 2\nrun-time = \"2s\"\ncsv = \"out/small\"\n\n[profiles.staged]\nstages_file = \"stages.txt\"\nrun-time = \"4s\"\ncsv = \"out/staged\"\n",
        server.url
    );
    std::fs::create_dir(dir.path().join("elsewhere")).expect("dir");
    std::fs::write(dir.path().join("elsewhere/load.toml"), &config).expect("config");
    // A ./captest.toml that --config must override.
    std::fs::write(
        dir.path().join("captest.toml"),
        "host = \"http://127.0.0.1:1\"\nusers = 7\n[profiles.small]\nusers = 7\n",
    )
    .expect("decoy config");
    std::fs::write(dir.path().join("stages.txt"), "1s:3\n# hold\n1s:3\n").expect("stages");
    let small = in_dir(
        dir.path(),
        &[
            "run",
            "--config",
            "elsewhere/load.toml",
            "--profile",
            "small",
        ],
        &[],
    );
    assert_eq!(small.status.code(), Some(0), "{small:?}");
    assert_eq!(
        max_users(&dir.path().join("out/small")),
        2.0,
        "the profile beats the top level, and --config beats ./captest.toml"
    );
    // stages-file from the profile: 3 users (not the top level's constant 5).
    let staged = in_dir(
        dir.path(),
        &["run", "--config=elsewhere/load.toml", "--profile=staged"],
        &[],
    );
    assert_eq!(staged.status.code(), Some(0), "{staged:?}");
    assert_eq!(max_users(&dir.path().join("out/staged")), 3.0);
}

#[test]
fn step_and_rate_settings_come_from_the_config() {
    // Half of /items fails: the default stop rule (errors>1%) would end a step run after one step.
    let server = DemoServer::start(&[
        "--service-time",
        "1ms",
        "--capacity",
        "64",
        "--error-rate",
        "0.5",
    ]);
    let dir = tempfile::tempdir().expect("temp dir");
    write_step_and_rate_profiles(dir.path(), &server);
    let steprate = in_dir(dir.path(), &["step", "--profile", "steprate"], &[]);
    assert_eq!(
        steprate.status.code(),
        Some(1),
        "requests failed: {steprate:?}"
    );
    let steps = read_csv(&dir.path().join("out/steprate_steps.csv"));
    // max_steps and no_auto_stop: two steps despite the errors; rate: offered rates 20 and 40.
    assert_eq!(steps.len(), 2, "{steps:?}");
    let offered: Vec<&str> = steps.iter().map(|s| s[OFFERED_RATE].as_str()).collect();
    assert_eq!(offered, ["20.0", "40.0"], "{steps:?}");
    // settle = 0s: the whole 2 s step counts (the default would leave out its first second).
    let counted: f64 = steps[0][REQUESTS].parse().expect("requests");
    assert!(counted > 30.0, "{steps:?}");
    stop_rules_and_rates_come_from_their_profiles(dir.path());
}

/// Writes `rates.txt` and a `captest.toml` for `server`'s `/items` with the profiles `steprate`,
/// `stopon`, `rates` and `ratesfile`.
fn write_step_and_rate_profiles(dir: &Path, server: &DemoServer) {
    std::fs::write(dir.join("rates.txt"), "0s:20\n2s:20\n").expect("stages");
    std::fs::write(
        dir.join("captest.toml"),
        format!(
            r#"host = "{}"
path = "/items"
quiet = true

[profiles.steprate]
rate = true
start = 20
step = 20
every = "2s"
max_steps = 2
no_auto_stop = true
settle = "0s"
csv = "out/steprate"

[profiles.stopon]
rate = true
start = 20
step = 20
every = "2s"
settle = "500ms"
max-steps = 3
stop_on = ["errors>30%", "p95>100x"]
csv = "out/stopon"

[profiles.rates]
rps_stages = "0s:30,2s:30"
csv = "out/rates"

[profiles.ratesfile]
rps-stages-file = "rates.txt"
csv = "out/ratesfile"
"#,
            server.url
        ),
    )
    .expect("config");
}

/// The `stopon` profile's rule stops a step run, and the `rates` and `ratesfile` profiles' rates
/// are sent (the config of [`write_step_and_rate_profiles`] in `dir`).
fn stop_rules_and_rates_come_from_their_profiles(dir: &Path) {
    let stopon = in_dir(dir, &["step", "--profile", "stopon"], &[]);
    assert_eq!(stopon.status.code(), Some(1), "{stopon:?}");
    let steps = read_csv(&dir.join("out/stopon_steps.csv"));
    // The configured rule (not the default errors>1%) stops the run before its third step.
    assert!((1..3).contains(&steps.len()), "{steps:?}");
    assert!(
        steps
            .last()
            .is_some_and(|s| s[STOP_REASON].starts_with("errors>30%")),
        "{steps:?}"
    );

    for (profile, rps) in [("rates", 30.0), ("ratesfile", 20.0)] {
        let output = in_dir(dir, &["rate", "--profile", profile], &[]);
        assert_eq!(output.status.code(), Some(1), "{profile}: {output:?}");
        let prefix = dir.join("out").join(profile);
        let sent: f64 = read_csv(&with_suffix(&prefix, files::STATS))
            .iter()
            .find(|r| r[NAME] == "Aggregated")
            .map(|r| r[REQUEST_COUNT].parse().expect("count"))
            .expect("aggregated");
        // Two seconds of the configured rate.
        let expected = 2.0 * rps;
        assert!(
            (sent / expected - 1.0).abs() <= 0.15,
            "{profile}: {sent} requests, expected about {expected}"
        );
    }
}

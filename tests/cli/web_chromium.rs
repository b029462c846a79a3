//! The live web page in a real browser (headless Chromium driven through WebDriver): Start
//! with 10 users from the page, the charts grow, the users go to 20 (the server's connections
//! and the history's User Count follow), a CSV is downloaded from the page, Stop ends the run
//! as SIGINT would; names and failure messages from the run are shown as text, never markup.

use std::time::Duration;

use captest_format::files;

use crate::support::scenario::write;
use crate::support::web::WebRun;
use crate::support::webdriver::Browser;
use crate::support::*;

/// The longest the page may take to show a change.
const WAIT: Duration = Duration::from_secs(20);

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "<img src=x onerror=alert(1)>";

/// Two entries named with markup; the second fails (its status is not the one expected).
fn hostile_scenario() -> String {
    format!(
        "[[users]]\nname = \"U\"\nwait = {{ constant = \"20ms\" }}\n[[users.tasks]]\n[[users.tasks.requests]]\npath = \"/health\"\nname = {SCRIPT:?}\n[[users.tasks.requests]]\npath = \"/health\"\nname = {IMG:?}\nexpect = [418]\n"
    )
}

/// How many points the longest line of the requests/s chart has (axes and ticks have two).
const CHART_POINTS: &str = "const lines = document.querySelectorAll('#chart-throughput svg polyline'); \
    return Math.max(0, ...[...lines].map(l => l.getAttribute('points').trim().split(/\\s+/).length));";

/// Where the screenshots go (looked at by the test's author; not kept in the repository).
fn screenshot_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("captest-web-{name}.png"))
}

#[test]
fn a_run_started_steered_and_stopped_from_the_page_in_chromium() {
    let demo = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(dir.path(), "hostile.toml", &hostile_scenario());
    let prefix = dir.path().join("live");
    let args = [
        "run",
        "-f",
        scenario.to_str().expect("utf-8"),
        "-H",
        &demo.url,
        "--csv",
        prefix.to_str().expect("utf-8"),
    ];
    let mut run = WebRun::start(dir.path(), &args);
    let browser = Browser::start();
    browser.open(&run.url());
    start_with_10_users_and_see_the_charts_grow(&browser);
    let connections = |demo: &DemoServer| demo.counters()["connections"].as_u64().unwrap_or(0);
    assert!(connections(&demo) >= 10);
    browser.type_into("#edit-users", "20");
    browser.type_into("#edit-spawn-rate", "100");
    browser.click("#edit");
    browser.wait_until(
        "return document.getElementById('users').textContent === '20'",
        WAIT,
        "20 users",
    );
    assert!(connections(&demo) >= 20, "the server sees the new users");
    assert_hostile_names_are_text(&browser);
    let csv = browser.eval_async(
        "const done = arguments[arguments.length - 1]; \
         fetch(document.getElementById('download-stats').href).then(r => r.text()).then(done);",
    );
    let csv = csv.as_str().expect("the downloaded CSV");
    assert!(csv.starts_with("Type,Name,Request Count"), "{csv}");
    assert!(csv.contains(SCRIPT), "the CSV holds the name as is");
    // Two seconds at 20 users for the history, then Stop.
    let elapsed =
        |b: &Browser| b.eval("return parseInt(document.getElementById('elapsed').textContent)");
    let now = elapsed(&browser).as_u64().unwrap_or(0);
    browser.wait_until(
        &format!(
            "return parseInt(document.getElementById('elapsed').textContent) >= {}",
            now + 2
        ),
        WAIT,
        "two more seconds",
    );
    browser.screenshot(&screenshot_path("20-users"));
    browser.click("#stop");
    let status = run.wait(Duration::from_secs(20));
    // Locust's exit code: 1 when a request failed (the entry that expects 418).
    assert_eq!(status.code(), Some(1), "{}", run.stdout());
    browser.wait_until(
        "return document.getElementById('stop-reason').textContent === 'Stopped: stopped from the web page'",
        WAIT,
        "the stop reason",
    );
    browser.screenshot(&screenshot_path("stopped"));
    let history = read_csv(&with_suffix(&prefix, files::HISTORY));
    let users: Vec<f64> = history.iter().map(|r| number(r, "User Count")).collect();
    assert!(users.contains(&10.0), "{users:?}");
    assert_eq!(users.iter().copied().fold(0.0, f64::max), 20.0, "{users:?}");
    assert!(with_suffix(&prefix, files::FAILURES).exists());
}

/// Fills the start form with 10 users, presses Start and waits for the charts to gain points.
fn start_with_10_users_and_see_the_charts_grow(browser: &Browser) {
    browser.wait_until(
        "return !document.getElementById('start-form').classList.contains('hidden')",
        WAIT,
        "the start form",
    );
    browser.type_into("#start-users", "10");
    browser.type_into("#start-spawn-rate", "100");
    browser.click("#start");
    browser.wait_until(
        "return document.getElementById('users').textContent === '10'",
        WAIT,
        "10 users",
    );
    browser.wait_until(
        &format!("return (() => {{ {CHART_POINTS} }})() > 2"),
        WAIT,
        "a chart",
    );
    let points = browser.eval(CHART_POINTS).as_u64().expect("a count");
    browser.wait_until(
        &format!("return (() => {{ {CHART_POINTS} }})() > {points}"),
        WAIT,
        "the chart growing",
    );
    browser.screenshot(&screenshot_path("10-users"));
}

/// The entries and failures tables show the markup in the names as text: no element made of
/// it, and the escaped text in the HTML.
fn assert_hostile_names_are_text(browser: &Browser) {
    browser.wait_until(
        "return document.querySelectorAll('#failures tbody tr').length > 0",
        Duration::from_secs(20),
        "a failure",
    );
    let injected =
        browser.eval("return document.querySelectorAll('main script, main img, td *').length");
    assert_eq!(injected, 0, "markup from the run became elements");
    let names = browser.eval(
        "return [...document.querySelectorAll('#stats tbody td:nth-child(2)')].map(td => td.textContent)",
    );
    let names: Vec<&str> = names
        .as_array()
        .expect("names")
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    assert!(names.contains(&SCRIPT) && names.contains(&IMG), "{names:?}");
    let html = browser.eval("return document.getElementById('stats').innerHTML");
    assert!(html
        .as_str()
        .expect("html")
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let failures = browser.eval("return document.getElementById('failures').textContent");
    assert!(failures.as_str().expect("text").contains(IMG));
}

//! The scenario loader: TOML, templates compiled and checked, data pools. Any file loads or gives
//! a `FILE:LINE:COLUMN: …` error, never a panic; a scenario loaded renders each templated request
//! once (when its templates cannot loop or repeat, whose cost the scenario's author chose).
#![no_main]

use std::sync::OnceLock;

use captest_runner::client::Target;
use captest_runner::dynamic::UserState;
use captest_runner::metrics::EntryRegistry;
use captest_runner::scenario::{load_scenario, Selection};
use libfuzzer_sys::fuzz_target;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temp dir"))
}

/// Whether rendering `text` costs what it is long (no loop, range, repeat or string product).
fn bounded(text: &str) -> bool {
    !["for", "range", "repeat", "*", "while", "recursive"]
        .iter()
        .any(|word| text.contains(word))
}

fuzz_target!(|data: &[u8]| {
    let path = dir().path().join("fuzz.toml");
    std::fs::write(&path, data).expect("write the input");
    let target = Target::parse("http://127.0.0.1:9").expect("a target");
    let registry = EntryRegistry::new();
    match load_scenario(&path, &target, &registry, &Selection::default()) {
        Ok(loaded) => {
            if !bounded(&String::from_utf8_lossy(data)) {
                return;
            }
            for class in &loaded.scenario.classes {
                let mut state = UserState::new(&class.vars);
                let steps = class
                    .on_start
                    .iter()
                    .chain(class.tasks.iter().flat_map(|t| &t.steps));
                for step in steps {
                    if let Some(dynamic) = &step.dynamic {
                        let _ = dynamic.render(&mut state, &target);
                        let _ = dynamic.events(&mut state);
                    }
                }
            }
        }
        Err(error) => {
            let text = error.to_string();
            assert!(text.starts_with(&path.display().to_string()), "{text}");
        }
    }
});

use serde_json::Value;

use super::*;

fn plan(shards: u32, scenario: Option<&str>) -> Plan {
    let mut load_args = Vec::new();
    if scenario.is_some() {
        load_args.push(format!("{SCENARIO_DIR}/{SCENARIO_KEY}"));
    }
    load_args.extend(["--host", "http://api:8080", "-u", "10", "-t", "1m"].map(String::from));
    Plan {
        name: "load".to_owned(),
        namespace: "perf".to_owned(),
        image: "registry.example/captest:1".to_owned(),
        shards,
        command: "run".to_owned(),
        load_args,
        scenario: scenario.map(str::to_owned),
        storage: "2Gi".to_owned(),
        storage_class: None,
    }
}

fn kind<'a>(documents: &'a [Value], kind: &str, name: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("a {kind} named {name}"))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

#[test]
fn the_shards_are_an_indexed_job_of_n_that_never_reruns_a_shard() {
    for shards in [1, 4, 7] {
        let documents = plan(shards, None).documents();
        let spec = &kind(&documents, "Job", "load-shards")["spec"];
        assert_eq!(spec["completionMode"], "Indexed");
        assert_eq!(spec["completions"], shards);
        assert_eq!(spec["parallelism"], shards);
        assert_eq!(spec["backoffLimitPerIndex"], 0);
        let rule = &spec["podFailurePolicy"]["rules"][0];
        assert_eq!(rule["action"], "FailJob");
        assert_eq!(rule["onExitCodes"]["operator"], "In");
        assert_eq!(rule["onExitCodes"]["values"][0], BAD_INPUT_EXIT);
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never", "podFailurePolicy needs it");
        let container = &pod["containers"][0];
        assert_eq!(rule["onExitCodes"]["containerName"], container["name"]);
        let env = |name: &str| {
            container["env"]
                .as_array()
                .expect("env")
                .iter()
                .find(|var| var["name"] == name)
                .unwrap_or_else(|| panic!("{name} is set"))
                .clone()
        };
        assert_eq!(env("CAPTEST_SHARDS")["value"], shards.to_string());
        let index = &env("JOB_COMPLETION_INDEX")["valueFrom"]["fieldRef"]["fieldPath"];
        assert_eq!(index, COMPLETION_INDEX_FIELD);
    }
}

#[test]
fn shards_report_to_the_coordinator_service_and_write_their_own_bundle() {
    let documents = plan(3, None).documents();
    let service = kind(&documents, "Service", "load-coordinator");
    let args = strings(
        &kind(&documents, "Job", "load-shards")["spec"]["template"]["spec"]["containers"][0]
            ["args"],
    );
    assert_eq!(
        &args[..7],
        ["run", "--host", "http://api:8080", "-u", "10", "-t", "1m"]
    );
    let url = format!(
        "http://{}:{COORDINATOR_PORT}",
        service["metadata"]["name"].as_str().expect("a name")
    );
    assert_eq!(args[args.len() - 2..], ["--coordinator", url.as_str()]);
    assert!(args.contains(&"/results/shard-$(JOB_COMPLETION_INDEX)/run"));
    let coordinator = kind(&documents, "Job", "load-coordinator");
    let pod_labels = &coordinator["spec"]["template"]["metadata"]["labels"];
    assert_eq!(
        &service["spec"]["selector"], pod_labels,
        "the Service selects the coordinator pod"
    );
    assert_eq!(coordinator["spec"]["backoffLimit"], 0);
    let args = strings(&coordinator["spec"]["template"]["spec"]["containers"][0]["args"]);
    assert_eq!(
        &args[..6],
        [
            "coordinator",
            "--expect-shards",
            "3",
            "--listen",
            "0.0.0.0:5557",
            "run"
        ]
    );
    assert_eq!(args[args.len() - 2..], ["--csv", "/results/merged/run"]);
}

#[test]
fn every_pod_mounts_the_results_volume_and_runs_as_the_image_user() {
    let documents = plan(2, Some("[x]\n")).documents();
    let claim = kind(&documents, "PersistentVolumeClaim", "load-results");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "2Gi");
    let config_map = kind(&documents, "ConfigMap", "load-scenario");
    assert_eq!(config_map["data"][SCENARIO_KEY], "[x]\n");
    for job in ["load-coordinator", "load-shards"] {
        let pod = &kind(&documents, "Job", job)["spec"]["template"]["spec"];
        assert_eq!(pod["securityContext"]["runAsUser"], RUN_AS_USER);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        let volumes = pod["volumes"].as_array().expect("volumes");
        assert!(volumes
            .iter()
            .any(|v| v["persistentVolumeClaim"]["claimName"] == "load-results"));
        assert!(volumes
            .iter()
            .any(|v| v["configMap"]["name"] == "load-scenario"));
        let args = strings(&pod["containers"][0]["args"]);
        assert!(
            args.contains(&"/scenario/scenario.toml"),
            "{job} runs the ConfigMap's scenario"
        );
    }
    for document in &documents {
        assert_eq!(document["metadata"]["namespace"], "perf");
    }
    let without = plan(2, None).documents();
    assert!(
        without.iter().all(|d| d["kind"] != "ConfigMap"),
        "no scenario, no ConfigMap"
    );
}

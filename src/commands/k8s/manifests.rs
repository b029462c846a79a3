//! The Kubernetes objects of a distributed captest run: the scenario's ConfigMap, a results
//! volume, the coordinator (a Job and its Service) and the shards (an Indexed Job).

use serde_json::{json, Value};

/// The port the coordinator listens on, in its container and its Service.
pub const COORDINATOR_PORT: u16 = 5557;
/// Where the results volume is mounted in every pod.
pub const RESULTS_DIR: &str = "/results";
/// Where the scenario's ConfigMap is mounted.
pub const SCENARIO_DIR: &str = "/scenario";
/// The scenario's key in the ConfigMap (and so its file name under [`SCENARIO_DIR`]).
pub const SCENARIO_KEY: &str = "scenario.toml";
/// The image's non-root user (deploy/Dockerfile's `USER`).
pub const RUN_AS_USER: u32 = 65532;
/// The pod annotation an Indexed Job puts each pod's index in.
pub const COMPLETION_INDEX_FIELD: &str =
    "metadata.annotations['batch.kubernetes.io/job-completion-index']";
/// captest's exit code for bad input: the same on every shard, so the Job fails at once.
pub const BAD_INPUT_EXIT: u8 = 2;

/// What `captest k8s render` was asked for, validated.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Prefix of every object's name (a DNS label).
    pub name: String,
    /// Namespace of every object.
    pub namespace: String,
    /// Container image with captest as its entrypoint.
    pub image: String,
    /// Number of shards (the Indexed Job's completions and parallelism).
    pub shards: u32,
    /// `run`, `step` or `rate`.
    pub command: String,
    /// The load flags after the command, the scenario path first when there is one.
    pub load_args: Vec<String>,
    /// The scenario file's text, for the ConfigMap.
    pub scenario: Option<String>,
    /// Size of the results volume (a Kubernetes quantity, e.g. 1Gi).
    pub storage: String,
    /// Storage class of the results volume (the cluster's default when absent).
    pub storage_class: Option<String>,
}

impl Plan {
    fn object_name(&self, part: &str) -> String {
        format!("{}-{part}", self.name)
    }

    fn metadata(&self, part: &str, component: &str) -> Value {
        json!({
            "name": self.object_name(part),
            "namespace": self.namespace,
            "labels": self.labels(component),
        })
    }

    fn labels(&self, component: &str) -> Value {
        json!({
            "app.kubernetes.io/name": "captest",
            "app.kubernetes.io/instance": self.name,
            "app.kubernetes.io/component": component,
        })
    }

    /// The coordinator's URL inside the namespace (its Service's name).
    pub fn coordinator_url(&self) -> String {
        format!(
            "http://{}:{COORDINATOR_PORT}",
            self.object_name("coordinator")
        )
    }

    /// The coordinator container's arguments.
    pub fn coordinator_args(&self) -> Vec<String> {
        let mut args = vec![
            "coordinator".to_owned(),
            "--expect-shards".to_owned(),
            self.shards.to_string(),
            "--listen".to_owned(),
            format!("0.0.0.0:{COORDINATOR_PORT}"),
            self.command.clone(),
        ];
        args.extend(self.load_args.iter().cloned());
        args.extend(["--csv".to_owned(), format!("{RESULTS_DIR}/merged/run")]);
        args
    }

    /// A shard container's arguments (its index comes from `JOB_COMPLETION_INDEX`).
    pub fn shard_args(&self) -> Vec<String> {
        let mut args = vec![self.command.clone()];
        args.extend(self.load_args.iter().cloned());
        args.extend([
            "--csv".to_owned(),
            format!("{RESULTS_DIR}/shard-$(JOB_COMPLETION_INDEX)/run"),
            "--coordinator".to_owned(),
            self.coordinator_url(),
        ]);
        args
    }

    /// Every object, in the order `kubectl apply -f` should create them.
    pub fn documents(&self) -> Vec<Value> {
        let mut documents = Vec::new();
        if let Some(text) = &self.scenario {
            documents.push(self.config_map(text));
        }
        documents.push(self.results_volume());
        documents.push(self.service());
        documents.push(self.coordinator_job());
        documents.push(self.shards_job());
        documents
    }

    fn config_map(&self, text: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": self.metadata("scenario", "scenario"),
            "data": { SCENARIO_KEY: text },
        })
    }

    fn results_volume(&self) -> Value {
        let mut spec = json!({
            // Every pod writes to it, on any node.
            "accessModes": ["ReadWriteMany"],
            "resources": { "requests": { "storage": self.storage } },
        });
        if let Some(class) = &self.storage_class {
            spec["storageClassName"] = json!(class);
        }
        json!({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": self.metadata("results", "results"),
            "spec": spec,
        })
    }

    fn service(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self.metadata("coordinator", "coordinator"),
            "spec": {
                "selector": self.labels("coordinator"),
                "ports": [{ "name": "coordinator", "port": COORDINATOR_PORT, "targetPort": COORDINATOR_PORT }],
            },
        })
    }

    fn coordinator_job(&self) -> Value {
        let mut container = self.container("coordinator", self.coordinator_args());
        container["ports"] = json!([{ "name": "coordinator", "containerPort": COORDINATOR_PORT }]);
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": self.metadata("coordinator", "coordinator"),
            "spec": {
                // A coordinator run again would be a second run: never.
                "backoffLimit": 0,
                "template": self.pod_template("coordinator", container),
            },
        })
    }

    fn shards_job(&self) -> Value {
        let mut container = self.container("shard", self.shard_args());
        // The Job controller sets JOB_COMPLETION_INDEX itself; said here too, since the args
        // refer to it (`$(JOB_COMPLETION_INDEX)`, expanded by the kubelet).
        container["env"] = json!([
            {
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": { "fieldRef": { "fieldPath": COMPLETION_INDEX_FIELD } },
            },
            { "name": "CAPTEST_SHARDS", "value": self.shards.to_string() },
        ]);
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": self.metadata("shards", "shard"),
            "spec": {
                "completionMode": "Indexed",
                "completions": self.shards,
                "parallelism": self.shards,
                // A shard that failed is not run again: its load would be counted twice.
                "backoffLimitPerIndex": 0,
                "podFailurePolicy": {
                    "rules": [{
                        "action": "FailJob",
                        "onExitCodes": {
                            "containerName": "shard",
                            "operator": "In",
                            "values": [BAD_INPUT_EXIT],
                        },
                    }],
                },
                "template": self.pod_template("shard", container),
            },
        })
    }

    fn container(&self, name: &str, args: Vec<String>) -> Value {
        let mut mounts = vec![json!({ "name": "results", "mountPath": RESULTS_DIR })];
        if self.scenario.is_some() {
            mounts.push(json!({ "name": "scenario", "mountPath": SCENARIO_DIR, "readOnly": true }));
        }
        json!({
            "name": name,
            "image": self.image,
            "args": args,
            "volumeMounts": mounts,
            "securityContext": {
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "capabilities": { "drop": ["ALL"] },
            },
        })
    }

    fn pod_template(&self, component: &str, container: Value) -> Value {
        let mut volumes = vec![json!({
            "name": "results",
            "persistentVolumeClaim": { "claimName": self.object_name("results") },
        })];
        if self.scenario.is_some() {
            volumes.push(json!({
                "name": "scenario",
                "configMap": { "name": self.object_name("scenario") },
            }));
        }
        json!({
            "metadata": { "labels": self.labels(component) },
            "spec": {
                "restartPolicy": "Never",
                "securityContext": {
                    "runAsNonRoot": true,
                    "runAsUser": RUN_AS_USER,
                    "runAsGroup": RUN_AS_USER,
                    "fsGroup": RUN_AS_USER,
                },
                "containers": [container],
                "volumes": volumes,
            },
        })
    }
}

#[cfg(test)]
#[path = "manifests_tests.rs"]
mod tests;

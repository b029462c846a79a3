//! Docker for the container tests: whether a daemon answers, `docker …` commands, and a guard
//! that removes the containers, networks and image a test made, whatever the test's outcome.

use std::process::{Command, Output};

/// Runs `docker args…` and returns its output.
pub fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("the docker client runs")
}

/// Runs `docker args…`, failing the test with its stderr unless it succeeds; its stdout.
pub fn docker_ok(args: &[&str]) -> String {
    let output = docker(args);
    assert!(
        output.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Why the container tests cannot run here (no docker client, or no daemon answering), if so.
pub fn unavailable() -> Option<String> {
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Err(error) => Some(format!("no docker client ({error})")),
        Ok(output) if !output.status.success() => Some(format!(
            "no docker daemon answers: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Ok(_) => None,
    }
}

/// Names unique to one test (the daemon is shared with other test runs) and the Docker objects
/// made under them, removed on drop: containers, then networks, then the image.
pub struct Scratch {
    /// The prefix of every name: `captest-test-PID-NANOS`.
    pub prefix: String,
    containers: Vec<String>,
    networks: Vec<String>,
    images: Vec<String>,
}

impl Scratch {
    /// A new set of names.
    pub fn new() -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Scratch {
            prefix: format!("captest-test-{}-{nanos}", std::process::id()),
            containers: Vec::new(),
            networks: Vec::new(),
            images: Vec::new(),
        }
    }

    /// A container name, removed on drop.
    pub fn container(&mut self, role: &str) -> String {
        let name = format!("{}-{role}", self.prefix);
        self.containers.push(name.clone());
        name
    }

    /// A network, created now, removed on drop.
    pub fn network(&mut self) -> String {
        let name = format!("{}-net", self.prefix);
        docker_ok(&["network", "create", &name]);
        self.networks.push(name.clone());
        name
    }

    /// An image tag (`captest:PREFIX`), removed on drop.
    pub fn image(&mut self) -> String {
        let tag = format!("captest:{}", self.prefix);
        self.images.push(tag.clone());
        tag
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for container in &self.containers {
            docker(&["rm", "--force", "--volumes", container]);
        }
        for network in &self.networks {
            docker(&["network", "rm", network]);
        }
        for image in &self.images {
            docker(&["image", "rm", "--force", image]);
        }
    }
}

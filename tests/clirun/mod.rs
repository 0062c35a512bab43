//! Runs the `s3op` binary as a user would, isolated from this machine's AWS configuration: the
//! profile files point nowhere and credentials come only from what each test passes.

#![allow(dead_code)]

use std::process::{Command, Stdio};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as JSON (the envelope); panics with the whole run when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }

    /// The envelope's status.
    pub fn status(&self) -> u64 {
        self.json()["status"].as_u64().unwrap_or(0)
    }

    /// Assert the exit code, showing the run on failure.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code:\n{self}");
        assert!(!self.stderr.contains("panicked"), "s3op panicked:\n{self}");
        self
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The s3op binary with an environment holding only `env` (plus PATH), and no profile files.
pub fn command(env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3op"));
    cmd.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("HOME", std::env::temp_dir().join("s3op-test-home-none"));
    // Never the real instance metadata service of the machine the tests run on.
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/s3op-test/config");
    cmd.env(
        "AWS_SHARED_CREDENTIALS_FILE",
        "/nonexistent/s3op-test/credentials",
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Run s3op with `args` and `env`, stdin empty.
pub fn run(env: &[(&str, &str)], args: &[&str]) -> Run {
    run_with_stdin(env, args, b"")
}

pub fn run_with_stdin(env: &[(&str, &str)], args: &[&str], stdin: &[u8]) -> Run {
    use std::io::Write;
    let mut child = command(env)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("s3op runs");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin);
    }
    let out = child.wait_with_output().expect("s3op finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

//! Garage for the tests, one node or a cluster (docs/design.md, "Real servers for tests and
//! benchmarks", has both recipes). Each node gets its own directory with its config, sqlite
//! metadata and data, its own RPC and S3 ports, and runs `garage server` under its own watchdog;
//! every node shares one random `rpc_secret`. Once the nodes answer, the first one's admin CLI
//! connects the others, assigns each a zone (dc1, dc2, dc3) and applies the layout, imports the
//! test key and allows it to create buckets, and the harness waits until every node can read that
//! key (a cluster's nodes learn the layout from each other a moment after it is applied). A node
//! started again after [`super::TestServer::stop_node`] is waited for the same way.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{free_port, node_dir, Launch, Node, ServerKind, SocketAddr, TestServer};

/// What Garage answers an unsigned `GET /` (ListBuckets without credentials).
pub(super) const READY_STATUS: u16 = 403;
/// The test key: Garage's key ids are `GK` and 24 hex digits, its secrets 64 hex digits.
const ACCESS_KEY: &str = "GK5330e57000000000000000a1";
const SECRET_KEY: &str = "5330e570000000000000000000000000000000000000000000000000000000a1";
const KEY_NAME: &str = "s3op-test";
const REGION: &str = "us-east-1";
/// How long the admin steps may keep failing while the nodes find each other.
const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

/// One attempt at `count` nodes: `Ok(Err(log))` when a node exited at once (a port was taken).
pub(super) fn start(
    kind: ServerKind,
    program: &Path,
    count: usize,
) -> Result<Result<TestServer, String>, String> {
    let rpc_secret = rpc_secret();
    let replication_factor = if count >= 3 { 3 } else { 1 };
    let mut nodes = Vec::new();
    let mut configs = Vec::new();
    let mut rpc_ports = Vec::new();
    for index in 0..count {
        let s3_port = free_port()?;
        let rpc_port = free_port()?;
        let suffix = if count > 1 {
            format!("-node{index}")
        } else {
            String::new()
        };
        let dir = node_dir(kind, &suffix)?;
        let config = dir.join("garage.toml");
        let text = format!(
            "metadata_dir = \"{meta}\"\n\
             data_dir = \"{data}\"\n\
             db_engine = \"sqlite\"\n\
             replication_factor = {replication_factor}\n\
             rpc_bind_addr = \"127.0.0.1:{rpc_port}\"\n\
             rpc_public_addr = \"127.0.0.1:{rpc_port}\"\n\
             rpc_secret = \"{rpc_secret}\"\n\n\
             [s3_api]\n\
             s3_region = \"{REGION}\"\n\
             api_bind_addr = \"127.0.0.1:{s3_port}\"\n\
             root_domain = \".s3.garage.localhost\"\n",
            meta = toml_path(&dir.join("meta"))?,
            data = toml_path(&dir.join("data"))?,
        );
        std::fs::write(&config, text)
            .map_err(|err| format!("cannot write {}: {err}", config.display()))?;
        let launch = Launch {
            program: program.to_path_buf(),
            args: vec![
                "-c".into(),
                config.clone().into_os_string(),
                "server".into(),
            ],
            env: vec![("RUST_LOG".into(), "garage=info".into())],
            own_watchdog: false,
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, s3_port));
        nodes.push(Node::spawn(addr, dir, launch)?);
        configs.push(config);
        rpc_ports.push(rpc_port);
    }
    for node in &nodes {
        if let Err(exited) = node.wait_until_ready(kind)? {
            return Ok(Err(exited));
        }
    }
    let admin = |config: &Path, args: &[&str]| retry(|| garage_admin(program, config, args));
    let first = &configs[0];
    let mut ids = Vec::new();
    for config in &configs {
        // `<64 hex>@127.0.0.1:<port>`
        let full = admin(config, &["node", "id", "-q"])?;
        ids.push(full.split('@').next().unwrap_or(&full).trim().to_string());
    }
    let addresses: Vec<String> = ids
        .iter()
        .zip(&rpc_ports)
        .map(|(id, rpc_port)| format!("{id}@127.0.0.1:{rpc_port}"))
        .collect();
    for address in &addresses[1..] {
        admin(first, &["node", "connect", address])?;
    }
    for (index, node) in nodes.iter().enumerate() {
        let peers: String = addresses
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != index)
            .map(|(_, address)| format!("{address}\n"))
            .collect();
        let path = node.dir.join("peers");
        std::fs::write(&path, peers)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    }
    for (index, id) in ids.iter().enumerate() {
        let zone = format!("dc{}", index + 1);
        admin(first, &["layout", "assign", "-z", &zone, "-c", "1G", id])?;
    }
    admin(first, &["layout", "apply", "--version", "1"])?;
    admin(
        first,
        &[
            "key", "import", "--yes", "-n", KEY_NAME, ACCESS_KEY, SECRET_KEY,
        ],
    )?;
    admin(first, &["key", "allow", "--create-bucket", KEY_NAME])?;
    for config in &configs {
        admin(config, &["key", "info", KEY_NAME])?;
    }
    let endpoint = format!("http://{}", nodes[0].addr);
    Ok(Ok(TestServer {
        endpoint,
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
        region: REGION.into(),
        kind,
        nodes,
    }))
}

/// After a node's restart: connect it to its peers (left in `peers` by [`start`]; on its own it
/// may retry them only much later) and wait until the cluster is whole again: the restarted node
/// reads the test key (it reaches a quorum), and every running node in `running` (their
/// directories) reports no failed node in `garage status`. Without the second wait a node that was
/// up all along may still count its restarted peer as "Not connected" for many seconds and refuse
/// quorum reads.
pub(super) fn wait_until_rejoined(
    program: &Path,
    dir: &Path,
    running: &[&Path],
) -> Result<(), String> {
    let config = dir.join("garage.toml");
    let peers = std::fs::read_to_string(dir.join("peers")).unwrap_or_default();
    retry(|| {
        for peer in peers.lines() {
            // A peer that is down itself is not an error here.
            let _ = garage_admin(program, &config, &["node", "connect", peer]);
        }
        garage_admin(program, &config, &["key", "info", KEY_NAME])
    })?;
    for other in running {
        let config = other.join("garage.toml");
        retry(|| {
            let status = garage_admin(program, &config, &["status"])?;
            if status.contains("FAILED NODES") {
                Err(format!(
                    "{} still sees failed nodes:\n{status}",
                    config.display()
                ))
            } else {
                Ok(status)
            }
        })?;
    }
    Ok(())
}

/// Run an admin step until it succeeds or [`SETUP_TIMEOUT`] has passed (the last error then).
fn retry(mut step: impl FnMut() -> Result<String, String>) -> Result<String, String> {
    let deadline = Instant::now() + SETUP_TIMEOUT;
    loop {
        match step() {
            Ok(output) => return Ok(output),
            Err(err) if Instant::now() > deadline => return Err(err),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// `garage -c CONFIG ARGS...` (the CLI talks to the node over RPC); its stdout on success.
fn garage_admin(program: &Path, config: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .arg("-c")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run {}: {err}", program.display()))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    Err(format!(
        "`garage -c {} {}` failed ({}): {}{}",
        config.display(),
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout).trim(),
        String::from_utf8_lossy(&output.stderr).trim()
    ))
}

/// 32 bytes as 64 hex digits, different for every cluster (it only keeps other clusters out).
fn rpc_secret() -> String {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |since| since.as_nanos() as u64)
        ^ (u64::from(std::process::id()) << 32);
    let mut state = seed | 1;
    (0..4)
        .map(|_| {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            format!("{:016x}", state.wrapping_mul(0x2545_f491_4f6c_dd1d))
        })
        .collect()
}

/// A path as a TOML basic string's contents.
fn toml_path(path: &Path) -> Result<String, String> {
    let text = path
        .to_str()
        .ok_or_else(|| format!("{} is not UTF-8", path.display()))?;
    Ok(text.replace('\\', "\\\\").replace('"', "\\\""))
}

//! Ceph RADOS Gateway for the tests: `ceph-rgw.sh` (beside this file) brings up one monitor, one
//! memstore OSD and radosgw on free loopback ports, with every file in the node's temporary
//! directory, and is its own watchdog (see the module above). This side picks the ports, runs the
//! script with the Ceph programs found beside `radosgw` first on `PATH`, and reads how it went.

use std::path::Path;

use super::{free_port, free_ports, node_dir, Launch, Node, ServerKind, SocketAddr, TestServer};
use std::net::Ipv4Addr;

/// The S3 user `ceph-rgw.sh` creates (radosgw takes any strings as keys).
const ACCESS_KEY: &str = "S3OPTESTCEPHACCESS01";
const SECRET_KEY: &str = "s3op-test-ceph-secret-key-0123456789abcd";
/// `ceph-rgw.sh`'s status when one of its ports was taken: worth other ports.
const PORTS_TAKEN: &str = "98";

/// One attempt: `Ok(Err(log))` when the setup failed in a way other ports may fix.
pub(super) fn start(radosgw: &Path) -> Result<Result<TestServer, String>, String> {
    let kind = ServerKind::Ceph;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/ceph-rgw.sh");
    let rgw_port = free_port()?;
    let mon_port = free_ports(2)?;
    let dir = node_dir(kind, "")?;
    // ceph-mon, ceph-osd, ceph, radosgw-admin... come in the same packages as radosgw.
    let mut path =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect::<Vec<_>>();
    if let Some(bin_dir) = radosgw.parent() {
        path.insert(0, bin_dir.to_path_buf());
    }
    let path = std::env::join_paths(path).map_err(|err| format!("PATH: {err}"))?;
    let launch = Launch {
        program: "bash".into(),
        args: vec![
            script.into_os_string(),
            dir.clone().into_os_string(),
            rgw_port.to_string().into(),
            mon_port.to_string().into(),
            ACCESS_KEY.into(),
            SECRET_KEY.into(),
        ],
        env: vec![("PATH".into(), path)],
        own_watchdog: true,
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, rgw_port));
    let node = Node::spawn(addr, dir, launch)?;
    let ready = node.wait_until_ready(kind)?;
    Ok(ready.map(|()| TestServer {
        endpoint: format!("http://{addr}"),
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
        region: "us-east-1".into(),
        kind,
        nodes: vec![node],
    }))
}

/// How the script's setup went: `None` while it runs; `Err((worth_other_ports, what))` if it failed.
pub(super) fn setup_status(dir: &Path) -> Option<Result<(), (bool, String)>> {
    let status = std::fs::read_to_string(dir.join("up-status")).ok()?;
    match status.trim() {
        "" => None,
        "0" => Some(Ok(())),
        PORTS_TAKEN => Some(Err((true, "a port was taken".into()))),
        other => Some(Err((
            false,
            format!("ceph-rgw.sh failed with status {other}"),
        ))),
    }
}

/// The script's steps and output, and the end of radosgw's own log.
pub(super) fn log(dir: &Path) -> String {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let rgw = read("log/client.rgw.a.log");
    let rgw_tail: Vec<&str> = rgw.lines().rev().take(30).collect();
    format!(
        "{}{}\n(end of log/client.rgw.a.log)\n{}",
        read("setup.log"),
        read("server.log"),
        rgw_tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    )
}

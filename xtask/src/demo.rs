//! `cargo xtask demo`: the main job on a local default. Installs s3s-fs if needed, starts it on a free
//! loopback port with a temporary directory, and walks through s3op's CLI as a new user would: make a
//! bucket, upload a file, list, presign a download link and fetch it with a plain HTTP request, then
//! download with `get-object` and compare the bytes. Every command is printed before it runs.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

const ACCESS_KEY: &str = "s3op-demo-access";
const SECRET_KEY: &str = "s3op-demo-secret";

/// Stops the server and removes its directory however the demo ends.
struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn run(args: &[String]) -> Result {
    if let Some(arg) = args.first() {
        return Err(format!("`cargo xtask demo` takes no arguments (got `{arg}`)").into());
    }
    let servers = crate::servers::ensure_installed()?;
    let status = Command::new(crate::cargo())
        .args(["build", "--quiet", "--bin", "s3op"])
        .current_dir(crate::workspace_root())
        .status()?;
    if !status.success() {
        return Err("building s3op failed".into());
    }
    let s3op = crate::target_dir().join("debug/s3op");

    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let dir = std::env::temp_dir().join(format!("s3op-demo-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("data"))?;
    let child = Command::new(&servers.s3s_fs)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--access-key",
            ACCESS_KEY,
            "--secret-key",
            SECRET_KEY,
        ])
        .arg(dir.join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server { child, dir };
    wait_for(port)?;
    let endpoint = format!("http://127.0.0.1:{port}");
    println!("s3s-fs (a signature-checking S3 server) is listening on {endpoint}\n");

    let file = server.dir.join("hello.txt");
    std::fs::write(&file, "Hello from s3op!\n")?;
    let file = file.to_string_lossy().into_owned();
    let out = server
        .dir
        .join("downloaded.txt")
        .to_string_lossy()
        .into_owned();
    let cli = Cli {
        s3op: &s3op,
        endpoint: &endpoint,
    };

    cli.run(&["create-bucket", "--bucket", "demo-bucket"])?;
    cli.run(&[
        "put-object",
        "--bucket",
        "demo-bucket",
        "--key",
        "greetings/hello world.txt",
        "--body",
        &file,
    ])?;
    cli.run(&["list-objects-v2", "--bucket", "demo-bucket"])?;
    let url = cli.run(&[
        "presign",
        "get-object",
        "--bucket",
        "demo-bucket",
        "--key",
        "greetings/hello world.txt",
        "--expires-in",
        "300",
    ])?;
    let fetched = http_get(url.trim())?;
    println!("fetched the presigned link with a plain HTTP GET: {fetched:?}\n");
    cli.run(&[
        "get-object",
        "--bucket",
        "demo-bucket",
        "--key",
        "greetings/hello world.txt",
        &out,
    ])?;
    let downloaded = std::fs::read_to_string(&out)?;
    if downloaded != "Hello from s3op!\n" || fetched != downloaded {
        return Err(format!("the bytes came back different: {downloaded:?} / {fetched:?}").into());
    }
    println!("downloaded {out}: the same bytes as uploaded.");
    drop(server);
    Ok(())
}

struct Cli<'a> {
    s3op: &'a Path,
    endpoint: &'a str,
}

impl Cli<'_> {
    /// Print and run one s3op command; fail the demo if it fails.
    fn run(&self, args: &[&str]) -> Result<String> {
        println!(
            "$ s3op --endpoint-url {} {}",
            self.endpoint,
            args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
        );
        let output = Command::new(self.s3op)
            .args(["--endpoint-url", self.endpoint])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .output()?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        print!("{stdout}");
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        println!();
        if !output.status.success() {
            return Err(format!(
                "s3op {} failed ({})",
                args.first().unwrap_or(&""),
                output.status
            )
            .into());
        }
        Ok(stdout)
    }
}

fn quote(arg: &str) -> String {
    if arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

fn wait_for(port: u16) -> Result {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("s3s-fs did not start listening within 20 s".into())
}

/// A minimal HTTP/1.1 GET of an `http://127.0.0.1:PORT/...` URL, returning the body.
fn http_get(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("expected an http:// URL")?;
    let (host, path) = rest.split_once('/').ok_or("URL without a path")?;
    let mut stream = TcpStream::connect(host)?;
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or("malformed HTTP response")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "presigned GET failed: {}",
            head.lines().next().unwrap_or_default()
        )
        .into());
    }
    Ok(body.to_string())
}

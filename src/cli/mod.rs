//! The command line: global flags, one subcommand per operation of the generated tables (named and
//! flagged as `aws s3api` names them), `presign` and `basic-data`. Every subcommand and flag comes from
//! the spec tables at run time; nothing here is per-operation. Errors are rendered here, once, and
//! mapped to exit codes: 0 success, 1 S3 error or transport failure, 2 bad input (nothing sent).

use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};

use s3op::config::BasicData;
use s3op::operation::{Location, Operation, Output, Payload};
use s3op::shape::Shape;
use s3op::{Client, Envelope, Error, Value, OPERATIONS};

// High-level commands (cp, ls, rm, mb, rb, sync): src/cli/high.
mod configure;
mod high;
mod shell;

const EXIT_OK: i32 = 0;
const EXIT_FAILED: i32 = 1;
const EXIT_USAGE: i32 = 2;

/// Parse `args`, run the command, return the exit code.
pub async fn run(args: Vec<OsString>) -> i32 {
    // The hidden man page writer is parsed, but not part of the tree completions and pages show.
    let parser = command().subcommand(shell::man_command());
    let matches = match parser.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    EXIT_OK
                }
                clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => EXIT_USAGE,
                _ => EXIT_USAGE,
            };
        }
    };
    // The multipart uploads this run starts, so an interrupt can abort them.
    let tracker = s3op::transfer::UploadTracker::new();
    let work = dispatch(&matches, &tracker);
    tokio::select! {
        result = work => {
            let code = match result {
                Ok(code) => code,
                Err(failure) => failure.report(),
            };
            if !tracker.is_empty() {
                // A transfer failed and its abort failed too (a server that could not reach its
                // quorum, say): try once more before leaving, so no parts stay billed.
                let left = tracker.len();
                let aborted = tracker.abort_all().await;
                eprintln!("s3op: aborted {aborted} of {left} multipart upload(s) a failed transfer left open");
            }
            code
        },
        code = interrupted() => {
            // The command's futures are dropped here (their temporary files with them); abort the
            // multipart uploads they leave open.
            let aborted = tracker.abort_all().await;
            let resumable = matches
                .subcommand()
                .and_then(|(_, sub)| sub.try_get_one::<bool>("resume").ok().flatten().copied())
                .unwrap_or(false);
            if resumable {
                eprintln!("s3op: interrupted; the finished parts are kept: run the same command again to resume");
            } else {
                eprintln!("s3op: interrupted; aborted {aborted} multipart upload(s) in flight and removed temporary files");
            }
            code
        }
    }
}

/// Resolves on Ctrl-C (exit code 130) or SIGTERM (143), the shell's conventions.
async fn interrupted() -> i32 {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => 130,
            _ = term.recv() => 143,
        }
    }
    #[cfg(not(unix))]
    {
        match tokio::signal::ctrl_c().await {
            Ok(()) => 130,
            Err(_) => std::future::pending().await,
        }
    }
}

/// A failure on its way to the user: rendered once, with its exit code.
enum Failure {
    Usage(String),
    Library(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Library(e)
    }
}

impl Failure {
    fn report(self) -> i32 {
        match self {
            Failure::Usage(message) => {
                eprintln!("s3op: error: {message}");
                EXIT_USAGE
            }
            Failure::Library(Error::Service(envelope)) => {
                print_envelope(&envelope, false);
                EXIT_FAILED
            }
            Failure::Library(e) if e.is_input_error() => {
                eprintln!("s3op: error: {e}");
                EXIT_USAGE
            }
            Failure::Library(e) => {
                eprintln!("s3op: error: {e}");
                EXIT_FAILED
            }
        }
    }
}

/// A line on stdout. A closed pipe (`s3op … | head`) is not an error worth a panic: the reader has
/// what it wanted.
pub(crate) fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|_| out.flush());
}

fn print_envelope(envelope: &Envelope, to_stderr: bool) {
    let text = envelope.to_json_pretty();
    if to_stderr {
        eprintln!("{text}");
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
    }
}

fn global_args() -> Vec<Arg> {
    vec![
        Arg::new("endpoint-url")
            .long("endpoint-url")
            .global(true)
            .value_name("URL")
            .help("S3 endpoint (default: AWS, from the region)"),
        Arg::new("region")
            .long("region")
            .global(true)
            .value_name("REGION")
            .help("Region to sign for"),
        Arg::new("profile")
            .long("profile")
            .global(true)
            .value_name("NAME")
            .help("Profile from ~/.aws/config and ~/.aws/credentials"),
        Arg::new("path-style")
            .long("path-style")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Put the bucket in the path, not the host name"),
        Arg::new("use-fips-endpoint")
            .long("use-fips-endpoint")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Use AWS's FIPS endpoints (AWS_USE_FIPS_ENDPOINT, profile use_fips_endpoint)"),
        Arg::new("use-dualstack-endpoint")
            .long("use-dualstack-endpoint")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Use AWS's dual-stack (IPv6) endpoints (AWS_USE_DUALSTACK_ENDPOINT, profile use_dualstack_endpoint)"),
        Arg::new("use-accelerate-endpoint")
            .long("use-accelerate-endpoint")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Use S3 Transfer Acceleration (profile s3 = use_accelerate_endpoint)"),
        Arg::new("disable-multiregion-access-points")
            .long("disable-multiregion-access-points")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Refuse Multi-Region Access Point ARNs (AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS)"),
        Arg::new("data")
            .long("data")
            .global(true)
            .value_name("FILE|JSON")
            .help("Basic data (URL, keys, region) as written by `s3op basic-data`"),
        Arg::new("dry-run")
            .long("dry-run")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Print the signed request as JSON instead of sending it"),
        Arg::new("header")
            .long("header")
            .global(true)
            .value_name("NAME: VALUE")
            .action(ArgAction::Append)
            .help("Add (and sign) a header on the request; repeatable"),
        Arg::new("max-attempts")
            .long("max-attempts")
            .global(true)
            .value_name("N")
            .value_parser(clap::value_parser!(u32).range(1..))
            .help("Attempts per request, the first included (default 3; AWS_MAX_ATTEMPTS)"),
        Arg::new("connect-timeout")
            .long("connect-timeout")
            .visible_alias("cli-connect-timeout")
            .global(true)
            .value_name("SECONDS")
            .value_parser(parse_seconds)
            .help("Seconds to wait for a connection (default 10)"),
        Arg::new("read-timeout")
            .long("read-timeout")
            .visible_alias("cli-read-timeout")
            .global(true)
            .value_name("SECONDS")
            .value_parser(parse_seconds)
            .help("Seconds to wait for each read of an answer (default 60)"),
        Arg::new("bwlimit")
            .long("bwlimit")
            .global(true)
            .value_name("RATE")
            .value_parser(parse_rate)
            .help("Limit the bytes sent and received per second, all files and parts together: 10MiB, 500K, 1048576"),
        Arg::new("debug")
            .long("debug")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Print each attempt on stderr: method, URL, status, canonical request, string to sign"),
        Arg::new("no-sign-request")
            .long("no-sign-request")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Send requests anonymously"),
        Arg::new("ca-bundle")
            .long("ca-bundle")
            .global(true)
            .value_name("FILE")
            .help("Also trust the CA certificates of this PEM file (AWS_CA_BUNDLE, profile ca_bundle)"),
        Arg::new("no-verify-ssl")
            .long("no-verify-ssl")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Do not check server certificates (warns on stderr)"),
        Arg::new("mfa-code")
            .long("mfa-code")
            .global(true)
            .value_name("CODE")
            .help("The code of the MFA device a role's profile names (mfa_serial); asked on the terminal otherwise"),
    ]
    .into_iter()
    // After each command's own flags in its help, man page and completions, in this order.
    .enumerate()
    .map(|(i, arg)| arg.display_order(1000 + i))
    .collect()
}

/// Bytes per second as `--part-size` reads sizes (`10MiB`, `500K`, `1048576`; a trailing `/s` is
/// allowed), above 0.
fn parse_rate(text: &str) -> Result<u64, String> {
    let size = text.trim();
    let size = size.strip_suffix("/s").unwrap_or(size);
    match s3op::config::parse_size(size) {
        Ok(0) => Err("expected a rate above 0 bytes per second".into()),
        Ok(rate) => Ok(rate),
        Err(e) => Err(format!("{e} (bytes per second)")),
    }
}

/// Seconds as a positive number (fractions allowed).
fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "expected a number of seconds above 0, got {text:?}"
        )),
    }
}

/// The whole command tree, built from the operation tables; completions and man pages are rendered
/// from it too (`shell`).
fn command() -> Command {
    let mut root = Command::new("s3op")
        .version(env!("CARGO_PKG_VERSION"))
        .about("An S3 client: every S3 operation as a subcommand, every answer as a JSON envelope")
        .after_help("Operations take flags named as `aws s3api` names them; `s3op <operation> --help` shows its reference page.")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .args(global_args());
    for op in OPERATIONS {
        root = root.subcommand(operation_command(op, false));
    }
    let mut presign = Command::new("presign")
        .about("Print a presigned URL for an operation (get-object, put-object, …)")
        .subcommand_required(true)
        .arg(
            Arg::new("expires-in")
                .long("expires-in")
                .global(true)
                .value_name("SECONDS")
                .value_parser(clap::value_parser!(u64))
                .default_value("3600")
                .help("Seconds the URL stays valid (at most 604800, 7 days)"),
        );
    for op in OPERATIONS {
        presign = presign.subcommand(operation_command(op, true));
    }
    // High-level commands (src/cli/high).
    root = root.subcommands(high::commands());
    root.subcommand(presign)
        .subcommand(basic_data_command())
        .subcommand(request_command())
        .subcommand(configure::command())
        .subcommand(shell::completion_command())
}

fn operation_command(op: &'static Operation, presign: bool) -> Command {
    let mut cmd = Command::new(op.cli_name).about(op.summary);
    if !presign {
        cmd = cmd.override_help(op.help);
    }
    for m in op.members {
        if presign && matches!(m.location, Location::Payload | Location::Body) {
            continue;
        }
        let mut arg = Arg::new(m.flag)
            .long(m.flag)
            .value_name(value_name(m.shape))
            .help(m.summary);
        // Offered for plain strings only: a list of enum values is given as JSON, where a bare
        // value would be refused.
        if !m.values.is_empty() && matches!(m.shape, Shape::String) {
            arg = arg.value_parser(shell::Suggested(m.values));
        }
        if m.required {
            arg = arg.required(true);
        }
        cmd = cmd.arg(arg);
    }
    if op.pagination.is_some() && !presign {
        cmd = cmd.arg(
            Arg::new("all")
                .long("all")
                .action(ArgAction::SetTrue)
                .help("Follow the listing to its end: one envelope per page, as JSON Lines"),
        );
    }
    if matches!(op.output, Output::Blob) && !presign {
        cmd = cmd.arg(
            Arg::new("outfile")
                .value_name("OUTFILE")
                .required(true)
                .help("Where to write the object ('-' for stdout)"),
        );
    }
    cmd
}

fn value_name(shape: &Shape) -> &'static str {
    match shape {
        Shape::String => "STRING",
        Shape::Integer | Shape::Long => "INTEGER",
        Shape::Float | Shape::Double => "NUMBER",
        Shape::Boolean => "true|false",
        Shape::Timestamp(_) => "ISO8601",
        Shape::Blob => "FILE",
        _ => "JSON",
    }
}

fn request_command() -> Command {
    Command::new("request")
        .about("Send a signed request to any URL, or a path and query of the endpoint (/bucket/key?tagging)")
        .arg(Arg::new("method").value_name("METHOD").required(true).help("GET, PUT, POST, DELETE, HEAD, PATCH or OPTIONS"))
        .arg(Arg::new("target").value_name("TARGET").required(true).help("An absolute http(s) URL, or a path from the endpoint starting with /"))
        .arg(Arg::new("body").long("body").value_name("FILE").help("Request body from a file, '-' for standard input"))
        .arg(Arg::new("out").long("out").value_name("FILE").help("Write the response body to FILE ('-': stdout, the envelope then goes to stderr)"))
        .arg(Arg::new("unsigned-payload").long("unsigned-payload").action(ArgAction::SetTrue).help("Sign the body as UNSIGNED-PAYLOAD instead of hashing it"))
        .arg(Arg::new("service").long("service").value_name("NAME").help("Sign for this service name (default: the configured one, s3)"))
        .after_help("Headers: the global --header 'Name: value' (repeatable). The answer is the envelope: XML converted by the plain rules, JSON kept as JSON, other text as a string; a binary body only with --out.")
}

/// `s3op request METHOD TARGET`.
async fn raw_request(client: &Client, sub: &ArgMatches, dry_run: bool) -> Result<i32, Failure> {
    let method = sub.get_one::<String>("method").cloned().unwrap_or_default();
    let target = sub.get_one::<String>("target").cloned().unwrap_or_default();
    let mut request = client.request(&method, &target);
    match sub.get_one::<String>("body").map(String::as_str) {
        Some("-") => request = request.body_stdin(),
        Some(path) => {
            if !std::path::Path::new(path).is_file() {
                return Err(Failure::Usage(format!("--body {path}: no such file")));
            }
            request = request.body_file(path);
        }
        None => {}
    }
    if sub.get_flag("unsigned-payload") {
        request = request.unsigned_payload();
    }
    if let Some(service) = sub.get_one::<String>("service") {
        request = request.service(service);
    }
    // Refuse bad input (a bad method or target, a signer header) before anything is sent.
    request.prepare()?;
    if dry_run {
        let dry = request.dry_run().await?;
        say(&serde_json::to_string_pretty(&dry).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    let out = sub.get_one::<String>("out").cloned();
    let envelope = match out.as_deref() {
        Some("-") => {
            let mut stdout = tokio::io::stdout();
            request.send_to_writer(&mut stdout).await?
        }
        Some(path) => request.send_to_file(path).await?,
        None => request.send().await?,
    };
    if out.is_none()
        && envelope.response.is_null()
        && envelope
            .headers
            .get("content-length")
            .is_some_and(|l| l != "0")
    {
        eprintln!("s3op: the response body is binary and not shown; use --out FILE to keep it");
    }
    print_envelope(&envelope, out.as_deref() == Some("-"));
    Ok(EXIT_OK)
}

fn basic_data_command() -> Command {
    Command::new("basic-data")
        .about("Print the basic data (URL, keys, region, service) as JSON, for --data")
        .arg(
            Arg::new("url")
                .long("url")
                .required(true)
                .value_name("URL")
                .help("Endpoint URL; https:// when no scheme is given"),
        )
        .arg(
            Arg::new("access")
                .long("access")
                .required(true)
                .value_name("KEY")
                .help("Access key id"),
        )
        .arg(
            Arg::new("secret")
                .long("secret")
                .required(true)
                .value_name("SECRET")
                .help("Secret access key"),
        )
        .arg(
            Arg::new("region")
                .long("region")
                .required(true)
                .value_name("REGION")
                .help("Region"),
        )
        .arg(
            Arg::new("service")
                .long("service")
                .default_value("s3")
                .value_name("NAME")
                .help("Service name to sign for"),
        )
        .arg(
            Arg::new("chunk-size")
                .long("chunk-size")
                .value_name("BYTES")
                .help("Part size and multipart threshold for transfers (bytes, or 8MiB, 16M)"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .value_name("FILE")
                .help("Write the basic data to FILE (mode 0600) instead of printing it"),
        )
}

async fn dispatch(
    matches: &ArgMatches,
    tracker: &s3op::transfer::UploadTracker,
) -> Result<i32, Failure> {
    let Some((name, sub)) = matches.subcommand() else {
        return Err(Failure::Usage("no command given; see s3op --help".into()));
    };
    match name {
        // High-level commands (src/cli/high).
        name if high::handles(name) => high::dispatch(name, sub, matches, tracker).await,
        "basic-data" => basic_data(sub),
        "configure" => configure::run(sub, matches).await,
        "completion" => shell::completion(sub),
        shell::MAN_COMMAND => shell::man(sub),
        "request" => {
            let client = client(matches)?;
            raw_request(&client, sub, matches.get_flag("dry-run")).await
        }
        "presign" => {
            let Some((op_name, op_matches)) = sub.subcommand() else {
                return Err(Failure::Usage(
                    "presign needs an operation, e.g. `s3op presign get-object`".into(),
                ));
            };
            let op = find(op_name)?;
            let client = client(matches)?;
            let request = build_request(&client, op, op_matches, matches)?;
            let expires = sub.get_one::<u64>("expires-in").copied().unwrap_or(3600);
            let url = request.presign(Duration::from_secs(expires)).await?;
            say(&url);
            Ok(EXIT_OK)
        }
        op_name => {
            let op = find(op_name)?;
            let client = client(matches)?;
            let request = build_request(&client, op, sub, matches)?;
            if matches.get_flag("dry-run") {
                let dry = request.dry_run().await?;
                say(&serde_json::to_string_pretty(&dry).unwrap_or_default());
                return Ok(EXIT_OK);
            }
            if sub
                .try_get_one::<bool>("all")
                .ok()
                .flatten()
                .copied()
                .unwrap_or(false)
            {
                return all_pages(request).await;
            }
            let outfile = sub.try_get_one::<String>("outfile").ok().flatten().cloned();
            let to_stdout = outfile.as_deref() == Some("-");
            let envelope = match outfile {
                Some(path) if path == "-" => {
                    let mut stdout = tokio::io::stdout();
                    request.send_to_writer(&mut stdout).await?
                }
                Some(path) => request.send_to_file(path).await?,
                None => request.send().await?,
            };
            print_envelope(&envelope, to_stdout);
            Ok(EXIT_OK)
        }
    }
}

/// `--all`: every page as one compact envelope per line (JSON Lines), flushed as it arrives.
async fn all_pages(request: s3op::Request) -> Result<i32, Failure> {
    use futures_util::StreamExt;
    let pages = request.pages();
    futures_util::pin_mut!(pages);
    while let Some(page) = pages.next().await {
        let envelope = page?;
        let line = serde_json::to_string(&envelope).unwrap_or_default();
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            // stdout closed (`| head`): stop quietly.
            return Ok(EXIT_OK);
        }
    }
    Ok(EXIT_OK)
}

fn find(name: &str) -> Result<&'static Operation, Failure> {
    OPERATIONS
        .iter()
        .copied()
        .find(|op| op.cli_name == name)
        .ok_or_else(|| Failure::Usage(format!("unknown operation {name}")))
}

fn client(matches: &ArgMatches) -> Result<Client, Failure> {
    let client = client_without_key_check(matches)?;
    if !client.has_credentials() && !matches.get_flag("no-sign-request") {
        return Err(Failure::Usage(
            "no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use --profile or --data, or pass --no-sign-request".into(),
        ));
    }
    Ok(client)
}

/// The client the global flags describe, whether or not it has a source of keys.
fn client_without_key_check(matches: &ArgMatches) -> Result<Client, Failure> {
    let mut builder = Client::builder();
    if let Some(url) = matches.get_one::<String>("endpoint-url") {
        builder = builder.endpoint_url(url);
    }
    if let Some(region) = matches.get_one::<String>("region") {
        builder = builder.region(region);
    }
    if let Some(profile) = matches.get_one::<String>("profile") {
        builder = builder.profile(profile);
    }
    if matches.get_flag("path-style") {
        builder = builder.path_style(true);
    }
    if matches.get_flag("use-fips-endpoint") {
        builder = builder.use_fips(true);
    }
    if matches.get_flag("use-dualstack-endpoint") {
        builder = builder.use_dual_stack(true);
    }
    if matches.get_flag("use-accelerate-endpoint") {
        builder = builder.accelerate(true);
    }
    if matches.get_flag("disable-multiregion-access-points") {
        builder = builder.disable_multi_region_access_points(true);
    }
    if let Some(data) = matches.get_one::<String>("data") {
        let data = BasicData::load(data).map_err(|e| Failure::Usage(format!("--data: {e}")))?;
        builder = builder.basic_data(data);
    }
    if let Some(headers) = matches.get_many::<String>("header") {
        for h in headers {
            let Some((name, value)) = h.split_once(':') else {
                return Err(Failure::Usage(format!(
                    "--header {h:?}: expected 'Name: value'"
                )));
            };
            let name = name.trim();
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
            {
                return Err(Failure::Usage(format!(
                    "--header {h:?}: {name:?} is not a header name"
                )));
            }
            builder = builder.header(name, value.trim());
        }
    }
    if let Some(n) = matches.get_one::<u32>("max-attempts") {
        builder = builder.max_attempts(*n);
    }
    if let Some(t) = matches.get_one::<Duration>("connect-timeout") {
        builder = builder.connect_timeout(*t);
    }
    if let Some(t) = matches.get_one::<Duration>("read-timeout") {
        builder = builder.read_timeout(*t);
    }
    if let Some(rate) = matches.get_one::<u64>("bwlimit") {
        builder = builder.bandwidth_limit(*rate);
    }
    builder = builder.debug(matches.get_flag("debug"));
    builder = builder.unsigned(matches.get_flag("no-sign-request"));
    builder = match matches.get_one::<String>("mfa-code") {
        Some(code) => builder.mfa_code(code.trim()),
        None => builder.mfa_code_provider(ask_mfa_code),
    };
    if let Some(path) = matches.get_one::<String>("ca-bundle") {
        builder = builder.ca_bundle(path);
    }
    let no_verify = matches.get_flag("no-verify-ssl");
    let client = builder.no_verify_ssl(no_verify).build()?;
    if no_verify {
        eprintln!(
            "s3op: warning: --no-verify-ssl: server certificates are not checked; anyone on the \
             network path can read and change this traffic"
        );
    }
    Ok(client)
}

/// The MFA code for `serial`, asked on the terminal; `None` when standard input is not one.
fn ask_mfa_code(serial: &str) -> Option<String> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return None;
    }
    eprint!("Enter MFA code for {serial}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim().to_string())
}

/// Fill a request from the operation's flags; each value is parsed by its member's shape.
fn build_request(
    client: &Client,
    op: &'static Operation,
    sub: &ArgMatches,
    _global: &ArgMatches,
) -> Result<s3op::Request, Failure> {
    let mut request = client.operation(op);
    for m in op.members {
        let Ok(Some(raw)) = sub.try_get_one::<String>(m.flag) else {
            continue;
        };
        let value = Value::parse_arg(m.shape, raw)
            .map_err(|message| Failure::Usage(format!("--{} ({}): {message}", m.flag, m.name)))?;
        request.set(m.name, value);
    }
    let _ = matches!(op.payload, Payload::None);
    Ok(request)
}

fn basic_data(sub: &ArgMatches) -> Result<i32, Failure> {
    let get = |name: &str| sub.get_one::<String>(name).cloned().unwrap_or_default();
    let mut data = BasicData::new(
        get("url"),
        get("access"),
        get("secret"),
        get("region"),
        get("service"),
    );
    if let Some(text) = sub.get_one::<String>("chunk-size") {
        match s3op::config::parse_size(text) {
            Ok(bytes) if bytes >= 5 * 1024 * 1024 => data = data.with_chunk_size(bytes),
            Ok(_) => {
                return Err(Failure::Usage(format!(
                    "--chunk-size {text}: S3 parts are at least 5 MiB (5242880 bytes)"
                )))
            }
            Err(e) => return Err(Failure::Usage(format!("--chunk-size: {e}"))),
        }
    }
    // The URL must make an endpoint: check it the way --data will read it.
    let inputs = s3op::config::ConfigInputs {
        basic_data: Some(data.clone()),
        ..Default::default()
    };
    let empty = s3op::config::Environment::from_vars(Vec::<(String, String)>::new(), None);
    s3op::config::resolve(&inputs, &empty).map_err(|e| Failure::Usage(format!("--url: {e}")))?;
    let json = data.to_json();
    match sub.get_one::<String>("output") {
        Some(path) => write_private(path, &json)
            .map_err(|e| Failure::Usage(format!("--output {path}: {e}")))?,
        None => say(&json),
    }
    Ok(EXIT_OK)
}

/// Write `text` to a new file only its owner can read (it holds a secret key).
fn write_private(path: &str, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}

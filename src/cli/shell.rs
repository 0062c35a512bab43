//! Shell completion scripts and man pages, both rendered from the one command tree
//! ([`super::command`]) so they can never list a flag the parser does not take:
//! `s3op completion bash|zsh|fish|powershell|elvish` prints a script, and the hidden
//! `s3op __man DIR` writes `s3op.1` (every command listed, the 116 operations included) plus one
//! page per command that has no reference page of its own (`s3op-cp.1`, `s3op-completion.1`, …).
//! `cargo xtask docs` runs `__man` into `docs/man/`; `tests/man_pages.rs` fails when those pages are
//! stale. The operations' pages are the reference pages (`docs/reference/`), not man pages.

use std::ffi::OsStr;
use std::path::Path;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use clap::{Arg, ArgMatches, Command};
use clap_complete::Shell;

use super::{Failure, EXIT_OK};

/// The hidden subcommand that writes the man pages (for `cargo xtask docs` and the staleness test).
pub const MAN_COMMAND: &str = "__man";

/// The commands, besides `s3op` itself, that get a man page of their own: the high-level commands
/// and the ones without a reference page.
const PAGED: &[&str] = &[
    "cp",
    "mv",
    "sync",
    "ls",
    "rm",
    "mb",
    "rb",
    "check",
    "presign",
    "request",
    "basic-data",
    "configure",
    "completion",
];

pub fn completion_command() -> Command {
    Command::new("completion")
        .about("Print a shell completion script: s3op completion bash > ~/.local/share/bash-completion/completions/s3op")
        .arg(
            Arg::new("shell")
                .value_name("SHELL")
                .required(true)
                .value_parser(clap::value_parser!(Shell))
                .help("bash, zsh, fish, powershell or elvish"),
        )
        .after_help(
            "bash: s3op completion bash > ~/.local/share/bash-completion/completions/s3op\n\
             zsh: s3op completion zsh > ~/.zfunc/_s3op (with fpath+=~/.zfunc before compinit in ~/.zshrc)\n\
             fish: s3op completion fish > ~/.config/fish/completions/s3op.fish\n\
             PowerShell: s3op completion powershell >> $PROFILE",
        )
}

pub fn man_command() -> Command {
    Command::new(MAN_COMMAND)
        .hide(true)
        .about("Write s3op.1 and one man page per command into DIR")
        .arg(Arg::new("dir").value_name("DIR").required(true))
}

/// `s3op completion SHELL`: the script on stdout.
pub fn completion(sub: &ArgMatches) -> Result<i32, Failure> {
    let Some(shell) = sub.get_one::<Shell>("shell").copied() else {
        return Err(Failure::Usage(
            "completion needs a shell: bash, zsh, fish, powershell".into(),
        ));
    };
    let mut cmd = super::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "s3op", &mut script);
    let mut out = std::io::stdout().lock();
    // A closed pipe is the reader's choice, not an error.
    let _ = std::io::Write::write_all(&mut out, &script);
    Ok(EXIT_OK)
}

/// `s3op __man DIR`: write the pages, replacing what is there under the same names.
pub fn man(sub: &ArgMatches) -> Result<i32, Failure> {
    let dir = sub.get_one::<String>("dir").cloned().unwrap_or_default();
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).map_err(|e| Failure::Usage(format!("{}: {e}", dir.display())))?;
    for (name, text) in man_pages()? {
        let path = dir.join(&name);
        std::fs::write(&path, text)
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    }
    Ok(EXIT_OK)
}

/// Every man page as (file name, roff text).
fn man_pages() -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let mut root = super::command().disable_help_subcommand(true);
    root.build();
    let render = |cmd: Command| -> Result<(String, Vec<u8>), Failure> {
        let man = clap_mangen::Man::new(cmd).manual("s3op manual");
        let mut text = Vec::new();
        man.render(&mut text)
            .map_err(|e| Failure::Usage(format!("rendering a man page: {e}")))?;
        Ok((man.get_filename(), text))
    };
    let mut pages = vec![("s3op.1".to_string(), root_page(&root)?)];
    for name in PAGED {
        let sub = root
            .find_subcommand(name)
            .ok_or_else(|| Failure::Usage(format!("no command {name} to write a page for")))?;
        pages.push(render(sub.clone())?);
    }
    Ok(pages)
}

/// `s3op.1`: clap_mangen's sections, except that the commands are listed in two groups: those with
/// a man page of their own, and the operations, whose pages are the reference pages (`s3op
/// put-object --help`, `docs/reference/put-object.md`).
fn root_page(root: &Command) -> Result<Vec<u8>, Failure> {
    let man = clap_mangen::Man::new(root.clone()).manual("s3op manual");
    let mut text = Vec::new();
    let failed = |e: std::io::Error| Failure::Usage(format!("rendering s3op.1: {e}"));
    man.render_title(&mut text).map_err(failed)?;
    man.render_name_section(&mut text).map_err(failed)?;
    man.render_synopsis_section(&mut text).map_err(failed)?;
    man.render_description_section(&mut text).map_err(failed)?;
    man.render_options_section(&mut text).map_err(failed)?;
    let mut commands = String::from(".SH COMMANDS\n");
    let mut operations = String::from(
        ".SH OPERATIONS\nOne subcommand per S3 operation, its flags named as `aws s3api` names them. \
         `s3op OPERATION \\-\\-help` prints its reference page (also in docs/reference/).\n",
    );
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        if PAGED.contains(&name) {
            commands.push_str(&format!(
                ".TP\n\\fBs3op\\-{}\\fR(1)\n{}\n",
                roff_escape(name),
                roff_escape(&about)
            ));
        } else {
            operations.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}\n",
                roff_escape(name),
                roff_escape(&about)
            ));
        }
    }
    text.extend_from_slice(commands.as_bytes());
    text.extend_from_slice(operations.as_bytes());
    man.render_extra_section(&mut text).map_err(failed)?;
    man.render_version_section(&mut text).map_err(failed)?;
    Ok(text)
}

/// Text as roff shows it literally: backslashes and hyphens escaped, no line taken for a request.
fn roff_escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// A string argument whose allowed values (from the spec) are offered to completion and listed in
/// help, while any other string is still taken: servers accept values newer than our spec.
#[derive(Clone)]
pub struct Suggested(pub &'static [&'static str]);

impl TypedValueParser for Suggested {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|v| PossibleValue::new(*v))))
    }
}

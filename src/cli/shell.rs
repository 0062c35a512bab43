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

/// The commands listed in `s3op.1` apart from the operations: the high-level commands and the
/// others that are not S3 operations. Every visible command, operations included, has a page.
const COMMANDS: &[&str] = &[
    "cp",
    "mv",
    "sync",
    "ls",
    "rm",
    "mb",
    "rb",
    "check",
    "du",
    "cat",
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
    let mut pages = vec![page(&root, true)?];
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push(page(sub, false)?);
    }
    Ok(pages)
}

/// One page: clap_mangen's, except the list of subcommands, which names only pages that exist. In
/// `s3op.1` (`root`) every command is listed as `s3op-cp(1)`, the operations apart (their pages
/// hold what `s3op put-object --help` prints; `docs/reference/put-object.md` is the longer
/// reference). Elsewhere (`presign`'s operations, `configure list`) subcommands are listed by name.
fn page(cmd: &Command, root: bool) -> Result<(String, Vec<u8>), Failure> {
    let man = clap_mangen::Man::new(cmd.clone()).manual("s3op manual");
    let name = man.get_filename();
    let mut rendered = Vec::new();
    man.render(&mut rendered)
        .map_err(|e| Failure::Usage(format!("rendering {name}: {e}")))?;
    let text = String::from_utf8(rendered)
        .map_err(|e| Failure::Usage(format!("rendering {name}: {e}")))?;
    // clap_mangen's own list names a page per subcommand (`s3op-presign-get-object(1)`).
    const HEADING: &str = ".SH SUBCOMMANDS\n";
    let Some(start) = text.find(HEADING) else {
        return Ok((name, text.into_bytes()));
    };
    let end = text[start + HEADING.len()..]
        .find("\n.SH ")
        .map_or(text.len(), |at| start + HEADING.len() + at + 1);
    let entry = |title: String, about: Option<&clap::builder::StyledStr>| {
        let about = about.map(|a| a.to_string()).unwrap_or_default();
        format!(".TP\n{title}\n{}\n", roff_escape(&about))
    };
    let mut commands = String::new();
    let mut operations = String::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let sub_name = roff_escape(sub.get_name());
        let title = if root {
            format!("\\fBs3op\\-{sub_name}\\fR(1)")
        } else {
            format!("\\fB{sub_name}\\fR")
        };
        if root && COMMANDS.contains(&sub.get_name()) {
            commands.push_str(&entry(title, sub.get_about()));
        } else {
            operations.push_str(&entry(title, sub.get_about()));
        }
    }
    let listing = if root {
        format!(
            ".SH COMMANDS\n{commands}.SH OPERATIONS\nOne subcommand per S3 operation, its flags \
             named as `aws s3api` names them; its page is what `s3op OPERATION \\-\\-help` prints \
             (docs/reference/ has the longer reference).\n{operations}"
        )
    } else {
        format!("{HEADING}{operations}")
    };
    let text = format!("{}{listing}{}", &text[..start], &text[end..]);
    Ok((name, text.into_bytes()))
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

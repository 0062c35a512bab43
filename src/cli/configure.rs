//! `s3op configure list`, as the AWS CLI names it: the profile, access key (its last four
//! characters), region and endpoint in use, each with the kind and place of its source, as a
//! table or with `--json` as a JSON array. Nothing secret is shown: the keys are asked of their
//! source only to show the access key id's end.

use clap::{Arg, ArgAction, ArgMatches, Command};

use super::{client_without_key_check, say, Failure, EXIT_OK};

pub fn command() -> Command {
    Command::new("configure")
        .about("Show the configuration in use (configure list)")
        .subcommand_required(true)
        .subcommand(
            Command::new("list")
                .about("The profile, access key, region and endpoint in use, and where each comes from")
                .arg(
                    Arg::new("json")
                        .long("json")
                        .action(ArgAction::SetTrue)
                        .help("Print a JSON array instead of a table"),
                ),
        )
}

pub async fn run(sub: &ArgMatches, global: &ArgMatches) -> Result<i32, Failure> {
    let Some(("list", list)) = sub.subcommand() else {
        return Err(Failure::Usage("configure needs a subcommand: list".into()));
    };
    let client = client_without_key_check(global)?;
    let settings = client.config_sources().await;
    if list.get_flag("json") {
        say(&serde_json::to_string_pretty(&settings).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    let rows: Vec<[String; 4]> =
        std::iter::once(["NAME", "VALUE", "TYPE", "LOCATION"].map(String::from))
            .chain(settings.iter().map(|s| {
                [
                    s.name.to_string(),
                    s.value.clone().unwrap_or_else(|| "<not set>".into()),
                    s.kind.clone(),
                    s.location.clone(),
                ]
            }))
            .collect();
    let width = |column: usize| {
        rows.iter()
            .map(|r| r[column].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    for row in &rows {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        say(line.trim_end());
    }
    Ok(EXIT_OK)
}

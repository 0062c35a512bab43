//! Configuration resolution through the public API (`s3op::config`): the order of the sources
//! (flags, basic data, environment, profile files, defaults), the profile files' dialect as
//! `resolve` reads it, basic data in and out, endpoint and addressing decisions, and secrets kept
//! out of `Debug` and error messages. Each test writes its profile files into its own scratch home.

use std::path::{Path, PathBuf};

use s3op::config::{
    bucket_fits_virtual_host, resolve, Addressing, BasicData, ConfigError, ConfigInputs,
    Environment, ResolvedConfig, SizeError,
};
use s3op::secret::Secret;
use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET";
const TOKEN: &str = "FwoGZXIvYXdzEJr//////////wEaDzzTOKEN";

/// A scratch directory under the system temp dir, removed on drop. It doubles as `$HOME`.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "s3op-config-test-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(&path, contents).expect("write file");
        path
    }

    fn credentials(&self, contents: &str) -> PathBuf {
        self.write(".aws/credentials", contents)
    }

    fn config(&self, contents: &str) -> PathBuf {
        self.write(".aws/config", contents)
    }

    fn env(&self, vars: &[(&str, &str)]) -> Environment {
        Environment::from_vars(
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            Some(self.0.clone()),
        )
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn ok(inputs: &ConfigInputs, env: &Environment) -> ResolvedConfig {
    match resolve(inputs, env) {
        Ok(config) => config,
        Err(e) => panic!("resolve failed: {e}"),
    }
}

fn err(inputs: &ConfigInputs, env: &Environment) -> ConfigError {
    match resolve(inputs, env) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(e) => e,
    }
}

fn no_inputs() -> ConfigInputs {
    ConfigInputs::default()
}

fn keys(config: &ResolvedConfig) -> Option<(String, String, Option<String>)> {
    config.credentials.as_ref().map(|c| {
        (
            c.access_key_id.clone(),
            c.secret_access_key.expose().to_owned(),
            c.session_token.as_ref().map(|t| t.expose().to_owned()),
        )
    })
}

fn access_key(config: &ResolvedConfig) -> Option<String> {
    config.credentials.as_ref().map(|c| c.access_key_id.clone())
}

fn basic(url: &str) -> BasicData {
    BasicData::new(url, "BASICAK", SECRET, "BTC", "s3")
}

// ---- defaults --------------------------------------------------------------------------

#[test]
fn empty_environment_gives_aws_defaults() {
    let home = TempDir::new("defaults");
    let config = ok(&no_inputs(), &home.env(&[]));
    assert_eq!(config.region, "us-east-1");
    assert_eq!(
        config.endpoint.as_str(),
        "https://s3.us-east-1.amazonaws.com/"
    );
    assert!(config.credentials.is_none());
    assert_eq!(config.addressing, Addressing::VirtualHosted);
    assert_eq!(config.service, "s3");
    assert_eq!(config.chunk_size, None);
}

#[test]
fn no_home_and_no_files_is_fine() {
    let env = Environment::from_vars(Vec::<(String, String)>::new(), None);
    let config = ok(&no_inputs(), &env);
    assert_eq!(config.region, "us-east-1");
    assert!(config.credentials.is_none());
}

#[test]
fn regional_endpoint_follows_region_including_china() {
    let home = TempDir::new("regional");
    let config = ok(&no_inputs(), &home.env(&[("AWS_REGION", "eu-west-3")]));
    assert_eq!(
        config.endpoint.as_str(),
        "https://s3.eu-west-3.amazonaws.com/"
    );
    let config = ok(&no_inputs(), &home.env(&[("AWS_REGION", "cn-north-1")]));
    assert_eq!(
        config.endpoint.as_str(),
        "https://s3.cn-north-1.amazonaws.com.cn/"
    );
    assert_eq!(config.addressing, Addressing::VirtualHosted);
}

#[test]
fn region_unfit_for_a_host_name_is_an_error_only_without_endpoint() {
    let home = TempDir::new("badregion");
    let env = home.env(&[("AWS_REGION", "us east/1")]);
    let e = err(&no_inputs(), &env);
    assert!(matches!(e, ConfigError::InvalidSetting { ref key, .. } if key == "region"));
    assert!(e.to_string().contains("AWS_REGION"), "{e}");
    let inputs = ConfigInputs {
        endpoint_url: Some("http://127.0.0.1:9000".into()),
        ..no_inputs()
    };
    assert_eq!(ok(&inputs, &env).region, "us east/1");
}

// ---- region precedence -----------------------------------------------------------------

#[test]
fn region_precedence_walks_every_source() {
    let home = TempDir::new("region");
    home.config("[default]\nregion = profile-region\n");
    let all = [
        ("AWS_REGION", "aws-region"),
        ("AWS_DEFAULT_REGION", "aws-default-region"),
    ];
    let mut inputs = ConfigInputs {
        region: Some("flag-region".into()),
        basic_data: Some(basic("http://127.0.0.1:9000")),
        ..no_inputs()
    };
    assert_eq!(ok(&inputs, &home.env(&all)).region, "flag-region");
    inputs.region = None;
    assert_eq!(ok(&inputs, &home.env(&all)).region, "BTC");
    inputs.basic_data = Some(BasicData {
        region: None,
        ..basic("http://127.0.0.1:9000")
    });
    assert_eq!(ok(&inputs, &home.env(&all)).region, "aws-region");
    assert_eq!(
        ok(&inputs, &home.env(&all[1..])).region,
        "aws-default-region"
    );
    assert_eq!(ok(&inputs, &home.env(&[])).region, "profile-region");
    fs::remove_file(home.path().join(".aws/config")).unwrap();
    assert_eq!(ok(&inputs, &home.env(&[])).region, "us-east-1");
}

#[test]
fn blank_values_count_as_unset() {
    let home = TempDir::new("blank");
    let env = home.env(&[
        ("AWS_REGION", "  "),
        ("AWS_DEFAULT_REGION", "eu-central-1"),
        ("AWS_PROFILE", ""),
        ("AWS_ACCESS_KEY_ID", ""),
    ]);
    let inputs = ConfigInputs {
        region: Some("".into()),
        profile: Some(" ".into()),
        endpoint_url: Some("".into()),
        ..no_inputs()
    };
    let config = ok(&inputs, &env);
    assert_eq!(config.region, "eu-central-1");
    assert!(config.credentials.is_none());
    assert_eq!(
        config.endpoint.as_str(),
        "https://s3.eu-central-1.amazonaws.com/"
    );
}

// ---- endpoint precedence ---------------------------------------------------------------

#[test]
fn endpoint_precedence_walks_every_source() {
    let home = TempDir::new("endpoint");
    home.config(
        "[default]\nendpoint_url = http://profile:1\nservices = local\n\n\
         [services local]\ns3 =\n  endpoint_url = http://services:2\n",
    );
    let all = [
        ("AWS_ENDPOINT_URL_S3", "http://env-s3:3"),
        ("AWS_ENDPOINT_URL", "http://env-global:4"),
    ];
    let mut inputs = ConfigInputs {
        endpoint_url: Some("http://flag:5".into()),
        basic_data: Some(basic("http://basic:6")),
        ..no_inputs()
    };
    let host = |inputs: &ConfigInputs, vars: &[(&str, &str)]| {
        ok(inputs, &home.env(vars)).endpoint.as_str().to_owned()
    };
    assert_eq!(host(&inputs, &all), "http://flag:5/");
    inputs.endpoint_url = None;
    assert_eq!(host(&inputs, &all), "http://basic:6/");
    inputs.basic_data = None;
    assert_eq!(host(&inputs, &all), "http://env-s3:3/");
    assert_eq!(host(&inputs, &all[1..]), "http://env-global:4/");
    assert_eq!(host(&inputs, &[]), "http://services:2/");
    home.config(
        "[default]\nendpoint_url = http://profile:1\ns3 =\n  endpoint_url = http://profile-s3:7\n",
    );
    assert_eq!(host(&inputs, &[]), "http://profile-s3:7/");
    home.config("[default]\nendpoint_url = http://profile:1\n");
    assert_eq!(host(&inputs, &[]), "http://profile:1/");
    home.config("[default]\n");
    assert_eq!(host(&inputs, &[]), "https://s3.us-east-1.amazonaws.com/");
}

#[test]
fn ignore_configured_endpoint_urls_skips_env_and_profile_only() {
    let home = TempDir::new("ignore");
    home.config("[default]\nendpoint_url = http://profile:1\n");
    let env = home.env(&[
        ("AWS_ENDPOINT_URL_S3", "http://env:2"),
        ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"),
        ("AWS_REGION", "eu-west-1"),
    ]);
    assert_eq!(
        ok(&no_inputs(), &env).endpoint.as_str(),
        "https://s3.eu-west-1.amazonaws.com/"
    );
    let flagged = ConfigInputs {
        endpoint_url: Some("http://flag:3".into()),
        ..no_inputs()
    };
    assert_eq!(ok(&flagged, &env).endpoint.as_str(), "http://flag:3/");
    let with_basic = ConfigInputs {
        basic_data: Some(basic("basic.example:4")),
        ..no_inputs()
    };
    assert_eq!(
        ok(&with_basic, &env).endpoint.as_str(),
        "https://basic.example:4/"
    );
}

#[test]
fn ignore_configured_endpoint_urls_from_profile_and_env_override() {
    let home = TempDir::new("ignore-profile");
    home.config(
        "[default]\nendpoint_url = http://profile:1\nignore_configured_endpoint_urls = true\n",
    );
    let config = ok(&no_inputs(), &home.env(&[]));
    assert_eq!(
        config.endpoint.as_str(),
        "https://s3.us-east-1.amazonaws.com/"
    );
    let env = home.env(&[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")]);
    assert_eq!(
        ok(&no_inputs(), &env).endpoint.as_str(),
        "http://profile:1/"
    );
}

#[test]
fn services_section_named_by_a_profile() {
    let home = TempDir::new("services");
    let config_path = home.config(
        "[profile dev]\nservices = my-local\nregion = garage\n\
         [services my-local]\nsts =\n  endpoint_url = http://sts:1\ns3 =\n  endpoint_url = http://localhost:3900\n",
    );
    let inputs = ConfigInputs {
        profile: Some("dev".into()),
        ..no_inputs()
    };
    let config = ok(&inputs, &home.env(&[]));
    assert_eq!(config.endpoint.as_str(), "http://localhost:3900/");
    assert_eq!(config.region, "garage");
    assert_eq!(config.addressing, Addressing::Path);

    home.config("[profile dev]\nservices = missing\n");
    let e = err(&inputs, &home.env(&[]));
    assert!(matches!(e, ConfigError::ServicesNotFound { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains("missing") && message.contains(&config_path.display().to_string()));

    // A services section without an s3 block falls through to the profile's endpoint_url.
    home.config(
        "[profile dev]\nservices = other\nendpoint_url = http://profile:9\n[services other]\nsqs =\n  endpoint_url = http://sqs:1\n",
    );
    assert_eq!(
        ok(&inputs, &home.env(&[])).endpoint.as_str(),
        "http://profile:9/"
    );
}

// ---- endpoint validation ---------------------------------------------------------------

fn endpoint_error(inputs: &ConfigInputs, env: &Environment) -> (String, String, String) {
    match err(inputs, env) {
        ConfigError::InvalidEndpoint {
            origin,
            value,
            reason,
        } => (origin, value, reason),
        other => panic!("expected InvalidEndpoint, got {other:?}"),
    }
}

#[test]
fn endpoint_validation_names_the_source_and_value() {
    let home = TempDir::new("validate");
    let env = home.env(&[]);
    let flag = |value: &str| ConfigInputs {
        endpoint_url: Some(value.into()),
        ..no_inputs()
    };
    for bad in [
        "localhost:9000",
        "ftp://host",
        "http://",
        "https://exa mple.com",
        "http://host:99999",
        "s3://bucket",
        "http://host/?x=1",
        "http://host/#frag",
    ] {
        let (origin, value, reason) = endpoint_error(&flag(bad), &env);
        assert_eq!(origin, "--endpoint-url", "{bad}");
        assert_eq!(value, bad);
        assert!(!reason.is_empty());
        let message = err(&flag(bad), &env).to_string();
        assert!(
            message.contains(bad) && message.contains("--endpoint-url"),
            "{message}"
        );
    }
    let (_, _, reason) = endpoint_error(&flag("localhost:9000"), &env);
    assert!(reason.contains("scheme"), "{reason}");

    let env = home.env(&[("AWS_ENDPOINT_URL", "not a url")]);
    let (origin, value, _) = endpoint_error(&no_inputs(), &env);
    assert_eq!(
        (origin.as_str(), value.as_str()),
        ("AWS_ENDPOINT_URL", "not a url")
    );

    let env = home.env(&[("AWS_ENDPOINT_URL_S3", "gopher://x")]);
    assert_eq!(endpoint_error(&no_inputs(), &env).0, "AWS_ENDPOINT_URL_S3");

    let config_path = home.config("[default]\nendpoint_url = minio:9000\n");
    let (origin, value, _) = endpoint_error(&no_inputs(), &home.env(&[]));
    assert!(origin.contains("profile `default`"), "{origin}");
    assert!(
        origin.contains(&config_path.display().to_string()),
        "{origin}"
    );
    assert_eq!(value, "minio:9000");

    let basic_bad = ConfigInputs {
        basic_data: Some(basic("http://")),
        ..no_inputs()
    };
    assert_eq!(
        endpoint_error(&basic_bad, &home.env(&[])).0,
        "basic data URL"
    );
}

#[test]
fn endpoint_with_user_info_is_refused_and_redacted() {
    let home = TempDir::new("userinfo");
    let value = format!("http://admin:{SECRET}@127.0.0.1:9000/");
    let inputs = ConfigInputs {
        endpoint_url: Some(value),
        ..no_inputs()
    };
    let e = err(&inputs, &home.env(&[]));
    assert!(
        matches!(&e, ConfigError::InvalidEndpoint { reason, .. } if reason.contains("user name")),
        "{e:?}"
    );
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("http://***@127.0.0.1:9000/"), "{shown}");
}

#[test]
fn endpoint_normalisation_keeps_port_and_base_path() {
    let home = TempDir::new("normalise");
    let env = home.env(&[]);
    let flag = |value: &str| ConfigInputs {
        endpoint_url: Some(value.into()),
        ..no_inputs()
    };
    let cases = [
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000/", "/"),
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000/", "/"),
        (
            "HTTPS://MinIO.Example.COM",
            "https://minio.example.com/",
            "/",
        ),
        (
            "https://host/s3/prefix/",
            "https://host/s3/prefix",
            "/s3/prefix",
        ),
        ("http://[::1]:8014", "http://[::1]:8014/", "/"),
        ("  http://host:80  ", "http://host/", "/"),
    ];
    for (given, expected, path) in cases {
        let config = ok(&flag(given), &env);
        assert_eq!(config.endpoint.as_str(), expected, "{given}");
        assert_eq!(config.endpoint.path(), path, "{given}");
    }
}

// ---- profiles --------------------------------------------------------------------------

#[test]
fn profile_selection_flag_then_aws_profile_then_default() {
    let home = TempDir::new("select");
    home.credentials(
        "[default]\naws_access_key_id = DEFAULTAK\naws_secret_access_key = s1\n\
         [env-profile]\naws_access_key_id = ENVPROFAK\naws_secret_access_key = s2\n\
         [flag-profile]\naws_access_key_id = FLAGAK\naws_secret_access_key = s3\n",
    );
    let flag = ConfigInputs {
        profile: Some("flag-profile".into()),
        ..no_inputs()
    };
    let env = home.env(&[("AWS_PROFILE", "env-profile")]);
    assert_eq!(access_key(&ok(&flag, &env)).as_deref(), Some("FLAGAK"));
    assert_eq!(
        access_key(&ok(&no_inputs(), &env)).as_deref(),
        Some("ENVPROFAK")
    );
    assert_eq!(
        access_key(&ok(&no_inputs(), &home.env(&[]))).as_deref(),
        Some("DEFAULTAK")
    );
}

#[test]
fn config_file_sections_profile_and_default() {
    let home = TempDir::new("sections");
    home.config(
        "[default]\nregion = default-region\n\
         [profile work]\nregion = work-region\naws_access_key_id = WORKAK\naws_secret_access_key = w\n\
         [bare]\nregion = bare-region\n\
         [profile \"quoted name\"]\nregion = quoted-region\n\
         [profile    spaced]\nregion = spaced-region\n",
    );
    let with = |name: &str| ConfigInputs {
        profile: Some(name.into()),
        ..no_inputs()
    };
    let env = home.env(&[]);
    assert_eq!(ok(&no_inputs(), &env).region, "default-region");
    let work = ok(&with("work"), &env);
    assert_eq!(work.region, "work-region");
    assert_eq!(access_key(&work).as_deref(), Some("WORKAK"));
    assert_eq!(ok(&with("quoted name"), &env).region, "quoted-region");
    assert_eq!(ok(&with("spaced"), &env).region, "spaced-region");
    // A bare [name] in the config file is not a profile (only [default] is).
    assert!(matches!(
        err(&with("bare"), &env),
        ConfigError::ProfileNotFound { .. }
    ));
}

#[test]
fn profile_default_header_is_accepted_in_config() {
    let home = TempDir::new("profile-default");
    home.config("[profile default]\nregion = ap-south-1\n");
    assert_eq!(ok(&no_inputs(), &home.env(&[])).region, "ap-south-1");
}

#[test]
fn credentials_file_wins_over_config_file() {
    let home = TempDir::new("cred-wins");
    home.credentials(
        "[work]\naws_access_key_id = CREDAK\naws_secret_access_key = credsecret\nregion = cred-region\n",
    );
    home.config(
        "[profile work]\naws_access_key_id = CONFAK\naws_secret_access_key = confsecret\n\
         region = conf-region\nendpoint_url = http://conf:1\n",
    );
    let inputs = ConfigInputs {
        profile: Some("work".into()),
        ..no_inputs()
    };
    let config = ok(&inputs, &home.env(&[]));
    assert_eq!(
        keys(&config),
        Some(("CREDAK".into(), "credsecret".into(), None))
    );
    assert_eq!(config.region, "cred-region");
    // Keys only in the config file still apply.
    assert_eq!(config.endpoint.as_str(), "http://conf:1/");
}

#[test]
fn config_file_credentials_used_when_credentials_file_has_none() {
    let home = TempDir::new("conf-creds");
    home.credentials("[work]\nregion = r\n");
    home.config(
        "[profile work]\naws_access_key_id = CONFAK\naws_secret_access_key = confsecret\naws_session_token = conftoken\n",
    );
    let inputs = ConfigInputs {
        profile: Some("work".into()),
        ..no_inputs()
    };
    assert_eq!(
        keys(&ok(&inputs, &home.env(&[]))),
        Some((
            "CONFAK".into(),
            "confsecret".into(),
            Some("conftoken".into())
        ))
    );
}

#[test]
fn named_profile_missing_everywhere_is_an_error_naming_the_files() {
    let home = TempDir::new("missing-profile");
    let creds = home.credentials("[default]\naws_access_key_id = A\naws_secret_access_key = B\n");
    let config = home.path().join(".aws/config"); // does not exist
    let inputs = ConfigInputs {
        profile: Some("nope".into()),
        ..no_inputs()
    };
    let e = err(&inputs, &home.env(&[]));
    match &e {
        ConfigError::ProfileNotFound { profile, searched } => {
            assert_eq!(profile, "nope");
            assert_eq!(searched, &vec![creds.clone(), config.clone()]);
        }
        other => panic!("unexpected {other:?}"),
    }
    let message = e.to_string();
    assert!(message.contains("`nope`"));
    assert!(message.contains(&creds.display().to_string()));
    assert!(message.contains(&config.display().to_string()));

    // AWS_PROFILE names a profile just as explicitly (botocore raises ProfileNotFound too).
    let e = err(&no_inputs(), &home.env(&[("AWS_PROFILE", "nope")]));
    assert!(matches!(e, ConfigError::ProfileNotFound { .. }));
    // So does an explicit --profile default when no file has it.
    let empty = TempDir::new("missing-default");
    let inputs = ConfigInputs {
        profile: Some("default".into()),
        ..no_inputs()
    };
    assert!(matches!(
        err(&inputs, &empty.env(&[])),
        ConfigError::ProfileNotFound { .. }
    ));
}

#[test]
fn profile_not_found_without_home_says_so() {
    let env = Environment::from_vars([("AWS_PROFILE", "x")], None);
    let message = err(&no_inputs(), &env).to_string();
    assert!(message.contains("no home directory"), "{message}");
}

#[test]
fn missing_default_profile_or_files_is_not_an_error() {
    let home = TempDir::new("no-default");
    home.credentials("[other]\naws_access_key_id = A\naws_secret_access_key = B\n");
    let config = ok(&no_inputs(), &home.env(&[]));
    assert!(config.credentials.is_none());
    let nothing = TempDir::new("no-files");
    assert!(ok(&no_inputs(), &nothing.env(&[])).credentials.is_none());
}

#[test]
fn file_locations_from_environment_with_tilde() {
    let home = TempDir::new("locations");
    home.write(
        "elsewhere/creds.ini",
        "[default]\naws_access_key_id = MOVEDAK\naws_secret_access_key = m\n",
    );
    home.write("elsewhere/conf.ini", "[default]\nregion = moved-region\n");
    // The default locations hold other values that must not be read.
    home.credentials("[default]\naws_access_key_id = HOMEAK\naws_secret_access_key = h\n");
    home.config("[default]\nregion = home-region\n");
    let env = home.env(&[
        ("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds.ini"),
        (
            "AWS_CONFIG_FILE",
            home.path().join("elsewhere/conf.ini").to_str().unwrap(),
        ),
    ]);
    let config = ok(&no_inputs(), &env);
    assert_eq!(access_key(&config).as_deref(), Some("MOVEDAK"));
    assert_eq!(config.region, "moved-region");
}

#[test]
fn unreadable_profile_file_is_an_error_naming_it() {
    let home = TempDir::new("unreadable");
    // A directory where the credentials file should be cannot be read as a file.
    fs::create_dir_all(home.path().join(".aws/credentials")).unwrap();
    let e = err(&no_inputs(), &home.env(&[]));
    match &e {
        ConfigError::ReadFile { path, .. } => {
            assert_eq!(path, &home.path().join(".aws/credentials"))
        }
        other => panic!("unexpected {other:?}"),
    }
}

// ---- credentials -----------------------------------------------------------------------

#[test]
fn env_credentials_beat_default_profile_and_aws_profile() {
    let home = TempDir::new("env-creds");
    home.credentials(
        "[default]\naws_access_key_id = PROFAK\naws_secret_access_key = p\n\
         [other]\naws_access_key_id = OTHERAK\naws_secret_access_key = o\n",
    );
    let vars = [
        ("AWS_ACCESS_KEY_ID", "ENVAK"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
    ];
    let config = ok(&no_inputs(), &home.env(&vars));
    assert_eq!(
        keys(&config),
        Some(("ENVAK".into(), SECRET.into(), Some(TOKEN.into())))
    );
    let mut with_profile = vars.to_vec();
    with_profile.push(("AWS_PROFILE", "other"));
    assert_eq!(
        access_key(&ok(&no_inputs(), &home.env(&with_profile))).as_deref(),
        Some("ENVAK")
    );
}

#[test]
fn explicit_profile_switches_env_credentials_off() {
    let home = TempDir::new("explicit");
    home.credentials(
        "[other]\naws_access_key_id = OTHERAK\naws_secret_access_key = o\n[nocreds]\nregion = x\n",
    );
    let env = home.env(&[
        ("AWS_ACCESS_KEY_ID", "ENVAK"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ]);
    let other = ConfigInputs {
        profile: Some("other".into()),
        ..no_inputs()
    };
    assert_eq!(access_key(&ok(&other, &env)).as_deref(), Some("OTHERAK"));
    // A named profile without keys gives no credentials, not the environment's.
    let nocreds = ConfigInputs {
        profile: Some("nocreds".into()),
        ..no_inputs()
    };
    assert!(ok(&nocreds, &env).credentials.is_none());
    // And half a pair in the environment is then not an error either.
    let half = home.env(&[("AWS_ACCESS_KEY_ID", "ENVAK")]);
    assert_eq!(access_key(&ok(&other, &half)).as_deref(), Some("OTHERAK"));
}

#[test]
fn basic_data_credentials_beat_environment_and_profile() {
    let home = TempDir::new("basic-creds");
    home.credentials("[default]\naws_access_key_id = PROFAK\naws_secret_access_key = p\n");
    let env = home.env(&[
        ("AWS_ACCESS_KEY_ID", "ENVAK"),
        ("AWS_SECRET_ACCESS_KEY", "e"),
    ]);
    let inputs = ConfigInputs {
        basic_data: Some(basic("http://127.0.0.1:9000")),
        ..no_inputs()
    };
    assert_eq!(
        keys(&ok(&inputs, &env)),
        Some(("BASICAK".into(), SECRET.into(), None))
    );
    // Basic data without keys leaves the other sources in charge.
    let keyless = ConfigInputs {
        basic_data: Some(BasicData {
            url: Some("http://127.0.0.1:9000".into()),
            ..BasicData::default()
        }),
        ..no_inputs()
    };
    assert_eq!(access_key(&ok(&keyless, &env)).as_deref(), Some("ENVAK"));
}

#[test]
fn session_token_sources() {
    let home = TempDir::new("tokens");
    let env = home.env(&[
        ("AWS_ACCESS_KEY_ID", "AK"),
        ("AWS_SECRET_ACCESS_KEY", "SK"),
        ("AWS_SECURITY_TOKEN", "legacy"),
    ]);
    assert_eq!(
        keys(&ok(&no_inputs(), &env)).and_then(|k| k.2).as_deref(),
        Some("legacy")
    );
    home.credentials(
        "[default]\naws_access_key_id = AK\naws_secret_access_key = SK\naws_session_token = fromfile\n",
    );
    assert_eq!(
        keys(&ok(&no_inputs(), &home.env(&[])))
            .and_then(|k| k.2)
            .as_deref(),
        Some("fromfile")
    );
}

#[test]
fn half_a_key_pair_is_an_error_naming_the_missing_half() {
    let home = TempDir::new("half");
    let e = err(&no_inputs(), &home.env(&[("AWS_ACCESS_KEY_ID", "AK")]));
    match &e {
        ConfigError::IncompleteCredentials {
            present, missing, ..
        } => {
            assert_eq!(present, "AWS_ACCESS_KEY_ID");
            assert_eq!(missing, "AWS_SECRET_ACCESS_KEY");
        }
        other => panic!("unexpected {other:?}"),
    }
    let e = err(
        &no_inputs(),
        &home.env(&[("AWS_SECRET_ACCESS_KEY", SECRET)]),
    );
    assert!(
        e.to_string().contains("AWS_ACCESS_KEY_ID is missing"),
        "{e}"
    );

    let path = home.credentials("[default]\naws_access_key_id = AK\n");
    let e = err(&no_inputs(), &home.env(&[]));
    let message = e.to_string();
    assert!(
        message.contains("aws_secret_access_key is missing"),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");

    let inputs = ConfigInputs {
        basic_data: Some(BasicData {
            secret_key: Some(Secret::new(SECRET)),
            ..BasicData::default()
        }),
        ..no_inputs()
    };
    let e = err(&inputs, &home.env(&[]));
    assert!(e.to_string().contains("AccessKey is missing"), "{e}");
}

// ---- addressing ------------------------------------------------------------------------

#[test]
fn addressing_decisions() {
    let home = TempDir::new("addressing");
    let env = home.env(&[]);
    let with = |endpoint: Option<&str>, path_style: bool| ConfigInputs {
        endpoint_url: endpoint.map(str::to_owned),
        path_style,
        ..no_inputs()
    };
    assert_eq!(
        ok(&with(None, false), &env).addressing,
        Addressing::VirtualHosted
    );
    assert_eq!(ok(&with(None, true), &env).addressing, Addressing::Path);
    let aws = Some("https://s3.eu-west-1.amazonaws.com");
    assert_eq!(
        ok(&with(aws, false), &env).addressing,
        Addressing::VirtualHosted
    );
    let dualstack = Some("https://s3.dualstack.us-east-1.amazonaws.com");
    assert_eq!(
        ok(&with(dualstack, false), &env).addressing,
        Addressing::VirtualHosted
    );
    for custom in [
        "http://127.0.0.1:9000",
        "http://localhost:3900",
        "https://minio.example.com",
        "https://accountid.r2.cloudflarestorage.com",
        "https://amazonaws.com.evil.example",
    ] {
        assert_eq!(
            ok(&with(Some(custom), false), &env).addressing,
            Addressing::Path,
            "{custom}"
        );
    }
    let basic_inputs = ConfigInputs {
        basic_data: Some(basic("storage-155.s3hoster.by")),
        ..no_inputs()
    };
    assert_eq!(ok(&basic_inputs, &env).addressing, Addressing::Path);
}

#[test]
fn addressing_style_from_profile() {
    let home = TempDir::new("style");
    let custom = ConfigInputs {
        endpoint_url: Some("http://127.0.0.1:9000".into()),
        ..no_inputs()
    };
    home.config("[default]\ns3 =\n  addressing_style = path\n");
    assert_eq!(
        ok(&no_inputs(), &home.env(&[])).addressing,
        Addressing::Path
    );
    home.config("[default]\ns3 =\n  addressing_style = virtual\n");
    assert_eq!(
        ok(&custom, &home.env(&[])).addressing,
        Addressing::VirtualHosted
    );
    // --path-style beats the profile.
    let forced = ConfigInputs {
        path_style: true,
        ..no_inputs()
    };
    assert_eq!(ok(&forced, &home.env(&[])).addressing, Addressing::Path);
    home.config("[default]\ns3 =\n  addressing_style = auto\n");
    assert_eq!(ok(&custom, &home.env(&[])).addressing, Addressing::Path);
    assert_eq!(
        ok(&no_inputs(), &home.env(&[])).addressing,
        Addressing::VirtualHosted
    );
    let path = home.config("[default]\ns3 =\n  addressing_style = sideways\n");
    let e = err(&no_inputs(), &home.env(&[]));
    let message = e.to_string();
    assert!(message.contains("sideways") && message.contains("addressing_style"));
    assert!(message.contains(&path.display().to_string()), "{message}");
}

#[test]
fn bucket_names_for_virtual_hosting() {
    let long = "a".repeat(63);
    for good in ["abc", "my-bucket", "a1b2c3", "0bucket9", long.as_str()] {
        assert!(bucket_fits_virtual_host(good, true), "{good}");
        assert!(bucket_fits_virtual_host(good, false), "{good}");
    }
    let too_long = "a".repeat(64);
    for bad in [
        "ab",
        too_long.as_str(),
        "My-Bucket",
        "my_bucket",
        "-bucket",
        "bucket-",
        "",
        "bücket",
    ] {
        assert!(!bucket_fits_virtual_host(bad, true), "{bad}");
        assert!(!bucket_fits_virtual_host(bad, false), "{bad}");
    }
    // Dots: never over https, over http when every label is valid and it is no IP address.
    assert!(!bucket_fits_virtual_host("my.bucket", true));
    assert!(bucket_fits_virtual_host("my.bucket", false));
    assert!(bucket_fits_virtual_host("a.b.c", false));
    for bad in [
        "my..bucket",
        ".bucket",
        "bucket.",
        "my.-bucket",
        "192.168.1.1",
        "a.B.c",
    ] {
        assert!(!bucket_fits_virtual_host(bad, false), "{bad}");
    }
    assert!(bucket_fits_virtual_host("192.168.1.x1", false));
}

#[test]
fn uses_virtual_host_combines_style_scheme_and_name() {
    let home = TempDir::new("uses");
    let env = home.env(&[]);
    let aws = ok(&no_inputs(), &env);
    assert!(aws.uses_virtual_host("my-bucket"));
    assert!(!aws.uses_virtual_host("my.bucket"), "dots break TLS");
    assert!(!aws.uses_virtual_host("My_Bucket"));
    home.config("[default]\ns3 =\n  addressing_style = virtual\n");
    let http = ok(
        &ConfigInputs {
            endpoint_url: Some("http://localhost:9000".into()),
            ..no_inputs()
        },
        &home.env(&[]),
    );
    assert!(http.uses_virtual_host("my.bucket"), "fine over http");
    assert!(!http.uses_virtual_host("my..bucket"));
    assert!(!http.uses_virtual_host("192.168.1.1"));
    let path = ok(
        &ConfigInputs {
            path_style: true,
            ..no_inputs()
        },
        &env,
    );
    assert!(!path.uses_virtual_host("my-bucket"));
}

// ---- service and chunk size ------------------------------------------------------------

#[test]
fn service_and_chunk_size() {
    let home = TempDir::new("service");
    home.config("[default]\ns3 =\n  multipart_chunksize = 16MB\n");
    let env = home.env(&[]);
    let config = ok(&no_inputs(), &env);
    assert_eq!(config.service, "s3");
    assert_eq!(config.chunk_size, Some(16 * 1024 * 1024));
    let inputs = ConfigInputs {
        basic_data: Some(
            BasicData::new("host", "AK", "SK", "r", "storage").with_chunk_size(5_242_880),
        ),
        ..no_inputs()
    };
    let config = ok(&inputs, &env);
    assert_eq!(config.service, "storage");
    assert_eq!(config.chunk_size, Some(5_242_880));

    home.config("[default]\ns3 =\n  multipart_chunksize = 12XB\n");
    let e = err(&no_inputs(), &home.env(&[]));
    assert!(
        matches!(&e, ConfigError::InvalidSize { key, source: SizeError::UnknownUnit { .. }, .. }
            if key == "multipart_chunksize"),
        "{e:?}"
    );
    let shown = e.to_string();
    assert!(shown.contains("\"12XB\": unknown unit"), "{shown}");
    assert!(shown.contains(".aws/config"), "{shown}");

    // Zero reads as a size, but not as a part size.
    home.config("[default]\ns3 =\n  multipart_chunksize = 0\n");
    let e = err(&no_inputs(), &home.env(&[]));
    assert!(
        matches!(&e, ConfigError::InvalidSetting { key, .. } if key == "multipart_chunksize"),
        "{e:?}"
    );
}

#[test]
fn malformed_profile_files_resolve_without_panic() {
    let home = TempDir::new("malformed");
    home.write(
        ".aws/credentials",
        b"\x00\x01\x02 binary junk\n[default\naws_access_key_id = LOST\n[default]\n\
          aws_access_key_id = GOODAK\naws_secret_access_key = good\n=\n[[[\n" as &[u8],
    );
    home.config("region\n[default]\nregion = eu-north-1\nservices\n");
    let config = ok(&no_inputs(), &home.env(&[]));
    assert_eq!(access_key(&config).as_deref(), Some("GOODAK"));
    assert_eq!(config.region, "eu-north-1");
}

#[test]
fn repeated_sections_merge_later_wins() {
    let home = TempDir::new("repeat");
    home.config(
        "[default]\nregion = first\nendpoint_url = http://a:1\n[default]\nregion = second\n",
    );
    let config = ok(&no_inputs(), &home.env(&[]));
    assert_eq!(config.region, "second");
    assert_eq!(config.endpoint.as_str(), "http://a:1/");
}

// ---- basic data ------------------------------------------------------------------------

#[test]
fn basic_data_inline_json() {
    let data = BasicData::load(&format!(
        r#" {{"URL": "storage-155.s3hoster.by", "AccessKey": "BRN5RKJE67", "SecretKey": "{SECRET}", "Region": "BTC", "Service": "s3", "Extra": 1}} "#
    ))
    .unwrap();
    assert_eq!(data.url.as_deref(), Some("storage-155.s3hoster.by"));
    assert_eq!(data.access_key.as_deref(), Some("BRN5RKJE67"));
    assert_eq!(data.secret_key.as_ref().map(Secret::expose), Some(SECRET));
    assert_eq!(data.region.as_deref(), Some("BTC"));
    assert_eq!(data.service.as_deref(), Some("s3"));
    assert_eq!(data.chunk_size, None);
}

#[test]
fn basic_data_single_quoted_as_oint_docs_print_it() {
    let text = "{'URL':'storage-155.s3hoster.by','AccessKey':'AK','SecretKey':'a/b+c','Region':'BTC','Service':'s3'}";
    let data = BasicData::load(text).unwrap();
    assert_eq!(
        data,
        BasicData::new("storage-155.s3hoster.by", "AK", "a/b+c", "BTC", "s3")
    );
    // Double quotes and escaped single quotes inside single-quoted strings survive.
    let data = BasicData::parse(
        r#"{'URL':'host','Region':'say "hi"','AccessKey':'it\'s','SecretKey':'C:\dir'}"#,
    )
    .unwrap();
    assert_eq!(data.region.as_deref(), Some("say \"hi\""));
    assert_eq!(data.access_key.as_deref(), Some("it's"));
    assert_eq!(
        data.secret_key.as_ref().map(Secret::expose),
        Some("C:\\dir")
    );
    // Valid JSON is never touched, even with apostrophes inside.
    let data = BasicData::parse(r#"{"URL":"host","Region":"o'clock"}"#).unwrap();
    assert_eq!(data.region.as_deref(), Some("o'clock"));
    // Mixed: double-quoted strings keep their single quotes when the swap is needed.
    let data = BasicData::parse(r#"{'URL':'host', "Region":"o'clock"}"#).unwrap();
    assert_eq!(data.region.as_deref(), Some("o'clock"));
    // Unbalanced quotes are an error, not a guess.
    assert!(BasicData::parse("{'URL':'host}").is_err());
}

#[test]
fn basic_data_file_and_round_trip() {
    let dir = TempDir::new("basic-file");
    let original = BasicData::new(
        "http://127.0.0.1:9000/base",
        "AK",
        SECRET,
        "us-east-1",
        "s3",
    )
    .with_chunk_size(20_971_520);
    let json = original.to_json();
    assert!(json.contains(SECRET), "to_json writes the secret");
    let order: Vec<usize> = [
        "\"URL\"",
        "\"AccessKey\"",
        "\"SecretKey\"",
        "\"Region\"",
        "\"Service\"",
        "\"ChunkSize\"",
    ]
    .iter()
    .map(|k| json.find(k).expect(k))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{json}");
    let path = dir.write("basic.json", &json);
    let loaded = BasicData::load(path.to_str().unwrap()).unwrap();
    assert_eq!(loaded, original);
    // A file in the single-quoted form, with a BOM.
    let path = dir.write(
        "quoted.json",
        "\u{feff}{'URL':'h','AccessKey':'a','SecretKey':'s','Region':'r'}",
    );
    assert_eq!(
        BasicData::load(path.to_str().unwrap())
            .unwrap()
            .url
            .as_deref(),
        Some("h")
    );
}

#[test]
fn basic_data_service_defaults_to_s3_and_is_always_written() {
    let data =
        BasicData::parse(r#"{"URL":"h","AccessKey":"a","SecretKey":"s","Region":"r"}"#).unwrap();
    assert_eq!(data.service, None);
    assert!(data.to_json().contains(r#""Service": "s3""#));
    let home = TempDir::new("service-default");
    let inputs = ConfigInputs {
        basic_data: Some(data),
        ..no_inputs()
    };
    assert_eq!(ok(&inputs, &home.env(&[])).service, "s3");
}

#[test]
fn basic_data_chunk_size_forms() {
    let parse = |value: &str| BasicData::parse(&format!(r#"{{"URL":"h","ChunkSize":{value}}}"#));
    assert_eq!(parse("20971520").unwrap().chunk_size, Some(20_971_520));
    assert_eq!(parse("\"5242880\"").unwrap().chunk_size, Some(5_242_880));
    assert_eq!(parse("1.0e7").unwrap().chunk_size, Some(10_000_000));
    assert_eq!(parse("null").unwrap().chunk_size, None);
    for bad in ["0", "-1", "1.5", "\"big\"", "true", "[1]"] {
        let e = parse(bad).unwrap_err();
        assert!(e.to_string().contains("ChunkSize"), "{bad}: {e}");
    }
}

#[test]
fn basic_data_keys_match_ignoring_case() {
    let data = BasicData::parse(
        r#"{"url":"h","accesskey":"a","SECRETKEY":"s","region":"r","chunksize":6000000}"#,
    )
    .unwrap();
    assert_eq!(data.url.as_deref(), Some("h"));
    assert_eq!(data.access_key.as_deref(), Some("a"));
    assert_eq!(data.secret_key.as_ref().map(Secret::expose), Some("s"));
    assert_eq!(data.chunk_size, Some(6_000_000));
    // The exact spelling wins over another casing.
    let data = BasicData::parse(r#"{"url":"lower","URL":"exact"}"#).unwrap();
    assert_eq!(data.url.as_deref(), Some("exact"));
}

#[test]
fn basic_data_errors() {
    let e = BasicData::load("/definitely/not/here.json").unwrap_err();
    assert!(matches!(e, ConfigError::ReadFile { .. }), "{e:?}");
    assert!(e.to_string().contains("/definitely/not/here.json"));
    for bad in ["{", "{}}", "[1,2]", "{'a':}", "{\"URL\": 5}"] {
        let e = BasicData::parse(bad).unwrap_err();
        assert!(
            matches!(e, ConfigError::InvalidBasicData { .. }),
            "{bad}: {e:?}"
        );
    }
    assert!(BasicData::parse("\"just a string\"").is_err());
    // An array is read as inline JSON (and refused), not as a file name.
    let e = BasicData::load("[{\"URL\":\"h\"}]").unwrap_err();
    assert!(e.to_string().contains("JSON object"), "{e}");
    // Empty strings count as absent, as OPI's AddField skips empty values.
    let data = BasicData::parse(r#"{"URL":"","AccessKey":"","SecretKey":""}"#).unwrap();
    assert_eq!(data, BasicData::default());
}

#[test]
fn basic_data_url_forms() {
    let home = TempDir::new("basic-url");
    let env = home.env(&[]);
    let cases = [
        (
            "storage-155.s3hoster.by",
            "https://storage-155.s3hoster.by/",
        ),
        (
            "storage-155.s3hoster.by/",
            "https://storage-155.s3hoster.by/",
        ),
        ("127.0.0.1:9000", "https://127.0.0.1:9000/"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000/"),
        ("https://host:8443/minio/", "https://host:8443/minio"),
        ("host/a/b", "https://host/a/b"),
    ];
    for (given, expected) in cases {
        let inputs = ConfigInputs {
            basic_data: Some(basic(given)),
            ..no_inputs()
        };
        let config = ok(&inputs, &env);
        assert_eq!(config.endpoint.as_str(), expected, "{given}");
        assert_eq!(config.region, "BTC");
        assert_eq!(config.addressing, Addressing::Path);
    }
}

#[test]
fn flags_beat_basic_data() {
    let home = TempDir::new("flags-basic");
    let inputs = ConfigInputs {
        endpoint_url: Some("http://flag:1".into()),
        region: Some("flag-region".into()),
        basic_data: Some(basic("basic.example")),
        ..no_inputs()
    };
    let config = ok(&inputs, &home.env(&[]));
    assert_eq!(config.endpoint.as_str(), "http://flag:1/");
    assert_eq!(config.region, "flag-region");
    assert_eq!(access_key(&config).as_deref(), Some("BASICAK"));
}

// ---- secrets stay hidden ---------------------------------------------------------------

#[test]
fn secrets_never_reach_debug_output() {
    let home = TempDir::new("debug");
    let env = home.env(&[
        ("AWS_ACCESS_KEY_ID", "AKVISIBLE"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
    ]);
    let config = ok(&no_inputs(), &env);
    let shown = format!("{config:?} {env:?}");
    assert!(shown.contains("AKVISIBLE"), "{shown}");
    assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
    let inputs = ConfigInputs {
        basic_data: Some(basic("h")),
        ..no_inputs()
    };
    let shown = format!("{inputs:?} {:?}", basic("h"));
    assert!(!shown.contains(SECRET), "{shown}");
}

#[test]
fn secrets_never_reach_error_messages() {
    let home = TempDir::new("errors");
    let mut errors: Vec<ConfigError> = Vec::new();
    // Half pairs, with the secret or token present.
    errors.push(err(
        &no_inputs(),
        &home.env(&[
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", TOKEN),
        ]),
    ));
    let inputs = ConfigInputs {
        basic_data: Some(BasicData {
            secret_key: Some(Secret::new(SECRET)),
            ..BasicData::default()
        }),
        ..no_inputs()
    };
    errors.push(err(&inputs, &home.env(&[])));
    // The secret inside an endpoint's user info.
    let inputs = ConfigInputs {
        endpoint_url: Some(format!("https://AK:{SECRET}@host")),
        ..no_inputs()
    };
    errors.push(err(&inputs, &home.env(&[])));
    let inputs = ConfigInputs {
        basic_data: Some(basic(&format!("u:{SECRET}@bad host"))),
        ..no_inputs()
    };
    errors.push(err(&inputs, &home.env(&[])));
    // Profile errors with the secret in the file.
    home.credentials(&format!(
        "[default]\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
    ));
    errors.push(err(&no_inputs(), &home.env(&[])));
    home.credentials(&format!(
        "[default]\naws_access_key_id = A\naws_secret_access_key = {SECRET}\n"
    ));
    home.config("[default]\ns3 =\n  addressing_style = nope\n");
    errors.push(err(&no_inputs(), &home.env(&[])));
    // Malformed basic data around the secret, inline and in a file.
    for text in [
        format!("{{'SecretKey':'{SECRET}'"),
        format!("{{\"SecretKey\": {SECRET}}}"),
        format!("{{\"SecretKey\": [\"{SECRET}\"]}}"),
        format!("{{\"SecretKey\": \"{SECRET}\", \"ChunkSize\": \"{SECRET}\"}}"),
        format!("{{\"SecretKey\": \"{SECRET}\" \"URL\": 1}}"),
    ] {
        errors.push(BasicData::load(&text).unwrap_err());
        let path = home.write("basic.json", &text);
        errors.push(BasicData::load(path.to_str().unwrap()).unwrap_err());
    }
    assert!(errors.len() >= 15);
    for e in &errors {
        let shown = format!("{e} | {e:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(
            !shown.contains("zzSECRET") && !shown.contains("zzTOKEN"),
            "{shown}"
        );
    }
}

#[test]
fn endpoint_switches_come_from_flags_then_variables_then_the_profile() {
    let home = TempDir::new("endpoint-switches");
    home.config(
        "[default]\nuse_fips_endpoint = true\nuse_dualstack_endpoint = TRUE\n\
         s3_use_arn_region = false\ns3_disable_multiregion_access_points = true\n\
         s3_us_east_1_regional_endpoint = legacy\ns3_disable_express_session_auth = true\n\
         s3 =\n    use_accelerate_endpoint = true\n",
    );
    let from_profile = ok(&no_inputs(), &home.env(&[])).endpoint_settings;
    assert!(!from_profile.custom_endpoint);
    assert!(from_profile.use_fips && from_profile.use_dual_stack && from_profile.accelerate);
    assert!(!from_profile.use_arn_region);
    assert!(from_profile.disable_multi_region_access_points);
    assert!(from_profile.use_global_endpoint && from_profile.disable_s3_express_session_auth);
    let origin = |settings: &s3op::config::EndpointSettings, name: &str| {
        settings
            .given
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, value, origin)| format!("{value} {origin}"))
    };
    assert!(
        origin(&from_profile, "use_fips_endpoint")
            .is_some_and(|o| o.starts_with("true profile `default`")),
        "{:?}",
        from_profile.given
    );

    // Variables beat the profile; flags beat variables.
    let vars = [
        ("AWS_USE_FIPS_ENDPOINT", "false"),
        ("AWS_USE_DUALSTACK_ENDPOINT", "false"),
        ("AWS_S3_USE_ARN_REGION", "true"),
        ("AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS", "false"),
        ("AWS_S3_US_EAST_1_REGIONAL_ENDPOINT", "regional"),
        ("AWS_S3_DISABLE_EXPRESS_SESSION_AUTH", "false"),
    ];
    let from_env = ok(&no_inputs(), &home.env(&vars)).endpoint_settings;
    assert!(!from_env.use_fips && !from_env.use_dual_stack && from_env.use_arn_region);
    assert!(!from_env.disable_multi_region_access_points && !from_env.use_global_endpoint);
    assert!(!from_env.disable_s3_express_session_auth);
    assert_eq!(
        origin(&from_env, "use_fips_endpoint").as_deref(),
        Some("false AWS_USE_FIPS_ENDPOINT")
    );
    let flags = ConfigInputs {
        use_fips_endpoint: Some(true),
        use_dualstack_endpoint: Some(true),
        use_accelerate_endpoint: Some(false),
        disable_multiregion_access_points: Some(true),
        ..no_inputs()
    };
    let from_flags = ok(&flags, &home.env(&vars)).endpoint_settings;
    assert!(from_flags.use_fips && from_flags.use_dual_stack && !from_flags.accelerate);
    assert!(from_flags.disable_multi_region_access_points);
    assert_eq!(
        origin(&from_flags, "use_fips_endpoint").as_deref(),
        Some("true --use-fips-endpoint")
    );

    // Nothing set: botocore's defaults (the ARN's region used, everything else off).
    let bare = TempDir::new("endpoint-switches-none");
    let defaults = ok(&no_inputs(), &bare.env(&[])).endpoint_settings;
    assert_eq!(defaults, s3op::config::EndpointSettings::default());
    assert!(defaults.use_arn_region && !defaults.use_fips && !defaults.accelerate);
}

#[test]
fn fips_and_dual_stack_from_variables_or_profile_give_way_to_a_configured_endpoint() {
    let home = TempDir::new("endpoint-switches-custom");
    home.config("[default]\nuse_dualstack_endpoint = true\n");
    let custom = ConfigInputs {
        endpoint_url: Some("https://minio.internal:9000".into()),
        ..no_inputs()
    };
    let env = home.env(&[("AWS_USE_FIPS_ENDPOINT", "true")]);
    let settings = ok(&custom, &env).endpoint_settings;
    assert!(settings.custom_endpoint);
    assert!(!settings.use_fips && !settings.use_dual_stack);
    // A flag is passed on (and the endpoint rules refuse the combination).
    let flagged = ConfigInputs {
        use_fips_endpoint: Some(true),
        ..custom
    };
    assert!(ok(&flagged, &env).endpoint_settings.use_fips);
}

#[test]
fn endpoint_switches_that_are_not_booleans_are_errors_naming_their_source() {
    let home = TempDir::new("endpoint-switches-bad");
    let e = err(&no_inputs(), &home.env(&[("AWS_USE_FIPS_ENDPOINT", "1")]));
    assert!(
        matches!(e, ConfigError::InvalidSetting { ref key, ref origin, .. }
            if key == "use_fips_endpoint" && origin == "AWS_USE_FIPS_ENDPOINT"),
        "{e}"
    );
    home.config("[default]\ns3 =\n    use_accelerate_endpoint = on\n");
    let e = err(&no_inputs(), &home.env(&[]));
    assert!(e.to_string().contains("use_accelerate_endpoint"), "{e}");
    assert!(e.to_string().contains("profile `default`"), "{e}");
    home.config("[default]\n");
    let e = err(
        &no_inputs(),
        &home.env(&[("AWS_S3_US_EAST_1_REGIONAL_ENDPOINT", "global")]),
    );
    assert!(e.to_string().contains("legacy or regional"), "{e}");
}

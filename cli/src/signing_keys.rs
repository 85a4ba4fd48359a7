//! `sandgate signing-keys`: the key ring and its rotation (SPEC §7) — `init`, `add`,
//! `activate`, `retire`, `list`, `render`, `check`. Every rule is in core
//! (`sandgate::keys::{ring, render, check}`); this file parses arguments and prints.

use crate::CliError;
use clap::{ArgGroup, Args, Subcommand};
use sandgate::keys::check::{check, CheckInput, CheckReport, FINDING_CODES};
use sandgate::keys::format_rfc3339;
use sandgate::keys::render::{render, Form, RenderOptions, DEFAULT_SECRET_NAME};
use sandgate::keys::ring::{KeyRing, RetireVerdict};
use sandgate::SigningKeys;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct SigningKeysArgs {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a key ring with one fresh key, active now (or import the keys a deployment runs
    /// with).
    Init(InitArgs),
    /// Add a fresh random key (not active: put it everywhere first, then activate it).
    Add(AddArgs),
    /// Make a key the one the server signs with; the previous one stops signing now.
    Activate(ActivateArgs),
    /// Remove a key once no link it signed can still be valid (or --force and break them).
    Retire(RetireArgs),
    /// Show every key's state and when it can be retired (never a secret).
    List(ListArgs),
    /// Write the keys in the forms the platform reads: server TOML, env pair, ingress flag,
    /// Kubernetes Secret, Helm values.
    Render(RenderArgs),
    /// Read any mix of those forms and report every disagreement, and every entry the server
    /// and the ingress would read differently. Exit 0 clean, 1 findings, 2 usage.
    Check(CheckArgs),
}

/// The ring file.
#[derive(Args)]
struct RingArg {
    /// The key ring file (mode 0600; refused when group or others can access it).
    #[arg(long, env = "SANDGATE_KEY_RING", value_name = "PATH")]
    ring: PathBuf,
}

#[derive(Args)]
#[command(group(ArgGroup::new("import").args(["import_toml", "import_env", "import_flag"])))]
struct InitArgs {
    #[command(flatten)]
    ring: RingArg,
    /// The longest lifetime a signed link can have on the platform (`15m`, `24h`, `7d`):
    /// a key is retired only this long after it stopped signing.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    max_token_lifetime: std::time::Duration,
    /// Id of the first key (default `a`).
    #[arg(long)]
    id: Option<char>,
    /// Import the keys of a server TOML file instead of generating one.
    #[arg(long, value_name = "PATH")]
    import_toml: Option<PathBuf>,
    /// Import the keys of the server's environment pair (OPENSANDBOX_SECURE_ACCESS_KEYS and
    /// _ACTIVE_KEY) instead of generating one.
    #[arg(long)]
    import_env: bool,
    /// Import the keys of a flag string `a=BASE64,b=BASE64` (then --active is needed).
    #[arg(long, value_name = "KEYS")]
    import_flag: Option<String>,
    /// The active key of --import-flag.
    #[arg(long, requires = "import_flag")]
    active: Option<char>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct AddArgs {
    #[command(flatten)]
    ring: RingArg,
    /// Id of the new key (default: the next free id after the newest key).
    #[arg(long)]
    id: Option<char>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ActivateArgs {
    #[command(flatten)]
    ring: RingArg,
    /// The key to sign with from now on.
    id: char,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RetireArgs {
    #[command(flatten)]
    ring: RingArg,
    /// The key to remove.
    id: char,
    /// Retire it even though links it signed can still be valid (they will answer 401
    /// unknown_key); says which.
    #[arg(long)]
    force: bool,
    /// Decide as if it were this instant (Unix seconds; default: now).
    #[arg(long, value_name = "SECS")]
    now: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    ring: RingArg,
    /// Show the state as of this instant (Unix seconds; default: now).
    #[arg(long, value_name = "SECS")]
    now: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(group(ArgGroup::new("target").required(true).args(["form", "out"])))]
struct RenderArgs {
    #[command(flatten)]
    ring: RingArg,
    /// Print one form to stdout: toml, env, flag, secret or helm.
    #[arg(long, value_parser = ["toml", "env", "flag", "secret", "helm"])]
    form: Option<String>,
    /// Write every form (or only --form) into this folder, each file mode 0600.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// metadata.name of the Kubernetes Secret.
    #[arg(long, default_value = DEFAULT_SECRET_NAME)]
    secret_name: String,
    /// metadata.namespace of the Kubernetes Secret.
    #[arg(long)]
    namespace: Option<String>,
    /// Helm values point at this existing Secret (secureAccess.existingSecret) instead of
    /// listing the keys.
    #[arg(long, value_name = "NAME")]
    existing_secret: Option<String>,
}

#[derive(Args)]
struct CheckArgs {
    /// A sandgate key ring (the reference when given).
    #[arg(long, value_name = "PATH")]
    ring: Option<PathBuf>,
    /// A server TOML file with [ingress.secure_access].
    #[arg(long, value_name = "PATH")]
    toml: Vec<PathBuf>,
    /// An environment file with OPENSANDBOX_SECURE_ACCESS_KEYS / _ACTIVE_KEY (NAME=VALUE
    /// lines, values verbatim as docker --env-file reads them).
    #[arg(long, value_name = "PATH")]
    env_file: Vec<PathBuf>,
    /// The server's environment pair from this process's environment.
    #[arg(long)]
    env: bool,
    /// A Kubernetes Secret (YAML) with entries keys and active-key.
    #[arg(long, value_name = "PATH")]
    secret: Vec<PathBuf>,
    /// Helm values (YAML) with server.gateway.secureAccess.
    #[arg(long, value_name = "PATH")]
    helm_values: Vec<PathBuf>,
    /// The ingress flag's value (`a=B64,b=B64`, with or without --secure-access-keys=).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    flag: Vec<String>,
    /// A file holding the ingress flag (one trailing newline ignored).
    #[arg(long, value_name = "PATH")]
    flag_file: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: SigningKeysArgs) -> Result<ExitCode, CliError> {
    match a.command {
        Cmd::Init(a) => init(a),
        Cmd::Add(a) => add(a),
        Cmd::Activate(a) => activate(a),
        Cmd::Retire(a) => retire(a),
        Cmd::List(a) => list(a),
        Cmd::Render(a) => render_cmd(a),
        Cmd::Check(a) => check_cmd(a),
    }
}

fn load(r: &RingArg) -> Result<KeyRing, CliError> {
    Ok(KeyRing::load(&r.ring)?)
}

fn save(ring: &KeyRing, r: &RingArg) -> Result<(), CliError> {
    ring.save(&r.ring, false)
        .map_err(|e| CliError::Failed(e.message().to_owned()))
}

fn time(t: Option<u64>) -> Value {
    t.map_or(Value::Null, |t| json!(format_rfc3339(t)))
}

fn lifetime_text(secs: u64) -> String {
    humantime::format_duration(std::time::Duration::from_secs(secs)).to_string()
}

fn init(a: InitArgs) -> Result<ExitCode, CliError> {
    let now = sandgate::clock::now_unix();
    let lifetime = a.max_token_lifetime.as_secs();
    let imported: Option<SigningKeys> = if let Some(path) = &a.import_toml {
        Some(SigningKeys::from_toml_file(path)?)
    } else if a.import_env {
        Some(SigningKeys::from_env()?.ok_or_else(|| {
            CliError::Usage(format!(
                "--import-env: neither {} nor {} is set",
                sandgate::keys::ENV_KEYS,
                sandgate::keys::ENV_ACTIVE_KEY
            ))
        })?)
    } else if let Some(flag) = &a.import_flag {
        let keys = SigningKeys::from_flag(flag)?;
        let active = a.active.ok_or_else(|| {
            CliError::Usage("--import-flag needs --active (the key the server signs with)".into())
        })?;
        Some(keys.with_active(active)?)
    } else {
        None
    };
    let ring = match &imported {
        Some(keys) => {
            if keys.active_key_id().is_none() {
                return Err(CliError::Usage(
                    "the imported keys name no active key".into(),
                ));
            }
            KeyRing::import(keys, lifetime, now)?
        }
        None => KeyRing::init(lifetime, a.id, now)?,
    };
    ring.save(&a.ring.ring, true)?;
    let ids: Vec<String> = ring.keys().iter().map(|k| k.id().to_string()).collect();
    let active = ring.active_key_id().map(|c| c.to_string());
    if a.json {
        println!(
            "{}",
            json!({ "ring": a.ring.ring.display().to_string(), "key_ids": ids, "active_key": active, "max_token_lifetime_secs": lifetime })
        );
    } else {
        println!(
            "created {} (mode 0600): keys {}, active {}, longest token lifetime {}",
            a.ring.ring.display(),
            ids.join(", "),
            active.unwrap_or_default(),
            lifetime_text(lifetime)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn add(a: AddArgs) -> Result<ExitCode, CliError> {
    let mut ring = load(&a.ring)?;
    let id = ring.add_key(a.id, sandgate::clock::now_unix())?;
    save(&ring, &a.ring)?;
    if a.json {
        println!("{}", json!({ "added": id.to_string(), "active": false }));
    } else {
        println!(
            "added key {id} (not active): render and deploy it everywhere, then `sandgate signing-keys activate {id}`"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn activate(a: ActivateArgs) -> Result<ExitCode, CliError> {
    let mut ring = load(&a.ring)?;
    let now = sandgate::clock::now_unix();
    let previous = ring.activate(a.id, now)?;
    save(&ring, &a.ring)?;
    let previous = previous.filter(|p| *p != a.id);
    let retirable = previous.map(|_| now.saturating_add(ring.max_token_lifetime()));
    if a.json {
        println!(
            "{}",
            json!({
                "active": a.id.to_string(),
                "previous": previous.map(|p| p.to_string()),
                "previous_retirable_at": time(retirable),
            })
        );
    } else {
        match (previous, retirable) {
            (Some(p), Some(r)) => println!(
                "key {} is active; key {p} stopped signing now and can be retired from {} (render and deploy the server forms)",
                a.id,
                format_rfc3339(r)
            ),
            _ => println!("key {} is active", a.id),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn retire(a: RetireArgs) -> Result<ExitCode, CliError> {
    let mut ring = load(&a.ring)?;
    let now = a.now.unwrap_or_else(sandgate::clock::now_unix);
    let verdict = ring.retire_verdict(a.id, now)?;
    if let (RetireVerdict::Breaks(b), false) = (verdict, a.force) {
        return Err(CliError::Failed(format!(
            "refusing to retire key {}: links it signed until {} can be valid until {} (retire it after then, or --force to break them)",
            b.key_id,
            format_rfc3339(b.signed_until),
            format_rfc3339(b.valid_until)
        )));
    }
    let broken = ring.retire(a.id, now, a.force)?;
    save(&ring, &a.ring)?;
    if let Some(b) = broken {
        eprintln!(
            "sandgate: warning: retired key {} early: links signed with it until {} that expire up to {} now answer 401 unknown_key",
            b.key_id,
            format_rfc3339(b.signed_until),
            format_rfc3339(b.valid_until)
        );
    }
    if a.json {
        println!(
            "{}",
            json!({
                "retired": a.id.to_string(),
                "breaks": broken.map(|b| json!({
                    "key_id": b.key_id.to_string(),
                    "signed_until": format_rfc3339(b.signed_until),
                    "valid_until": format_rfc3339(b.valid_until),
                })),
            })
        );
    } else {
        println!(
            "retired key {}: render and deploy every form so the platform forgets it",
            a.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list(a: ListArgs) -> Result<ExitCode, CliError> {
    let ring = load(&a.ring)?;
    let now = a.now.unwrap_or_else(sandgate::clock::now_unix);
    let rows = ring.list(now);
    let state = |r: &sandgate::keys::ring::KeyStatus| {
        if r.active {
            "active"
        } else if r.activated_at.is_none() {
            "new"
        } else if r.retirable_at.is_some_and(|t| t <= now) {
            "retirable"
        } else {
            "verifying"
        }
    };
    if a.json {
        let keys: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "id": r.id.to_string(),
                    "state": state(r),
                    "active": r.active,
                    "created_at": format_rfc3339(r.created_at),
                    "activated_at": time(r.activated_at),
                    "deactivated_at": time(r.deactivated_at),
                    "retirable_at": time(r.retirable_at),
                })
            })
            .collect();
        println!(
            "{}",
            json!({
                "max_token_lifetime_secs": ring.max_token_lifetime(),
                "active_key": ring.active_key_id().map(|c| c.to_string()),
                "keys": keys,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "longest token lifetime {}; {} key(s)",
        lifetime_text(ring.max_token_lifetime()),
        rows.len()
    );
    println!(
        "{:<3} {:<10} {:<21} {:<21} {:<21} retirable from",
        "id", "state", "created", "activated", "deactivated"
    );
    let t = |t: Option<u64>| t.map_or("-".to_owned(), format_rfc3339);
    for r in &rows {
        println!(
            "{:<3} {:<10} {:<21} {:<21} {:<21} {}",
            r.id,
            state(r),
            format_rfc3339(r.created_at),
            t(r.activated_at),
            t(r.deactivated_at),
            if r.active {
                "- (activate another key first)".to_owned()
            } else {
                t(r.retirable_at)
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn render_cmd(a: RenderArgs) -> Result<ExitCode, CliError> {
    let ring = load(&a.ring)?;
    let keys = ring.signing_keys()?;
    let options = RenderOptions {
        secret_name: a.secret_name,
        namespace: a.namespace,
        existing_secret: a.existing_secret,
    };
    let forms: Vec<Form> = match &a.form {
        Some(code) => vec![Form::from_code(code).expect("clap checked the form")],
        None => Form::ALL.to_vec(),
    };
    // Render everything before writing anything.
    let mut texts = Vec::new();
    for form in &forms {
        texts.push((*form, render(&keys, *form, &options)?));
    }
    match &a.out {
        None => {
            for (_, text) in &texts {
                print!("{}", text.expose());
            }
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", dir.display())))?;
            for (form, text) in &texts {
                let path = dir.join(form.file_name());
                write_private(&path, text.expose())?;
                println!("{}\t{}", form.code(), path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to `path` with mode 0600, through a temporary file renamed into place.
fn write_private(path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let failed =
        |e: std::io::Error| CliError::Failed(format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".sandgate-")
        .tempfile_in(dir)
        .map_err(failed)?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// Reads an input file: a regular file of at most 1 MiB, UTF-8.
fn read_input(path: &Path, what: &str) -> Result<String, CliError> {
    let usage = |m: String| CliError::Usage(format!("--{what} {}: {m}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| usage(e.to_string()))?;
    if !meta.is_file() {
        return Err(usage("not a regular file".into()));
    }
    if meta.len() > sandgate::keys::MAX_KEY_FILE_BYTES {
        return Err(usage("larger than 1 MiB".into()));
    }
    let bytes = std::fs::read(path).map_err(|e| usage(e.to_string()))?;
    String::from_utf8(bytes).map_err(|_| usage("not UTF-8".into()))
}

fn check_cmd(a: CheckArgs) -> Result<ExitCode, CliError> {
    let mut inputs = Vec::new();
    if let Some(path) = &a.ring {
        inputs.push(CheckInput::ring(
            path.display().to_string(),
            KeyRing::load(path)?,
        ));
    }
    for p in &a.toml {
        inputs.push(CheckInput::toml(
            p.display().to_string(),
            &read_input(p, "toml")?,
        ));
    }
    for p in &a.env_file {
        inputs.push(CheckInput::env_file(
            p.display().to_string(),
            &read_input(p, "env-file")?,
        ));
    }
    if a.env {
        let mut vars = Vec::new();
        for name in [sandgate::keys::ENV_KEYS, sandgate::keys::ENV_ACTIVE_KEY] {
            match std::env::var(name) {
                Ok(v) => vars.push((name, v)),
                Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(CliError::Usage(format!("{name} is not valid UTF-8")))
                }
            }
        }
        inputs.push(CheckInput::env_map("environment", vars));
    }
    for p in &a.secret {
        inputs.push(CheckInput::secret(
            p.display().to_string(),
            &read_input(p, "secret")?,
        ));
    }
    for p in &a.helm_values {
        inputs.push(CheckInput::helm(
            p.display().to_string(),
            &read_input(p, "helm-values")?,
        ));
    }
    for (n, f) in a.flag.iter().enumerate() {
        let label = if a.flag.len() > 1 {
            format!("--flag #{}", n + 1)
        } else {
            "--flag".to_owned()
        };
        inputs.push(CheckInput::flag(label, f));
    }
    for p in &a.flag_file {
        let text = read_input(p, "flag-file")?;
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        inputs.push(CheckInput::flag(p.display().to_string(), text));
    }
    if inputs.is_empty() {
        return Err(CliError::Usage(
            "nothing to check: give --ring, --toml, --env-file, --env, --secret, --helm-values, --flag or --flag-file".into(),
        ));
    }
    let report = check(&inputs);
    print_report(&report, a.json);
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(report: &CheckReport, as_json: bool) {
    if as_json {
        let findings: Vec<Value> = report
            .findings
            .iter()
            .map(|f| {
                json!({
                    "code": f.code,
                    "source": f.source.code(),
                    "label": f.label,
                    "key_id": f.key_id.map(|c| c.to_string()),
                    "message": f.message,
                })
            })
            .collect();
        let readings: Vec<Value> = report
            .readings
            .iter()
            .map(|r| {
                json!({
                    "source": r.source.code(),
                    "label": r.label,
                    "reader": r.reader.code(),
                    "loads": r.loads,
                    "key_ids": r.key_ids.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                    "active_key": r.active_key.map(|c| c.to_string()),
                })
            })
            .collect();
        println!(
            "{}",
            json!({
                "clean": report.is_clean(),
                "findings": findings,
                "readings": readings,
                "reference": report.reference.as_ref().map(|(l, r)| json!({"label": l, "reader": r.code()})),
            })
        );
        return;
    }
    for r in &report.readings {
        let ids: Vec<String> = r.key_ids.iter().map(|c| c.to_string()).collect();
        let what = if r.loads {
            format!(
                "keys {}{}",
                ids.join(","),
                r.active_key
                    .map(|a| format!(", active {a}"))
                    .unwrap_or_default()
            )
        } else {
            "refuses it".to_owned()
        };
        println!("{:<8} reads {}: {what}", r.reader.code(), r.label);
    }
    for f in &report.findings {
        println!("{}: {}", f.code, f.message);
    }
    if report.is_clean() {
        println!("clean: every form agrees and both upstream parsers read each the same way");
    } else {
        println!("{} finding(s)", report.findings.len());
        let known: Vec<&str> = FINDING_CODES.iter().map(|(c, _)| *c).collect();
        debug_assert!(report.findings.iter().all(|f| known.contains(&f.code)));
    }
}

//! `render` writes every upstream form byte for byte, each loadable by the parsing rules of
//! SPEC §1.6 for the side that reads it; `check` gives the verdicts of the shared case file
//! `sdk-tests/cases/key_check.json` and finds every known divergence between the two
//! upstream parsers.
//!
//! The two upstream parsers are modelled here, in the test, from the SPEC's text alone (not
//! with sandgate's code): the ingress flag parser (trims, skips empty entries, padded base64
//! only, a duplicate id silently wins) and the server's (TOML table and env pair: split at
//! the first `=`, nothing trimmed, no empty entries, a duplicate id is an error, base64
//! padded or not, `active_key` required and configured).

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use sandgate::keys::check::{check, CheckInput, Source};
use sandgate::keys::render::{render, Form, RenderOptions};
use sandgate::keys::ring::KeyRing;
use sandgate::SigningKeys;
use serde_json::Value;
use std::collections::BTreeSet;
use yaml_rust2::YamlLoader;

mod common;

type Keys = Vec<(char, Vec<u8>)>;

fn id_of(s: &str) -> Result<char, String> {
    match s.as_bytes() {
        [c @ (b'0'..=b'9' | b'a'..=b'z')] => Ok(char::from(*c)),
        _ => Err(format!("bad id {s:?}")),
    }
}

/// SPEC §1.6, the upstream ingress flag parser: comma separated, each entry trimmed, empty
/// entries skipped, split at '=', id and secret trimmed, padded standard base64 only, at
/// least one byte, a duplicate id silently replaces the earlier one.
fn ingress_model(flag: &str) -> Result<Keys, String> {
    let mut out: Keys = Vec::new();
    for entry in flag.split(',') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let (id, secret) = entry.split_once('=').ok_or("no '='")?;
        let id = id_of(id.trim())?;
        let secret = STANDARD
            .decode(secret.trim())
            .map_err(|e| format!("{id}: {e}"))?;
        if secret.is_empty() {
            return Err("empty secret".into());
        }
        match out.iter_mut().find(|(k, _)| *k == id) {
            Some(slot) => slot.1 = secret,
            None => out.push((id, secret)),
        }
    }
    if out.is_empty() {
        return Err("no keys".into());
    }
    Ok(out)
}

/// Standard base64, padded or not (the server).
fn server_b64(s: &str) -> Result<Vec<u8>, String> {
    let decoded = STANDARD_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| e.to_string())?;
    if decoded.is_empty() {
        return Err("empty secret".into());
    }
    Ok(decoded)
}

fn server_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Result<Keys, String> {
    let mut out: Keys = Vec::new();
    for (id, secret) in pairs {
        let id = id_of(id)?;
        if out.iter().any(|(k, _)| *k == id) {
            return Err(format!("duplicate {id}"));
        }
        out.push((id, server_b64(secret)?));
    }
    Ok(out)
}

fn server_active(keys: &Keys, active: &str) -> Result<char, String> {
    let a = id_of(active)?;
    if !keys.iter().any(|(k, _)| *k == a) {
        return Err("active key not configured".into());
    }
    Ok(a)
}

/// SPEC §1.6, the server's environment pair: both set, split on ',' and at the first '=',
/// nothing trimmed, no empty entry, no duplicate.
fn server_env_model(keys: &str, active: &str) -> Result<(Keys, char), String> {
    let mut pairs = Vec::new();
    for entry in keys.split(',') {
        if entry.is_empty() {
            return Err("empty entry".into());
        }
        pairs.push(entry.split_once('=').ok_or("no '='")?);
    }
    let keys = server_pairs(pairs.into_iter())?;
    let active = server_active(&keys, active)?;
    Ok((keys, active))
}

/// SPEC §1.6, the server TOML table `[ingress.secure_access]`.
fn server_toml_model(text: &str) -> Result<(Keys, char), String> {
    let doc: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let t = &doc["ingress"]["secure_access"];
    let entries = t["keys"].as_array().ok_or("no keys")?;
    let keys = server_pairs(entries.iter().map(|e| {
        (
            e["key_id"].as_str().unwrap_or(""),
            e["key"].as_str().unwrap_or(""),
        )
    }))?;
    let active = server_active(&keys, t["active_key"].as_str().ok_or("no active_key")?)?;
    Ok((keys, active))
}

/// `NAME=VALUE` lines.
fn env_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

const FLAG: &str = "a=Zm9vYmFy,7=Zm9vYg==,y=+/+/+g==";

fn ring() -> KeyRing {
    let keys = SigningKeys::from_flag(FLAG)
        .unwrap()
        .with_active('7')
        .unwrap();
    KeyRing::import(&keys, 3600, 1_900_000_000).unwrap()
}

fn expected_keys() -> Keys {
    vec![
        ('a', b"foobar".to_vec()),
        ('7', b"foob".to_vec()),
        ('y', vec![0xfb, 0xff, 0xbf, 0xfa]),
    ]
}

fn rendered(form: Form) -> String {
    render(
        &ring().signing_keys().unwrap(),
        form,
        &RenderOptions::default(),
    )
    .unwrap()
    .expose()
    .to_owned()
}

#[test]
fn every_form_byte_for_byte() {
    assert_eq!(
        rendered(Form::ServerToml),
        "# OSEP-0011 signing keys for the OpenSandbox server's config.toml (rendered by\n\
         # sandgate signing-keys). The server reads this table only with\n\
         # [ingress] mode = \"gateway\".\n\
         [ingress.secure_access]\nactive_key = \"7\"\n\n\
         [[ingress.secure_access.keys]]\nkey_id = \"a\"\nkey = \"Zm9vYmFy\"\n\n\
         [[ingress.secure_access.keys]]\nkey_id = \"7\"\nkey = \"Zm9vYg==\"\n\n\
         [[ingress.secure_access.keys]]\nkey_id = \"y\"\nkey = \"+/+/+g==\"\n"
    );
    assert_eq!(
        rendered(Form::EnvPair),
        format!("OPENSANDBOX_SECURE_ACCESS_KEYS={FLAG}\nOPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY=7\n")
    );
    assert_eq!(
        rendered(Form::IngressFlag),
        format!("--secure-access-keys={FLAG}\n")
    );
    assert_eq!(
        rendered(Form::K8sSecret),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: opensandbox-secure-access\n\
         type: Opaque\ndata:\n  keys: YT1abTl2WW1GeSw3PVptOXZZZz09LHk9Ky8rLytnPT0=\n  active-key: Nw==\n"
    );
    assert_eq!(
        rendered(Form::HelmValues),
        "server:\n  gateway:\n    secureAccess:\n      activeKey: \"7\"\n      keys:\n\
         \x20       - key_id: \"a\"\n          key: \"Zm9vYmFy\"\n\
         \x20       - key_id: \"7\"\n          key: \"Zm9vYg==\"\n\
         \x20       - key_id: \"y\"\n          key: \"+/+/+g==\"\n"
    );
}

#[test]
fn every_form_loads_with_the_upstream_rules_of_its_readers() {
    let want = expected_keys();
    // Server TOML: the server's rules.
    assert_eq!(
        server_toml_model(&rendered(Form::ServerToml)),
        Ok((want.clone(), '7'))
    );
    // Env pair: the server's env rules on the exact values of the two lines.
    let env = env_lines(&rendered(Form::EnvPair));
    assert_eq!(env[0].0, "OPENSANDBOX_SECURE_ACCESS_KEYS");
    assert_eq!(env[1].0, "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY");
    assert_eq!(
        server_env_model(&env[0].1, &env[1].1),
        Ok((want.clone(), '7'))
    );
    // Flag: the ingress rules on the value.
    let flag = rendered(Form::IngressFlag);
    let value = flag
        .trim_end_matches('\n')
        .strip_prefix("--secure-access-keys=")
        .unwrap();
    assert_eq!(ingress_model(value), Ok(want.clone()));
    // Secret: both sides read its entries (the server as its env pair, the ingress as its flag).
    let docs = YamlLoader::load_from_str(&rendered(Form::K8sSecret)).unwrap();
    let d = &docs[0];
    assert_eq!(
        (
            d["apiVersion"].as_str(),
            d["kind"].as_str(),
            d["type"].as_str()
        ),
        (Some("v1"), Some("Secret"), Some("Opaque"))
    );
    let entry = |name: &str| {
        String::from_utf8(STANDARD.decode(d["data"][name].as_str().unwrap()).unwrap()).unwrap()
    };
    let (keys, active) = (entry("keys"), entry("active-key"));
    assert_eq!(server_env_model(&keys, &active), Ok((want.clone(), '7')));
    assert_eq!(ingress_model(&keys), Ok(want.clone()));
    // Helm values: the chart writes each entry into the server TOML and joins them into the
    // ingress flag.
    let docs = YamlLoader::load_from_str(&rendered(Form::HelmValues)).unwrap();
    let sa = &docs[0]["server"]["gateway"]["secureAccess"];
    let items = sa["keys"].as_vec().unwrap();
    let mut toml = format!(
        "[ingress.secure_access]\nactive_key = \"{}\"\n",
        sa["activeKey"].as_str().unwrap()
    );
    let mut joined = Vec::new();
    for i in items {
        // Every id is a string: YAML 1.1 would read a bare y as true.
        let (id, key) = (i["key_id"].as_str().unwrap(), i["key"].as_str().unwrap());
        toml += &format!("[[ingress.secure_access.keys]]\nkey_id = \"{id}\"\nkey = \"{key}\"\n");
        joined.push(format!("{id}={key}"));
    }
    assert_eq!(server_toml_model(&toml), Ok((want.clone(), '7')));
    assert_eq!(ingress_model(&joined.join(",")), Ok(want.clone()));
    // sandgate's own parsers read the same set.
    let ids = ['a', '7', 'y'];
    assert_eq!(
        SigningKeys::from_toml(&rendered(Form::ServerToml))
            .unwrap()
            .key_ids(),
        ids
    );
    assert_eq!(
        SigningKeys::from_env_vars(Some(&env[0].1), Some(&env[1].1))
            .unwrap()
            .unwrap()
            .active_key_id(),
        Some('7')
    );
    assert_eq!(SigningKeys::from_flag(value).unwrap().key_ids(), ids);
}

#[test]
fn render_then_check_is_clean_for_every_form_alone_and_together() {
    let ring = ring();
    let one = |form: Form| {
        let text = rendered(form);
        match form {
            Form::ServerToml => CheckInput::toml("toml", &text),
            Form::EnvPair => CheckInput::env_file("env", &text),
            Form::IngressFlag => CheckInput::flag("flag", text.trim_end_matches('\n')),
            Form::K8sSecret => CheckInput::secret("secret", &text),
            Form::HelmValues => CheckInput::helm("helm", &text),
        }
    };
    for form in Form::ALL {
        let report = check(&[one(form)]);
        assert!(report.is_clean(), "{form:?}: {:?}", report.findings);
        assert!(report.readings.iter().all(|r| r.loads), "{form:?}");
    }
    let mut all: Vec<CheckInput> = Form::ALL.into_iter().map(one).collect();
    all.push(CheckInput::ring("ring", ring.clone()));
    let report = check(&all);
    assert!(report.is_clean(), "{:?}", report.findings);
    // The Secret and the Helm values are each read by both sides.
    assert_eq!(report.readings.len(), 1 + 1 + 1 + 2 + 2 + 1);
    assert_eq!(
        report.reference.as_ref().map(|r| r.0.as_str()),
        Some("ring")
    );
    // Helm values pointing at the rendered Secret.
    let helm = render(
        &ring.signing_keys().unwrap(),
        Form::HelmValues,
        &RenderOptions {
            existing_secret: Some("opensandbox-secure-access".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        helm.expose(),
        "server:\n  gateway:\n    secureAccess:\n      existingSecret: \"opensandbox-secure-access\"\n"
    );
    let report = check(&[
        CheckInput::helm("helm", helm.expose()),
        one(Form::K8sSecret),
    ]);
    assert!(report.is_clean(), "{:?}", report.findings);
}

#[test]
fn fresh_random_rings_render_clean() {
    for n in 1..=12 {
        let mut ring = KeyRing::init(600, None, 1_000).unwrap();
        for i in 1..n {
            let id = ring.add_key(None, 1_000 + i).unwrap();
            if i % 3 == 0 {
                ring.activate(id, 1_000 + i).unwrap();
            }
        }
        let keys = ring.signing_keys().unwrap();
        let mut inputs = vec![CheckInput::ring("ring", ring.clone())];
        for form in Form::ALL {
            let text = render(&keys, form, &RenderOptions::default()).unwrap();
            let t = text.expose();
            inputs.push(match form {
                Form::ServerToml => CheckInput::toml("toml", t),
                Form::EnvPair => CheckInput::env_file("env", t),
                Form::IngressFlag => CheckInput::flag("flag", t.trim_end()),
                Form::K8sSecret => CheckInput::secret("secret", t),
                Form::HelmValues => CheckInput::helm("helm", t),
            });
        }
        let report = check(&inputs);
        assert!(report.is_clean(), "{n} keys: {:?}", report.findings);
        assert!(report
            .readings
            .iter()
            .all(|r| r.loads && r.key_ids.len() == n as usize));
    }
}

#[test]
fn nothing_renders_without_an_active_key() {
    let keys = SigningKeys::from_flag("a=Zm9v").unwrap();
    for form in Form::ALL {
        let e = render(&keys, form, &RenderOptions::default()).unwrap_err();
        assert!(e.message().contains("active key"), "{e}");
    }
    let e = render(
        &keys.with_active('a').unwrap(),
        Form::K8sSecret,
        &RenderOptions {
            secret_name: "Bad_Name".into(),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.message().contains("Kubernetes name"), "{e}");
}

fn source_of(code: &str) -> Source {
    match code {
        "ring" => Source::Ring,
        "toml" => Source::Toml,
        "env" => Source::Env,
        "flag" => Source::Flag,
        "secret" => Source::Secret,
        "helm" => Source::Helm,
        other => panic!("unknown source {other}"),
    }
}

/// The inputs of a `key_check.json` case.
pub fn case_inputs(case: &Value) -> Vec<CheckInput> {
    case["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let source = i["source"].as_str().unwrap();
            let text = i["text"].as_str().unwrap_or_default();
            match source_of(source) {
                Source::Ring => CheckInput::ring("ring", KeyRing::from_toml(text).unwrap()),
                Source::Toml => CheckInput::toml("toml", text),
                Source::Flag => CheckInput::flag("flag", text),
                Source::Secret => CheckInput::secret("secret", text),
                Source::Helm => CheckInput::helm("helm", text),
                Source::Env => CheckInput::env_map(
                    "env",
                    i["vars"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())),
                ),
            }
        })
        .collect()
}

#[test]
fn key_check_cases() {
    let data = common::load("key_check");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let report = check(&case_inputs(case));
        let got: BTreeSet<(String, String)> = report
            .findings
            .iter()
            .map(|f| (f.code.to_owned(), f.source.code().to_owned()))
            .collect();
        let want: BTreeSet<(String, String)> = case["expect"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}: {:#?}", report.findings);
        assert_eq!(
            report.is_clean(),
            case["expect"]["clean"].as_bool().unwrap(),
            "{name}"
        );
        for f in &report.findings {
            assert!(!f.message.contains('\n'), "{name}: {}", f.message);
        }
    }
}

/// No finding quotes a secret, or 8 characters of one.
#[test]
fn findings_never_quote_a_secret() {
    const SECRET: &str = "bXktdGVzdC1zZWNyZXQ";
    let hides = |m: &str| {
        let c: Vec<char> = SECRET.chars().collect();
        c.windows(8)
            .all(|w| !m.contains(&w.iter().collect::<String>()))
    };
    let inputs = [
        CheckInput::flag("flag", &format!("{SECRET},a={SECRET} ,b=base64:{SECRET},a={SECRET}==")),
        CheckInput::env_pair("env", Some(&format!("{SECRET}=x,c={SECRET}")), Some(SECRET)),
        CheckInput::toml(
            "toml",
            &format!("[ingress.secure_access]\nactive_key = \"{SECRET}\"\n[[ingress.secure_access.keys]]\nkey_id = \"{SECRET}\"\nkey = \"{SECRET}\"\n"),
        ),
        CheckInput::helm(
            "helm",
            &format!("server:\n  gateway:\n    secureAccess:\n      activeKey: {SECRET}\n      keys:\n        - key_id: {SECRET}\n          key: \"{SECRET}\"\n"),
        ),
        CheckInput::secret(
            "secret",
            &format!("kind: Secret\ndata:\n  keys: {SECRET}\n  active-key: {SECRET}\n"),
        ),
    ];
    let report = check(&inputs);
    assert!(report.findings.len() >= 8, "{:#?}", report.findings);
    for f in &report.findings {
        assert!(hides(&f.message), "{}", f.message);
    }
}

/// A "billion laughs" YAML (nested aliases, a few hundred bytes) is refused at once instead
/// of expanded.
#[test]
fn yaml_aliases_are_refused_not_expanded() {
    let mut y = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        y += &format!("a{i}: &a{i} [{refs}]\n");
    }
    let secret = format!("{y}kind: Secret\ndata: *a8\n");
    let helm = format!("{y}server: *a8\n");
    for input in [
        CheckInput::secret("s", &secret),
        CheckInput::helm("h", &helm),
    ] {
        let report = check(&[input]);
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        assert_eq!(report.findings[0].code, "unreadable");
        assert!(report.findings[0].message.contains("YAML alias"));
    }
}

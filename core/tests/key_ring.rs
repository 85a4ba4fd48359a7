//! The signing-key ring (SPEC §7): ids, activation history, safe retirement, the file.

use sandgate::keys::ring::{Breakage, KeyRing, RetireVerdict};
use sandgate::{ErrorKind, SigningKeys};

const HOUR: u64 = 3600;
const T0: u64 = 1_900_000_000;

#[test]
fn ids_are_allocated_in_order_and_never_collide() {
    let mut ring = KeyRing::init(HOUR, None, T0).unwrap();
    assert_eq!(ring.active_key_id(), Some('a'));
    assert_eq!(ring.add_key(None, T0 + 1).unwrap(), 'b');
    assert_eq!(ring.add_key(Some('z'), T0 + 2).unwrap(), 'z');
    // After the newest key (z) come the digits.
    assert_eq!(ring.add_key(None, T0 + 3).unwrap(), '0');
    let e = ring.add_key(Some('b'), T0 + 4).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("already has a key \"b\""), "{e}");
    for bad in ['A', '-', 'é'] {
        assert!(ring.add_key(Some(bad), T0).is_err(), "{bad}");
    }
    // Fill the ring: 36 ids, each once; then no more.
    let mut ids: Vec<char> = ring.keys().iter().map(|k| k.id()).collect();
    while ids.len() < 36 {
        ids.push(ring.add_key(None, T0 + 10 + ids.len() as u64).unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 36);
    assert!(ring
        .add_key(None, T0 + 100)
        .unwrap_err()
        .message()
        .contains("36 keys"));
    // A retired id comes back only after every other free id (here: the only free one).
    ring.retire('b', T0 + 200, false).unwrap();
    assert_eq!(ring.next_id().unwrap(), 'b');
}

#[test]
fn a_just_retired_id_is_not_reused_first() {
    let mut ring = KeyRing::init(HOUR, None, T0).unwrap();
    ring.add_key(None, T0 + 1).unwrap(); // b
    ring.activate('b', T0 + 1).unwrap();
    ring.retire('a', T0 + 2 + HOUR, false).unwrap();
    assert_eq!(ring.next_id().unwrap(), 'c');
}

#[test]
fn activation_records_history() {
    let mut ring = KeyRing::init(HOUR, None, T0).unwrap();
    ring.add_key(None, T0 + 10).unwrap();
    assert_eq!(ring.activate('b', T0 + 20).unwrap(), Some('a'));
    let (a, b) = (ring.key('a').unwrap(), ring.key('b').unwrap());
    assert_eq!(
        (a.activated_at(), a.deactivated_at()),
        (Some(T0), Some(T0 + 20))
    );
    assert_eq!(
        (b.created_at(), b.activated_at(), b.deactivated_at()),
        (T0 + 10, Some(T0 + 20), None)
    );
    // Activating the active key changes nothing; an unknown key is refused.
    assert_eq!(ring.activate('b', T0 + 30).unwrap(), Some('b'));
    assert_eq!(ring.key('b').unwrap().activated_at(), Some(T0 + 20));
    assert!(ring
        .activate('q', T0)
        .unwrap_err()
        .message()
        .contains("no key \"q\""));
    // Back to a: it signs again, b stops.
    ring.activate('a', T0 + 40).unwrap();
    let a = ring.key('a').unwrap();
    assert_eq!(
        (a.activated_at(), a.deactivated_at()),
        (Some(T0 + 40), None)
    );
    assert_eq!(ring.key('b').unwrap().deactivated_at(), Some(T0 + 40));
}

#[test]
fn retirement_waits_for_the_longest_token() {
    let mut ring = KeyRing::init(HOUR, None, T0).unwrap();
    ring.add_key(None, T0 + 10).unwrap();
    // The active key is never retirable, forced or not.
    for force in [false, true] {
        let e = ring.retire('a', T0 + 20, force).unwrap_err();
        assert!(e.message().contains("activate another key first"), "{e}");
    }
    // A key that never signed can go at once.
    assert_eq!(
        ring.retire_verdict('b', T0 + 20).unwrap(),
        RetireVerdict::Safe
    );
    ring.activate('b', T0 + 100).unwrap();
    let breaks = Breakage {
        key_id: 'a',
        signed_until: T0 + 100,
        valid_until: T0 + 100 + HOUR,
    };
    // A link signed with a at T0+100 (its last instant) is valid until T0+100+HOUR.
    for now in [T0 + 100, T0 + 100 + HOUR - 1, T0 + 100 + HOUR] {
        assert_eq!(
            ring.retire_verdict('a', now).unwrap(),
            RetireVerdict::Breaks(breaks)
        );
        let e = ring.retire('a', now, false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(
            e.message().contains("2030-03-17T17:48:20Z")
                && e.message().contains("2030-03-17T18:48:20Z"),
            "{e}"
        );
        assert!(ring.key('a').is_some());
    }
    // A link is valid through its expires second: one second later, nothing breaks.
    assert_eq!(
        ring.retire_verdict('a', T0 + 101 + HOUR).unwrap(),
        RetireVerdict::Safe
    );
    // Forced early, it says what breaks.
    let mut forced = ring.clone();
    assert_eq!(forced.retire('a', T0 + 200, true).unwrap(), Some(breaks));
    assert!(forced.key('a').is_none());
    assert_eq!(ring.retire('a', T0 + 101 + HOUR, false).unwrap(), None);
    assert_eq!(ring.signing_keys().unwrap().key_ids(), &['b']);
    assert!(ring
        .retire('a', T0, false)
        .unwrap_err()
        .message()
        .contains("no key \"a\""));
}

#[test]
fn list_says_when_each_key_can_go_and_never_holds_a_secret() {
    let mut ring = KeyRing::init(HOUR, None, T0).unwrap();
    ring.add_key(None, T0 + 5).unwrap();
    ring.add_key(None, T0 + 6).unwrap();
    ring.activate('b', T0 + 10).unwrap();
    let rows = ring.list(T0 + 20);
    let ids: Vec<_> = rows
        .iter()
        .map(|r| (r.id, r.active, r.retirable_at))
        .collect();
    assert_eq!(
        ids,
        [
            ('a', false, Some(T0 + 11 + HOUR)),
            ('b', true, None),
            ('c', false, Some(T0 + 6))
        ]
    );
    let secret = ring.signing_keys().unwrap().expose_flag_string();
    let one_secret = secret.split(',').next().unwrap().split_once('=').unwrap().1;
    for shown in [
        format!("{rows:?}"),
        format!("{ring:?}"),
        format!("{:?}", ring.keys()),
    ] {
        assert!(!shown.contains(&one_secret[..12]), "{shown}");
    }
}

#[test]
fn the_file_round_trips_and_says_nothing_secret_in_errors() {
    let mut ring = KeyRing::init(86_400, None, T0).unwrap();
    ring.add_key(Some('7'), T0 + 1).unwrap();
    ring.activate('7', T0 + 2).unwrap();
    let text = ring.to_toml();
    let back = KeyRing::from_toml(text.expose()).unwrap();
    assert_eq!(back.list(T0 + 3), ring.list(T0 + 3));
    assert_eq!(back.max_token_lifetime(), 86_400);
    assert_eq!(
        back.signing_keys().unwrap().expose_flag_string(),
        ring.signing_keys().unwrap().expose_flag_string()
    );
    assert!(format!("{text:?}").contains("***"));

    let secret = "c2VjcmV0LXRoYXQtbXVzdC1ub3Qtc2hvdw==";
    let entry = |extra: &str| {
        format!(
            "version = 1\nmax_token_lifetime_secs = 60\nactive_key = \"a\"\n[[keys]]\nid = \"a\"\nsecret = \"{secret}\"\ncreated_at = \"2030-01-01T00:00:00Z\"\nactivated_at = \"2030-01-01T00:00:00Z\"\n{extra}"
        )
    };
    assert!(KeyRing::from_toml(&entry("")).is_ok());
    for (text, says) in [
        (entry("colour = 1\n"), "unknown field"),
        (entry("").replace("version = 1", "version = 2"), "version 2"),
        (
            entry("").replace("secret = \"c2", "secret = \"!!"),
            "entry 1 (\"a\"): secret",
        ),
        (entry("").replace("= 60", "= 0"), "1 second to 10 years"),
        (
            entry("").replace("active_key = \"a\"", "active_key = \"b\""),
            "not in the ring",
        ),
        (
            entry(
                "[[keys]]\nid = \"a\"\nsecret = \"Zm9v\"\ncreated_at = \"2030-01-01T00:00:00Z\"\n",
            ),
            "already has a key",
        ),
        (
            entry("").replace("activated_at = \"2030", "activated_at = \"soon"),
            "activated_at",
        ),
        (
            entry("").replace("id = \"a\"", &format!("id = \"{secret}\"")),
            "entry 1: id",
        ),
        (format!("{}\n[[keys", entry("")), "not valid TOML"),
    ] {
        let e = KeyRing::from_toml(&text).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.message().contains(says), "{says}: {e}");
        assert!(!e.message().contains("c2VjcmV0"), "{e}");
    }
}

#[cfg(unix)]
#[test]
fn the_file_is_private_and_written_atomically() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ring.toml");
    let ring = KeyRing::init(HOUR, None, T0).unwrap();
    ring.save(&path, true).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(KeyRing::load(&path).unwrap().active_key_id(), Some('a'));
    // init never replaces a ring.
    let e = ring.save(&path, true).unwrap_err();
    assert!(e.message().contains("already exists"), "{e}");
    // A readable-by-others ring is refused, whatever the bits.
    for bad in [0o640, 0o604, 0o620, 0o660, 0o644] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bad)).unwrap();
        let e = KeyRing::load(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(
            e.message().contains(&format!("mode {bad:04o}")) && e.message().contains("chmod 600"),
            "{e}"
        );
    }
    // Saving over it writes a fresh 0600 file (a rename: the old inode is left alone).
    let mut ring = ring;
    ring.add_key(None, T0 + 1).unwrap();
    ring.save(&path, false).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(KeyRing::load(&path).unwrap().keys().len(), 2);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["ring.toml"], "no temporary file is left behind");
    // Not a regular file; a missing one.
    assert!(KeyRing::load(dir.path())
        .unwrap_err()
        .message()
        .contains("not a regular file"));
    assert!(KeyRing::load(dir.path().join("nope"))
        .unwrap_err()
        .message()
        .contains("cannot read"));
}

#[test]
fn an_existing_key_set_is_imported() {
    let keys = SigningKeys::from_flag("a=Zm9v,b=YmFy")
        .unwrap()
        .with_active('b')
        .unwrap();
    let ring = KeyRing::import(&keys, HOUR, T0).unwrap();
    assert_eq!(ring.active_key_id(), Some('b'));
    assert_eq!(
        ring.signing_keys().unwrap().expose_flag_string(),
        "a=Zm9v,b=YmFy"
    );
    // Its history is unknown: a may have signed until the import.
    assert_eq!(
        ring.retire_verdict('a', T0 + 1).unwrap(),
        RetireVerdict::Breaks(Breakage {
            key_id: 'a',
            signed_until: T0,
            valid_until: T0 + HOUR
        })
    );
    assert_eq!(
        ring.retire_verdict('a', T0 + HOUR + 1).unwrap(),
        RetireVerdict::Safe
    );
    let b = ring.key('b').unwrap();
    assert_eq!((b.activated_at(), b.deactivated_at()), (Some(T0), None));
}

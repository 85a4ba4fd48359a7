#!/usr/bin/env python3
"""Writes sdk-tests/cases/{parse,access,key_config,api_keys,key_check,retry,cache,gateway}.json.

Every expectation here is written from SPEC.md by hand or taken from the upstream vectors in
cases/vectors.json; nothing is computed with sandgate itself. Run it after editing a case:
    python3 sdk-tests/gen_cases.py
"""
import base64
import email.utils
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")

# SPEC §1.2 fact: secret "my-test-secret", key a, sbx-001, 8080, 2000000000.
KEYS_A = "a=bXktdGVzdC1zZWNyZXQ="
TOKEN = "sbx-001-8080-x2qxvk-0ff8cd39a"
EXPIRES = 2000000000
NOW = 1900000000
# An upstream vector signed with key "z".
Z_SECRET = "gTygYqudCQ+gY80EK29/t346oVxMZodC8LG0zoR46EhWI93jZMGE8F6asfZvmTnF"
Z_TOKEN = "o5nzqdg2w3ll9tzql8-80-17ln4qx-44989addz"
ACCESS_TOKEN = "tok_9f8e7d6c5b4a"
# Upstream sandbox ids are UUIDs (SPEC §1.3).
UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def sign(secret, key_id, sandbox_id, port, expires_b36):
    """The SPEC §1.2 signature, written here from the SPEC (not with sandgate)."""
    canonical = ("v1\nshort\n%s\n%d\n%s\n" % (sandbox_id, port, expires_b36)).encode()
    inner = len(secret).to_bytes(4, "big") + secret + len(canonical).to_bytes(4, "big") + canonical
    return hashlib.sha256(inner).hexdigest()[:8] + key_id


# SPEC §1.2 fact, reproduced by the helper above.
assert sign(b"my-test-secret", "a", "sbx-001", 8080, "x2qxvk") == "0ff8cd39a"
UUID_TOKEN = "%s-8080-x2qxvk-%s" % (UUID, sign(b"my-test-secret", "a", UUID, 8080, "x2qxvk"))


def ok(sandbox_id, port, expires=None, key_id=None, path=None, query=None):
    e = {"ok": True, "sandbox_id": sandbox_id, "port": port,
         "expires": None if expires is None else str(expires), "key_id": key_id}
    if path is not None:
        e["path"] = path
        e["query"] = query
    return e


def bad(reason="malformed"):
    return {"ok": False, "reason": reason}


def parse_cases():
    c = []

    def add(name, form, value, expect):
        c.append({"name": name, "form": form, "input": value, "expect": expect})

    add("signed token", "token", TOKEN, ok("sbx-001", 8080, EXPIRES, "a"))
    add("legacy token", "token", "abc-80", ok("abc", 80))
    add("legacy max port", "token", "abc-65535", ok("abc", 65535))
    add("id with double dash", "token", "a--b-80-x2qxvk-0ff8cd39a", ok("a--b", 80, EXPIRES, "a"))
    add("id with many dashes", "token", "a-b-c-d-1-0-00000000z", ok("a-b-c-d", 1, 0, "z"))
    # Legacy routes split at the last '-' (SPEC §1.3, corrected): upstream ids are UUIDs.
    add("legacy uuid id", "token", UUID + "-8080", ok(UUID, 8080))
    add("legacy id with several dashes", "token", "my-sbx-8080", ok("my-sbx", 8080))
    add("legacy id ending in dash", "token", "a--80", ok("a-", 80))
    add("legacy id of dashes", "token", "---80", ok("--", 80))
    add("legacy id that looks signed", "token", "a-1-x2qxvk-80", ok("a-1-x2qxvk", 80))
    add("signed uuid id", "token", UUID_TOKEN, ok(UUID, 8080, EXPIRES, "a"))
    add("header value whitespace trimmed", "token", "  " + TOKEN + " ", ok("sbx-001", 8080, EXPIRES, "a"))
    for name, v in [
        ("empty", ""), ("one segment", "abc"), ("three segments", "sbx-8080-x2qxvk"),
        ("empty legacy id", "-80"), ("empty signed id", "-80-x2qxvk-0ff8cd39a"),
        ("port zero", "abc-0"), ("port leading zero", "abc-080"), ("port too big", "abc-65536"),
        ("port sign", "abc-+80"), ("port space", "abc- 80"), ("port empty", "abc-"),
        ("port huge", "abc-99999999999999999999"),
        ("uuid id, port zero", UUID + "-0"), ("uuid id, port sign", UUID + "-+8080"),
        ("uuid id, port leading zero", UUID + "-08080"), ("uuid id, port too big", UUID + "-65536"),
        ("uuid alone", UUID), ("dashes only", "---"),
        ("signed port zero", "abc-0-x2qxvk-0ff8cd39a"),
        ("signature uppercase hex", "abc-80-x2qxvk-0FF8CD39a"),
        ("signature key id uppercase", "abc-80-x2qxvk-0ff8cd39A"),
        ("signature too short", "abc-80-x2qxvk-0ff8cd3a"),
        ("signature too long", "abc-80-x2qxvk-0ff8cd39aa"),
        ("signature non-hex", "abc-80-x2qxvk-0ff8cg39a"),
        ("signature key id symbol", "abc-80-x2qxvk-0ff8cd39_"),
    ]:
        add(name, "token", v, bad())
    rejected = json.load(open(os.path.join(CASES, "vectors.json")))["expires_b36_rejected"]
    for b in rejected:
        add("expires_b36 %r" % b, "token", "abc-80-%s-0ff8cd39a" % b, bad())

    add("host with domain", "host", "abc-80.sandbox.example.com", ok("abc", 80))
    add("host with port", "host", TOKEN + ".sandbox.example.com:8443", ok("sbx-001", 8080, EXPIRES, "a"))
    add("host with scheme", "host", "https://" + TOKEN + ".example.com", ok("sbx-001", 8080, EXPIRES, "a"))
    add("bare label", "host", "abc-80", ok("abc", 80))
    add("bare label with port", "host", "abc-80:9000", ok("abc", 80))
    add("host with uuid id", "host", UUID + "-8080.sandbox.example.com", ok(UUID, 8080))
    add("signed host with uuid id", "host", UUID_TOKEN + ".sandbox.example.com:443",
        ok(UUID, 8080, EXPIRES, "a"))
    add("empty first label", "host", ".example.com", bad())
    add("empty host", "host", "", bad())
    add("ip address", "host", "127.0.0.1:8080", bad())

    add("legacy path", "path", "/abc/80/ping?x=1&y=2", ok("abc", 80, path="/ping", query="x=1&y=2"))
    add("path root", "path", "/abc/80", ok("abc", 80, path="/", query=None))
    add("path trailing slash", "path", "/abc/80/", ok("abc", 80, path="/", query=None))
    add("empty query kept", "path", "/abc/80?", ok("abc", 80, path="/", query=""))
    add("path with uuid id", "path", "/" + UUID + "/8080/ping", ok(UUID, 8080, path="/ping", query=None))
    add("deep path", "path", "/abc/80/a/b/c.txt", ok("abc", 80, path="/a/b/c.txt", query=None))
    add("open sandbox keeps signed-looking segments", "path",
        "/sbx-001/8080/x2qxvk/0ff8cd39a/ping",
        ok("sbx-001", 8080, path="/x2qxvk/0ff8cd39a/ping", query=None))
    for name, v in [
        ("no leading slash", "abc/80"), ("no port", "/abc"), ("empty id", "//80"),
        ("port zero", "/abc/0/ping"), ("port not a number", "/abc/http/ping"), ("empty", ""),
        ("root", "/"),
    ]:
        add("path " + name, "path", v, bad())
    return {
        "description": "Route parsing (SPEC §1.3, §1.4). Run each case as an access decision "
                       "for a sandbox that does not require secure access, with no signing keys: "
                       "form token -> ingress_to, host -> host (path '/'), path -> path.",
        "cases": c,
    }


def allow(grant, sandbox_id, port, expires=None, key_id=None, path="/", query=None):
    return {"allowed": True, "reason": None, "status": 200, "grant": grant,
            "sandbox_id": sandbox_id, "port": port,
            "expires": None if expires is None else str(expires), "key_id": key_id,
            "path": path, "query": query}


def deny(reason, status):
    return {"allowed": False, "reason": reason, "status": status}


def access_cases():
    c = []
    secure = {"secure": True, "access_token": ACCESS_TOKEN}
    open_ = {"secure": False}

    def add(name, request, sandbox, expect, keys=KEYS_A, now=NOW):
        c.append({"name": name, "keys": keys, "now": str(now), "request": request,
                  "sandbox": sandbox, "expect": expect})

    signed_ok = allow("signature", "sbx-001", 8080, EXPIRES, "a")
    add("signed header route", {"ingress_to": TOKEN}, secure, signed_ok)
    add("signed host route", {"host": TOKEN + ".sandbox.example.com"}, secure, signed_ok)
    add("signed host route with scheme and port",
        {"host": "http://" + TOKEN + ".sandbox.example.com:8080"}, secure, signed_ok)
    add("header route keeps request path and query", {"ingress_to": TOKEN, "path": "/ping?x=1"},
        secure, allow("signature", "sbx-001", 8080, EXPIRES, "a", "/ping", "x=1"))
    add("ingress header wins over host", {"ingress_to": TOKEN, "host": "not a route"}, secure, signed_ok)
    add("signed uri route strips prefix", {"path": "/sbx-001/8080/x2qxvk/0ff8cd39a/ping?x=1"}, secure,
        allow("signature", "sbx-001", 8080, EXPIRES, "a", "/ping", "x=1"))
    add("signed uri route root", {"path": "/sbx-001/8080/x2qxvk/0ff8cd39a"}, secure,
        allow("signature", "sbx-001", 8080, EXPIRES, "a", "/", None))
    add("uri route of open sandbox is parsed the legacy way",
        {"path": "/sbx-001/8080/x2qxvk/0ff8cd39a/ping"}, open_,
        allow("open", "sbx-001", 8080, None, None, "/x2qxvk/0ff8cd39a/ping", None))
    add("upstream vector with key z", {"ingress_to": Z_TOKEN}, secure,
        allow("signature", "o5nzqdg2w3ll9tzql8", 80, 2636396745, "z"), keys="z=" + Z_SECRET)
    add("two keys, route signed by the second", {"ingress_to": Z_TOKEN}, secure,
        allow("signature", "o5nzqdg2w3ll9tzql8", 80, 2636396745, "z"), keys=KEYS_A + ",z=" + Z_SECRET)

    # Expiry: now > expires is expired; now == expires still valid.
    add("valid at the expiry second", {"ingress_to": TOKEN}, secure, signed_ok, now=EXPIRES)
    add("expired one second after", {"ingress_to": TOKEN}, secure, deny("expired", 401), now=EXPIRES + 1)
    add("expired uri route", {"path": "/sbx-001/8080/x2qxvk/0ff8cd39a/"}, secure,
        deny("expired", 401), now=EXPIRES + 1)
    add("expired is checked before the key id", {"ingress_to": Z_TOKEN}, secure,
        deny("expired", 401), now=2636396746)

    add("unknown key id", {"ingress_to": Z_TOKEN}, secure, deny("unknown_key", 401))
    add("bad signature digit", {"ingress_to": "sbx-001-8080-x2qxvk-1ff8cd39a"}, secure, deny("bad_signature", 401))
    add("signature moved to another sandbox", {"ingress_to": "sbx-002-8080-x2qxvk-0ff8cd39a"}, secure,
        deny("bad_signature", 401))
    add("signature moved to another port", {"ingress_to": "sbx-001-8081-x2qxvk-0ff8cd39a"}, secure,
        deny("bad_signature", 401))
    add("expiry extended", {"ingress_to": "sbx-001-8080-x2qxvl-0ff8cd39a"}, secure, deny("bad_signature", 401))
    add("tampered host route", {"host": "sbx-001-8080-x2qxvk-0ff8cd39b.example.com"}, secure,
        deny("unknown_key", 401))
    add("same secret under another key id", {"ingress_to": TOKEN}, secure,
        deny("unknown_key", 401), keys="b=bXktdGVzdC1zZWNyZXQ=")
    add("other secret under the same key id", {"ingress_to": TOKEN}, secure,
        deny("bad_signature", 401), keys="a=b3RoZXI=")

    add("no signing keys", {"ingress_to": TOKEN}, secure, deny("not_configured", 503), keys="")
    add("no signing keys, header credential still works",
        {"ingress_to": TOKEN, "secure_access": ACCESS_TOKEN}, secure,
        allow("header", "sbx-001", 8080, EXPIRES, "a"), keys="")

    # Secure-access header: present (even empty) decides, with no fallback to the signature.
    add("header right on legacy route", {"ingress_to": "sbx001-8080", "secure_access": ACCESS_TOKEN},
        secure, allow("header", "sbx001", 8080))
    add("header right with surrounding spaces",
        {"ingress_to": "sbx001-8080", "secure_access": "  " + ACCESS_TOKEN + "\t"}, secure,
        allow("header", "sbx001", 8080))
    add("header right beats an expired signature", {"ingress_to": TOKEN, "secure_access": ACCESS_TOKEN},
        secure, allow("header", "sbx-001", 8080, EXPIRES, "a"), now=EXPIRES + 100)
    add("header right beats a bad signature",
        {"ingress_to": "sbx-001-8080-x2qxvk-1ff8cd39a", "secure_access": ACCESS_TOKEN}, secure,
        allow("header", "sbx-001", 8080, EXPIRES, "a"))
    add("header wrong, valid signature: no fallback", {"ingress_to": TOKEN, "secure_access": "wrong"},
        secure, deny("header_mismatch", 401))
    add("header empty, valid signature: no fallback", {"ingress_to": TOKEN, "secure_access": ""},
        secure, deny("header_mismatch", 401))
    add("header is case-sensitive", {"ingress_to": "sbx001-8080", "secure_access": ACCESS_TOKEN.upper()},
        secure, deny("header_mismatch", 401))
    add("header prefix of the token", {"ingress_to": "sbx001-8080", "secure_access": ACCESS_TOKEN[:-1]},
        secure, deny("header_mismatch", 401))
    add("uri legacy path with header", {"path": "/sbx001/8080/ping?q", "secure_access": ACCESS_TOKEN},
        secure, allow("header", "sbx001", 8080, None, None, "/ping", "q"))

    add("legacy route, secure sandbox, no header", {"ingress_to": "sbx001-8080"}, secure,
        deny("credential_required", 401))
    add("uri legacy path, secure sandbox, no header", {"path": "/sbx001/8080/ping"}, secure,
        deny("credential_required", 401))
    add("uri path with a malformed signature segment is legacy",
        {"path": "/sbx-001/8080/x2qxvk/0ff8cd39/ping"}, secure, deny("credential_required", 401))
    add("legacy route, secure sandbox, no keys", {"ingress_to": "sbx001-8080"}, secure,
        deny("credential_required", 401), keys="")

    add("open sandbox, legacy route", {"ingress_to": "sbx001-8080"}, open_, allow("open", "sbx001", 8080))
    add("open sandbox, legacy uuid route", {"ingress_to": UUID + "-8080"}, open_, allow("open", UUID, 8080))
    add("open sandbox, legacy uuid host", {"host": UUID + "-8080.sandbox.example.com"}, open_,
        allow("open", UUID, 8080))
    add("legacy uuid route, secure sandbox, header right",
        {"ingress_to": UUID + "-8080", "secure_access": ACCESS_TOKEN}, secure, allow("header", UUID, 8080))
    add("legacy uuid route, secure sandbox, no header", {"ingress_to": UUID + "-8080"}, secure,
        deny("credential_required", 401))
    add("legacy dashed id ending in dash, header right", {"ingress_to": "a--80", "secure_access": ACCESS_TOKEN},
        secure, allow("header", "a-", 80))
    add("signed uuid route", {"ingress_to": UUID_TOKEN}, secure,
        allow("signature", UUID, 8080, EXPIRES, "a"))
    add("signed uuid host route", {"host": UUID_TOKEN + ".sandbox.example.com"}, secure,
        allow("signature", UUID, 8080, EXPIRES, "a"))
    add("signed uuid uri route", {"path": "/%s/8080/x2qxvk/%s/ping?a=b" % (UUID, UUID_TOKEN[-9:])}, secure,
        allow("signature", UUID, 8080, EXPIRES, "a", "/ping", "a=b"))
    add("signed uuid route moved to another uuid",
        {"ingress_to": "3f2504e0-4f89-41d3-9a0c-0305e82c3302" + UUID_TOKEN[len(UUID):]}, secure,
        deny("bad_signature", 401))
    add("legacy uuid route, bad port", {"ingress_to": UUID + "-08080"}, open_, deny("malformed", 400))
    add("open sandbox ignores expiry", {"ingress_to": TOKEN}, open_,
        allow("open", "sbx-001", 8080, EXPIRES, "a"), now=EXPIRES + 1)
    add("open sandbox ignores a wrong header", {"ingress_to": "sbx001-8080", "secure_access": "x"}, open_,
        allow("open", "sbx001", 8080))

    add("malformed route first, even for an open sandbox", {"ingress_to": "sbx-8080-x2qxvk"}, open_,
        deny("malformed", 400))
    add("malformed route first, even with a right header",
        {"ingress_to": "sbx-001-8080-X2QXVK-0ff8cd39a", "secure_access": ACCESS_TOKEN}, secure,
        deny("malformed", 400))
    add("malformed before not configured", {"ingress_to": "nope"}, secure, deny("malformed", 400), keys="")
    add("no route at all", {}, secure, deny("malformed", 400))
    add("malformed host", {"host": "localhost:8080"}, secure, deny("malformed", 400))

    # SPEC §1.4, with the four request fields every language has (route source: auto).
    add("empty ingress header falls through to host", {"ingress_to": "", "host": "sbx001-8080.example.com"},
        open_, allow("open", "sbx001", 8080))
    add("blank ingress header falls through to host", {"ingress_to": "  ", "host": TOKEN + ".example.com"},
        secure, signed_ok)
    add("empty host falls through to the uri path", {"host": "", "path": "/sbx001/8080/ping"}, open_,
        allow("open", "sbx001", 8080, None, None, "/ping", None))
    add("empty ingress header and no other source", {"ingress_to": ""}, open_, deny("malformed", 400))
    add("header route keeps the path escaped", {"ingress_to": "sbx001-8080", "path": "/a%2Fb/%2e%2e?q=%20"},
        open_, allow("open", "sbx001", 8080, None, None, "/a%2Fb/%2e%2e", "q=%20"))
    add("header route, query only", {"ingress_to": "sbx001-8080", "path": "?q=1"}, open_,
        allow("open", "sbx001", 8080, None, None, "/", "q=1"))
    add("header route, target * is malformed", {"ingress_to": "sbx001-8080", "path": "*"}, open_,
        deny("malformed", 400))
    add("host route, relative target is malformed", {"host": "sbx001-8080.example.com", "path": "abc"}, open_,
        deny("malformed", 400))
    add("uri route keeps the path escaped", {"path": "/sbx001/8080/a%2Fb?x=%41"}, open_,
        allow("open", "sbx001", 8080, None, None, "/a%2Fb", "x=%41"))
    add("uri route with an empty first segment", {"path": "//sbx001/8080/ping"}, open_,
        deny("malformed", 400))
    add("signed uri route with an empty first segment", {"path": "//sbx-001/8080/x2qxvk/0ff8cd39a/ping"},
        secure, deny("malformed", 400))
    return {
        "description": "Access decisions (SPEC §1.5). keys is the flag string; now is Unix seconds; "
                       "request holds ingress_to, host, path (path and query) and secure_access "
                       "(absent means the header was not sent); sandbox.secure false means open. "
                       "The route comes from ingress_to, else host, else path (uri mode).",
        "cases": c,
    }


def key_config_cases():
    c = []

    def good(name, form, text, ids, active=None):
        c.append({"name": name, "form": form, "input": text,
                  "expect": {"ok": True, "key_ids": ids, "active_key": active}})

    def err(name, form, text, contains, excludes=None):
        e = {"ok": False, "kind": "invalid_config", "message_contains": contains}
        if excludes:
            e["message_excludes"] = excludes
        c.append({"name": name, "form": form, "input": text, "expect": e})

    good("one key", "flag", KEYS_A, ["a"])
    good("two keys, spaces trimmed", "flag", " a = Zm9v , 7 = YmFy ", ["a", "7"])
    good("unpadded secret", "flag", "a=Zm9vYg", ["a"])
    good("padded secret", "flag", "a=Zm9vYg==", ["a"])
    good("base64: prefix", "flag", "a=base64:Zm9v", ["a"])
    good("one-byte secret", "flag", "z=AA==", ["z"])
    # Unused low bits of the last character set ("Zh==" is "f"): both upstream decoders
    # (Go's StdEncoding, Python's b64decode) accept it.
    good("non-canonical trailing bits", "flag", "z=Zh==", ["z"])
    good("blank string is an empty set", "flag", "   ", [])
    err("duplicate id", "flag", "a=Zm9v,a=YmFy", '"a"')
    # An invalid id is named by its entry's position, never quoted (it could be a secret).
    err("uppercase id", "flag", "A=Zm9v", "entry 1")
    err("two-character id", "flag", "ab=Zm9v", "entry 1", "ab=")
    err("empty id", "flag", "=Zm9v", "entry 1")
    err("id outside [0-9a-z]", "flag", "_=Zm9v", "entry 1")
    # A secret where the id belongs (split at its padding), or a second entry without an id:
    # no 8 characters of it may appear in the message.
    err("secret where the id belongs", "flag", "bXktdGVzdC1zZWNyZXQ=", "entry 1", "bXktdGVz")
    err("second entry without an id", "flag", "a=Zm9v,bXktdGVzdC1zZWNyZXQ=", "entry 2", "dGVzdC1z")
    err("secret not base64", "flag", "k=!!not-base64!!", '"k"', "!!not-base64!!")
    err("url-safe alphabet is not standard", "flag", "k=ab-_", '"k"', "ab-_")
    err("empty secret", "flag", "q=", '"q"')
    err("empty secret after prefix", "flag", "q=base64:", '"q"')
    err("entry without '='", "flag", "a=Zm9v,bYmFy", "entry 2", "bYmFy")
    err("trailing comma", "flag", "a=Zm9v,", "entry 2")

    toml_ok = ('[server]\nport = 8080\n\n[ingress.secure_access]\nactive_key = "b"\n\n'
               '[[ingress.secure_access.keys]]\nkey_id = "a"\nkey = "bXktdGVzdC1zZWNyZXQ="\n\n'
               '[[ingress.secure_access.keys]]\nkey_id = "b"\nkey = "base64:Zm9vYg"\n')
    good("toml with active key", "toml", toml_ok, ["a", "b"], "b")
    good("toml without active key", "toml",
         '[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = "9"\nkey = "Zm9v"\n', ["9"])
    good("toml with no keys", "toml", "[ingress.secure_access]\n", [])
    err("toml duplicate id", "toml",
        '[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = "a"\nkey = "Zm9v"\n'
        '[[ingress.secure_access.keys]]\nkey_id = "a"\nkey = "YmFy"\n', '"a"')
    err("toml active key not configured", "toml",
        '[ingress.secure_access]\nactive_key = "c"\n[[ingress.secure_access.keys]]\nkey_id = "a"\nkey = "Zm9v"\n',
        '"c"')
    err("toml bad id", "toml",
        '[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = "AB"\nkey = "Zm9v"\n', "entry 1", "AB")
    err("toml key_id and key swapped", "toml",
        '[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = "a"\nkey = "Zm9v"\n'
        '[[ingress.secure_access.keys]]\nkey_id = "bXktdGVzdC1zZWNyZXQ="\nkey = "b"\n', "entry 2", "bXktdGVz")
    err("toml active key is a secret", "toml",
        '[ingress.secure_access]\nactive_key = "bXktdGVzdC1zZWNyZXQ="\n', "active_key", "bXktdGVz")
    err("toml bad secret", "toml",
        '[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = "m"\nkey = "s3cr3t!value"\n',
        '"m"', "s3cr3t!value")
    err("toml missing key", "toml", '[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = "m"\n',
        '"m"')
    err("toml missing table", "toml", '[server]\nport = 1\n', "[ingress.secure_access]")
    err("toml syntax error hides the secret", "toml",
        '[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = "a"\nkey = "hunter2secret\n',
        "line 4", "hunter2secret")
    err("toml duplicate key name hides the name", "toml",
        'bXktdGVzdC1zZWNyZXQ = 1\nbXktdGVzdC1zZWNyZXQ = 2\n', "duplicate key", "bXktdGVz")

    # The server's environment pair (SPEC §1.6, upstream #1445): input is an object of
    # variables; expect.unset means "neither variable is set" (no key set is returned).
    KEYS, ACTIVE = "OPENSANDBOX_SECURE_ACCESS_KEYS", "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY"

    def env_good(name, env, ids, active):
        c.append({"name": name, "form": "env", "input": env,
                  "expect": {"ok": True, "key_ids": ids, "active_key": active}})

    def env_err(name, env, contains, excludes=None):
        e = {"ok": False, "kind": "invalid_config", "message_contains": contains}
        if excludes:
            e["message_excludes"] = excludes
        c.append({"name": name, "form": "env", "input": env, "expect": e})

    env_good("env: one key", {KEYS: KEYS_A, ACTIVE: "a"}, ["a"], "a")
    env_good("env: two keys, second active", {KEYS: "a=Zm9v,7=YmFy", ACTIVE: "7"}, ["a", "7"], "7")
    env_good("env: split at the first '=' (padding stays in the secret)",
             {KEYS: "a=Zm9vYg==", ACTIVE: "a"}, ["a"], "a")
    env_good("env: unpadded secret", {KEYS: "a=Zm9vYg", ACTIVE: "a"}, ["a"], "a")
    env_good("env: other variables are ignored",
             {"PATH": "/usr/bin", "SANDGATE_KEYS": "x=Zm9v", KEYS: "b=YmFy", ACTIVE: "b"}, ["b"], "b")
    c.append({"name": "env: neither variable set", "form": "env", "input": {"PATH": "/usr/bin"},
              "expect": {"ok": True, "unset": True}})
    c.append({"name": "env: empty environment", "form": "env", "input": {},
              "expect": {"ok": True, "unset": True}})
    env_err("env: keys without active key", {KEYS: KEYS_A}, "must be set together")
    env_err("env: active key without keys", {ACTIVE: "a"}, "must be set together")
    env_err("env: empty keys", {KEYS: "", ACTIVE: "a"}, "must be set together")
    env_err("env: empty active key", {KEYS: KEYS_A, ACTIVE: ""}, "must be set together")
    env_err("env: trailing comma", {KEYS: "a=Zm9v,", ACTIVE: "a"}, "entry 2")
    env_err("env: empty entry in the middle", {KEYS: "a=Zm9v,,b=YmFy", ACTIVE: "a"}, "entry 2")
    env_err("env: no trimming after a comma", {KEYS: "a=Zm9v, b=YmFy", ACTIVE: "a"}, "entry 2")
    env_err("env: no trimming before '='", {KEYS: "a =Zm9v", ACTIVE: "a"}, "entry 1")
    env_err("env: no trimming of the secret", {KEYS: "a=Zm9v ", ACTIVE: "a"}, '"a"')
    env_err("env: no trimming of the active key", {KEYS: "a=Zm9v", ACTIVE: " a"},
            "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY")
    env_err("env: entry without '='", {KEYS: "a=Zm9v,bXktdGVzdC1zZWNyZXQ", ACTIVE: "a"}, "entry 2", "bXktdGVz")
    env_err("env: empty id", {KEYS: "=Zm9v", ACTIVE: "a"}, "entry 1")
    env_err("env: secret where the id belongs", {KEYS: "bXktdGVzdC1zZWNyZXQ=", ACTIVE: "a"},
            "entry 1", "bXktdGVz")
    env_err("env: second '=' starts the secret", {KEYS: "a==Zm9v", ACTIVE: "a"}, '"a"')
    env_err("env: duplicate id", {KEYS: "a=Zm9v,a=YmFy", ACTIVE: "a"}, "more than once")
    env_err("env: active key not configured", {KEYS: "a=Zm9v", ACTIVE: "c"}, '"c"')
    env_err("env: active key is a secret", {KEYS: "a=Zm9v", ACTIVE: "bXktdGVzdC1zZWNyZXQ="},
            "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", "bXktdGVz")
    env_err("env: empty secret", {KEYS: "q=", ACTIVE: "q"}, '"q"')
    return {
        "description": "Signing-key configuration (SPEC §1.6). form flag is the ingress flag string, "
                       "toml the server TOML text, env an object of environment variables (the "
                       "server's OPENSANDBOX_SECURE_ACCESS_KEYS / _ACTIVE_KEY pair; expect.unset "
                       "means neither is set and no key set is returned). Errors have kind "
                       "invalid_config; the message contains message_contains and never "
                       "message_excludes.",
        "cases": c,
    }


def api_key_cases():
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()
    zero = "osk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    zero_hash = "fe7551c6c02ca8eeeecbaeeea66ccce95e09a68002c9b077c457e4096f093307"
    assert sha(zero) == zero_hash
    hashes = [{"raw": zero, "hash": zero_hash}]
    for raw in ["", "osk_test", "osk_-_under_dash", "ключ-🔑"]:
        hashes.append({"raw": raw, "hash": sha(raw)})
    future, past = "2100-01-01T00:00:00Z", "2001-09-09T01:46:40Z"  # past = 1000000000
    v = []

    def ver(name, key, h, expect, **kw):
        e = {"name": name, "key": key, "hash": h, "expect": expect}
        e.update(kw)
        v.append(e)

    ver("matching key", zero, zero_hash, True)
    ver("other key", "osk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", zero_hash, False)
    ver("empty key", "", zero_hash, False)
    ver("uppercase stored hash is invalid", zero, zero_hash.upper(), "invalid_argument")
    ver("short stored hash is invalid", zero, zero_hash[:63], "invalid_argument")
    ver("non-hex stored hash is invalid", zero, "z" * 64, "invalid_argument")
    ver("revoked", zero, zero_hash, False, revoked=True, now="1900000000")
    ver("future RFC 3339 expiry", zero, zero_hash, True, expires_at=future, now="1900000000")
    ver("past RFC 3339 expiry", zero, zero_hash, False, expires_at=past, now="1900000000")
    ver("expiry with offset", zero, zero_hash, True, expires_at="2030-01-01T08:00:00+08:00", now="1893456000")
    ver("expiry with offset, one second later", zero, zero_hash, False,
        expires_at="2030-01-01T08:00:00+08:00", now="1893456001")
    ver("epoch seconds expiry", zero, zero_hash, True, expires_at="1900000000", now="1900000000")
    ver("epoch seconds expired", zero, zero_hash, False, expires_at="1900000000", now="1900000001")
    ver("epoch milliseconds expiry", zero, zero_hash, True, expires_at="1900000000000", now="1900000000")
    ver("epoch milliseconds expired", zero, zero_hash, False, expires_at="1900000000999", now="1900000001")
    ver("unparseable expiry fails closed", zero, zero_hash, False, expires_at="next tuesday", now="0")
    ver("empty expiry fails closed", zero, zero_hash, False, expires_at="", now="0")
    ver("wrong key is rejected before expiry is read", "nope", zero_hash, False, expires_at=future, now="0")
    # An expiry is one instant up to 9999-12-31T23:59:59Z (253402300799); later ones are refused,
    # so a stored value past it fails closed instead of being read back as another instant.
    ver("last RFC 3339 second", zero, zero_hash, True,
        expires_at="9999-12-31T23:59:59Z", now="253402300799")
    ver("last second in milliseconds", zero, zero_hash, True,
        expires_at="253402300799999", now="253402300799")
    ver("last second, one second later", zero, zero_hash, False,
        expires_at="9999-12-31T23:59:59Z", now="253402300800")
    ver("milliseconds past year 9999 fail closed", zero, zero_hash, False,
        expires_at="1000000000000000", now="1900000000")
    ver("seconds past year 9999 fail closed", zero, zero_hash, False,
        expires_at="999999999999", now="1900000000")
    ver("offset pushing past year 9999 fails closed", zero, zero_hash, False,
        expires_at="9999-12-31T23:59:59-01:00", now="1900000000")
    gen = [
        {"prefix": "osk_", "length": 47},
        {"prefix": "", "length": 43},
        {"prefix": "team-a_", "length": 50},
        {"prefix": "bad prefix", "error": "invalid_argument"},
        {"prefix": "x" * 33, "error": "invalid_argument"},
    ]
    return {
        "description": "API-key primitives (SPEC §3.1). hash: raw -> lowercase hex SHA-256. verify: "
                       "verify_api_key(key, hash, expires_at, revoked, now) -> bool, or the error kind. "
                       "generate: prefix -> key length (the display prefix is the first 12 characters, "
                       "the hash is the hash of the key), or the error kind.",
        "hash": hashes, "verify": v, "generate": gen,
    }


# ------------------------------------------------------------------ client transport (SPEC §2.1)

# SPEC §2.1 defaults: max_retries 3 (4 attempts), backoff from 0.5 s, x2, capped at 30 s;
# idempotent methods retry on {429, 502, 503}; POST on no status unless opted in;
# Retry-After (delta-seconds or HTTP-date) capped at 60 s.
INITIAL, CAP, RETRY_AFTER_CAP = 500, 30000, 60000
IDEMPOTENT = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]


def retry_cases():
    c = []

    def add(name, expect, policy=None, **attempt):
        a = {"method": "GET", "outcome": "status", "status": None, "attempt": 1,
             "prev_delay_ms": None, "retry_after": None, "now": None, "elapsed_ms": 0}
        a.update(attempt)
        c.append({"name": name, "policy": policy or {}, "attempt": a, "expect": expect})

    def retry(lo, hi=None):
        return {"retry": True, "verdict": "retry", "min_delay_ms": lo,
                "max_delay_ms": lo if hi is None else hi, "retryable": True}

    def no(verdict, retryable):
        return {"retry": False, "verdict": verdict, "min_delay_ms": 0, "max_delay_ms": 0,
                "retryable": retryable}

    # Which failures are retried, by method (default policy, first attempt: the first retry
    # waits exactly initial_backoff).
    for m in IDEMPOTENT:
        for st in (429, 502, 503):
            add("%s %d is retried" % (m, st), retry(INITIAL), method=m, status=st)
    for st in (400, 401, 404, 409, 500, 501, 504):
        add("GET %d is not retried by default" % st, no("not_retryable", False), status=st)
    for m in ("POST", "PATCH"):
        for st in (429, 502, 503):
            add("%s %d is not retried by default" % (m, st), no("not_retryable", False),
                method=m, status=st)
    add("method case is ignored", retry(INITIAL), method="get", status=503)
    for m in ("GET", "POST", "PATCH", "DELETE"):
        add("%s failing before anything was sent is retried" % m, retry(INITIAL),
            method=m, outcome="pre_send")
    for outcome in ("post_send", "timeout"):
        add("GET %s is retried" % outcome, retry(INITIAL), outcome=outcome)
        add("POST %s is never retried" % outcome, no("not_retryable", False),
            method="POST", outcome=outcome)

    # Attempts: max_retries = 3 means up to 4 attempts.
    add("attempt 3 of 4 is retried", retry(INITIAL, 2 * 700), status=503, attempt=3,
        prev_delay_ms=700)
    add("attempt 4 is the last", no("exhausted", True), status=503, attempt=4,
        prev_delay_ms=700)
    add("max_retries 0: nothing is retried", no("not_retryable", False),
        policy={"max_retries": 0}, status=503)
    add("max_retries 0: not even before sending", no("not_retryable", False),
        policy={"max_retries": 0}, outcome="pre_send")
    add("max_retries 1: the second attempt is the last", no("exhausted", True),
        policy={"max_retries": 1}, status=503, attempt=2, prev_delay_ms=500)

    # Decorrelated jitter: min(cap, uniform(initial, prev * multiplier)).
    add("second retry: up to twice the first delay", retry(INITIAL, 1000), status=503,
        attempt=2, prev_delay_ms=500)
    add("third retry grows from the delay drawn", retry(INITIAL, 1800), outcome="timeout",
        attempt=3, prev_delay_ms=900)
    add("the cap holds", retry(INITIAL, CAP), status=502, attempt=3, prev_delay_ms=20000)
    add("never under initial_backoff", retry(INITIAL, INITIAL), status=502, attempt=2,
        prev_delay_ms=100)
    add("multiplier 3", retry(INITIAL, 3000), policy={"multiplier": 3}, status=503,
        attempt=2, prev_delay_ms=1000)
    add("initial 100 ms, cap 1 s", retry(100, 1000),
        policy={"initial_backoff_ms": 100, "max_backoff_ms": 1000}, status=503, attempt=3,
        prev_delay_ms=800)
    add("initial equal to the cap", retry(1000, 1000),
        policy={"initial_backoff_ms": 1000, "max_backoff_ms": 1000}, status=503, attempt=2,
        prev_delay_ms=1000)

    # Retry-After replaces the computed delay, capped at 60 s.
    add("Retry-After seconds", retry(7000), status=503, retry_after="7")
    add("Retry-After zero", retry(0), status=429, retry_after="0", attempt=2,
        prev_delay_ms=500)
    add("Retry-After above the cap", retry(RETRY_AFTER_CAP), status=429, retry_after="3600")
    add("Retry-After is not bound by max_backoff", retry(45000),
        policy={"max_backoff_ms": 1000}, status=503, retry_after="45")
    now = 1900000000
    add("Retry-After HTTP-date", retry(30000), status=503,
        retry_after=email.utils.formatdate(now + 30, usegmt=True), now=str(now))
    add("Retry-After HTTP-date in the past", retry(0), status=503,
        retry_after=email.utils.formatdate(now - 1000, usegmt=True), now=str(now))
    add("Retry-After HTTP-date far ahead is capped", retry(RETRY_AFTER_CAP), status=503,
        retry_after=email.utils.formatdate(now + 86400, usegmt=True), now=str(now))
    add("unreadable Retry-After is ignored", retry(INITIAL), status=503, retry_after="soon")
    add("negative Retry-After is ignored", retry(INITIAL), status=503, retry_after="-5")
    add("Retry-After does not make a POST retried", no("not_retryable", False),
        method="POST", status=503, retry_after="1")
    add("Retry-After belongs to an answer: ignored for a timeout", retry(INITIAL),
        outcome="timeout", retry_after="9")

    # The status sets are configurable; POST needs an explicit opt-in per status.
    add("own idempotent set: 500 retried", retry(INITIAL), policy={"retry_statuses": [500]},
        status=500)
    add("own idempotent set: 503 no longer", no("not_retryable", False),
        policy={"retry_statuses": [500]}, status=503)
    add("empty idempotent set", no("not_retryable", False), policy={"retry_statuses": []},
        status=429)
    add("empty set still retries connection failures", retry(INITIAL),
        policy={"retry_statuses": []}, outcome="post_send")
    optin = {"post_retry_statuses": [429, 502]}
    add("POST opted in for 429", retry(INITIAL), policy=optin, method="POST", status=429)
    add("POST opted in for 502, with Retry-After", retry(2000), policy=optin, method="POST",
        status=502, retry_after="2")
    add("POST opted in, 503 not in the set", no("not_retryable", False), policy=optin,
        method="POST", status=503)
    add("POST opt-in never lifts a failure after sending", no("not_retryable", False),
        policy=optin, method="POST", outcome="post_send")
    add("POST opt-in never lifts a timeout", no("not_retryable", False), policy=optin,
        method="POST", outcome="timeout")
    add("POST opt-in does not change GET", no("not_retryable", False), policy=optin,
        status=500)

    # The overall deadline: no wait that would reach it; the upper bound cut to the time left.
    dl = {"deadline_ms": 1000}
    add("deadline leaves room", retry(INITIAL), policy=dl, status=503, elapsed_ms=400)
    add("deadline reached by the wait", no("deadline", True), policy=dl, status=503,
        elapsed_ms=500)
    add("deadline already passed", no("deadline", True), policy=dl, outcome="timeout",
        elapsed_ms=1200)
    add("deadline cuts the upper bound", retry(INITIAL, 900), policy=dl, status=503,
        attempt=2, prev_delay_ms=800, elapsed_ms=100)
    add("deadline and Retry-After", no("deadline", True), policy=dl, status=429,
        retry_after="2")
    add("deadline does not make a POST retryable", no("not_retryable", False), policy=dl,
        method="POST", status=503)

    # Bad input is refused with the kind every language reports.
    def bad(name, kind, policy=None, **attempt):
        add(name, {"error": kind}, policy=policy, **attempt)

    bad("status outcome without a status", "invalid_argument", status=None)
    bad("status with another outcome", "invalid_argument", outcome="timeout", status=503)
    bad("unknown outcome", "invalid_argument", outcome="reset")
    bad("attempt 0", "invalid_argument", status=503, attempt=0)
    bad("empty method", "invalid_argument", method="", status=503)
    bad("multiplier under 1", "invalid_config", policy={"multiplier": 0.5}, status=503)
    bad("initial backoff over the cap", "invalid_config",
        policy={"initial_backoff_ms": 2000, "max_backoff_ms": 1000}, status=503)
    bad("a success status in the retry set", "invalid_config",
        policy={"retry_statuses": [200]}, status=503)
    bad("a redirect in the POST set", "invalid_config",
        policy={"post_retry_statuses": [302]}, status=503)
    bad("deadline zero", "invalid_config", policy={"deadline_ms": 0}, status=503)
    bad("too many retries", "invalid_config", policy={"max_retries": 101}, status=503)
    for case in c:
        if case["attempt"]["status"] is None and case["attempt"]["outcome"] == "status" \
                and "error" not in case["expect"]:
            raise AssertionError("status missing in %s" % case["name"])
    return {
        "description": "The client's retry rule (SPEC §2.1): for a policy (RetryOptions; absent "
                       "fields keep the defaults) and one failed attempt, the decision "
                       "{retry, verdict, min_delay_ms, max_delay_ms, retryable} or the error kind. "
                       "See sdk-tests/README.md.",
        "cases": c,
    }


def cache_cases():
    c = []

    def add(name, expect, policy=None, signed_expires=None, fetched_at_ms=0, now_ms=0):
        c.append({"name": name, "policy": policy or {},
                  "signed_expires": None if signed_expires is None else str(signed_expires),
                  "fetched_at_ms": str(fetched_at_ms), "now_ms": str(now_ms),
                  "expect": expect})

    def fresh(until, yes=True):
        return {"fresh": yes, "until_ms": str(until)}

    # Signed: reused until expires - margin (30 s by default), on the server's clock.
    e = 2000000000
    until = e * 1000 - 30000
    add("signed, well before the margin", fresh(until), signed_expires=e, now_ms=until - 60000)
    add("signed, a millisecond before the margin", fresh(until), signed_expires=e,
        now_ms=until - 1)
    add("signed, at expires - margin", fresh(until, False), signed_expires=e, now_ms=until)
    add("signed, inside the margin", fresh(until, False), signed_expires=e,
        now_ms=e * 1000 - 1)
    add("signed, past expiry", fresh(until, False), signed_expires=e, now_ms=e * 1000 + 5000)
    add("signed, fetched long ago: the TTL does not apply", fresh(until), signed_expires=e,
        fetched_at_ms=1000, now_ms=until - 1)
    add("signed, margin 0: until the expiry itself", fresh(e * 1000),
        policy={"margin_ms": 0}, signed_expires=e, now_ms=e * 1000 - 1)
    add("signed, margin 0: never at the expiry", fresh(e * 1000, False),
        policy={"margin_ms": 0}, signed_expires=e, now_ms=e * 1000)
    add("signed, margin 5 min", fresh(e * 1000 - 300000, False),
        policy={"margin_ms": 300000}, signed_expires=e, now_ms=e * 1000 - 300000)
    add("signed, expiry shorter than the margin: never reused", fresh(0, False),
        signed_expires=10, now_ms=0)
    # Unsigned (direct, server proxy): reused for the TTL (600 s by default) after the fetch.
    add("unsigned, within the TTL", fresh(601000), fetched_at_ms=1000, now_ms=600999)
    add("unsigned, at the TTL", fresh(601000, False), fetched_at_ms=1000, now_ms=601000)
    add("unsigned, right after the fetch", fresh(601000), fetched_at_ms=1000, now_ms=1000)
    add("unsigned, own TTL", fresh(6000, False), policy={"ttl_ms": 5000}, fetched_at_ms=1000,
        now_ms=7000)
    add("unsigned, own TTL, fresh", fresh(6000), policy={"ttl_ms": 5000}, fetched_at_ms=1000,
        now_ms=5999)
    # Off: nothing is served, whatever the times.
    add("cache off, signed", fresh(until, False), policy={"enabled": False}, signed_expires=e,
        now_ms=0)
    add("cache off, unsigned", fresh(601000, False), policy={"enabled": False},
        fetched_at_ms=1000, now_ms=1000)
    add("max_entries does not change freshness", fresh(601000), policy={"max_entries": 1},
        fetched_at_ms=1000, now_ms=2000)
    for name, pol in [("ttl 0", {"ttl_ms": 0}), ("max_entries 0", {"max_entries": 0}),
                      ("max_entries over a million", {"max_entries": 1000001})]:
        add(name + " is refused", {"error": "invalid_config"}, policy=pol)
    return {
        "description": "The endpoint cache's freshness rule (SPEC §2.1): for cache options "
                       "(absent fields keep the defaults) and an entry, {fresh, until_ms} or the "
                       "error kind. Times are strings of milliseconds; signed_expires is Unix "
                       "seconds or null for an unsigned entry. See sdk-tests/README.md.",
        "cases": c,
    }


def key_check_cases():
    """`sandgate signing-keys check` verdicts (SPEC §1.6, §7), written from the SPEC's rules of
    the two upstream parsers: the server (TOML table and env pair: split at the first '=',
    nothing trimmed, no empty entries, a duplicate id is an error, base64 padded or not,
    active_key required) and the ingress flag (trims, skips empty entries, padded base64
    only, a duplicate id silently wins)."""
    KEYS, ACTIVE = "OPENSANDBOX_SECURE_ACCESS_KEYS", "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY"
    # "foobar" needs no padding; "foob" needs "==".
    A, B, C = "Zm9vYmFy", "Zm9vYg==", "YmF6cXV4"
    AB = "a=%s,b=%s" % (A, B)
    c = []

    def add(name, inputs, findings):
        c.append({"name": name, "inputs": inputs,
                  "expect": {"clean": not findings, "findings": sorted(set(map(tuple, findings)))}})

    def flag(text):
        return {"source": "flag", "text": text}

    def env(keys=None, active=None):
        v = {}
        if keys is not None:
            v[KEYS] = keys
        if active is not None:
            v[ACTIVE] = active
        return {"source": "env", "vars": v}

    def toml(pairs, active=None, extra=""):
        t = extra + "[ingress.secure_access]\n"
        if active is not None:
            t += 'active_key = "%s"\n' % active
        for i, k in pairs:
            t += '\n[[ingress.secure_access.keys]]\nkey_id = "%s"\nkey = "%s"\n' % (i, k)
        return {"source": "toml", "text": t}

    def b64(s):
        return base64.b64encode(s.encode()).decode()

    def secret(keys=None, active=None, name="opensandbox-secure-access"):
        t = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\ntype: Opaque\ndata:\n" % name
        if keys is not None:
            t += "  keys: %s\n" % b64(keys)
        if active is not None:
            t += "  active-key: %s\n" % b64(active)
        return {"source": "secret", "text": t}

    def helm(pairs=None, active=None, existing=None):
        t = "server:\n  gateway:\n    secureAccess:\n"
        if existing is not None:
            t += '      existingSecret: "%s"\n' % existing
        if active is not None:
            t += '      activeKey: "%s"\n' % active
        if pairs:
            t += "      keys:\n"
            for i, k in pairs:
                t += '        - key_id: "%s"\n          key: "%s"\n' % (i, k)
        return {"source": "helm", "text": t}

    ring = {"source": "ring", "text": (
        'version = 1\nmax_token_lifetime_secs = 3600\nactive_key = "b"\n\n'
        '[[keys]]\nid = "a"\nsecret = "%s"\ncreated_at = "2026-01-01T00:00:00Z"\n'
        'activated_at = "2026-01-01T00:00:00Z"\ndeactivated_at = "2026-01-02T00:00:00Z"\n\n'
        '[[keys]]\nid = "b"\nsecret = "%s"\ncreated_at = "2026-01-01T12:00:00Z"\n'
        'activated_at = "2026-01-02T00:00:00Z"\n' % (A, B))}

    every = [ring, toml([("a", A), ("b", B)], "b"), env(AB, "b"),
             flag("--secure-access-keys=" + AB), secret(AB, "b"), helm([("a", A), ("b", B)], "b")]
    add("every form agrees with the ring", every, [])
    add("the flag without its --secure-access-keys= prefix", [flag(AB), env(AB, "b")], [])
    add("non-canonical trailing bits: both upstream decoders accept them", [flag("a=Zh=="), env("a=Zh==", "a")], [])
    # Divergences between the two upstream parsers, one by one.
    add("unpadded base64 in the flag: the server accepts it, the ingress rejects it",
        [flag("a=Zm9vYg")], [("unpadded_base64", "flag")])
    add("unpadded base64 in the env pair", [env("a=Zm9vYg", "a")], [("unpadded_base64", "env")])
    add("unpadded base64 in the TOML", [toml([("a", "Zm9vYg")], "a")], [("unpadded_base64", "toml")])
    add("unpadded base64 in Helm values (the chart puts it into the ingress flag too)",
        [helm([("a", "Zm9vYg")], "a")], [("unpadded_base64", "helm")])
    add("more padding than needed: the server accepts it, the ingress rejects it",
        [env("a=%s=" % A, "a")], [("extra_padding", "env")])
    add("duplicate id in the flag: the ingress silently keeps the last",
        [flag("a=%s,a=%s" % (A, B))], [("duplicate_id", "flag")])
    add("duplicate id with the same secret twice", [flag("a=%s,a=%s" % (A, A))], [("duplicate_id", "flag")])
    add("duplicate id in the env pair: the server rejects the set",
        [env("a=%s,a=%s" % (A, B), "a")], [("duplicate_id", "env")])
    add("duplicate id in the TOML", [toml([("a", A), ("a", B)], "a")], [("duplicate_id", "toml")])
    add("spaces in the flag: the ingress trims them, the server would not",
        [flag(" a = %s , b=%s " % (A, B))], [("spaces", "flag")])
    add("a space after a comma in the env pair", [env("a=%s, b=%s" % (A, B), "a")], [("spaces", "env")])
    add("trailing newline of a Secret's keys entry (echo | base64): the ingress trims it, the server rejects it",
        [secret("a=%s\n" % A, "a")], [("spaces", "secret")])
    add("trailing comma in the flag: the ingress skips the empty entry, the server would reject it",
        [flag("a=%s," % A)], [("empty_entry", "flag")])
    add("empty entry in the env pair", [env("a=%s,,b=%s" % (A, B), "a")], [("empty_entry", "env")])
    add("line break inside a secret: the ingress ignores it, the server rejects it",
        [flag("a=Zm9v\nYmFy")], [("line_break", "flag")])
    add("base64: prefix: sandgate strips it, neither upstream parser accepts it",
        [flag("a=base64:%s" % A)], [("base64_prefix", "flag")])
    add("uppercase id: both reject it", [flag("A=%s" % A)], [("invalid_entry", "flag")])
    add("empty flag", [flag("")], [("no_keys", "flag")])
    # Server-only rules.
    add("TOML without active_key", [toml([("a", A)])], [("no_active_key", "toml")])
    add("TOML with [ingress] mode direct", [toml([("a", A)], "a", '[ingress]\nmode = "direct"\n\n')],
        [("ingress_mode", "toml")])
    add("TOML that does not parse", [{"source": "toml", "text": "[ingress.secure_access\n"}],
        [("unreadable", "toml")])
    add("active key with a space: the server does not trim it", [env("a=%s" % A, " a")],
        [("invalid_active_key", "env")])
    add("active key naming no key", [env("a=%s" % A, "c")], [("active_key_unknown", "env")])
    add("keys without an active key in the env", [env("a=%s" % A)], [("env_incomplete", "env")])
    add("Secret without active-key", [secret(AB)], [("secret_incomplete", "secret")])
    add("Helm values with both keys and existingSecret", [helm([("a", A)], "a", "s1")],
        [("helm_conflict", "helm")])
    add("Helm existingSecret names another Secret",
        [helm(existing="other-secret"), secret(AB, "b")], [("secret_name_mismatch", "helm")])
    # Disagreements between forms.
    add("the flag lacks the key the server signs with", [env(AB, "b"), flag("a=" + A)],
        [("missing_key", "flag")])
    add("the flag holds a key the server does not", [toml([("a", A)], "a"), flag(AB)],
        [("extra_key", "flag")])
    add("a key with another secret", [toml([("a", A)], "a"), flag("a=" + C)],
        [("secret_mismatch", "flag")])
    add("another active key", [toml([("a", A), ("b", B)], "a"), env(AB, "b")],
        [("active_key_mismatch", "env")])
    add("the ring is the reference", [toml([("a", A), ("b", B)], "a"), ring],
        [("active_key_mismatch", "toml")])
    add("a Secret the ingress reads differently from the server",
        [secret("a=%s,a=%s" % (A, B), "a"), flag("a=" + B)], [("duplicate_id", "secret")])
    return {
        "description": "signing-keys check (SPEC §1.6, §7). inputs: forms to check together; "
                       "source flag (the ingress flag value, with or without "
                       "--secure-access-keys=), toml (server TOML), env (vars: the server's "
                       "environment pair), secret (a Kubernetes Secret, YAML), helm (Helm "
                       "values, YAML), ring (a sandgate key ring file). expect.findings: the "
                       "sorted set of [code, source] of every finding; clean: no finding.",
        "cases": c,
    }


# ------------------------------------------------------------------ gateway check (SPEC §1.4, §6)

STRIPPED = ["OpenSandbox-Ingress-To", "OPEN-SANDBOX-INGRESS", "OpenSandbox-Secure-Access",
            "OpenSandbox-Access-Renew"]


def route_ids(request):
    """Every id a route in `request` could name (each dash-prefix of the ingress value, of the
    host's first label and of the first path segment): the case's policy lists them all, so
    whichever id the route names has the case's policy."""
    out = set()

    def prefixes(s):
        parts = s.split("-")
        for i in range(1, len(parts) + 1):
            p = "-".join(parts[:i])
            if p:
                out.add(p)
    if request.get("ingress_to"):
        prefixes(request["ingress_to"].strip())
    if request.get("host"):
        prefixes(request["host"].split("://", 1)[-1].split(".")[0].split(":")[0])
    if request.get("path"):
        prefixes(request["path"].split("?")[0].lstrip("/").split("/")[0])
    return sorted(out)


def gateway_cases():
    """The gateway check (SPEC §1.4, §1.5, §6) as a middleware sees it: a route mode, keys,
    a policy document, and a request (target and header pairs) -> the verdict. The first part
    is every access case whose request has one natural mode (the ingress header: header mode;
    the host: wildcard mode; the path alone: uri mode), with a policy that gives every id the
    route could name the case's sandbox policy; the rest are the gateway's own rules."""
    c = []

    def policy_for(ids, sandbox):
        entry = {"secure": sandbox["secure"]}
        if sandbox["secure"]:
            entry["access_token"] = sandbox["access_token"]
        return json.dumps({"sandboxes": {i: entry for i in ids}}, sort_keys=True)

    def expect_of(e, retry_after=None):
        if e["allowed"]:
            target = e["path"] + ("?" + e["query"] if e["query"] is not None else "")
            return {"allowed": True, "status": 200, "reason": None, "grant": e["grant"],
                    "sandbox_id": e["sandbox_id"], "port": e["port"], "expires": e["expires"],
                    "key_id": e["key_id"], "upstream_target": target,
                    "headers_to_strip": STRIPPED}
        return {"allowed": False, "status": e["status"], "reason": e["reason"],
                "retry_after": "1" if e["status"] == 503 else None,
                "headers_to_strip": STRIPPED}

    for a in access_cases()["cases"]:
        r = a["request"]
        if (r.get("ingress_to") or "").strip():
            mode = "header"
        elif r.get("host"):
            mode = "wildcard"
        elif r.get("path"):
            mode = "uri"
        else:
            continue
        headers = [["Host", r.get("host", "gateway.example.com")]]
        if "ingress_to" in r:
            headers.append(["OpenSandbox-Ingress-To", r["ingress_to"]])
        if "secure_access" in r:
            headers.append(["OpenSandbox-Secure-Access", r["secure_access"]])
        c.append({"name": "access: " + a["name"], "mode": mode, "keys": a["keys"],
                  "now": a["now"], "policy": policy_for(route_ids(r), a["sandbox"]),
                  "request": {"target": r.get("path") or "/", "headers": headers},
                  "expect": expect_of(a["expect"])})

    secure = {"secure": True, "access_token": ACCESS_TOKEN}
    open_ = {"secure": False}
    signed_ok = allow("signature", "sbx-001", 8080, EXPIRES, "a")

    def add(name, mode, target, headers, expect, sandbox=secure, keys=KEYS_A, ids=("sbx-001",),
            policy="table"):
        c.append({"name": name, "mode": mode, "keys": keys, "now": str(NOW),
                  "policy": policy_for(ids, sandbox) if policy == "table" else None,
                  "request": {"target": target, "headers": [list(h) for h in headers]},
                  "expect": expect_of(expect)})

    host = ("Host", "gateway.example.com")
    # §1.4: the deprecated header is the second source; empty headers fall through.
    add("deprecated OPEN-SANDBOX-INGRESS carries the route", "header", "/",
        [host, ("OPEN-SANDBOX-INGRESS", TOKEN)], signed_ok)
    add("an empty OpenSandbox-Ingress-To falls through to the deprecated header", "header", "/",
        [host, ("OpenSandbox-Ingress-To", ""), ("OPEN-SANDBOX-INGRESS", TOKEN)], signed_ok)
    add("an empty ingress header falls through to the host", "wildcard", "/",
        [("Host", TOKEN + ".sandbox.example.com"), ("OpenSandbox-Ingress-To", "")], signed_ok)
    add("two Host headers are malformed", "wildcard", "/",
        [("Host", TOKEN + ".sandbox.example.com"), ("Host", TOKEN + ".sandbox.example.com")],
        deny("malformed", 400))
    add("two Host values joined by a comma are malformed", "wildcard", "/",
        [("Host", TOKEN + ".sandbox.example.com," + TOKEN + ".sandbox.example.com")],
        deny("malformed", 400))
    add("header mode with no route anywhere is malformed", "header", "/ping",
        [("Host", "localhost")], deny("malformed", 400))
    # §1.4 uri mode: the path only.
    add("uri mode ignores the ingress header", "uri", "/",
        [host, ("OpenSandbox-Ingress-To", TOKEN)], deny("malformed", 400))
    add("uri mode keeps the escaping of the upstream path", "uri",
        "/sbx-001/8080/x2qxvk/0ff8cd39a/a%2Fb/c%20d?q=%2F&r=1", [host],
        allow("signature", "sbx-001", 8080, EXPIRES, "a", "/a%2Fb/c%20d", "q=%2F&r=1"))
    add("uri mode, open sandbox, legacy route and the rest of the path", "uri",
        "/sbx-001/8080/files/a%2Fb", [host],
        allow("open", "sbx-001", 8080, None, None, "/files/a%2Fb", None), sandbox=open_)
    add("header mode keeps the escaping of the request target", "header", "/a%2Fb?x=%20",
        [host, ("OpenSandbox-Ingress-To", TOKEN)],
        allow("signature", "sbx-001", 8080, EXPIRES, "a", "/a%2Fb", "x=%20"))
    # §1.5 through the policy: unknown sandbox, open sandbox, the access token.
    add("a sandbox the policy does not list is unknown", "header", "/",
        [host, ("OpenSandbox-Ingress-To", "sbx-404-8080")], deny("unknown_sandbox", 404))
    add("an open sandbox's legacy route is allowed", "header", "/",
        [host, ("OpenSandbox-Ingress-To", "sbx-001-8080")],
        allow("open", "sbx-001", 8080), sandbox=open_)
    add("a secure sandbox's legacy route with its access token", "header", "/",
        [host, ("OpenSandbox-Ingress-To", "sbx-001-8080"),
         ("OpenSandbox-Secure-Access", ACCESS_TOKEN)],
        allow("header", "sbx-001", 8080))
    add("no signing keys: a signed route of a secure sandbox is 503 with Retry-After", "header",
        "/", [host, ("OpenSandbox-Ingress-To", TOKEN)], deny("not_configured", 503), keys="")
    # §6 signature-only: no policy, every sandbox secure, the access header grants nothing.
    add("signature-only: a signed route is allowed", "header", "/",
        [host, ("OpenSandbox-Ingress-To", TOKEN)], signed_ok, policy=None)
    add("signature-only: the access header grants nothing", "header", "/",
        [host, ("OpenSandbox-Ingress-To", "sbx-001-8080"),
         ("OpenSandbox-Secure-Access", ACCESS_TOKEN)],
        deny("credential_required", 401), policy=None)
    return {
        "description": "The gateway check (SPEC §1.4, §1.5, §6) that every language's middleware "
                       "runs: mode (header, wildcard, uri), keys (flag string), now (Unix "
                       "seconds), policy (a policy document as JSON text, or null for "
                       "signature-only), request.target (path and query as received) and "
                       "request.headers ([name, value] pairs in order; a repeated name is "
                       "repeated). expect: allowed, status, reason, and when allowed grant, "
                       "sandbox_id, port, expires, key_id, upstream_target; when refused "
                       "retry_after (\"1\" on every 503); always headers_to_strip. A refusal's "
                       "body is text/plain and starts with \"OpenSandbox Ingress: \".",
        "cases": c,
    }


def main():
    for name, data in [("parse", parse_cases()), ("access", access_cases()),
                       ("key_config", key_config_cases()), ("api_keys", api_key_cases()),
                       ("key_check", key_check_cases()), ("retry", retry_cases()),
                       ("cache", cache_cases()), ("gateway", gateway_cases())]:
        with open(os.path.join(CASES, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    main()

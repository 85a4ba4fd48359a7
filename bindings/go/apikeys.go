package sandgate

/*
#include "sandgate.h"
*/
import "C"

import "fmt"

// GeneratedAPIKey is a new API key: show Key to its owner once and store only Hash.
type GeneratedAPIKey struct {
	Key    Secret // the raw key
	Prefix string // the display prefix: the first 12 characters of the key
	Hash   string // lowercase hex SHA-256 of the key: the only form to store
}

// GenerateAPIKey makes a key with the default prefix "osk_".
func GenerateAPIKey() (GeneratedAPIKey, error) {
	return generateAPIKey(C.SandgateStr{})
}

// GenerateAPIKeyWithPrefix makes a key prefix + base64url(32 random bytes); prefix may be "".
func GenerateAPIKeyWithPrefix(prefix string) (GeneratedAPIKey, error) {
	return generateAPIKey(str(prefix))
}

func generateAPIKey(prefix C.SandgateStr) (GeneratedAPIKey, error) {
	var k *C.SandgateGeneratedApiKey
	if err := takeError(C.sandgate_generate_api_key(prefix, &k)); err != nil {
		return GeneratedAPIKey{}, err
	}
	defer C.sandgate_generated_api_key_free(k)
	return GeneratedAPIKey{Key: NewSecret(goString(k.key)), Prefix: goString(k.prefix), Hash: goString(k.hash)}, nil
}

// String never prints the key.
func (k GeneratedAPIKey) String() string {
	return fmt.Sprintf("GeneratedAPIKey{Key: ***, Prefix: %q, Hash: %q}", k.Prefix, k.Hash)
}

// HashAPIKey returns the lowercase hex SHA-256 of raw (the stored form of a key).
func HashAPIKey(raw string) (string, error) {
	var out C.SandgateString
	if err := takeError(C.sandgate_hash_api_key(str(raw), &out)); err != nil {
		return "", err
	}
	return takeString(&out), nil
}

// StoredKey is what a server stores for one API key.
type StoredKey struct {
	Hash      string  // lowercase hex SHA-256 of the raw key
	Revoked   bool    // whether the key was revoked
	ExpiresAt *string // RFC 3339 or epoch seconds/milliseconds; nil never expires; unparseable counts as expired
}

// VerifyAPIKey reports whether key is a valid, unrevoked, unexpired key for stored, against the
// system clock. A Hash that is not 64 lowercase hex digits is an invalid_argument error.
func VerifyAPIKey(key string, stored StoredKey) (bool, error) {
	return verifyAPIKey(key, stored, 0, 0)
}

// VerifyAPIKeyAt is VerifyAPIKey at now (Unix seconds).
func VerifyAPIKeyAt(key string, stored StoredKey, now uint64) (bool, error) {
	return verifyAPIKey(key, stored, 1, now)
}

func verifyAPIKey(key string, stored StoredKey, hasNow C.uint8_t, now uint64) (bool, error) {
	var ok C.uint8_t
	err := takeError(C.sandgate_verify_api_key(str(key), str(stored.Hash), optStr(stored.ExpiresAt),
		flag(stored.Revoked), hasNow, C.uint64_t(now), &ok))
	if err != nil {
		return false, err
	}
	return ok == 1, nil
}

using Sandgate.Native;

namespace Sandgate
{
    /// <summary>A new API key: show <see cref="Key"/> to its owner once and store only <see cref="Hash"/>.</summary>
    public sealed class GeneratedApiKey
    {
        internal GeneratedApiKey(Secret key, string prefix, string hash)
        {
            Key = key;
            Prefix = prefix;
            Hash = hash;
        }

        /// <summary>The raw key (a secret).</summary>
        public Secret Key { get; }

        /// <summary>The display prefix: the first 12 characters of the key.</summary>
        public string Prefix { get; }

        /// <summary>Lowercase hex SHA-256 of the key: the only form to store.</summary>
        public string Hash { get; }

        /// <summary>Never prints the key.</summary>
        public override string ToString()
        {
            return "GeneratedApiKey(Key: ***, Prefix: " + Prefix + ", Hash: " + Hash + ")";
        }
    }

    /// <summary>The show-once API-key primitives (SPEC §3.1).</summary>
    public static class ApiKeys
    {
        /// <summary>Generates <c>prefix + base64url(32 random bytes)</c>; a null prefix means <c>osk_</c>.</summary>
        /// <exception cref="InvalidArgumentException">The prefix is rejected.</exception>
        public static unsafe GeneratedApiKey Generate(string prefix = null)
        {
            Library.EnsureLoaded();
            SandgateGeneratedApiKey* k;
            using (var pins = new Pins())
            {
                Errors.Check(NativeMethods.sandgate_generate_api_key(pins.Str(prefix, "prefix"), out k));
            }
            try
            {
                return new GeneratedApiKey(new Secret(Utf8.Read(k->Key)), Utf8.Read(k->Prefix), Utf8.Read(k->Hash));
            }
            finally
            {
                NativeMethods.sandgate_generated_api_key_free(k);
            }
        }

        /// <summary>The lowercase hex SHA-256 of <paramref name="raw"/> (a <see cref="Secret"/> or a plain string): the stored form of a key.</summary>
        public static unsafe string Hash(Secret raw)
        {
            Library.EnsureLoaded();
            SandgateString s;
            using (var pins = new Pins())
            {
                Errors.Check(NativeMethods.sandgate_hash_api_key(pins.Str(Secret.Text(raw), "raw"), &s));
            }
            return Utf8.Take(&s);
        }

        /// <summary>
        /// Whether <paramref name="key"/> (a <see cref="Secret"/> or a plain string) matches
        /// <paramref name="storedHash"/> (constant time), is not revoked and not expired at
        /// <paramref name="now"/> (Unix seconds; null: the system clock). <paramref name="expiresAt"/>
        /// is RFC 3339 or epoch seconds (null: never expires; unparseable counts as expired).
        /// </summary>
        /// <exception cref="InvalidArgumentException">The stored hash is not 64 lowercase hex digits.</exception>
        public static unsafe bool Verify(Secret key, string storedHash, string expiresAt = null, bool revoked = false, ulong? now = null)
        {
            Library.EnsureLoaded();
            byte valid;
            using (var pins = new Pins())
            {
                Errors.Check(NativeMethods.sandgate_verify_api_key(pins.Str(Secret.Text(key), "key"), pins.Str(storedHash, "storedHash"),
                    pins.Str(expiresAt, "expiresAt"), revoked ? (byte)1 : (byte)0, now.HasValue ? (byte)1 : (byte)0, now ?? 0, out valid));
            }
            return valid == 1;
        }
    }
}

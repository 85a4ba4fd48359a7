using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using Sandgate.Native;

namespace Sandgate
{
    /// <summary>
    /// A validated set of OSEP-0011 signing keys (SPEC §1.6). The secrets stay in native memory,
    /// are zeroed when the set is disposed, and never print.
    /// </summary>
    public sealed class SigningKeys : IDisposable
    {
        internal readonly SigningKeysHandle Handle;

        private SigningKeys(SigningKeysHandle handle, IReadOnlyList<string> keyIds, string activeKeyId)
        {
            Handle = handle;
            KeyIds = keyIds;
            ActiveKeyId = activeKeyId;
        }

        /// <summary>
        /// Parses the ingress flag string <c>a=BASE64,b=BASE64</c> (a <see cref="Secret"/> or a
        /// plain string); a blank string is an empty set.
        /// </summary>
        /// <exception cref="InvalidConfigException">The string is not a valid key set.</exception>
        public static unsafe SigningKeys FromFlag(Secret flag)
        {
            return Parse(flag, "flag", (SandgateStr s, out SigningKeysHandle h) => NativeMethods.sandgate_signing_keys_from_flag(s, out h));
        }

        /// <summary>Parses the server TOML table <c>[ingress.secure_access]</c> (a <see cref="Secret"/> or a plain string).</summary>
        /// <exception cref="InvalidConfigException">The TOML is not a valid key set.</exception>
        public static unsafe SigningKeys FromToml(Secret toml)
        {
            return Parse(toml, "toml", (SandgateStr s, out SigningKeysHandle h) => NativeMethods.sandgate_signing_keys_from_toml(s, out h));
        }

        private unsafe delegate SandgateError* Parser(SandgateStr text, out SigningKeysHandle handle);

        private static unsafe SigningKeys Parse(Secret text, string name, Parser parse)
        {
            Library.EnsureLoaded();
            SigningKeysHandle h;
            SandgateError* e;
            using (var pins = new Pins())
            {
                e = parse(pins.Str(Secret.Text(text), name), out h);
            }
            return Wrap(e, h);
        }

        /// <summary>
        /// Reads the server's pair <c>OPENSANDBOX_SECURE_ACCESS_KEYS</c> and
        /// <c>OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY</c> from <paramref name="env"/> (a missing name is an
        /// unset variable): both or neither, nothing trimmed, no empty entries. Null when neither is set.
        /// </summary>
        /// <exception cref="InvalidConfigException">The pair is not a valid key set.</exception>
        public static unsafe SigningKeys FromEnv(IDictionary<string, string> env)
        {
            if (env == null)
            {
                throw Errors.Own(ErrorKind.InvalidArgument, "env must not be null");
            }
            string keys, active;
            env.TryGetValue(EnvKeys, out keys);
            env.TryGetValue(EnvActiveKey, out active);
            return FromEnvValues(keys, active);
        }

        /// <summary>
        /// <see cref="FromEnv(IDictionary{string, string})"/> over the process environment.
        /// </summary>
        /// <exception cref="InvalidConfigException">The pair is not a valid key set.</exception>
        public static SigningKeys FromEnv()
        {
            return FromEnvValues(
                Environment.GetEnvironmentVariable(EnvKeys),
                Environment.GetEnvironmentVariable(EnvActiveKey));
        }

        private const string EnvKeys = "OPENSANDBOX_SECURE_ACCESS_KEYS";
        private const string EnvActiveKey = "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY";

        private static unsafe SigningKeys FromEnvValues(string keys, string active)
        {
            Library.EnsureLoaded();
            SigningKeysHandle h;
            SandgateError* e;
            using (var pins = new Pins())
            {
                e = NativeMethods.sandgate_signing_keys_from_env(pins.Str(keys, EnvKeys), pins.Str(active, EnvActiveKey), out h);
            }
            if (e == null && h.IsInvalid)
            {
                h.Dispose();
                return null;
            }
            return Wrap(e, h);
        }

        private static unsafe SigningKeys Wrap(SandgateError* e, SigningKeysHandle h)
        {
            Errors.Check(e, h);
            try
            {
                SandgateString ids;
                Errors.Check(NativeMethods.sandgate_signing_keys_key_ids(h, &ids));
                string text = Utf8.Take(&ids);
                var list = new List<string>();
                foreach (char c in text)
                {
                    list.Add(c.ToString());
                }
                SandgateString active;
                Errors.Check(NativeMethods.sandgate_signing_keys_active_key_id(h, &active));
                return new SigningKeys(h, new ReadOnlyCollection<string>(list), Utf8.Take(&active));
            }
            catch
            {
                h.Dispose();
                throw;
            }
        }

        /// <summary>The key ids, in order (each one character).</summary>
        public IReadOnlyList<string> KeyIds { get; }

        /// <summary>The active key id (TOML <c>active_key</c>), or null when there is none.</summary>
        public string ActiveKeyId { get; }

        /// <summary>Key ids only, never secrets.</summary>
        public override string ToString()
        {
            return "SigningKeys(ids: [" + string.Join(", ", KeyIds) + "], active: " + (ActiveKeyId ?? "none") + ")";
        }

        /// <summary>Frees the native keys (their secrets are zeroed). Safe to call more than once.</summary>
        public void Dispose()
        {
            Handle.Dispose();
        }
    }
}

// sdk-tests/cases/key_config.json and api_keys.json.
using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace Sandgate.Tests
{
    [TestFixture]
    public class KeyConfigTests
    {
        private static readonly IDictionary<string, object> File = Cases.Load("key_config");

        public static IEnumerable<TestCaseData> All()
        {
            return Cases.Named("KeyConfig_Cases", File.Arr("cases"), (c, i) => c.Str("name"));
        }

        [Test]
        public void KeyConfig_FileHasCases()
        {
            Assert.Greater(File.Arr("cases").Count, 10);
        }

        [TestCaseSource("All")]
        public void KeyConfig_Cases(IDictionary<string, object> c)
        {
            IDictionary<string, object> want = c.Obj("expect");
            string form = c.Str("form");
            Func<SigningKeys> load;
            if (form == "env")
            {
                var env = new Dictionary<string, string>();
                foreach (KeyValuePair<string, object> kv in c.Obj("input"))
                {
                    env[kv.Key] = (string)kv.Value;
                }
                load = () => SigningKeys.FromEnv(env);
            }
            else
            {
                string input = c.Str("input");
                load = () => form == "flag" ? SigningKeys.FromFlag(input) : SigningKeys.FromToml(input);
            }
            if (want.Bool("unset"))
            {
                Assert.IsNull(load());
                return;
            }
            if (want.Bool("ok"))
            {
                using (SigningKeys keys = load())
                {
                    CollectionAssert.AreEqual(want.Arr("key_ids").Cast<string>().ToList(), keys.KeyIds.ToList());
                    Assert.AreEqual(want.Str("active_key"), keys.ActiveKeyId);
                    StringAssert.StartsWith("SigningKeys(ids: [", keys.ToString());
                }
                return;
            }
            var e = Expect.Throws<InvalidConfigException>(() => load());
            Assert.AreEqual(want.Str("kind"), e.KindCode);
            Assert.AreEqual(ErrorKind.InvalidConfig, e.Kind);
            StringAssert.Contains(want.Str("message_contains"), e.Message);
            if (want.Has("message_excludes"))
            {
                string secret = want.Str("message_excludes");
                foreach (string text in new[] { e.Message, e.ToString() })
                {
                    StringAssert.DoesNotContain(secret, text);
                }
            }
        }
    }

    [TestFixture]
    public class KeyConfigEnvTests
    {
        [Test]
        public void KeyConfig_FromEnvReadsTheProcessEnvironment()
        {
            string keys = Environment.GetEnvironmentVariable("OPENSANDBOX_SECURE_ACCESS_KEYS");
            string active = Environment.GetEnvironmentVariable("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY");
            try
            {
                Environment.SetEnvironmentVariable("OPENSANDBOX_SECURE_ACCESS_KEYS", null);
                Environment.SetEnvironmentVariable("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", null);
                Assert.IsNull(SigningKeys.FromEnv());
                Environment.SetEnvironmentVariable("OPENSANDBOX_SECURE_ACCESS_KEYS", "a=Zm9v,b=YmFy");
                var e = Expect.Throws<InvalidConfigException>(() => SigningKeys.FromEnv());
                StringAssert.Contains("set together", e.Message);
                Environment.SetEnvironmentVariable("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", "b");
                using (SigningKeys k = SigningKeys.FromEnv())
                {
                    Assert.AreEqual("b", k.ActiveKeyId);
                }
            }
            finally
            {
                Environment.SetEnvironmentVariable("OPENSANDBOX_SECURE_ACCESS_KEYS", keys);
                Environment.SetEnvironmentVariable("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", active);
            }
            var nullEnv = Assert.Throws<InvalidArgumentException>(() => SigningKeys.FromEnv(null));
            Assert.AreEqual("env must not be null", nullEnv.Message);
            StringAssert.StartsWith("invalid argument: env must not be null" + Environment.NewLine, nullEnv.ToString());
        }
    }

    [TestFixture]
    public class ApiKeysTests
    {
        private static readonly IDictionary<string, object> File = Cases.Load("api_keys");

        public static IEnumerable<TestCaseData> Hashes()
        {
            return Cases.Named("ApiKeys_Hash", File.Arr("hash"), (c, i) => i.ToString());
        }

        public static IEnumerable<TestCaseData> Verifies()
        {
            return Cases.Named("ApiKeys_Verify", File.Arr("verify"), (c, i) => c.Str("name"));
        }

        public static IEnumerable<TestCaseData> Generates()
        {
            return Cases.Named("ApiKeys_Generate", File.Arr("generate"), (c, i) => i + " " + c.Str("prefix"));
        }

        [Test]
        public void ApiKeys_FileHasCases()
        {
            Assert.IsNotEmpty(File.Arr("hash"));
            Assert.IsNotEmpty(File.Arr("verify"));
            Assert.IsNotEmpty(File.Arr("generate"));
        }

        [TestCaseSource("Hashes")]
        public void ApiKeys_Hash(IDictionary<string, object> c)
        {
            Assert.AreEqual(c.Str("hash"), ApiKeys.Hash(c.Str("raw")));
        }

        [TestCaseSource("Verifies")]
        public void ApiKeys_Verify(IDictionary<string, object> c)
        {
            string key = c.Str("key"), hash = c.Str("hash"), expiresAt = c.Str("expires_at");
            bool revoked = c.Bool("revoked");
            object want = c.Get("expect");
            if (want is bool)
            {
                bool got = c.Has("now") ? ApiKeys.Verify(key, hash, expiresAt, revoked, c.U64("now")) : ApiKeys.Verify(key, hash, expiresAt, revoked);
                Assert.AreEqual((bool)want, got);
                return;
            }
            var e = Expect.Throws<SandgateException>(() =>
            {
                if (c.Has("now"))
                {
                    ApiKeys.Verify(key, hash, expiresAt, revoked, c.U64("now"));
                }
                else
                {
                    ApiKeys.Verify(key, hash, expiresAt, revoked);
                }
            });
            Assert.AreEqual((string)want, e.KindCode);
        }

        [TestCaseSource("Generates")]
        public void ApiKeys_Generate(IDictionary<string, object> c)
        {
            string prefix = c.Str("prefix");
            if (c.Has("error"))
            {
                var e = Expect.Throws<SandgateException>(() => ApiKeys.Generate(prefix));
                Assert.AreEqual(c.Str("error"), e.KindCode);
                return;
            }
            GeneratedApiKey k = ApiKeys.Generate(prefix);
            string raw = k.Key.Expose();
            Assert.AreEqual(c.Int("length"), raw.Length);
            StringAssert.StartsWith(prefix, raw);
            Assert.AreEqual(raw.Substring(0, 12), k.Prefix);
            Assert.AreEqual(ApiKeys.Hash(raw), k.Hash);
            Assert.IsTrue(ApiKeys.Verify(raw, k.Hash));
            Assert.IsFalse(ApiKeys.Verify(raw, k.Hash, null, true));
            Expect.NoSecret(k + " " + k.Key + " " + string.Format("{0}", k.Key), raw);
            StringAssert.Contains("***", k.ToString());
        }

        [Test]
        public void ApiKeys_GenerateDefaultPrefix()
        {
            GeneratedApiKey a = ApiKeys.Generate();
            GeneratedApiKey b = ApiKeys.Generate();
            StringAssert.StartsWith("osk_", a.Key.Expose());
            Assert.AreEqual(47, a.Key.Length);
            Assert.AreNotEqual(a.Key.Expose(), b.Key.Expose(), "two keys from the CSPRNG are equal");
        }
    }
}

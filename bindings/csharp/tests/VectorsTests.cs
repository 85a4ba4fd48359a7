// sdk-tests/cases/vectors.json: the 300 upstream signing vectors and the expires_b36 facts.
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace Sandgate.Tests
{
    [TestFixture]
    public class VectorsTests
    {
        private static readonly IDictionary<string, object> File = Cases.Load("vectors");

        public static IEnumerable<TestCaseData> Signing()
        {
            return Cases.Named("Vectors_Signing", File.Arr("signing"), (v, i) => i.ToString("000") + " " + v.Str("token"));
        }

        public static IEnumerable<TestCaseData> Facts()
        {
            return Cases.Named("Vectors_ExpiresB36Fact", File.Arr("expires_b36"), (v, i) => v.Str("expires") + "=" + v.Str("b36"));
        }

        public static IEnumerable<TestCaseData> Rejected()
        {
            int i = 0;
            foreach (string s in File.Arr("expires_b36_rejected"))
            {
                yield return new TestCaseData(s).SetName("Vectors_ExpiresB36Rejected(" + i++ + " " + Cases.Clean(s) + ")");
            }
        }

        [Test]
        public void Vectors_FileHoldsAll300()
        {
            Assert.AreEqual(300, File.Arr("signing").Count);
            Assert.IsNotEmpty(File.Arr("expires_b36"));
            Assert.IsNotEmpty(File.Arr("expires_b36_rejected"));
        }

        [TestCaseSource("Signing")]
        public void Vectors_Signing(IDictionary<string, object> v)
        {
            string keyId = v.Str("key_id");
            ulong expires = v.U64("expires");
            int port = (int)v.Int("port");
            using (var keys = SigningKeys.FromFlag(keyId + "=" + v.Str("secret_b64")))
            using (var signer = new RouteSigner(keys, keyId))
            using (var verifier = new RouteVerifier(keys))
            {
                SignedRoute route = signer.Sign(v.Str("sandbox_id"), port, expires);
                Assert.AreEqual(v.Str("token"), route.Token);
                Assert.AreEqual(v.Str("signature"), route.Signature);
                Assert.AreEqual(v.Str("expires_b36"), route.ExpiresB36);
                Assert.AreEqual(v.Str("sandbox_id"), route.SandboxId);
                Assert.AreEqual(port, route.Port);
                Assert.AreEqual(expires, route.Expires);
                Assert.AreEqual(keyId, route.KeyId);
                Assert.AreEqual(keyId, signer.KeyId);

                RouteInfo info = verifier.Verify(v.Str("token"), expires);
                Assert.AreEqual(v.Str("sandbox_id"), info.SandboxId);
                Assert.AreEqual(port, info.Port);
                Assert.AreEqual(expires, info.Expires);
                Assert.AreEqual(keyId, info.KeyId);
                Assert.IsTrue(info.IsSigned);
            }
        }

        [TestCaseSource("Facts")]
        public void Vectors_ExpiresB36Fact(IDictionary<string, object> f)
        {
            ulong n = f.U64("expires");
            Assert.AreEqual(f.Str("b36"), ExpiresB36.Encode(n));
            Assert.AreEqual(n, ExpiresB36.Decode(f.Str("b36")));
        }

        [TestCaseSource("Rejected")]
        public void Vectors_ExpiresB36Rejected(string b36)
        {
            var e = Expect.Throws<InvalidArgumentException>(() => ExpiresB36.Decode(b36));
            Assert.AreEqual(ErrorKind.InvalidArgument, e.Kind);
            Assert.AreEqual("invalid_argument", e.KindCode);
        }
    }
}

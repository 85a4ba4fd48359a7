using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Sandgate.Tests
{
    /// <summary>The shared case files of sdk-tests/cases, found relative to the repository.</summary>
    internal static class Cases
    {
        private static readonly Lazy<string> root = new Lazy<string>(FindRoot);

        public static string Root
        {
            get { return root.Value; }
        }

        private static string FindRoot()
        {
            var starts = new[] { Path.GetDirectoryName(typeof(Cases).Assembly.Location), Environment.CurrentDirectory };
            foreach (string start in starts)
            {
                for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                {
                    if (Directory.Exists(Path.Combine(dir.FullName, "sdk-tests", "cases")))
                    {
                        return dir.FullName;
                    }
                }
            }
            throw new InvalidOperationException("sdk-tests/cases not found above " + string.Join(" or ", starts));
        }

        public static IDictionary<string, object> Load(string name)
        {
            string path = Path.Combine(Root, "sdk-tests", "cases", name + ".json");
            return (IDictionary<string, object>)Json.Parse(File.ReadAllText(path));
        }

        /// <summary>One test case per item of <paramref name="items"/>, named <c>{prefix}({label})</c>.</summary>
        public static IEnumerable<TestCaseData> Named(string prefix, IEnumerable<object> items, Func<IDictionary<string, object>, int, string> label)
        {
            int i = 0;
            foreach (IDictionary<string, object> item in items)
            {
                yield return new TestCaseData(item).SetName(prefix + "(" + Clean(label(item, i)) + ")");
                i++;
            }
        }

        /// <summary>Test names keep to letters, digits, spaces and a few marks.</summary>
        public static string Clean(string s)
        {
            return Regex.Replace(s, @"[^A-Za-z0-9 _\-.:=,]", "_");
        }
    }

    internal static class Programs
    {
        /// <summary>
        /// Runs <c>mono exe</c> in the exe's folder, with no LD_LIBRARY_PATH or MONO_PATH (the
        /// native library is found next to Sandgate.dll or not at all); returns the exit code.
        /// </summary>
        public static int Mono(string exe, out string output, out string errors)
        {
            var psi = new ProcessStartInfo("mono", "\"" + exe + "\"")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(exe),
            };
            psi.EnvironmentVariables.Remove("LD_LIBRARY_PATH");
            psi.EnvironmentVariables.Remove("MONO_PATH");
            using (Process p = Process.Start(psi))
            {
                Task<string> err = p.StandardError.ReadToEndAsync();
                output = p.StandardOutput.ReadToEnd();
                Assert.IsTrue(p.WaitForExit(60000), exe + " did not exit");
                errors = err.Result;
                return p.ExitCode;
            }
        }
    }

    internal static class Http
    {
        /// <summary>One HttpClient for the tests, never through a proxy.</summary>
        public static readonly HttpClient Client = new HttpClient(new HttpClientHandler { UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(20),
        };
    }

    internal static class Mock
    {
        public static SandgateClient Admin(MockServer mock, Action<SandgateClientOptions> more = null)
        {
            var o = new SandgateClientOptions { Domain = mock.Domain, ApiKey = mock.AdminKey.Expose(), IgnoreEnvironment = true };
            if (more != null)
            {
                more(o);
            }
            return new SandgateClient(o);
        }

        public static SandgateClient User(MockServer mock, string user, string roles)
        {
            var o = new SandgateClientOptions { Domain = mock.Domain, IgnoreEnvironment = true };
            o.Headers["X-OpenSandbox-User"] = user;
            o.Headers["X-OpenSandbox-Roles"] = roles;
            return new SandgateClient(o);
        }

        public static SandgateClient WithKey(MockServer mock, string apiKey)
        {
            return new SandgateClient(new SandgateClientOptions { Domain = mock.Domain, ApiKey = apiKey, IgnoreEnvironment = true });
        }
    }

    internal static class Expect
    {
        /// <summary>Runs <paramref name="action"/> and returns the exception of type T it throws (awaiting tasks).</summary>
        public static T Throws<T>(Action action) where T : Exception
        {
            try
            {
                action();
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1 && e.InnerException is T)
            {
                return (T)e.InnerException;
            }
            catch (T e)
            {
                return e;
            }
            catch (Exception e)
            {
                Assert.Fail("expected {0}, got {1}: {2}", typeof(T).Name, e.GetType().Name, e.Message);
            }
            Assert.Fail("expected {0}, nothing was thrown", typeof(T).Name);
            return null;
        }

        public static void NoSecret(string printed, params string[] secrets)
        {
            foreach (string s in secrets.Where(s => !string.IsNullOrEmpty(s)))
            {
                StringAssert.DoesNotContain(s, printed, "a secret printed");
            }
        }
    }
}

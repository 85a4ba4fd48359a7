// The hand-written P/Invoke mirror (src/NativeMethods.cs) checked against the C ABI: every
// struct's size and field offsets against sandgate_layout() (Rust's own layout, at run time),
// every DllImport and the callback against the prototypes of bindings/c/include/sandgate.h,
// and the ErrorKind, DenyReason, Grant and RouteForm enums against the core's code tables.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Sandgate.Native;

namespace Sandgate.Tests
{
    [TestFixture]
    public class MirrorTests
    {
        private static readonly Assembly Package = typeof(NativeMethods).Assembly;

        /// <summary>Structs of the ABI that C# does not use: Kotlin's and Go's primitive signing path.</summary>
        private static readonly string[] StructsNotMirrored = { "SandgateSignedInto" };

        /// <summary>Functions of the ABI that C# does not call, and why.</summary>
        private static readonly string[] FunctionsNotDeclared =
        {
            "sandgate_sign_into", "sandgate_sign_into_capacity", // Kotlin's and Go's primitive signing; C# uses sandgate_sign
            "sandgate_cancelled_error", // a token cancelled before the call ends the task as canceled (.NET's idiom)
            "sandgate_deny_reason_status", // statuses come with every denial
        };

        private sealed class Row
        {
            public string Type, Field;
            public long Offset, Size;
        }

        private static unsafe List<Row> LayoutTable()
        {
            var rows = new List<Row>();
            for (int i = 0; ; i++)
            {
                SandgateLayoutEntry* e = NativeMethods.sandgate_layout((UIntPtr)i);
                if (e == null)
                {
                    return rows;
                }
                rows.Add(new Row
                {
                    Type = Marshal.PtrToStringAnsi((IntPtr)e->TypeName),
                    Field = e->Field == null ? null : Marshal.PtrToStringAnsi((IntPtr)e->Field),
                    Offset = (long)(ulong)e->Offset,
                    Size = (long)(ulong)e->Size,
                });
            }
        }

        /// <summary><c>sandbox_id_offset</c> → <c>SandboxIdOffset</c>; <c>invalid_argument</c> → <c>InvalidArgument</c>.</summary>
        private static string Pascal(string snake)
        {
            return string.Concat(snake.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w.Substring(1)));
        }

        private static long SizeOf(Type t)
        {
            return t.IsPointer ? IntPtr.Size : Marshal.SizeOf(t);
        }

        /// <summary>Every way <paramref name="mirror"/> differs from the rows of one struct (none: it matches).</summary>
        private static List<string> Differences(Type mirror, List<Row> rows)
        {
            var problems = new List<string>();
            Row whole = rows.Single(r => r.Field == null);
            if (Marshal.SizeOf(mirror) != whole.Size)
            {
                problems.Add(string.Format("{0}: size {1} in C#, {2} in Rust", whole.Type, Marshal.SizeOf(mirror), whole.Size));
            }
            FieldInfo[] fields = mirror.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            List<string> want = rows.Where(r => r.Field != null).Select(r => Pascal(r.Field)).ToList();
            List<string> have = fields.Select(f => f.Name).ToList();
            if (!want.SequenceEqual(have))
            {
                problems.Add(string.Format("{0}: fields [{1}] in C#, [{2}] in Rust", whole.Type, string.Join(", ", have), string.Join(", ", want)));
            }
            foreach (Row r in rows.Where(r => r.Field != null))
            {
                FieldInfo f = fields.FirstOrDefault(x => x.Name == Pascal(r.Field));
                if (f == null)
                {
                    continue;
                }
                long offset = (long)Marshal.OffsetOf(mirror, f.Name);
                if (offset != r.Offset || SizeOf(f.FieldType) != r.Size)
                {
                    problems.Add(string.Format("{0}.{1}: offset {2} size {3} in C#, offset {4} size {5} in Rust",
                        r.Type, r.Field, offset, SizeOf(f.FieldType), r.Offset, r.Size));
                }
            }
            return problems;
        }

        [Test]
        public void Mirror_EveryStructHasRustsSizeAndOffsets()
        {
            List<Row> table = LayoutTable();
            var structs = table.GroupBy(r => r.Type).ToList();
            Assert.GreaterOrEqual(structs.Count, 25, "the layout table lists every #[repr(C)] struct");
            var problems = new List<string>();
            foreach (var s in structs.Where(s => !StructsNotMirrored.Contains(s.Key)))
            {
                Type mirror = Package.GetType("Sandgate.Native." + s.Key);
                if (mirror == null)
                {
                    problems.Add(s.Key + " has no C# mirror");
                    continue;
                }
                problems.AddRange(Differences(mirror, s.ToList()));
            }
            // And the other way: every mirror names a struct of the library.
            foreach (Type t in Package.GetTypes().Where(t => t.Namespace == "Sandgate.Native" && t.IsValueType && !t.IsEnum && !t.IsNested))
            {
                if (!structs.Any(s => s.Key == t.Name))
                {
                    problems.Add(t.Name + " is not a struct of the library");
                }
            }
            Assert.IsEmpty(problems, string.Join("\n", problems));
            CollectionAssert.IsSubsetOf(StructsNotMirrored, structs.Select(s => s.Key).ToList(), "a struct listed as not mirrored is gone");
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct SandgateRoute
        {
            public SandgateString SandboxId;
            public ushort Port;
            public ushort IsSigned; // a u8 in Rust
            public ulong Expires;
            public SandgateString KeyId;
        }

        [Test]
        public void Mirror_TheCheckFindsAWrongField()
        {
            List<Row> rows = LayoutTable().Where(r => r.Type == "SandgateRoute").ToList();
            Assert.IsEmpty(Differences(typeof(Native.SandgateRoute), rows));
            List<string> problems = Differences(typeof(SandgateRoute), rows);
            Assert.AreEqual(1, problems.Count, string.Join("\n", problems));
            Assert.AreEqual("SandgateRoute.is_signed: offset 18 size 2 in C#, offset 18 size 1 in Rust", problems[0]);
            Assert.IsNotEmpty(Differences(typeof(SandgateStrPair), rows), "a struct with other fields differs");
        }

        // ------------------------------------------------------------ functions

        /// <summary>A C type as (base name without const/struct, pointer depth).</summary>
        private static Tuple<string, int> CType(string text)
        {
            string t = Regex.Replace(text, @"\b(const|struct)\b", " ");
            int depth = t.Count(c => c == '*');
            return Tuple.Create(Regex.Replace(t.Replace("*", " "), @"\s+", " ").Trim(), depth);
        }

        private static readonly Dictionary<string, Type> Primitives = new Dictionary<string, Type>
        {
            { "int32_t", typeof(int) }, { "uint8_t", typeof(byte) }, { "uint16_t", typeof(ushort) },
            { "uint32_t", typeof(uint) }, { "int64_t", typeof(long) }, { "uint64_t", typeof(ulong) },
            { "size_t", typeof(UIntPtr) }, { "char", typeof(byte) },
        };

        /// <summary>Null when the C# type is the C type's mirror, else what is wrong.</summary>
        private static string Mismatch(string c, Type cs, ISet<string> opaque)
        {
            Tuple<string, int> ct = CType(c);
            string name = ct.Item1;
            int depth = ct.Item2, csDepth = 0;
            Type t = cs;
            if (t.IsByRef)
            {
                t = t.GetElementType();
                csDepth++;
            }
            while (t.IsPointer)
            {
                t = t.GetElementType();
                csDepth++;
            }
            bool ok;
            if (name == "void")
            {
                ok = depth == 0 ? t == typeof(void) : t == typeof(IntPtr) && csDepth == depth - 1;
            }
            else if (Primitives.ContainsKey(name))
            {
                ok = t == Primitives[name] && csDepth == depth;
            }
            else if (opaque.Contains(name))
            {
                // A handle is a SafeHandle (SandgateSigner* -> SignerHandle), or IntPtr where it is freed.
                ok = (t == typeof(IntPtr) || t.Name == name.Substring("Sandgate".Length) + "Handle") && csDepth == depth - 1;
            }
            else
            {
                ok = t.Name == name && t.Namespace == "Sandgate.Native" && csDepth == depth;
            }
            return ok ? null : string.Format("C '{0}' is C# {1}", c.Trim(), cs);
        }

        private static List<Tuple<string, string>> Params(string list)
        {
            if (list.Trim() == "void")
            {
                return new List<Tuple<string, string>>();
            }
            return list.Split(',').Select(p =>
            {
                Match m = Regex.Match(p.Trim(), @"^(.*?)(\**)\s*(\w+)$", RegexOptions.Singleline);
                return Tuple.Create(m.Groups[1].Value + m.Groups[2].Value, m.Groups[3].Value);
            }).ToList();
        }

        private static string Header()
        {
            return File.ReadAllText(Path.Combine(Cases.Root, "bindings", "c", "include", "sandgate.h"));
        }

        [Test]
        public void Mirror_EveryDeclarationMatchesTheHeader()
        {
            string header = Header();
            var opaque = new HashSet<string>(Regex.Matches(header, @"typedef struct (\w+) \1;").Cast<Match>().Select(m => m.Groups[1].Value));
            Assert.That(opaque, Has.Member("SandgateClient").And.Member("SandgateSigner"));
            var prototypes = Regex.Matches(header, @"(?m)^((?:const )?(?:struct )?\w+ \**)(sandgate_\w+)\(([^)]*)\);")
                .Cast<Match>().ToDictionary(m => m.Groups[2].Value, m => m);
            Assert.Greater(prototypes.Count, 60, "prototypes were found in the header");

            var problems = new List<string>();
            MethodInfo[] imports = typeof(NativeMethods).GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
                .Where(m => m.GetCustomAttributes(typeof(DllImportAttribute), false).Length > 0).ToArray();
            foreach (MethodInfo m in imports)
            {
                Match proto;
                if (!prototypes.TryGetValue(m.Name, out proto))
                {
                    problems.Add(m.Name + " is not in the header");
                    continue;
                }
                var attr = (DllImportAttribute)m.GetCustomAttributes(typeof(DllImportAttribute), false)[0];
                if (attr.CallingConvention != CallingConvention.Cdecl)
                {
                    problems.Add(m.Name + " is not Cdecl");
                }
                string ret = Mismatch(proto.Groups[1].Value, m.ReturnType, opaque);
                if (ret != null)
                {
                    problems.Add(m.Name + " returns: " + ret);
                }
                List<Tuple<string, string>> ps = Params(proto.Groups[3].Value);
                ParameterInfo[] cs = m.GetParameters();
                if (ps.Count != cs.Length)
                {
                    problems.Add(string.Format("{0}: {1} parameters in C#, {2} in the header", m.Name, cs.Length, ps.Count));
                    continue;
                }
                for (int i = 0; i < cs.Length; i++)
                {
                    string wrong = Mismatch(ps[i].Item1, cs[i].ParameterType, opaque);
                    if (wrong != null)
                    {
                        problems.Add(string.Format("{0} parameter {1} ({2}): {3}", m.Name, i, ps[i].Item2, wrong));
                    }
                }
            }
            var declared = new HashSet<string>(imports.Select(m => m.Name));
            foreach (string missing in prototypes.Keys.Where(n => !declared.Contains(n) && !FunctionsNotDeclared.Contains(n)))
            {
                problems.Add(missing + " is in the header but neither declared nor listed as unused");
            }
            foreach (string unused in FunctionsNotDeclared.Where(n => !prototypes.ContainsKey(n) || declared.Contains(n)))
            {
                problems.Add(unused + " is listed as unused but is declared or gone");
            }

            // The completion callback.
            Match cb = Regex.Match(header, @"typedef void \(\*SandgateCallback\)\(([^)]*)\);");
            Assert.IsTrue(cb.Success, "SandgateCallback in the header");
            ParameterInfo[] invoke = typeof(SandgateCallback).GetMethod("Invoke").GetParameters();
            List<Tuple<string, string>> cps = Params(cb.Groups[1].Value);
            Assert.AreEqual(cps.Count, invoke.Length, "SandgateCallback parameters");
            for (int i = 0; i < invoke.Length; i++)
            {
                string wrong = Mismatch(cps[i].Item1, invoke[i].ParameterType, opaque);
                if (wrong != null)
                {
                    problems.Add("SandgateCallback parameter " + i + ": " + wrong);
                }
            }
            Assert.IsEmpty(problems, string.Join("\n", problems));
        }

        [Test]
        public unsafe void Mirror_TheCheckFindsAWrongParameter()
        {
            var opaque = new HashSet<string> { "SandgateSigner" };
            Assert.IsNull(Mismatch("const struct SandgateSigner *", typeof(SignerHandle), opaque));
            Assert.IsNull(Mismatch("struct SandgateSigner *", typeof(IntPtr), opaque));
            Assert.IsNull(Mismatch("struct SandgateSigner **", typeof(SignerHandle).MakeByRefType(), opaque));
            Assert.IsNull(Mismatch("struct SandgateSignedRoute **", typeof(SandgateSignedRoute*).MakeByRefType(), opaque));
            Assert.IsNull(Mismatch("int64_t", typeof(long), opaque));
            Assert.IsNotNull(Mismatch("int64_t", typeof(int), opaque));
            Assert.IsNotNull(Mismatch("uint8_t", typeof(bool), opaque));
            Assert.IsNotNull(Mismatch("struct SandgateSigner *", typeof(VerifierHandle), opaque));
            Assert.IsNotNull(Mismatch("struct SandgateSignedRoute **", typeof(SandgateSignedRoute*), opaque));
            Assert.IsNotNull(Mismatch("struct SandgateStr", typeof(SandgateString), opaque));
        }

        // ------------------------------------------------------------ code tables

        /// <summary>The enum's members are exactly the table's codes in PascalCase, at the same values.</summary>
        private static void SameTable(Type e, string[] codes, int first, string none)
        {
            var want = new SortedDictionary<int, string>();
            for (int n = first; n < codes.Length; n++)
            {
                want[n] = Pascal(codes[n]);
            }
            if (none != null)
            {
                want[0] = none;
            }
            var have = new SortedDictionary<int, string>();
            foreach (object v in Enum.GetValues(e))
            {
                have[Convert.ToInt32(v)] = Enum.GetName(e, v);
            }
            CollectionAssert.AreEqual(want, have, e.Name + " against the core's table");
        }

        [Test]
        public unsafe void Mirror_EnumsAreTheCoresCodeTables()
        {
            Assert.AreEqual(10, Codes.Kinds.Length, "nine kinds after the unused 0");
            Assert.AreEqual("invalid_argument", Codes.Kinds[1]);
            SameTable(typeof(ErrorKind), Codes.Kinds, 1, null);
            SameTable(typeof(DenyReason), Codes.Reasons, 1, "None");
            SameTable(typeof(Grant), Codes.Grants, 1, "None");
            SameTable(typeof(RouteForm), Codes.Forms, 0, null);
            CollectionAssert.AreEqual(new[] { "token", "host", "path" }, Codes.Forms);
            Assert.IsTrue(NativeMethods.sandgate_error_kind_code(Codes.Kinds.Length) == null, "the table ends");
        }
    }
}

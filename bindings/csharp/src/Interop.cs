// Conversions at the boundary: .NET strings to borrowed UTF-8 views and back, pinning for
// the inputs that point at other inputs, the core's code tables, and the one check that the
// native library can be loaded at all.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;

namespace Sandgate.Native
{
    internal static unsafe class Utf8
    {
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>
        /// The UTF-8 bytes of <paramref name="value"/> plus a trailing zero, so that even an empty
        /// string pins to a non-null pointer (for the C ABI a null pointer means "absent").
        /// Null stays null. A string that is not valid UTF-16 (a lone surrogate) cannot be
        /// converted and is an InvalidArgumentException naming <paramref name="name"/>.
        /// </summary>
        internal static byte[] Encode(string value, string name)
        {
            if (value == null)
            {
                return null;
            }
            try
            {
                byte[] bytes = new byte[Strict.GetByteCount(value) + 1];
                Strict.GetBytes(value, 0, value.Length, bytes, 0);
                return bytes;
            }
            catch (EncoderFallbackException)
            {
                throw Unencodable(name);
            }
        }

        /// <summary>Encodes <paramref name="value"/> (not null) into <paramref name="dest"/>; returns the byte count.</summary>
        internal static int EncodeTo(string value, byte* dest, int capacity, string name)
        {
            try
            {
                fixed (char* c = value)
                {
                    return Strict.GetBytes(c, value.Length, dest, capacity);
                }
            }
            catch (EncoderFallbackException)
            {
                throw Unencodable(name);
            }
        }

        private static SandgateException Unencodable(string name)
        {
            return Errors.Own(ErrorKind.InvalidArgument, name + " is not valid text: it holds a lone UTF-16 surrogate, which has no UTF-8 form");
        }

        /// <summary>A view of bytes from <see cref="Encode"/>, pinned at <paramref name="pinned"/>.</summary>
        internal static SandgateStr Str(byte* pinned, byte[] bytes)
        {
            SandgateStr s;
            s.Ptr = bytes == null ? null : pinned;
            s.Len = bytes == null ? UIntPtr.Zero : (UIntPtr)(bytes.Length - 1);
            return s;
        }

        internal static string Read(SandgateString s)
        {
            return s.Ptr == null ? null : Encoding.UTF8.GetString(s.Ptr, checked((int)(ulong)s.Len));
        }

        /// <summary>A static NUL-terminated UTF-8 string from the library (never freed).</summary>
        internal static string Static(byte* p)
        {
            if (p == null)
            {
                return null;
            }
            int n = 0;
            while (p[n] != 0)
            {
                n++;
            }
            return Encoding.UTF8.GetString(p, n);
        }

        /// <summary>Copies an owned top-level string, then frees (and zeroes) it.</summary>
        internal static string Take(SandgateString* s)
        {
            try
            {
                return Read(*s);
            }
            finally
            {
                NativeMethods.sandgate_string_free(s);
            }
        }

        private static readonly string[] Ascii = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();

        /// <summary>A one-character key id from its character code (the hot path's form), without allocating for ASCII.</summary>
        internal static string KeyId(ulong code)
        {
            return code < 128 ? Ascii[code] : char.ConvertFromUtf32(checked((int)code));
        }
    }

    /// <summary>
    /// Inputs that point at other inputs (option and metadata arrays of string views), pinned
    /// until disposed. Null strings stay NULL views: absent for optional inputs, and named by
    /// the core when required.
    /// </summary>
    internal sealed unsafe class Pins : IDisposable
    {
        private readonly List<GCHandle> handles = new List<GCHandle>();

        internal SandgateStr Str(string value, string name)
        {
            byte[] bytes = Utf8.Encode(value, name);
            return bytes == null ? default(SandgateStr) : Utf8.Str((byte*)Pin(bytes), bytes);
        }

        /// <summary>Name/value views of <paramref name="pairs"/>, or null when there are none.</summary>
        internal SandgateStrPair* Pairs(ICollection<KeyValuePair<string, string>> pairs, string what, out UIntPtr count)
        {
            count = (UIntPtr)(pairs == null ? 0 : pairs.Count);
            if (pairs == null || pairs.Count == 0)
            {
                return null;
            }
            var array = new SandgateStrPair[pairs.Count];
            int i = 0;
            foreach (KeyValuePair<string, string> p in pairs)
            {
                array[i].Name = Str(p.Key, what + " name");
                array[i++].Value = Str(p.Value, what + " value");
            }
            return (SandgateStrPair*)Pin(array);
        }

        /// <summary>A pinned copy of <paramref name="values"/> as 16-bit statuses (null when empty); an out-of-range value is an invalid_config error.</summary>
        internal ushort* Statuses(IList<int> values, string what, out UIntPtr count)
        {
            count = (UIntPtr)(values == null ? 0 : values.Count);
            if (values == null || values.Count == 0)
            {
                return null;
            }
            var array = new ushort[values.Count];
            for (int i = 0; i < array.Length; i++)
            {
                if (values[i] < 0 || values[i] > ushort.MaxValue)
                {
                    throw Errors.Own(ErrorKind.InvalidConfig, what + ": " + values[i] + " is not an HTTP status");
                }
                array[i] = (ushort)values[i];
            }
            return (ushort*)Pin(array);
        }

        private IntPtr Pin(object array)
        {
            GCHandle h = GCHandle.Alloc(array, GCHandleType.Pinned);
            handles.Add(h);
            return h.AddrOfPinnedObject();
        }

        public void Dispose()
        {
            foreach (GCHandle h in handles)
            {
                h.Free();
            }
            handles.Clear();
        }
    }

    /// <summary>
    /// The core's code tables, read from the library once: index = the ABI's enum value. The
    /// enums ErrorKind, DenyReason and Grant mirror them, which tests/MirrorTests.cs checks.
    /// </summary>
    internal static unsafe class Codes
    {
        internal static readonly string[] Kinds = Table(n => NativeMethods.sandgate_error_kind_code(n), 1);
        internal static readonly string[] Reasons = Table(n => NativeMethods.sandgate_deny_reason_code(n), 1);
        internal static readonly string[] Grants = Table(n => NativeMethods.sandgate_grant_code(n), 1);
        internal static readonly string[] Forms = Table(n => NativeMethods.sandgate_route_form_code(n), 0);

        private delegate byte* Lookup(int n);

        private static string[] Table(Lookup lookup, int first)
        {
            var codes = new List<string>();
            for (int n = 0; n < first; n++)
            {
                codes.Add(null);
            }
            for (int n = first; ; n++)
            {
                byte* code = lookup(n);
                if (code == null)
                {
                    return codes.ToArray();
                }
                codes.Add(Utf8.Static(code));
            }
        }

        internal static string Of(string[] table, int value)
        {
            return value >= 0 && value < table.Length ? table[value] : null;
        }
    }

    /// <summary>Checks once that the native library loads, and explains where it was looked for when it does not.</summary>
    internal static unsafe class Library
    {
        private static readonly object Gate = new object();
        private static volatile bool loaded;

        internal static void EnsureLoaded()
        {
            if (loaded)
            {
                return;
            }
            lock (Gate)
            {
                if (loaded)
                {
                    return;
                }
                try
                {
                    NativeMethods.sandgate_version();
                    loaded = true;
                }
                catch (DllNotFoundException e)
                {
                    throw new DllNotFoundException(Explain(), e);
                }
                catch (EntryPointNotFoundException e)
                {
                    throw new DllNotFoundException(FileName() + " was loaded but is not sandgate's C ABI (no sandgate_version): " + Explain(), e);
                }
            }
        }

        private static string FileName()
        {
            if (Path.DirectorySeparatorChar == '\\')
            {
                return "sandgate_ffi.dll";
            }
            if (Directory.Exists("/System/Library/Frameworks"))
            {
                return "libsandgate_ffi.dylib";
            }
            return "libsandgate_ffi.so";
        }

        private static string Explain()
        {
            string file = FileName();
            string dir = Path.GetDirectoryName(typeof(Library).Assembly.Location);
            string pathVar = Path.DirectorySeparatorChar == '\\' ? "PATH" : (file.EndsWith(".dylib", StringComparison.Ordinal) ? "DYLD_LIBRARY_PATH" : "LD_LIBRARY_PATH");
            string searched = Environment.GetEnvironmentVariable(pathVar);
            return string.Format(
                "sandgate: the native library {0} could not be loaded. It was looked for next to Sandgate.dll in {1}, " +
                "in the directories of {2} ({3}) and in the system library directories (.NET also looks in the " +
                "package's runtimes/<rid>/native folder). From the NuGet package under mono, copy " +
                "runtimes/linux-x64/native/{0} next to Sandgate.dll. From source, build it with " +
                "`cargo build --release -p sandgate-ffi` and copy target/release/{0} next to Sandgate.dll.",
                file, dir, pathVar, string.IsNullOrEmpty(searched) ? "not set" : searched);
        }
    }
}

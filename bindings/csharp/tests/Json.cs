// A small JSON reader for the shared case files (mono's class library has no JSON parser that
// also exists in modern .NET). Objects become Dictionary<string, object>, arrays List<object>,
// numbers long or double, and true/false/null bool or null.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Sandgate.Tests
{
    internal sealed class Json
    {
        private readonly string text;
        private int pos;

        private Json(string text)
        {
            this.text = text;
        }

        public static object Parse(string text)
        {
            var p = new Json(text);
            object v = p.Value();
            p.Space();
            if (p.pos != text.Length)
            {
                throw p.Error("trailing text");
            }
            return v;
        }

        private FormatException Error(string what)
        {
            return new FormatException("JSON: " + what + " at offset " + pos);
        }

        private void Space()
        {
            while (pos < text.Length && char.IsWhiteSpace(text[pos]))
            {
                pos++;
            }
        }

        private void Expect(char c)
        {
            Space();
            if (pos >= text.Length || text[pos] != c)
            {
                throw Error("expected '" + c + "'");
            }
            pos++;
        }

        private bool Take(char c)
        {
            Space();
            if (pos < text.Length && text[pos] == c)
            {
                pos++;
                return true;
            }
            return false;
        }

        private object Value()
        {
            Space();
            if (pos >= text.Length)
            {
                throw Error("unexpected end");
            }
            char c = text[pos];
            if (c == '{')
            {
                pos++;
                var obj = new Dictionary<string, object>();
                if (Take('}'))
                {
                    return obj;
                }
                do
                {
                    Space();
                    string key = String();
                    Expect(':');
                    obj[key] = Value();
                }
                while (Take(','));
                Expect('}');
                return obj;
            }
            if (c == '[')
            {
                pos++;
                var list = new List<object>();
                if (Take(']'))
                {
                    return list;
                }
                do
                {
                    list.Add(Value());
                }
                while (Take(','));
                Expect(']');
                return list;
            }
            if (c == '"')
            {
                return String();
            }
            if (Word("true"))
            {
                return true;
            }
            if (Word("false"))
            {
                return false;
            }
            if (Word("null"))
            {
                return null;
            }
            return Number();
        }

        private bool Word(string w)
        {
            if (string.CompareOrdinal(text, pos, w, 0, w.Length) == 0)
            {
                pos += w.Length;
                return true;
            }
            return false;
        }

        private object Number()
        {
            int start = pos;
            while (pos < text.Length && "+-0123456789.eE".IndexOf(text[pos]) >= 0)
            {
                pos++;
            }
            string n = text.Substring(start, pos - start);
            long l;
            if (long.TryParse(n, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l))
            {
                return l;
            }
            double d;
            if (double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
            {
                return d;
            }
            throw Error("bad value");
        }

        private string String()
        {
            if (pos >= text.Length || text[pos] != '"')
            {
                throw Error("expected a string");
            }
            pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (pos >= text.Length)
                {
                    throw Error("unterminated string");
                }
                char c = text[pos++];
                if (c == '"')
                {
                    return sb.ToString();
                }
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }
                char e = text[pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        sb.Append((char)int.Parse(text.Substring(pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        pos += 4;
                        break;
                    default:
                        throw Error("bad escape");
                }
            }
        }
    }

    /// <summary>Typed access to parsed JSON objects.</summary>
    internal static class JsonAccess
    {
        public static bool Has(this IDictionary<string, object> o, string key)
        {
            return o.ContainsKey(key);
        }

        public static object Get(this IDictionary<string, object> o, string key)
        {
            object v;
            return o.TryGetValue(key, out v) ? v : null;
        }

        public static string Str(this IDictionary<string, object> o, string key)
        {
            return (string)o.Get(key);
        }

        public static long Int(this IDictionary<string, object> o, string key)
        {
            return (long)o.Get(key);
        }

        public static bool Bool(this IDictionary<string, object> o, string key)
        {
            object v = o.Get(key);
            return v != null && (bool)v;
        }

        public static ulong U64(this IDictionary<string, object> o, string key)
        {
            return ulong.Parse(o.Str(key), CultureInfo.InvariantCulture);
        }

        public static IDictionary<string, object> Obj(this IDictionary<string, object> o, string key)
        {
            return (IDictionary<string, object>)o.Get(key);
        }

        public static List<object> Arr(this IDictionary<string, object> o, string key)
        {
            return (List<object>)o.Get(key) ?? new List<object>();
        }
    }
}

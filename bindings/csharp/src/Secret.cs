using System;

namespace Sandgate
{
    /// <summary>
    /// A secret string (a raw API key, an access token, the mock's admin key or signing keys). It
    /// prints as <c>***</c>; <see cref="Expose"/> is the one way to read it. Every parameter that
    /// takes a key takes a <see cref="Secret"/>, and a plain string converts to one implicitly.
    /// .NET strings cannot be zeroed, so keep a secret only as long as it is needed.
    /// </summary>
    public sealed class Secret
    {
        private readonly string value;

        /// <summary>Wraps <paramref name="value"/>.</summary>
        public Secret(string value)
        {
            this.value = value ?? throw new ArgumentNullException(nameof(value));
        }

        /// <summary>Wraps a plain string (null stays null), so a string is accepted wherever a secret is.</summary>
        public static implicit operator Secret(string value)
        {
            return value == null ? null : new Secret(value);
        }

        /// <summary>The secret itself: send it where it belongs, never log it.</summary>
        public string Expose()
        {
            return value;
        }

        /// <summary>The text of <paramref name="secret"/>, or null: for handing it to the library.</summary>
        internal static string Text(Secret secret)
        {
            return secret == null ? null : secret.value;
        }

        /// <summary>The number of characters.</summary>
        public int Length
        {
            get { return value.Length; }
        }

        /// <summary>Always <c>***</c>.</summary>
        public override string ToString()
        {
            return "***";
        }
    }
}

using System;

namespace Sandgate
{
    /// <summary>
    /// A secret string (a raw API key, the mock's admin key or signing keys). It prints as
    /// <c>***</c>; <see cref="Expose"/> is the one way to read it. .NET strings cannot be
    /// zeroed, so keep a secret only as long as it is needed.
    /// </summary>
    public sealed class Secret
    {
        private readonly string value;

        /// <summary>Wraps <paramref name="value"/>.</summary>
        public Secret(string value)
        {
            this.value = value ?? throw new ArgumentNullException(nameof(value));
        }

        /// <summary>The secret itself: send it where it belongs, never log it.</summary>
        public string Expose()
        {
            return value;
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

package sandgate

// Secret holds a secret string (a raw API key, the mock's admin key or signing keys). It prints
// as *** through fmt, %v, %+v, %#v and JSON; Expose returns the value.
type Secret struct {
	value string
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{value: s} }

// Expose returns the secret. Call it only where the secret is really needed.
func (s Secret) Expose() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

// String returns "***".
func (s Secret) String() string { return "***" }

// GoString returns "***".
func (s Secret) GoString() string { return "***" }

// MarshalJSON writes "***".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"***"`), nil }

//go:build !cgo

package sandgate

// sandgate calls its Rust core through cgo. With CGO_ENABLED=0 (the default when
// cross-compiling) the build stops on the line below: its name is the message.
var _ = sandgate_needs_cgo__set_CGO_ENABLED_1_and_have_a_C_compiler

//go:build darwin && amd64 && !sandgate_shared

package sandgate

// Ready for a x86_64-apple-darwin archive (the release workflow's macOS job); no
// module version ships one yet, so platform_unsupported.go stops the build first. The flags
// are Rust's native-static-libs for that target. Untested.

/*
#cgo LDFLAGS: ${SRCDIR}/lib/darwin_amd64/libsandgate_ffi.a -lSystem -lc -lm
*/
import "C"

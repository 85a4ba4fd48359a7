//go:build windows && amd64 && !sandgate_shared

package sandgate

// Ready for an x86_64-pc-windows-gnu archive (cgo on Windows links with MinGW; the release
// workflow's Windows job); no module version ships one yet, so platform_unsupported.go stops
// the build first. The flags are Rust's native-static-libs for that target. Untested.

/*
#cgo LDFLAGS: ${SRCDIR}/lib/windows_amd64/libsandgate_ffi.a -lkernel32 -ladvapi32 -lntdll -luserenv -lws2_32 -ldbghelp -lbcrypt
*/
import "C"

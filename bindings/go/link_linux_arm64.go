//go:build linux && arm64 && !sandgate_shared

package sandgate

// Ready for an aarch64-unknown-linux-gnu archive (the release workflow's linux-arm64 job);
// no module version ships one yet, so platform_unsupported.go stops the build first. The flags
// are Rust's native-static-libs for that target. Untested.

/*
#cgo LDFLAGS: ${SRCDIR}/lib/linux_arm64/libsandgate_ffi.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
*/
import "C"

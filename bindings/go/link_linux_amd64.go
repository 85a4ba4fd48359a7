//go:build linux && amd64 && !sandgate_shared

package sandgate

// The archive and the system libraries it needs: `rustc --print native-static-libs` for
// x86_64-unknown-linux-gnu. The install test links the whole archive with exactly these flags
// against glibc 2.17.

/*
#cgo LDFLAGS: ${SRCDIR}/lib/linux_amd64/libsandgate_ffi.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
*/
import "C"

package sandgate

// The package links the sandgate-ffi static library built by
// `cargo build --release -p sandgate-ffi` (target/release at the repository root), so a
// program needs no library path at run time. Build with -tags sandgate_shared to link
// libsandgate_ffi.so instead (then LD_LIBRARY_PATH must find it).

/*
#cgo CFLAGS: -I${SRCDIR}/../c/include
#cgo !sandgate_shared LDFLAGS: ${SRCDIR}/../../target/release/libsandgate_ffi.a -lgcc_s -lutil -lrt -lpthread -lm -ldl
#cgo sandgate_shared LDFLAGS: -L${SRCDIR}/../../target/release -lsandgate_ffi
#include "sandgate.h"
*/
import "C"

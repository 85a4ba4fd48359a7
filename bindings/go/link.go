package sandgate

// How the package links sandgate's C ABI (bindings/c in the repository), with no Rust and no
// library path needed by a Go program:
//
//   - include/sandgate.h is the C ABI's header;
//   - lib/<GOOS>_<GOARCH>/libsandgate_ffi.a is the prebuilt static archive of each platform
//     the module ships (built with a glibc 2.17 floor on Linux), linked with the system
//     libraries it needs by link_<GOOS>_<GOARCH>.go;
//   - on a platform the module ships no archive for, platform_unsupported.go stops the build
//     with a message that says what to do.
//
// The Go module of a release carries include/ and lib/. In a clone of the repository
// release/native builds them and puts them there (they are not committed).
//
// With -tags sandgate_shared the package links a libsandgate_ffi you built yourself
// (`cargo build --release -p sandgate-ffi`) instead: point the linker at it with
// CGO_LDFLAGS=-L<dir>, and the program's library path too (LD_LIBRARY_PATH on Linux).

/*
#cgo CFLAGS: -I${SRCDIR}/include
#cgo sandgate_shared LDFLAGS: -lsandgate_ffi
*/
import "C"

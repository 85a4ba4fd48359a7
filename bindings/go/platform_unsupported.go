//go:build !sandgate_shared && !(linux && amd64)

package sandgate

// This module version ships a prebuilt sandgate library for linux/amd64 (glibc 2.17 or newer)
// only, so on any other GOOS/GOARCH the build stops on the line below: its name is the
// message. To use sandgate there, build the C ABI for your platform from the repository
// (`cargo build --release -p sandgate-ffi`) and build your program with -tags sandgate_shared
// and CGO_LDFLAGS=-L<the folder of libsandgate_ffi>. The build line above lists the platforms
// whose archive lib/ holds (release/build checks that they agree).
var _ = sandgate_ships_no_prebuilt_library_for_this_GOOS_GOARCH_only_linux_amd64__build_libsandgate_ffi_with_cargo_and_use_go_build_tags_sandgate_shared

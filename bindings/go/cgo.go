package sandgate

/*
#include "sandgate.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// emptyByte gives empty strings a non-NULL pointer: for the C ABI a NULL string is absent.
var emptyByte byte

// str borrows s as a C string view, valid for the duration of one C call.
func str(s string) C.SandgateStr {
	if len(s) == 0 {
		return C.SandgateStr{ptr: (*C.uint8_t)(unsafe.Pointer(&emptyByte)), len: 0}
	}
	return C.SandgateStr{ptr: (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), len: C.size_t(len(s))}
}

// optStr borrows *s, or passes an absent string for nil.
func optStr(s *string) C.SandgateStr {
	if s == nil {
		return C.SandgateStr{}
	}
	return str(*s)
}

// goString copies an owned or borrowed C string; absent is "".
func goString(s C.SandgateString) string {
	if s.ptr == nil {
		return ""
	}
	return C.GoStringN(s.ptr, C.int(s.len))
}

// goOptString copies a C string; absent is nil.
func goOptString(s C.SandgateString) *string {
	if s.ptr == nil {
		return nil
	}
	v := goString(s)
	return &v
}

// viewString copies a borrowed view.
func viewString(s C.SandgateStr) string {
	if s.ptr == nil {
		return ""
	}
	return C.GoStringN((*C.char)(unsafe.Pointer(s.ptr)), C.int(s.len))
}

// takeString copies an owned string and frees it.
func takeString(s *C.SandgateString) string {
	v := goString(*s)
	C.sandgate_string_free(s)
	return v
}

func flag(b bool) C.uint8_t {
	if b {
		return 1
	}
	return 0
}

// Ptr returns a pointer to v, for the optional fields of AccessRequest, StoredKey and Faults.
func Ptr[T any](v T) *T {
	return &v
}

// handle guards a native pointer: uses hold a read lock, Close takes the write lock, so a
// handle can be closed while other goroutines use it without a use-after-free.
type handle struct {
	mu   sync.RWMutex
	p    unsafe.Pointer
	free func(unsafe.Pointer)
	what string
}

func newHandle(p unsafe.Pointer, what string, free func(unsafe.Pointer)) handle {
	return handle{p: p, what: what, free: free}
}

func (h *handle) use(f func(p unsafe.Pointer) error) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.p == nil {
		return closedError(h.what)
	}
	return f(h.p)
}

// pinStr borrows s for a C struct that Go memory holds: the string's bytes are pinned until
// pin.Unpin, as cgo requires for a Go pointer stored in memory passed to C.
func pinStr(pin *runtime.Pinner, s string) C.SandgateStr {
	v := str(s)
	pin.Pin(v.ptr)
	return v
}

func (h *handle) close() {
	h.mu.Lock()
	p := h.p
	h.p = nil
	h.mu.Unlock()
	if p != nil {
		h.free(p)
	}
}

package sandgate

/*
#include "sandgate.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// completion is what an _async call delivers: an error or a result pointer (or neither, for
// operations that return nothing).
type completion struct {
	err    *C.SandgateError
	result unsafe.Pointer
}

// sandgateGoComplete is the callback of every _async call. It runs on a sandgate runtime
// thread and only hands the outcome to the waiting goroutine (the channel has room for it).
//
//export sandgateGoComplete
func sandgateGoComplete(userData unsafe.Pointer, err *C.SandgateError, result unsafe.Pointer) {
	h := cgo.Handle(uintptr(userData))
	ch := h.Value().(chan completion)
	h.Delete()
	ch <- completion{err: err, result: result}
}

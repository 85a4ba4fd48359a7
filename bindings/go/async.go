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

// sandgateGoOnRetry is the on_retry hook of a client built with Options.OnRetry: it runs on a
// sandgate runtime thread with an event borrowed for the call.
//
//export sandgateGoOnRetry
func sandgateGoOnRetry(userData unsafe.Pointer, ev *C.SandgateRetryEvent) {
	f := cgo.Handle(uintptr(userData)).Value().(func(RetryEvent))
	// A panic must not unwind into the native runtime: the hook observes, it cannot fail a call.
	defer func() { _ = recover() }()
	f(RetryEvent{Attempt: int(ev.attempt), Delay: msDuration(uint64(ev.delay_ms)), Cause: newError(ev.cause)})
}

// sandgateGoRelease frees the handle of an on_retry hook once the core is done with it.
//
//export sandgateGoRelease
func sandgateGoRelease(userData unsafe.Pointer) {
	cgo.Handle(uintptr(userData)).Delete()
}

package sandgate

/*
#include "sandgate.h"
*/
import "C"

import (
	"runtime"
	"time"
)

// RetryQuery is one failed attempt, as the retry rule sees it (a row of the shared table
// retry.json).
type RetryQuery struct {
	Method     string         // the request method
	Outcome    string         // status, pre_send, post_send or timeout
	Status     *int           // the status (Outcome "status" only)
	Attempt    int            // the attempt's number, from 1
	PrevDelay  *time.Duration // the delay slept before it; nil for the first attempt
	RetryAfter *string        // the answer's Retry-After header, as sent; nil when none
	Now        *uint64        // Unix seconds an HTTP-date Retry-After counts from; nil = the clock
	Elapsed    time.Duration  // since the first attempt started
}

// RetryDecision is the retry rule's answer for one failed attempt.
type RetryDecision struct {
	Retry     bool          // whether the attempt is retried
	Verdict   string        // retry, not_retryable, exhausted or deadline
	MinDelay  time.Duration // the least wait before the next attempt (0 when not retried)
	MaxDelay  time.Duration // the most wait before the next attempt (0 when not retried)
	Retryable bool          // what the error of this attempt reports as Retryable
}

// DecideRetry is the client's retry rule (SPEC §2.1) for one failed attempt under opts: the
// rule every request of a Client follows, exposed for tests and tooling. A bad policy is an
// invalid_config error, a bad attempt an invalid_argument one.
func DecideRetry(opts RetryOptions, q RetryQuery) (RetryDecision, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	o, err := opts.toC(&pin)
	if err != nil {
		return RetryDecision{}, err
	}
	if q.Attempt < 0 || int64(q.Attempt) > 1<<32-1 {
		return RetryDecision{}, invalidArgument("attempt counts from 1")
	}
	if q.Status != nil && (*q.Status < 0 || *q.Status > 65535) {
		return RetryDecision{}, invalidArgument("status is not an HTTP status")
	}
	cq := C.SandgateRetryQuery{
		method:  pinStr(&pin, q.Method),
		outcome: pinStr(&pin, q.Outcome),
		attempt: C.uint32_t(q.Attempt),

		elapsed_ms: millis(q.Elapsed),
	}
	if q.Status != nil {
		cq.has_status, cq.status = 1, C.uint16_t(*q.Status)
	}
	if q.RetryAfter != nil {
		cq.retry_after = pinStr(&pin, *q.RetryAfter)
	}
	if q.PrevDelay != nil {
		cq.has_prev_delay_ms, cq.prev_delay_ms = 1, millis(*q.PrevDelay)
	}
	if q.Now != nil {
		cq.has_now, cq.now = 1, C.uint64_t(*q.Now)
	}
	var d C.SandgateRetryDecision
	if err := takeError(C.sandgate_retry_decision(&o, &cq, &d)); err != nil {
		return RetryDecision{}, err
	}
	return RetryDecision{
		Retry:     d.retry == 1,
		Verdict:   C.GoString(d.verdict),
		MinDelay:  msDuration(uint64(d.min_delay_ms)),
		MaxDelay:  msDuration(uint64(d.max_delay_ms)),
		Retryable: d.retryable == 1,
	}, nil
}

// Freshness is the endpoint cache's answer for one entry.
type Freshness struct {
	Fresh   bool   // whether the entry is served from the cache
	UntilMs uint64 // the first millisecond it is no longer served (on the clock of nowMs)
}

// DecideCache is the endpoint cache's freshness rule (SPEC §2.1) under opts: an entry signed
// until signedExpires (Unix seconds; nil for a direct or server-proxy entry) fetched at
// fetchedAtMs and looked up at nowMs (milliseconds; for a signed entry the server's clock).
// Bad options are an invalid_config error.
func DecideCache(opts CacheOptions, signedExpires *uint64, fetchedAtMs, nowMs uint64) (Freshness, error) {
	o, err := opts.toC()
	if err != nil {
		return Freshness{}, err
	}
	var has C.uint8_t
	var exp uint64
	if signedExpires != nil {
		has, exp = 1, *signedExpires
	}
	var f C.SandgateFreshness
	if err := takeError(C.sandgate_cache_decision(&o, has, C.uint64_t(exp), C.uint64_t(fetchedAtMs), C.uint64_t(nowMs), &f)); err != nil {
		return Freshness{}, err
	}
	return Freshness{Fresh: f.fresh == 1, UntilMs: uint64(f.until_ms)}, nil
}

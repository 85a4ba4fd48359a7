package sandgate

import "testing"

// TestErrorsKindCodesMatchCore: the Kind and Reason constants (and so the sentinels) are the
// codes the native core reports, every one of them.
func TestErrorsKindCodesMatchCore(t *testing.T) {
	kinds := []Kind{KindInvalidArgument, KindInvalidConfig, KindAccessDenied, KindAPI, KindTimeout,
		KindTransport, KindDecode, KindCancelled, KindInternal}
	got := kindCodes()
	if len(got) != len(kinds) {
		t.Fatalf("the core has kinds %v, the package %v", got, kinds)
	}
	for i := range kinds {
		if got[i] != kinds[i] {
			t.Errorf("kind %d: core %q, package %q", i+1, got[i], kinds[i])
		}
	}
	reasons := []Reason{ReasonMalformed, ReasonExpired, ReasonUnknownKey, ReasonBadSignature,
		ReasonHeaderMismatch, ReasonCredentialRequired, ReasonNotConfigured, ReasonUnknownSandbox}
	gotR := reasonCodes()
	if len(gotR) != len(reasons) {
		t.Fatalf("the core has reasons %v, the package %v", gotR, reasons)
	}
	for i := range reasons {
		if gotR[i] != reasons[i] {
			t.Errorf("reason %d: core %q, package %q", i+1, gotR[i], reasons[i])
		}
	}
	grants := []Grant{GrantOpen, GrantHeader, GrantSignature}
	gotG := grantCodes()
	if len(gotG) != len(grants) {
		t.Fatalf("the core has grants %v, the package %v", gotG, grants)
	}
	for i := range grants {
		if gotG[i] != grants[i] {
			t.Errorf("grant %d: core %q, package %q", i+1, gotG[i], grants[i])
		}
	}
}

// TestErrorsReasonStatusesFromCore: Reason.Status reads the core's table (SPEC §1.5 statuses),
// and a string that is not a reason has none.
func TestErrorsReasonStatusesFromCore(t *testing.T) {
	want := map[Reason]int{ReasonMalformed: 400, ReasonExpired: 401, ReasonUnknownKey: 401,
		ReasonBadSignature: 401, ReasonHeaderMismatch: 401, ReasonCredentialRequired: 401,
		ReasonNotConfigured: 503, ReasonUnknownSandbox: 404}
	for r, status := range want {
		if got := r.Status(); got != status {
			t.Errorf("%s: status %d, want %d", r, got, status)
		}
	}
	if got := Reason("nope").Status(); got != 0 {
		t.Errorf("unknown reason has status %d", got)
	}
}

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
}

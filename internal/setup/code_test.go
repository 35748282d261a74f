package setup

import (
	"context"
	"strings"
	"testing"
)

// TestCheckCode: code (--format terraform|cloudformation) is refused as
// an apply is, except that a changed trust policy needs
// ReplaceTrustPolicy only when it loses a run someone may rely on; a near
// miss only an impostor makes (here the recycled name a legacy-only
// policy admitted) does not count.
func TestCheckCode(t *testing.T) {
	t.Parallel()
	f := newFakeIAM()
	if p := mustPlan(t, f, opts("main")); p.CheckCode() != nil {
		t.Fatalf("a new role: %v", p.CheckCode())
	} else if err := Apply(context.Background(), f, p); err != nil {
		t.Fatal(err)
	}
	added := mustPlan(t, f, opts("main", "release"))
	if err := added.CheckCode(); err != nil || added.CheckApply() == nil {
		t.Errorf("a branch added: code %v (want none), apply %v (want a refusal)", err, added.CheckApply())
	}
	moved := mustPlan(t, f, opts("release"))
	if err := moved.CheckCode(); err == nil || !strings.Contains(err.Error(), "no code printed: ") ||
		!strings.Contains(err.Error(), "loses 2 sample run(s)") || !strings.Contains(err.Error(), "--replace-trust-policy") {
		t.Errorf("main dropped: %v", err)
	}
	o := opts("release")
	o.ReplaceTrustPolicy = true
	if err := mustPlan(t, f, o).CheckCode(); err != nil {
		t.Errorf("main dropped with ReplaceTrustPolicy: %v", err)
	}

	// A legacy-only role given its ids: the recycled name it admitted is
	// lost, and nobody's access with it.
	legacy := Options{Repository: "octo-org/octo-repo", Branches: []string{"main"}, RoleName: "legacy", SubFormat: "legacy"}
	if err := legacy.Validate(); err != nil {
		t.Fatal(err)
	}
	g := newFakeIAM()
	if err := Apply(context.Background(), g, mustPlan(t, g, legacy)); err != nil {
		t.Fatal(err)
	}
	withIDs := opts("main")
	withIDs.RoleName, withIDs.PolicyARNs = "legacy", nil
	p := mustPlan(t, g, withIDs)
	_, lost := p.gainedLost()
	if len(lost) == 0 || p.lostAccess() != 0 {
		t.Fatalf("lost %d sample(s), %d counted; want the recycled name, not counted", len(lost), p.lostAccess())
	}
	if err := p.CheckCode(); err != nil {
		t.Errorf("ids added: %v", err)
	}
}

package trust

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAdmit: the runs named are the policy's Run and Also, --any-ref
// only alone, and some run must be named.
func TestAdmit(t *testing.T) {
	var o Options
	if err := o.Admit([]string{"main"}, []string{"v1"}, nil, true, false); err != nil {
		t.Fatal(err)
	}
	got := append([]Run{o.Run}, o.Also...)
	if diff := cmp.Diff(RunsFor([]string{"main"}, []string{"v1"}, nil, true), got); diff != "" || len(got) != 3 {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	o = Options{}
	if err := o.Admit(nil, nil, nil, false, true); err != nil || !o.AnyRef || len(o.Also) != 0 {
		t.Errorf("any-ref alone: %v, %+v", err, o)
	}
	for _, tc := range []struct {
		branches []string
		anyRef   bool
		want     string
	}{
		{[]string{"main"}, true, "give it alone"},
		{nil, false, "say which runs"},
	} {
		if err := (&Options{}).Admit(tc.branches, nil, nil, false, tc.anyRef); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Admit(%v, anyRef %v) = %v, want %q", tc.branches, tc.anyRef, err, tc.want)
		}
	}
}

func TestParseQuota(t *testing.T) {
	for v, want := range map[string]int{"2048": 2048, "4096": 4096, "3000": 3000, "2047": 0, "4097": 0, "x": 0, "": 0} {
		n, err := ParseQuota(v)
		if n != want || (err == nil) != (want != 0) {
			t.Errorf("ParseQuota(%q) = %d, %v; want %d", v, n, err, want)
		}
		if err != nil && !strings.Contains(err.Error(), "--trust-policy-quota") {
			t.Errorf("ParseQuota(%q): %v names no flag", v, err)
		}
	}
}

// TestSetRepositories: the first repository is the policy's own, with
// its ids inline or from the id flags; the others are More, ids inline
// only.
func TestSetRepositories(t *testing.T) {
	o := Options{}
	if err := o.SetRepositories([]string{"o@9/a@1", "o@9/b@2", "o/c"}); err != nil {
		t.Fatal(err)
	}
	if o.Run.Repository != "o/a" || o.RepositoryID != "1" || o.OwnerID != "9" || len(o.More) != 2 || o.More[0].ID != "2" || o.More[1].Name != "o/c" {
		t.Errorf("got %+v", o)
	}
	o = Options{RepositoryID: "1", OwnerID: "9"}
	if err := o.SetRepositories([]string{"o/a"}); err != nil || o.Run.Repository != "o/a" || o.RepositoryID != "1" {
		t.Errorf("ids from flags: %v %+v", err, o)
	}
	for _, tc := range []struct {
		o      Options
		values []string
		want   string
	}{
		{Options{}, nil, "is required"},
		{Options{RepositoryID: "1"}, []string{"o@9/a@1"}, "carries its ids already"},
		{Options{OwnerID: "9"}, []string{"o/a", "o/b"}, "give each one's ids inline"},
	} {
		if err := tc.o.SetRepositories(tc.values); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetRepositories(%v) = %v, want %q", tc.values, err, tc.want)
		}
	}
}

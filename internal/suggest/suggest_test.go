package suggest

import "testing"

func TestClosest(t *testing.T) {
	t.Parallel()
	names := []string{"branch", "role-name", "repository", "repository-id", "region"}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"brnach", "branch", true},
		{"role-nmae", "role-name", true},
		{"repo", "repository", true}, // a prefix of three or more counts as one edit
		{"regoin", "region", true},
		{"zzzzzzzzzz", "", false},
		{"x", "", false},
	} {
		got, ok := Closest(tc.name, names)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("Distance = %d, want 3", d)
	}
}

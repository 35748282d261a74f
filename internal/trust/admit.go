package trust

import (
	"errors"
	"fmt"
	"strconv"
)

// Admit sets the runs the policy admits: the union of the branches, tags,
// environments and pull requests, or with anyRef every run of the
// repository (alone only). Errors name trust-policy generate's flags.
func (o *Options) Admit(branches, tags, environments []string, pullRequest, anyRef bool) error {
	runs := RunsFor(branches, tags, environments, pullRequest)
	if anyRef {
		if len(runs) > 0 {
			return errors.New("--any-ref admits every run of the repository already: give it alone, or name the runs with --branch, --tag, --environment, --pull-request")
		}
		o.Run, o.Also, o.AnyRef = Run{}, nil, true
		return nil
	}
	if len(runs) == 0 {
		return errors.New("say which runs the policy admits: --branch, --tag, --environment (each repeatable), --pull-request, or --any-ref")
	}
	o.Run, o.Also, o.AnyRef = runs[0], runs[1:], false
	return nil
}

// ParseQuota reads --trust-policy-quota: a number of characters from
// DefaultQuota to MaxQuota.
func ParseQuota(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < DefaultQuota || n > MaxQuota {
		return 0, fmt.Errorf("--trust-policy-quota %q: want a number of characters from %d (IAM's default) to %d (the largest increase)", v, DefaultQuota, MaxQuota)
	}
	return n, nil
}

// SetRepositories puts the --repository values into o: the first is the
// policy's own repository (ids inline or from --repository-id and
// --owner-id), the others More (ids inline only: the two flags name one
// repository).
func (o *Options) SetRepositories(values []string) error {
	if len(values) == 0 {
		return errors.New("--repository OWNER/REPO is required")
	}
	first := ParseRepo(values[0])
	o.Run.Repository = first.Name
	if first.ID != "" || first.OwnerID != "" {
		if o.RepositoryID != "" || o.OwnerID != "" {
			return fmt.Errorf("--repository %s carries its ids already: drop --repository-id and --owner-id", values[0])
		}
		o.RepositoryID, o.OwnerID = first.ID, first.OwnerID
	} else if len(values) > 1 && (o.RepositoryID != "" || o.OwnerID != "") {
		return errors.New("--repository-id and --owner-id name one repository; with several --repository give each one's ids inline: --repository OWNER@OWNER_ID/REPO@REPO_ID")
	}
	for _, v := range values[1:] {
		o.More = append(o.More, ParseRepo(v))
	}
	return nil
}

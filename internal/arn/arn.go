// Package arn is the one reader of Amazon Resource Names and account ids:
// the inputs' role and policy ARNs (config, setup), the ARNs in STS's
// answers (exchange), the providers a trust policy names (trust) and the
// ones IAM lists (audit). It splits and checks; what to say about an ARN
// that fails is each caller's.
package arn

import "strings"

// ARN is an ARN's fields: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// Parse splits s into its fields: "arn" and five more separated by
// colons, the resource being the rest (colons included). It checks no
// field; ok is false only when s is not shaped so.
func Parse(s string) (a ARN, ok bool) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" {
		return ARN{}, false
	}
	return ARN{Partition: f[1], Service: f[2], Region: f[3], Account: f[4], Resource: f[5]}, true
}

// IsAccountID reports whether s is an AWS account id: twelve ASCII digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// KnownPartition reports whether p is a partition the inputs take: aws,
// aws-cn or aws-us-gov.
func KnownPartition(p string) bool { return p == "aws" || p == "aws-cn" || p == "aws-us-gov" }

// WellFormed reports whether every field has the shape AWS gives it: a
// partition of lower-case letters, digits and hyphens starting with a
// letter, a service of those (not empty), a region of those (maybe
// empty), an account id, and a resource that is not empty and holds no
// line break.
func (a ARN) WellFormed() bool {
	return a.Partition != "" && a.Partition[0] >= 'a' && a.Partition[0] <= 'z' && lowerDigitHyphen(a.Partition) &&
		a.Service != "" && lowerDigitHyphen(a.Service) && lowerDigitHyphen(a.Region) &&
		IsAccountID(a.Account) && a.Resource != "" && !strings.Contains(a.Resource, "\n")
}

// Role returns the path and name of an IAM role ARN,
// arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, by IAM's rules: a NAME of
// 1 to 64 letters, digits and _+=,.@-, a PATH of printable ASCII. path is
// "" or ends in "/". Any well-formed partition is taken (a role ARN built
// from STS's answer may be in one the inputs do not take): the inputs'
// check adds KnownPartition.
func (a ARN) Role() (path, name string, ok bool) {
	rest, ok := a.iam("role/")
	if !ok || !a.WellFormed() {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	path, name = rest[:i+1], rest[i+1:]
	if len(name) == 0 || len(name) > 64 || !nameChars(name) || path == "/" || !printableASCII(path) {
		return "", "", false
	}
	return path, name, true
}

// IsManagedPolicy reports whether a is a managed policy ARN in a known
// partition: arn:PARTITION:iam::ACCOUNT:policy/[PATH/]NAME, ACCOUNT being
// an account id or "aws" (AWS's own policies), the rest printable ASCII.
func (a ARN) IsManagedPolicy() bool {
	rest, ok := a.iam("policy/")
	return ok && KnownPartition(a.Partition) && (IsAccountID(a.Account) || a.Account == "aws") && rest != "" && printableASCII(rest)
}

// OIDCProvider returns the provider's name (the issuer without https://)
// of an IAM OIDC provider ARN in a known partition,
// arn:PARTITION:iam::ACCOUNT:oidc-provider/NAME.
func (a ARN) OIDCProvider() (string, bool) {
	rest, ok := a.iam("oidc-provider/")
	if !ok || !KnownPartition(a.Partition) || !IsAccountID(a.Account) || rest == "" || strings.Contains(rest, "\n") {
		return "", false
	}
	return rest, true
}

// AssumedRole returns the role's name (without its path) of an STS
// assumed-role ARN, arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION,
// the ARN of a role session (in any well-formed partition).
func (a ARN) AssumedRole() (role string, ok bool) {
	rest, ok := strings.CutPrefix(a.Resource, "assumed-role/")
	if !ok || a.Service != "sts" || a.Region != "" || !a.WellFormed() {
		return "", false
	}
	role, session, ok := strings.Cut(rest, "/")
	if !ok || role == "" || session == "" || strings.Contains(session, "/") {
		return "", false
	}
	return role, true
}

// iam returns the resource after prefix when a is an IAM ARN (service
// iam, no region).
func (a ARN) iam(prefix string) (string, bool) {
	if a.Service != "iam" || a.Region != "" {
		return "", false
	}
	return strings.CutPrefix(a.Resource, prefix)
}

func lowerDigitHyphen(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// nameChars: IAM's name characters, letters, digits and _+=,.@-.
func nameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

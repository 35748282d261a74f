package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/org/aws-oidc-go/internal/loopback"
)

// DefaultGitHubAPI is github.com's REST API.
const DefaultGitHubAPI = "https://api.github.com"

// Repo is what GitHub says about a repository.
type Repo struct {
	FullName     string // OWNER/REPO as GitHub spells it
	RepositoryID string
	OwnerID      string
}

// LookupRepo asks GitHub's REST API (GET /repos/OWNER/REPO) for the
// repository's name and ids. token may be empty (public repositories need
// none). The answer is bounded (1 MiB, 15 s) and checked: ids must be
// positive whole numbers. The token goes to apiURL's host only, over https
// (plain http only to a loopback address, for tests and local mirrors).
func LookupRepo(ctx context.Context, hc *http.Client, apiURL, token, repo string) (Repo, error) {
	if apiURL == "" {
		apiURL = DefaultGitHubAPI
	}
	u, err := url.Parse(strings.TrimRight(apiURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback.Host(u.Hostname()))) {
		return Repo{}, fmt.Errorf("GITHUB_API_URL %q: want an https URL such as %s", RedactURL(apiURL), DefaultGitHubAPI)
	}
	owner, name, _ := strings.Cut(repo, "/")
	u.Path += "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Repo{}, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", "aws-oidc-go-setup")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := *hc
	c.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		// A renamed repository answers 301 to its new URL: follow on the
		// same scheme and host only, and never carry the token elsewhere
		// (nor in the clear).
		if r.URL.Host != u.Host || r.URL.Scheme != u.Scheme || len(via) > 3 {
			return errors.New("redirected off " + u.Scheme + "://" + u.Host)
		}
		return nil
	}
	resp, err := c.Do(req)
	if err != nil {
		return Repo{}, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Repo{}, fmt.Errorf("GET %s: reading the answer: %w", u.Redacted(), err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return Repo{}, &RepoNotFound{Repository: repo, URL: u.Redacted(), Token: token != ""}
	case resp.StatusCode == http.StatusUnauthorized:
		return Repo{}, fmt.Errorf("GET %s: 401: GITHUB_TOKEN was refused", u.Redacted())
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
		return Repo{}, fmt.Errorf("GET %s: %d: refused or rate-limited (set GITHUB_TOKEN)", u.Redacted(), resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return Repo{}, fmt.Errorf("GET %s: HTTP %d", u.Redacted(), resp.StatusCode)
	}
	var r struct {
		ID       json.Number `json:"id"`
		FullName string      `json:"full_name"`
		Owner    struct {
			ID json.Number `json:"id"`
		} `json:"owner"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return Repo{}, fmt.Errorf("GET %s: the answer is not a repository: %v", u.Redacted(), err)
	}
	out := Repo{FullName: r.FullName, RepositoryID: r.ID.String(), OwnerID: r.Owner.ID.String()}
	for _, id := range []string{out.RepositoryID, out.OwnerID} {
		if n, err := strconv.ParseUint(id, 10, 63); err != nil || n == 0 {
			return Repo{}, fmt.Errorf("GET %s: the answer carries no numeric id and owner.id", u.Redacted())
		}
	}
	if !nameRe().MatchString(out.FullName) || strings.Count(out.FullName, "/") != 1 {
		return Repo{}, fmt.Errorf("GET %s: the answer's full_name %q is not OWNER/REPO", u.Redacted(), out.FullName)
	}
	return out, nil
}

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
	owner, name, _ := strings.Cut(repo, "/")
	var r struct {
		ID       json.Number `json:"id"`
		FullName string      `json:"full_name"`
		Owner    struct {
			ID json.Number `json:"id"`
		} `json:"owner"`
	}
	u, err := getJSON(ctx, hc, apiURL, token, "/repos/"+url.PathEscape(owner)+"/"+url.PathEscape(name), "repository", &r)
	if errors.Is(err, errNotFound) {
		return Repo{}, &RepoNotFound{Repository: repo, URL: u, Token: token != ""}
	}
	if err != nil {
		return Repo{}, err
	}
	out := Repo{FullName: r.FullName, RepositoryID: r.ID.String(), OwnerID: r.Owner.ID.String()}
	for _, id := range []string{out.RepositoryID, out.OwnerID} {
		if n, err := strconv.ParseUint(id, 10, 63); err != nil || n == 0 {
			return Repo{}, fmt.Errorf("GET %s: the answer carries no numeric id and owner.id", u)
		}
	}
	if !nameRe().MatchString(out.FullName) || strings.Count(out.FullName, "/") != 1 {
		return Repo{}, fmt.Errorf("GET %s: the answer's full_name %q is not OWNER/REPO", u, out.FullName)
	}
	return out, nil
}

// errNotFound marks GitHub's 404, which each lookup words for its caller.
var errNotFound = errors.New("not found")

// getJSON GETs path under GitHub's REST API and decodes the answer into
// v, bounded (1 MiB, 15 s); what names the thing asked for in a 404. It
// returns the URL asked, redacted, for messages.
func getJSON(ctx context.Context, hc *http.Client, apiURL, token, path, what string, v any) (string, error) {
	if apiURL == "" {
		apiURL = DefaultGitHubAPI
	}
	u, err := url.Parse(strings.TrimRight(apiURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback.Host(u.Hostname()))) {
		return "", fmt.Errorf("GITHUB_API_URL %q: want an https URL such as %s", RedactURL(apiURL), DefaultGitHubAPI)
	}
	base := *u
	u.Path += path
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
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
		if r.URL.Host != base.Host || r.URL.Scheme != base.Scheme || len(via) > 3 {
			return errors.New("redirected off " + base.Scheme + "://" + base.Host)
		}
		return nil
	}
	shown := u.Redacted()
	resp, err := c.Do(req)
	if err != nil {
		return shown, fmt.Errorf("GET %s: %w", shown, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return shown, fmt.Errorf("GET %s: reading the answer: %w", shown, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return shown, fmt.Errorf("GET %s: 404: no such %s: %w", shown, what, errNotFound)
	case resp.StatusCode == http.StatusUnauthorized:
		return shown, fmt.Errorf("GET %s: 401: GITHUB_TOKEN was refused", shown)
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
		return shown, fmt.Errorf("GET %s: %d: refused or rate-limited (set GITHUB_TOKEN)", shown, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return shown, fmt.Errorf("GET %s: HTTP %d", shown, resp.StatusCode)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return shown, fmt.Errorf("GET %s: the answer is not a %s: %v", shown, what, err)
	}
	return shown, nil
}

// LookupOwner asks GitHub's REST API (GET /users/OWNER, which answers for
// organizations too) for an owner's id: what OWNER/* needs. It is bounded
// and checked as LookupRepo is, and returns GitHub's spelling of the login.
func LookupOwner(ctx context.Context, hc *http.Client, apiURL, token, owner string) (login, id string, err error) {
	var r struct {
		Login string      `json:"login"`
		ID    json.Number `json:"id"`
	}
	u, err := getJSON(ctx, hc, apiURL, token, "/users/"+url.PathEscape(owner), "user or organization", &r)
	if err != nil {
		return "", "", err
	}
	if n, err := strconv.ParseUint(r.ID.String(), 10, 63); err != nil || n == 0 {
		return "", "", fmt.Errorf("GET %s: the answer carries no numeric id", u)
	}
	if !nameRe().MatchString(r.Login) || strings.Contains(r.Login, "/") || !strings.EqualFold(r.Login, owner) {
		return "", "", fmt.Errorf("GET %s: the answer's login %q is not %s", u, r.Login, owner)
	}
	return r.Login, r.ID.String(), nil
}

package action_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/org/aws-oidc-go/internal/action"
	"github.com/org/aws-oidc-go/internal/config"
	"github.com/org/aws-oidc-go/internal/dev/harness"
	"github.com/org/aws-oidc-go/internal/handoff"
)

const (
	exampleKeyID  = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// keysWorld is a world using static keys, with the run's GitHub context
// for session tags.
func keysWorld(t *testing.T) *world {
	w := newWorld(t)
	delete(w.env, "ACTIONS_ID_TOKEN_REQUEST_URL")
	delete(w.env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	w.input("aws-access-key-id", exampleKeyID)
	w.input("aws-secret-access-key", exampleSecret)
	for k, v := range map[string]string{
		"GITHUB_REPOSITORY": "octo-org/octo-repo", "GITHUB_WORKFLOW": "Deploy (prod) ✓ #1", "GITHUB_ACTION": "__run_2",
		"GITHUB_ACTOR": "octocat", "GITHUB_SHA": "0123456789abcdef", "GITHUB_REF": "refs/heads/main",
		"GITHUB_EVENT_NAME": "push", "GITHUB_JOB": "deploy", "GITHUB_TRIGGERING_ACTOR": "octocat",
	} {
		w.env[k] = v
	}
	return w
}

func signedBy(r harness.STSRequest) string {
	h := r.Header.Get("Authorization")
	_, after, ok := strings.Cut(h, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(after, "/")
	return key
}

// tags returns the session tags of an AssumeRole request.
func tags(r harness.STSRequest) map[string]string {
	m := map[string]string{}
	for i := 1; ; i++ {
		k := r.Form.Get("Tags.member." + strconv.Itoa(i) + ".Key")
		if k == "" {
			return m
		}
		m[k] = r.Form.Get("Tags.member." + strconv.Itoa(i) + ".Value")
	}
}

func TestStaticKeysOnly(t *testing.T) {
	t.Parallel()
	w := keysWorld(t)
	w.input("role-to-assume", "")
	w.input("aws-session-token", "example-session-token")
	if err := w.run(); err != nil {
		t.Fatalf("Run: %v\n%s", err, w.log())
	}
	// The keys were masked before anything else was printed.
	first := strings.SplitN(w.stdout.String(), "\n", 4)
	if diff := cmp.Diff([]string{"::add-mask::" + exampleKeyID, "::add-mask::" + exampleSecret, "::add-mask::example-session-token"}, first[:3]); diff != "" {
		t.Errorf("first log lines (-want +got):\n%s", harness.Redact(diff))
	}
	reqs := w.proxy.Requests()
	if len(reqs) != 1 || reqs[0].Action != "GetCallerIdentity" || signedBy(reqs[0]) != exampleKeyID {
		t.Fatalf("STS calls = %v, want one GetCallerIdentity signed with the keys", actions(reqs))
	}
	env := w.vars("set_env")
	if env["AWS_ACCESS_KEY_ID"] != exampleKeyID || env["AWS_SECRET_ACCESS_KEY"] != exampleSecret || env["AWS_SESSION_TOKEN"] != "example-session-token" {
		t.Error("the static keys were not exported")
	}
	w.assertNoLeaks(exampleSecret, "example-session-token")
}

func TestKeysAndRoleWithSessionTags(t *testing.T) {
	t.Parallel()
	w := keysWorld(t)
	w.input("role-external-id", "ext-123")
	w.input("custom-tags", `{"Team": "platform", "Cost": 42}`)
	w.input("transitive-tag-keys", "Repository\nTeam")
	w.input("role-session-name", "keys-session")
	if err := w.run(); err != nil {
		t.Fatalf("Run: %v\n%s", err, w.log())
	}
	reqs := w.proxy.Requests()
	// GetCallerIdentity on the keys (the summary names them); none on the
	// assumed credentials, whose AssumedRoleUser names them.
	if diff := cmp.Diff([]string{"GetCallerIdentity", "AssumeRole"}, actions(reqs)); diff != "" {
		t.Fatalf("STS calls (-want +got):\n%s", diff)
	}
	ar := reqs[1]
	if signedBy(reqs[0]) != exampleKeyID || signedBy(ar) != exampleKeyID {
		t.Error("source calls were not signed with the static keys")
	}
	env := w.vars("set_env")
	if env["AWS_ACCESS_KEY_ID"] == exampleKeyID {
		t.Error("the static keys were exported instead of the assumed credentials")
	}
	want := map[string]string{
		"GitHub": "Actions", "Repository": "octo-org/octo-repo", "Workflow": "Deploy _prod_ _ _1", "Action": "__run_2",
		"Actor": "octocat", "Commit": "0123456789abcdef", "Branch": "refs/heads/main",
		"EventName": "push", "RunId": "9876543210", "Job": "deploy", "TriggeringActor": "octocat",
		"Team": "platform", "Cost": "42",
	}
	if diff := cmp.Diff(want, tags(ar)); diff != "" {
		t.Errorf("session tags (-want +got):\n%s", diff)
	}
	got := map[string]string{
		"RoleArn": ar.Form.Get("RoleArn"), "RoleSessionName": ar.Form.Get("RoleSessionName"), "ExternalId": ar.Form.Get("ExternalId"),
		"TransitiveTagKeys.member.1": ar.Form.Get("TransitiveTagKeys.member.1"), "TransitiveTagKeys.member.2": ar.Form.Get("TransitiveTagKeys.member.2"),
	}
	if diff := cmp.Diff(map[string]string{
		"RoleArn": roleARN, "RoleSessionName": "keys-session", "ExternalId": "ext-123",
		"TransitiveTagKeys.member.1": "Repository", "TransitiveTagKeys.member.2": "Team",
	}, got); diff != "" {
		t.Errorf("AssumeRole parameters (-want +got):\n%s", diff)
	}
	if out := w.vars("set_output"); out["authenticated-arn"] != "arn:aws:sts::123456789012:assumed-role/deploy/keys-session" {
		t.Errorf("outputs = %v", out)
	}
	w.assertNoLeaks(exampleSecret, env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"])
}

func TestKeysWithBareRoleNameAndNoTags(t *testing.T) {
	t.Parallel()
	w := keysWorld(t)
	w.input("role-to-assume", "deploy")
	w.input("role-skip-session-tagging", "true")
	if err := w.run(); err != nil {
		t.Fatalf("Run: %v\n%s", err, w.log())
	}
	ar := w.proxy.Requests()[1]
	if got := ar.Form.Get("RoleArn"); got != "arn:aws:iam::123456789012:role/deploy" {
		t.Errorf("RoleArn = %q, want the ARN in the keys' account", got)
	}
	if len(tags(ar)) != 0 {
		t.Errorf("tags sent with role-skip-session-tagging: %v", tags(ar))
	}
}

func TestPackedPolicyTooLargeDropsOptionalTags(t *testing.T) {
	t.Parallel()
	w := keysWorld(t)
	w.proxy.Faults().At(harness.STSError(400, "PackedPolicyTooLarge", "Packed policy consumes 103% of allotted space"), 2)
	if err := w.run(); err != nil {
		t.Fatalf("Run: %v\n%s", err, w.log())
	}
	reqs := w.proxy.Requests()
	if diff := cmp.Diff([]string{"GetCallerIdentity", "AssumeRole", "AssumeRole"}, actions(reqs)); diff != "" {
		t.Fatalf("STS calls (-want +got):\n%s", diff)
	}
	first, second := tags(reqs[1]), tags(reqs[2])
	if _, ok := first["EventName"]; !ok {
		t.Error("the first AssumeRole lacked the optional tags")
	}
	for _, k := range []string{"EventName", "RunId", "Job", "TriggeringActor"} {
		if _, ok := second[k]; ok {
			t.Errorf("the retry still sent optional tag %s", k)
		}
	}
	if second["Repository"] != "octo-org/octo-repo" || second["GitHub"] != "Actions" {
		t.Errorf("the retry dropped required tags: %v", second)
	}
	if !strings.Contains(w.stdout.String(), "::warning::The session tags were too large") {
		t.Error("no warning about the dropped tags")
	}
}

func TestRoleChaining(t *testing.T) {
	t.Parallel()
	t.Run("assumes with the environment's credentials", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("role-chaining", "true")
		w.env["AWS_ACCESS_KEY_ID"] = "ASIAIOSFODNN7EXAMPLE"
		w.env["AWS_SECRET_ACCESS_KEY"] = exampleSecret
		w.env["AWS_SESSION_TOKEN"] = "earlier-session-token"
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v\n%s", err, w.log())
		}
		reqs := w.proxy.Requests()
		if diff := cmp.Diff([]string{"GetCallerIdentity", "AssumeRole"}, actions(reqs)); diff != "" {
			t.Fatalf("STS calls (-want +got):\n%s", diff)
		}
		if signedBy(reqs[1]) != "ASIAIOSFODNN7EXAMPLE" || reqs[1].Header.Get("X-Amz-Security-Token") != "earlier-session-token" {
			t.Error("AssumeRole was not signed with the environment's credentials")
		}
		if len(w.gh.Requests()) != 0 {
			t.Error("role-chaining asked GitHub for a token")
		}
		if !strings.Contains(w.stdout.String(), "::add-mask::earlier-session-token") {
			t.Error("the source session token was not masked")
		}
	})
	t.Run("duration over an hour is an input error", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("role-chaining", "true")
		w.input("role-duration-seconds", "7200")
		err := w.run()
		if err == nil || !strings.Contains(err.Error(), "input role-duration-seconds: 7200 is more than AWS allows for a chained role session; allowed: at most 3600") {
			t.Fatalf("err = %v", err)
		}
		if w.proxy.Count("") != 0 {
			t.Error("STS called despite an input error")
		}
	})
	t.Run("no credentials in the environment", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("role-chaining", "true")
		err := w.run()
		if err == nil || !strings.Contains(err.Error(), "role-chaining needs credentials in the environment") {
			t.Fatalf("err = %v", err)
		}
		w.assertNothingExported()
	})
}

func TestWebIdentityTokenFile(t *testing.T) {
	t.Parallel()
	t.Run("relative path under the workspace", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		ws := t.TempDir()
		w.env["GITHUB_WORKSPACE"] = ws
		tok := w.gh.Mint("sts.amazonaws.com")
		os.MkdirAll(filepath.Join(ws, "tokens"), 0o755)
		os.WriteFile(filepath.Join(ws, "tokens", "id.jwt"), []byte(tok+"\n"), 0o600)
		w.input("web-identity-token-file", "tokens/id.jwt")
		w.input("custom-tags", `{"Team":"x"}`)
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v\n%s", err, w.log())
		}
		reqs := w.proxy.Requests()
		if reqs[0].Action != "AssumeRoleWithWebIdentity" || reqs[0].Form.Get("WebIdentityToken") != tok {
			t.Error("STS did not receive the file's token")
		}
		if len(w.gh.Requests()) != 0 {
			t.Error("the token service was asked although a token file was given")
		}
		if !strings.Contains(w.stdout.String(), "::warning::custom-tags is ignored with web identity token file") {
			t.Errorf("no warning that custom-tags is ignored:\n%s", w.log())
		}
		if !strings.Contains(w.stdout.String(), "::add-mask::"+tok) {
			t.Error("the file's token was not masked")
		}
	})
	cases := []struct {
		name string
		prep func(ws string) string
		want string
	}{
		{"missing file", func(ws string) string { return "nope.jwt" }, "does not exist (relative paths are under GITHUB_WORKSPACE)"},
		{"symlink refused", func(ws string) string {
			os.WriteFile(filepath.Join(ws, "real"), []byte("a.b.c"), 0o600)
			os.Symlink(filepath.Join(ws, "real"), filepath.Join(ws, "link")) // probed with harness.Symlink below
			return "link"
		}, "is a symbolic link; refusing it"},
		{"empty file", func(ws string) string { os.WriteFile(filepath.Join(ws, "empty"), nil, 0o600); return "empty" }, "is empty"},
		{"not a JWT (an SSH key)", func(ws string) string {
			os.WriteFile(filepath.Join(ws, "id_ed25519"), []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\n-----END OPENSSH PRIVATE KEY-----\n"), 0o600)
			return "id_ed25519"
		}, "id_ed25519 does not hold a web identity token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.name == "symlink refused" {
				harness.Symlink(t, t.TempDir(), filepath.Join(t.TempDir(), "probe")) // can links be made here?
			}
			w := newWorld(t)
			ws := t.TempDir()
			w.env["GITHUB_WORKSPACE"] = ws
			w.input("web-identity-token-file", tc.prep(ws))
			err := w.run()
			if err == nil || !strings.Contains(err.Error(), "web-identity-token-file") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if w.proxy.Count("") != 0 {
				t.Error("STS was called with an unusable token file")
			}
			if strings.Contains(err.Error()+w.log(), "b3BlbnNzaC1rZXktdjE") {
				t.Error("the token file's content was printed")
			}
			w.assertNothingExported()
		})
	}
}

func TestSpecialCharactersWorkaround(t *testing.T) {
	t.Parallel()
	const awrwi = "AssumeRoleWithWebIdentity"
	t.Run("assumes again until clean", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("special-characters-workaround", "true")
		w.proxy.Faults().
			At(harness.STSCredentials(awrwi, "ASIAEXAMPLEAAAAAAAAA", "secret+with/special", "tok1"), 1).
			At(harness.STSCredentials(awrwi, "ASIAEXAMPLEBBBBBBBBB", "secret=still", "tok2"), 2).
			At(harness.STSCredentials(awrwi, "ASIAEXAMPLECCCCCCCCC", "cleanSecret123", "tok3"), 3)
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v\n%s", err, w.log())
		}
		if got := w.vars("set_env")["AWS_SECRET_ACCESS_KEY"]; got != "cleanSecret123" {
			t.Errorf("exported secret = %q, want the clean one", got)
		}
		if n := w.proxy.Count(awrwi); n != 3 {
			t.Errorf("%d AssumeRoleWithWebIdentity calls, want 3", n)
		}
		for _, s := range []string{"secret+with/special", "secret=still", "cleanSecret123"} {
			if !strings.Contains(w.stdout.String(), "::add-mask::"+s+"\n") {
				t.Errorf("secret %d chars long was not masked", len(s))
			}
		}
	})
	t.Run("bounded", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.input("special-characters-workaround", "true")
		w.proxy.Faults().Always(harness.STSCredentials(awrwi, "ASIAEXAMPLEAAAAAAAAA", "always/special", "tok"))
		err := w.run()
		if err == nil || !strings.Contains(err.Error(), "special-characters-workaround: every one of 10 sessions") {
			t.Fatalf("err = %v", err)
		}
		if n := w.proxy.Count(awrwi); n != 10 {
			t.Errorf("%d calls, want 10", n)
		}
		w.assertNothingExported()
	})
}

func TestProxies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		setup   func(w *world, fp *harness.ForwardProxy)
		wantErr string
	}{
		{"http-proxy input with credentials", func(w *world, fp *harness.ForwardProxy) { w.input("http-proxy", fp.URL) }, ""},
		// The token service is https (HTTPS_PROXY), STS here plain http (HTTP_PROXY).
		{"lower-case https_proxy and http_proxy", func(w *world, fp *harness.ForwardProxy) { w.env["https_proxy"], w.env["http_proxy"] = fp.URL, fp.URL }, ""},
		{"upper-case HTTPS_PROXY and HTTP_PROXY", func(w *world, fp *harness.ForwardProxy) { w.env["HTTPS_PROXY"], w.env["HTTP_PROXY"] = fp.URL, fp.URL }, ""},
		{"HTTP_PROXY alone does not carry https", func(w *world, fp *harness.ForwardProxy) { w.env["HTTP_PROXY"] = fp.URL }, "no such host"},
		{"no-proxy input bypasses it", func(w *world, fp *harness.ForwardProxy) {
			w.input("http-proxy", fp.URL)
			w.input("no-proxy", "example.com,.test.invalid")
		}, "no such host"},
		{"NO_PROXY bypasses it", func(w *world, fp *harness.ForwardProxy) {
			w.env["HTTPS_PROXY"] = fp.URL
			w.env["no_proxy"] = "token.test.invalid"
		}, "no such host"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			harness.NeedsTestCA(t)
			w := newWorld(t)
			fp := harness.NewForwardProxy()
			defer fp.Close()
			front := harness.NewTLSFront(w.gh.BaseURL())
			defer front.Close()
			w.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = fp.Name(strings.Replace(w.gh.RequestURL, w.gh.BaseURL(), front.URL, 1), "token")
			w.input("sts-endpoint", fp.Name(w.proxy.URL, "sts"))
			tc.setup(w, fp)
			err := w.run()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				w.assertNothingExported()
				return
			}
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, w.log())
			}
			var hosts []string
			for _, s := range fp.Seen() {
				if !s.Authorized {
					t.Errorf("request to %s without proxy credentials", s.Host)
				}
				hosts = append(hosts, strings.Split(s.Host, ":")[0])
			}
			if diff := cmp.Diff([]string{"token.test.invalid", "sts.test.invalid"}, hosts); diff != "" {
				t.Errorf("proxied hosts (-want +got):\n%s", diff)
			}
			if !strings.Contains(w.stdout.String(), "::add-mask::"+fp.Password+"\n") {
				t.Error("the proxy password was not masked")
			}
			w.assertNoLeaks(fp.Password)
		})
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*world, string) {
		w := newWorld(t)
		dir := filepath.Join(t.TempDir(), "aws")
		w.env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(dir, "credentials")
		w.env["AWS_CONFIG_FILE"] = filepath.Join(dir, "config")
		w.env["GITHUB_STATE"] = filepath.Join(w.dir, "save_state")
		w.input("aws-profile", "deploy-prod")
		return w, dir
	}
	t.Run("new files, then the post step removes them", func(t *testing.T) {
		t.Parallel()
		w, dir := setup(t)
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v\n%s", err, w.log())
		}
		for _, f := range []string{"credentials", "config"} {
			fi, err := os.Stat(filepath.Join(dir, f))
			if err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) { // modes say nothing on Windows
				t.Errorf("%s: %v, mode %v; want 0600", f, err, fi.Mode())
			}
		}
		if fi, _ := os.Stat(dir); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
		}
		creds, _ := os.ReadFile(filepath.Join(dir, "credentials"))
		cfg, _ := os.ReadFile(filepath.Join(dir, "config"))
		if !strings.Contains(string(creds), "[deploy-prod]") || !strings.Contains(string(creds), "aws_session_token") ||
			!strings.Contains(string(cfg), "[profile deploy-prod]") || !strings.Contains(string(cfg), "region = eu-west-1") {
			t.Errorf("files:\n%s\n%s", harness.Redact(w.stdout.String()+string(creds)), cfg)
		}
		env := w.vars("set_env")
		if _, ok := env["AWS_ACCESS_KEY_ID"]; ok {
			t.Error("keys exported although aws-profile turns env credentials off by default")
		}
		if _, ok := env["AWS_PROFILE"]; ok {
			t.Error("AWS_PROFILE exported with env output off")
		}
		// The post step, as the runner runs it: STATE_ from GITHUB_STATE.
		state := w.vars("save_state")
		if state[action.StateKey] == "" {
			t.Fatal("no state saved for the post step")
		}
		var post strings.Builder
		postEnv := map[string]string{"STATE_" + action.StateKey: state[action.StateKey], "GITHUB_ENV": w.env["GITHUB_ENV"]}
		if err := action.Post(context.Background(), action.Env{Workflow: true, Getenv: func(k string) string { return postEnv[k] }, Log: &post}); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"credentials", "config"} {
			if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s still there after the post step", f)
			}
		}
		// Running it again (files already gone) is fine.
		if err := action.Post(context.Background(), action.Env{Workflow: true, Getenv: func(k string) string { return postEnv[k] }, Log: &post}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(post.String(), "::warning") || strings.Contains(post.String(), "::error") {
			t.Errorf("post step complained:\n%s", post.String())
		}
	})
	t.Run("existing profiles and comments are kept", func(t *testing.T) {
		t.Parallel()
		w, dir := setup(t)
		w.input("output-env-credentials", "true")
		os.MkdirAll(dir, 0o700)
		before := "# my keys\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n; keep me\naws_secret_access_key = x\n"
		os.WriteFile(filepath.Join(dir, "credentials"), []byte(before), 0o600)
		if err := w.run(); err != nil {
			t.Fatalf("Run: %v\n%s", err, w.log())
		}
		after, _ := os.ReadFile(filepath.Join(dir, "credentials"))
		for _, s := range []string{"# my keys", "[default]", "; keep me", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "[deploy-prod]"} {
			if !strings.Contains(string(after), s) {
				t.Errorf("credentials file lost %q:\n%s", s, harness.RedactValues(string(after), harness.Masks(w.stdout.String())))
			}
		}
		if got := w.vars("set_env")["AWS_PROFILE"]; got != "deploy-prod" {
			t.Errorf("AWS_PROFILE = %q", got)
		}
		state := w.vars("save_state")[action.StateKey]
		var post strings.Builder
		postEnv := map[string]string{"STATE_" + action.StateKey: state, "GITHUB_ENV": w.env["GITHUB_ENV"]}
		action.Post(context.Background(), action.Env{Workflow: true, Getenv: func(k string) string { return postEnv[k] }, Log: &post})
		final, _ := os.ReadFile(filepath.Join(dir, "credentials"))
		if strings.Contains(string(final), "deploy-prod") || !strings.Contains(string(final), "; keep me") {
			t.Errorf("after cleanup:\n%s", final)
		}
		if _, err := os.Stat(filepath.Join(dir, "config")); !errors.Is(err, os.ErrNotExist) {
			t.Error("the config file this action created was left behind")
		}
		env := w.vars("set_env")
		if env["AWS_PROFILE"] != "" {
			t.Errorf("the post step did not blank AWS_PROFILE: %q", env["AWS_PROFILE"])
		}
	})
	t.Run("refuses to overwrite unless allowed", func(t *testing.T) {
		t.Parallel()
		w, dir := setup(t)
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, "config"), []byte("[profile deploy-prod]\nregion = us-east-1\n"), 0o600)
		err := w.run()
		if err == nil || !strings.Contains(err.Error(), "profile already exists: [profile deploy-prod]") || !strings.Contains(err.Error(), "overwrite-aws-profile") {
			t.Fatalf("err = %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "credentials")); !errors.Is(err, os.ErrNotExist) {
			t.Error("credentials written although the config profile was refused")
		}
		w.assertNothingExported()

		w2, _ := setup(t)
		w2.env["AWS_SHARED_CREDENTIALS_FILE"], w2.env["AWS_CONFIG_FILE"] = w.env["AWS_SHARED_CREDENTIALS_FILE"], w.env["AWS_CONFIG_FILE"]
		w2.input("overwrite-aws-profile", "true")
		if err := w2.run(); err != nil {
			t.Fatalf("with overwrite: %v", err)
		}
		cfg, _ := os.ReadFile(filepath.Join(dir, "config"))
		if !strings.Contains(string(cfg), "region = eu-west-1") || strings.Contains(string(cfg), "us-east-1") {
			t.Errorf("config after overwrite:\n%s", cfg)
		}
	})
	t.Run("refuses symlinks", func(t *testing.T) {
		t.Parallel()
		w, dir := setup(t)
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, "elsewhere"), nil, 0o600)
		harness.Symlink(t, filepath.Join(dir, "elsewhere"), filepath.Join(dir, "credentials"))
		err := w.run()
		if err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("files go to the runner's user when running as root", func(t *testing.T) {
		t.Parallel()
		harness.NeedsRoot(t, "chown")
		w, dir := setup(t)
		os.Chown(w.env["GITHUB_ENV"], 1234, 1234)
		err := runStep(context.Background(), action.Env{Workflow: true, Getenv: func(k string) string { return w.env[k] }, Log: &w.stdout, Retry: w.retry, Root: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{dir, filepath.Join(dir, "credentials"), filepath.Join(dir, "config")} {
			fi, _ := os.Stat(p)
			if uid, gid := ownerUID(fi), ownerGID(fi); uid != 1234 || gid != 1234 {
				t.Errorf("%s owned by %d:%d, want 1234:1234", p, uid, gid)
			}
		}
	})
}

func TestPostStep(t *testing.T) {
	t.Parallel()
	run := func(env map[string]string) string {
		var out strings.Builder
		if err := action.Post(context.Background(), action.Env{Workflow: true, Getenv: func(k string) string { return env[k] }, Log: &out}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	dir := t.TempDir()
	envFile := filepath.Join(dir, "set_env")
	os.WriteFile(envFile, nil, 0o644)
	state, _ := handoff.Encode(handoff.State{Env: []string{"AWS_REGION", "AWS_ACCESS_KEY_ID"}})

	if out := run(map[string]string{"AWS_SKIP_CLEANUP_STEP": "true", "STATE_cleanup": state, "GITHUB_ENV": envFile}); !strings.Contains(out, "AWS_SKIP_CLEANUP_STEP=true") {
		t.Errorf("skip: %q", out)
	}
	if b, _ := os.ReadFile(envFile); len(b) != 0 {
		t.Errorf("skipped cleanup still wrote %q", b)
	}
	if out := run(map[string]string{"GITHUB_ENV": envFile}); !strings.Contains(out, "Nothing to clean up") {
		t.Errorf("no state: %q", out)
	}
	run(map[string]string{"STATE_cleanup": state, "GITHUB_ENV": envFile})
	if b, _ := os.ReadFile(envFile); string(b) != "AWS_REGION=\nAWS_ACCESS_KEY_ID=\n" {
		t.Errorf("GITHUB_ENV after cleanup = %q", b)
	}
	if out := run(map[string]string{"STATE_cleanup": "{garbage", "GITHUB_ENV": envFile}); !strings.Contains(out, "::warning::") {
		t.Errorf("unreadable state: %q", out)
	}
}

func TestModeInputErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		inputs map[string]string
		want   string
	}{
		{map[string]string{"aws-access-key-id": exampleKeyID}, "input aws-secret-access-key: is missing while aws-access-key-id is set"},
		{map[string]string{"aws-secret-access-key": exampleSecret}, "input aws-access-key-id: is missing"},
		{map[string]string{"aws-access-key-id": "lower-case", "aws-secret-access-key": "x"}, "input aws-access-key-id: is not an access key id"},
		{map[string]string{"aws-access-key-id": exampleKeyID, "aws-secret-access-key": "x", "web-identity-token-file": "t"}, "input web-identity-token-file: is set together with aws-access-key-id"},
		{map[string]string{"role-to-assume": "", "force-skip-oidc": "true"}, "input force-skip-oidc: is set but there is nothing else to do"},
		{map[string]string{"custom-tags": `["a"]`, "aws-access-key-id": exampleKeyID, "aws-secret-access-key": "x"}, "input custom-tags: is not a JSON object"},
		{map[string]string{"custom-tags": `{"aws:x":"y"}`, "aws-access-key-id": exampleKeyID, "aws-secret-access-key": "x"}, "reserved aws: prefix"},
		{map[string]string{"custom-tags": `{"k":{"n":1}}`, "aws-access-key-id": exampleKeyID, "aws-secret-access-key": "x"}, "is not a string, number or boolean"},
		{map[string]string{"use-existing-credentials": "false", "role-to-assume": ""}, "input role-to-assume: is required"},
		{map[string]string{"use-existing-credentials": "no"}, `input use-existing-credentials: "no" is not a boolean`},
		{map[string]string{"aws-profile": "my profile"}, "input aws-profile: \"my profile\" is not a usable profile name"},
		{map[string]string{"http-proxy": "ftp://proxy:21"}, `input http-proxy: has the unsupported scheme "ftp"`},
		{map[string]string{"role-external-id": "x"}, "input role-external-id: is not a valid external id"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			for k, v := range tc.inputs {
				w.input(k, v)
			}
			err := w.run()
			var ie *config.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), exampleSecret) {
				t.Error("an input error quoted the secret")
			}
			if w.proxy.Count("") != 0 || len(w.gh.Requests()) != 0 {
				t.Error("network calls despite input errors")
			}
			w.assertNothingExported()
		})
	}
}

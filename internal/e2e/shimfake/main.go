// Command shimfake stands in for the release binary in the node shim's
// tests on Windows (native/shim.test.js, SHIM_TEST_FAKE_EXE), where the
// stand-in must be a real .exe: it writes its own path, its arguments
// (joined by spaces) and AWS_OIDC_GO_RUNS_ON ("unset" when absent) to the
// file SHIM_TEST_OUT names, one per line, as the POSIX stand-in (a sh
// script) does, and exits with SHIM_TEST_CODE (0 when unset).
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	signal, ok := os.LookupEnv("AWS_OIDC_GO_RUNS_ON")
	if !ok || signal == "" {
		signal = "unset"
	}
	line := fmt.Sprintf("%s\n%s\n%s\n", os.Args[0], strings.Join(os.Args[1:], " "), signal)
	if out := os.Getenv("SHIM_TEST_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(line), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "shimfake:", err)
			os.Exit(125)
		}
	}
	code := 0
	if s := os.Getenv("SHIM_TEST_CODE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 255 {
			fmt.Fprintf(os.Stderr, "shimfake: SHIM_TEST_CODE %q is not an exit code 0-255\n", s)
			os.Exit(125)
		}
		code = n
	}
	os.Exit(code)
}

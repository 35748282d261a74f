package cli

import (
	"fmt"
	"io"
	"os"
)

// readBounded reads the file at path, at most limit bytes: a bigger file
// is refused without being read whole (naming the file and the limit),
// so a hostile policy or claims file costs neither time nor memory.
func readBounded(path, what string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: the %s file is larger than %d bytes (%d KiB), the most trust-policy check reads", path, what, limit, limit>>10)
	}
	return b, nil
}

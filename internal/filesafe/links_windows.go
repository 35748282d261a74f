//go:build windows

package filesafe

import (
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// Links is the count of hard links of the open file f: NTFS has them too
// (CreateHardLink, mklink /H), and a second name is refused as on Unix.
// An unanswered query counts as a second name.
func Links(f *os.File, _ fs.FileInfo) uint64 {
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &info); err != nil {
		return 0
	}
	return uint64(info.NumberOfLinks)
}

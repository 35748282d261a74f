//go:build windows

package handoff

import (
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// Windows: no O_NOFOLLOW (links are refused by the Lstat checks), no
// numeric owners, and modes that say nothing (see the package doc).
const (
	noFollow = 0
	nonBlock = 0
)

// links is the count of hard links of the open file f: NTFS has them too
// (CreateHardLink, mklink /H), and a second name is refused as on Unix.
// An unanswered query counts as a second name.
func links(f *os.File, _ fs.FileInfo) uint64 {
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &info); err != nil {
		return 0
	}
	return uint64(info.NumberOfLinks)
}

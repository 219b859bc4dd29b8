package database

import (
	"os"
	"syscall"
)

// datasync flushes f's data, and only the metadata needed to read it back
// (its size), which is all a WAL needs: fdatasync, cheaper than fsync.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

package e2e

import "os"

func chmod(path string, mode os.FileMode) error { return os.Chmod(path, mode) }

func isRoot() bool { return os.Geteuid() == 0 }

//go:build !unix

package cmd

import "time"

// processCPU is unknown here: --timings shows wall time only.
func processCPU() time.Duration { return -1 }

func peakRSS() int64 { return 0 }

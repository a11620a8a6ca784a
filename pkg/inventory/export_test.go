package inventory

// SetSegmentSize sets the size above which files are read in parts, for
// the external tests; it returns a function that restores it.
func SetSegmentSize(n int64) (restore func()) {
	saved := segmentSize
	segmentSize = n
	return func() { segmentSize = saved }
}

// PartsOf cuts a file as readFiles would and decodes each part: how many
// parts, and how many sent the file to be read whole.
func PartsOf(file string) (parts, whole int, err error) {
	segs := segmentsOf(file, segmentSize)
	for _, s := range segs {
		r := decodeSegment(file, s)
		if r.err != nil {
			return 0, 0, r.err
		}
		if r.whole {
			whole++
		}
	}
	return len(segs), whole, nil
}

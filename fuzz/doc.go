// Package fuzz holds fuzz targets that cross packages: request frames
// through the server's dispatcher (FuzzDispatch) and produce payloads
// through validation into a partition (FuzzProduce). It has no API; the
// targets and their invariants are in the test files, and the seed corpora
// captured from real clients are in testdata/fuzz/.
package fuzz

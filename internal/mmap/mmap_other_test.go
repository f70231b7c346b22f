//go:build !linux

package mmap

import (
	"errors"
	"testing"
)

func TestMapUnsupported(t *testing.T) {
	if _, err := Map(0, 4096, false); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Map: %v, want ErrUnsupported", err)
	}
}

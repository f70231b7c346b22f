//go:build !linux

package mmap

// Supported reports whether Map is implemented on this platform.
const Supported = false

// Map returns ErrUnsupported on this platform; callers use a heap buffer.
func Map(fd uintptr, size int, writable bool) (*Mapping, error) {
	return nil, ErrUnsupported
}

// Sync returns ErrUnmapped: no Mapping can be made on this platform.
func (m *Mapping) Sync() error { return ErrUnmapped }

// Advise returns ErrUnmapped: no Mapping can be made on this platform.
func (m *Mapping) Advise(Advice) error { return ErrUnmapped }

// Unmap does nothing on this platform.
func (m *Mapping) Unmap() error {
	m.b = nil
	return nil
}

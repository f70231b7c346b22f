package mmap

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Supported reports whether Map is implemented on this platform.
const Supported = true

// Map maps the first size bytes of the open file fd with MAP_SHARED, for
// reading, and for writing too when writable is set (the file must then be
// open for writing). size must be positive; it may exceed the file's length,
// but touching a page wholly past the end of the file raises SIGBUS. The
// mapping does not keep fd open and stays valid after fd is closed.
func Map(fd uintptr, size int, writable bool) (*Mapping, error) {
	if size <= 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrInvalidSize, size)
	}
	prot := unix.PROT_READ
	if writable {
		prot |= unix.PROT_WRITE
	}
	b, err := unix.Mmap(int(fd), 0, size, prot, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: map %d bytes of fd %d: %w", size, fd, err)
	}
	return &Mapping{b: b, writable: writable}, nil
}

// Sync writes the mapping's dirty pages to the file and waits for the
// writes to complete (msync with MS_SYNC). It returns ErrUnmapped after Unmap.
func (m *Mapping) Sync() error {
	if m.b == nil {
		return ErrUnmapped
	}
	if err := unix.Msync(m.b, unix.MS_SYNC); err != nil {
		return fmt.Errorf("mmap: msync: %w", err)
	}
	return nil
}

// Advise passes an access-pattern hint for the whole mapping to the kernel.
// It returns ErrUnmapped after Unmap.
func (m *Mapping) Advise(a Advice) error {
	if m.b == nil {
		return ErrUnmapped
	}
	var adv int
	switch a {
	case Normal:
		adv = unix.MADV_NORMAL
	case Random:
		adv = unix.MADV_RANDOM
	case Sequential:
		adv = unix.MADV_SEQUENTIAL
	case WillNeed:
		adv = unix.MADV_WILLNEED
	case DontNeed:
		adv = unix.MADV_DONTNEED
	default:
		return fmt.Errorf("mmap: unknown advice %d", a)
	}
	if err := unix.Madvise(m.b, adv); err != nil {
		return fmt.Errorf("mmap: madvise: %w", err)
	}
	return nil
}

// Unmap removes the mapping. Afterwards Bytes returns nil and every slice
// previously obtained from Bytes is invalid. Unmapping an unmapped Mapping
// does nothing and returns nil. Unmap does not flush: the page cache keeps
// the written bytes, which reach the disk in the background or at the next
// fsync of the file; call Sync first for durability.
func (m *Mapping) Unmap() error {
	if m.b == nil {
		return nil
	}
	b := m.b
	m.b = nil
	if err := unix.Munmap(b); err != nil {
		return fmt.Errorf("mmap: munmap: %w", err)
	}
	return nil
}

package server

import "sync"

// Buffers for request frames and response encoding are pooled by size
// class (nats-server's blkPool idea): a Get returns a buffer of the
// smallest class that fits, and buffers above the largest class are
// allocated exactly and dropped on Put, so one huge request cannot pin
// memory in a pool.
var classSizes = [...]int{4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20}

var classPools [len(classSizes)]sync.Pool

// getBuf returns a buffer with len n. Its contents are undefined.
func getBuf(n int) *[]byte {
	for i, size := range classSizes {
		if n <= size {
			if p, ok := classPools[i].Get().(*[]byte); ok {
				*p = (*p)[:n]
				return p
			}
			b := make([]byte, n, size)
			return &b
		}
	}
	b := make([]byte, n)
	return &b
}

// putBuf returns a buffer from getBuf. The caller must hold no slice of it.
func putBuf(p *[]byte) {
	if p == nil {
		return
	}
	c := cap(*p)
	for i, size := range classSizes {
		if c == size {
			*p = (*p)[:0]
			classPools[i].Put(p)
			return
		}
	}
}

// bufCap is the capacity of the buffer getBuf(n) returns.
func bufCap(n int) int {
	for _, size := range classSizes {
		if n <= size {
			return size
		}
	}
	return n
}

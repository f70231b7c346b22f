package batchq

import (
	"slices"
	"testing"
)

// TestTake: items come out in order, all that were queued at once; a
// closed stop ends Take.
func TestTake(t *testing.T) {
	q := New[int]()
	stop := make(chan struct{})
	q.Put(1)
	q.Put(2)
	q.Put(3)
	got, ok := q.Take(stop)
	if !ok || !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("Take = %v, %v", got, ok)
	}
	done := make(chan []int)
	go func() {
		items, _ := q.Take(stop)
		done <- items
	}()
	q.Put(4)
	if got := <-done; !slices.Equal(got, []int{4}) {
		t.Fatalf("Take after a wait = %v", got)
	}
	close(stop)
	if got, ok := q.Take(stop); ok || got != nil {
		t.Fatalf("Take after stop = %v, %v", got, ok)
	}
}

package recordbatch_test

import (
	"fmt"

	"github.com/stratabroker/strata/recordbatch"
)

// A producer's batch is built, checked as the broker checks it, given its
// offset, and read back.
func Example() {
	b := recordbatch.NewBuilder()
	b.Codec = recordbatch.CodecZstd
	b.Add(&recordbatch.Record{Timestamp: 1000, Key: []byte("k"), Value: []byte("hello")})
	b.Add(&recordbatch.Record{Timestamp: 1002, Value: []byte("world"),
		Headers: []recordbatch.RecordHeader{{Key: []byte("h"), Value: nil}}})
	batch, err := b.AppendTo(nil)
	if err != nil {
		panic(err)
	}

	if err := recordbatch.Validate(batch, 1<<20); err != nil {
		panic(err)
	}
	recordbatch.Header(batch).SetBaseOffset(40) // outside the CRC

	it := recordbatch.NewIterator(batch, 1<<20)
	for it.Next() {
		r := it.Record()
		fmt.Printf("offset %d time %d key %q (null %v) value %q headers %d\n",
			r.Offset, r.Timestamp, r.Key, r.Key == nil, r.Value, len(r.Headers))
	}
	if err := it.Err(); err != nil {
		panic(err)
	}
	// Output:
	// offset 40 time 1000 key "k" (null false) value "hello" headers 0
	// offset 41 time 1002 key "" (null true) value "world" headers 1
}

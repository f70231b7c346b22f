package recordbatch

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// encoding/binary's Varint is the same zigzag varint, so it is the oracle
// for both widths: an int32's zigzag equals its int64's.

func TestVarintRoundTrip(t *testing.T) {
	for _, v := range []int32{0, 1, -1, 63, -64, 64, -65, 8191, -8192, 1 << 20, math.MaxInt32, math.MinInt32, math.MinInt32 + 1} {
		b := appendVarint(nil, v)
		if want := binary.AppendVarint(nil, int64(v)); !bytes.Equal(b, want) {
			t.Fatalf("appendVarint(%d) = %x, want %x", v, b, want)
		}
		if varintLen(v) != len(b) {
			t.Fatalf("varintLen(%d) = %d, want %d", v, varintLen(v), len(b))
		}
		got, n := readVarint(append(b, 0xff)) // a following byte must not be read
		if got != v || n != len(b) {
			t.Fatalf("readVarint(%x) = %d, %d; want %d, %d", b, got, n, v, len(b))
		}
	}
	for _, v := range []int64{0, 1, -1, math.MaxInt32 + 1, math.MinInt32 - 1, 1 << 62, math.MaxInt64, math.MinInt64} {
		b := appendVarlong(nil, v)
		if want := binary.AppendVarint(nil, v); !bytes.Equal(b, want) {
			t.Fatalf("appendVarlong(%d) = %x, want %x", v, b, want)
		}
		if varlongLen(v) != len(b) {
			t.Fatalf("varlongLen(%d) = %d, want %d", v, varlongLen(v), len(b))
		}
		got, n := readVarlong(append(b, 0xff))
		if got != v || n != len(b) {
			t.Fatalf("readVarlong(%x) = %d, %d; want %d, %d", b, got, n, v, len(b))
		}
	}
}

func TestVarintRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want int
	}{
		{"empty", nil, varintShort},
		{"continuation then end", []byte{0x80}, varintShort},
		{"four continuations then end", []byte{0xff, 0xff, 0xff, 0xff}, varintShort},
		{"padded zero", []byte{0x80, 0x00}, varintBad},
		{"padded one", []byte{0x81, 0x80, 0x00}, varintBad},
		{"fifth byte over 32 bits", []byte{0xff, 0xff, 0xff, 0xff, 0x10}, varintBad},
		{"six bytes", []byte{0xff, 0xff, 0xff, 0xff, 0x8f, 0x01}, varintBad},
	} {
		if v, n := readVarint(tc.b); n != tc.want || v != 0 {
			t.Errorf("readVarint %s (%x) = %d, %d; want 0, %d", tc.name, tc.b, v, n, tc.want)
		}
	}
	max32 := []byte{0xfe, 0xff, 0xff, 0xff, 0x0f} // zigzag of MaxInt32: the 5th byte's limit
	if v, n := readVarint(max32); v != math.MaxInt32 || n != 5 {
		t.Errorf("readVarint(%x) = %d, %d", max32, v, n)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want int
	}{
		{"nine continuations then end", bytes.Repeat([]byte{0xff}, 9), varintShort},
		{"tenth byte over 64 bits", append(bytes.Repeat([]byte{0xff}, 9), 0x02), varintBad},
		{"eleven bytes", append(bytes.Repeat([]byte{0xff}, 10), 0x01), varintBad},
		{"padded", []byte{0xff, 0x80, 0x00}, varintBad},
	} {
		if v, n := readVarlong(tc.b); n != tc.want || v != 0 {
			t.Errorf("readVarlong %s (%x) = %d, %d; want 0, %d", tc.name, tc.b, v, n, tc.want)
		}
	}
}

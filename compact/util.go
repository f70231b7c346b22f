package compact

import (
	"math"
	"strings"

	"github.com/stratabroker/strata/internal/vfs"
)

func floatBits(f float64) uint64 { return math.Float64bits(f) }
func bitsFloat(b uint64) float64 { return math.Float64frombits(b) }

func compareStrings(a, b string) int { return strings.Compare(a, b) }

var writeFileAtomic = vfs.WriteFileAtomic

package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Advertises reports whether the broker lists key in ApiVersions.
func Advertises(ctx context.Context, cl *kgo.Client, key kmsg.Key) (bool, error) {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName = "strata-tools"
	req.ClientSoftwareVersion = "1"
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return false, err
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey == int16(key) {
			return true, nil
		}
	}
	return false, nil
}

// RequireGroups checks that the broker serves the classic group protocol
// (it Advertises JoinGroup), so that group work fails at once rather than
// retrying forever.
func RequireGroups(ctx context.Context, cl *kgo.Client) error {
	ok, err := Advertises(ctx, cl, kmsg.JoinGroup)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the broker does not support consumer groups (JoinGroup is not in its ApiVersions)")
	}
	return nil
}

// ConsumeLoop polls until max records were handed to each (max < 0: no
// limit), idle passed without a record (idle <= 0: no limit) or ctx ends.
// flush runs after each poll.
func ConsumeLoop(ctx context.Context, e *Env, cl *kgo.Client, max int64, idle time.Duration, each func(*kgo.Record), flush func()) error {
	var n int64
	for max < 0 || n < max {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if idle > 0 {
			pctx, cancel = context.WithTimeout(ctx, idle)
		}
		want := 0
		if max >= 0 {
			want = int(min(max-n, 1<<20))
		}
		fetches := cl.PollRecords(pctx, want)
		idled := pctx.Err() != nil
		cancel()
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if ferr == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				if t == "" {
					ferr = fmt.Errorf("consuming: %s", ErrText(err))
				} else {
					ferr = fmt.Errorf("fetching %s-%d: %s", t, p, ErrText(err))
				}
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if max < 0 || n < max {
				each(r)
				n++
			}
		})
		flush()
		if ferr != nil {
			return ferr
		}
		if ctx.Err() != nil || idled {
			return nil
		}
	}
	return nil
}

// ParseDatetime parses Kafka's --to-datetime: YYYY-MM-DDTHH:mm:SS.sss with an
// optional zone (Z, +hh:mm, +hhmm); without one, UTC.
func ParseDatetime(s string) (int64, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05.000Z07"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.000", s, time.UTC); err == nil {
		return t.UnixMilli(), nil
	}
	return 0, fmt.Errorf("%q is not YYYY-MM-DDTHH:mm:SS.sss[zone]", s)
}

// ParseISODuration parses Kafka's --by-duration: PnDTnHnMnS.
func ParseISODuration(s string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, fmt.Errorf("%q is not an ISO-8601 duration PnDTnHnMnS", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
		if m[i+1] != "" {
			n, err := strconv.ParseInt(m[i+1], 10, 32)
			if err != nil {
				return 0, fmt.Errorf("%q: %v", s, err)
			}
			d += time.Duration(n) * unit
		}
	}
	if m[4] != "" {
		secs, err := strconv.ParseFloat(m[4], 64)
		if err != nil || secs > 1e9 {
			return 0, fmt.Errorf("%q: bad seconds", s)
		}
		d += time.Duration(secs * float64(time.Second))
	}
	return d, nil
}

func JoinInt32(xs []int32) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

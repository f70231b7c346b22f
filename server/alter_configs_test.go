package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestAlterConfigsNotTopic: both alter APIs answer a broker logger and an
// unknown resource type with INVALID_REQUEST: Kafka's "Unknown resource
// type" (legacy AlterConfigs has no broker loggers), and Strata's own
// message for an incremental broker logger change; an empty change to a
// broker resource succeeds.
func TestAlterConfigsNotTopic(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	cases := []struct {
		rt          kmsg.ConfigResourceType
		legacy, inc string // "": no error
	}{
		{kmsg.ConfigResourceTypeBroker, "", ""},
		{kmsg.ConfigResourceTypeBrokerLogger, "Unknown resource type 8", "Strata has no log4j loggers: broker logger levels cannot be altered."},
		{kmsg.ConfigResourceType(9), "Unknown resource type 9", "Unknown resource type 9"},
	}
	for _, c := range cases {
		a := kmsg.NewPtrAlterConfigsRequest()
		ar := kmsg.NewAlterConfigsRequestResource()
		ar.ResourceType, ar.ResourceName = c.rt, "1"
		a.Resources = append(a.Resources, ar)
		ra := rc.roundTrip(a).(*kmsg.AlterConfigsResponse).Resources[0]

		i := kmsg.NewPtrIncrementalAlterConfigsRequest()
		ir := kmsg.NewIncrementalAlterConfigsRequestResource()
		ir.ResourceType, ir.ResourceName = c.rt, "1"
		i.Resources = append(i.Resources, ir)
		ri := rc.roundTrip(i).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]

		for api, got := range map[string]struct {
			code int16
			msg  *string
			want string
		}{"AlterConfigs": {ra.ErrorCode, ra.ErrorMessage, c.legacy}, "IncrementalAlterConfigs": {ri.ErrorCode, ri.ErrorMessage, c.inc}} {
			code := kerr.InvalidRequest.Code
			if got.want == "" {
				code = 0
			}
			if got.code != code || ptrOr(got.msg, "") != got.want {
				t.Errorf("%s on resource type %d: error %d %q, want %d %q", api, c.rt, got.code, ptrOr(got.msg, ""), code, got.want)
			}
		}
	}
}

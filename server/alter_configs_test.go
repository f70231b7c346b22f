package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestAlterConfigsNotTopic: both alter APIs answer a broker, a broker
// logger and an unknown resource type with INVALID_REQUEST and the same
// messages.
func TestAlterConfigsNotTopic(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	const broker = "Strata has no dynamic broker configs: set them in server.properties."
	cases := []struct {
		rt  kmsg.ConfigResourceType
		msg string
	}{
		{kmsg.ConfigResourceTypeBroker, broker},
		{kmsg.ConfigResourceTypeBrokerLogger, broker},
		{kmsg.ConfigResourceType(9), "Unsupported resource type 9"},
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
		}{"AlterConfigs": {ra.ErrorCode, ra.ErrorMessage}, "IncrementalAlterConfigs": {ri.ErrorCode, ri.ErrorMessage}} {
			if got.code != kerr.InvalidRequest.Code || got.msg == nil || *got.msg != c.msg {
				t.Errorf("%s on resource type %d: error %d %v, want %d %q", api, c.rt, got.code, got.msg, kerr.InvalidRequest.Code, c.msg)
			}
		}
	}
}

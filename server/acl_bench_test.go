package server

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/acl"
	"github.com/stratabroker/strata/config"
)

// BenchmarkProduceACL: the produce path (kgo, idempotent, 100 records of
// 100 bytes per ProduceSync, one partition) with no authorizer and with the
// StandardAuthorizer holding 10,000 ACLs, one of them User:ANONYMOUS's
// WRITE on the topic. The difference is what the authorization costs a
// produce request: one index lookup per topic
// (go test ./server/ -run XXX -bench ProduceACL -count 5).
func BenchmarkProduceACL(b *testing.B) {
	b.Run("none", func(b *testing.B) { benchProduceACL(b, 0) })
	b.Run("acls=10000", func(b *testing.B) { benchProduceACL(b, 10000) })
}

func benchProduceACL(b *testing.B, n int) {
	cfg := config.Defaults()
	settings := [][2]string{{"listeners", "PLAINTEXT://127.0.0.1:0"}, {"log.dirs", filepath.Join(b.TempDir(), "data")}}
	if n > 0 {
		settings = append(settings, [2]string{"authorizer.class.name", acl.StandardAuthorizer})
	}
	for _, kv := range settings {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			b.Fatal(err)
		}
	}
	s, err := Start(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if n > 0 {
		bs := []acl.Binding{
			{ResourceType: kmsg.ACLResourceTypeTopic, ResourceName: "bench", PatternType: kmsg.ACLResourcePatternTypeLiteral, Principal: anonymous, Host: "*", Operation: kmsg.ACLOperationAll, Permission: kmsg.ACLPermissionTypeAllow},
			{ResourceType: kmsg.ACLResourceTypeCluster, ResourceName: acl.ClusterName, PatternType: kmsg.ACLResourcePatternTypeLiteral, Principal: anonymous, Host: "*", Operation: kmsg.ACLOperationCreate, Permission: kmsg.ACLPermissionTypeAllow},
		}
		for i := len(bs); i < n; i++ {
			pt := kmsg.ACLResourcePatternTypeLiteral
			if i%4 == 0 {
				pt = kmsg.ACLResourcePatternTypePrefixed
			}
			bs = append(bs, acl.Binding{ResourceType: kmsg.ACLResourceTypeTopic, ResourceName: fmt.Sprintf("topic-%05d", i), PatternType: pt,
				Principal: fmt.Sprintf("User:u%d", i%100), Host: "*", Operation: kmsg.ACLOperationWrite, Permission: kmsg.ACLPermissionTypeAllow})
		}
		if _, err := s.acl.Create(bs); err != nil {
			b.Fatal(err)
		}
		if s.acl.Len() != n {
			b.Fatalf("%d ACLs, want %d", s.acl.Len(), n)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()), kgo.DefaultProduceTopic("bench"), kgo.ProducerLinger(0))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(b.Context(), 1, 1, nil, "bench"); err != nil {
		b.Fatal(err)
	}
	recs := make([]*kgo.Record, 100)
	val := make([]byte, 100)
	b.SetBytes(int64(len(recs) * len(val)))
	b.ResetTimer()
	for range b.N {
		for i := range recs {
			recs[i] = &kgo.Record{Value: val}
		}
		if err := cl.ProduceSync(b.Context(), recs...).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
}

package server

// ApiVersions: v0-5
//
// The answer lists every key of the handler table with its version range.
// A request above v5 is answered the KIP-511 way: a v0 response (with the
// always-v0 response header) carrying UNSUPPORTED_VERSION and ApiVersions'
// own range, so the client retries at a version we know.
//
// Version notes:
//   - v1: ThrottleMillis
//   - v3: flexible; ClientSoftwareName and ClientSoftwareVersion, which
//     Kafka validates (INVALID_REQUEST when malformed); SupportedFeatures,
//     FinalizedFeatures and FinalizedFeaturesEpoch (features.go): the
//     supported features whose highest level is above 0, and below v4 only
//     those whose lowest level is above 0 too (Kafka's alterFeatureLevel0,
//     for clients that cannot take a 0 minimum); the finalized levels above
//     0 with their epoch
//   - v5: ClusterID and NodeID the client expects (KIP-1242): both or
//     neither, else INVALID_REQUEST; not ours: REBOOTSTRAP_REQUIRED

import (
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/kafkaver"
)

func (s *Server) handleApiVersions(r *request) (reply, error) {
	req := r.kreq.(*kmsg.ApiVersionsRequest)
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	if req.Version >= 3 && (!validSoftware(req.ClientSoftwareName) || !validSoftware(req.ClientSoftwareVersion)) {
		resp.ErrorCode = kerr.InvalidRequest.Code
		return msgReply{resp}, nil
	}
	if req.Version >= 3 && r.c != nil {
		r.c.softwareName, r.c.softwareVersion = req.ClientSoftwareName, req.ClientSoftwareVersion
	}
	if req.Version >= 5 {
		hasCluster, hasNode := req.ClusterID != nil, req.NodeID != -1
		switch {
		case hasCluster != hasNode:
			resp.ErrorCode = kerr.InvalidRequest.Code
			return msgReply{resp}, nil
		case hasCluster && (*req.ClusterID != s.clusterID || req.NodeID != s.cfg.NodeID):
			resp.ErrorCode = kerr.RebootstrapRequired.Code
			return msgReply{resp}, nil
		}
	}
	resp.ApiKeys = slices.Clone(apiKeys)
	if req.Version >= 3 {
		s.putFeatures(resp, req.Version < 4)
	}
	return msgReply{resp}, nil
}

// putFeatures sets the supported and finalized features of an ApiVersions
// response (Kafka's ApiVersionsResponse.Builder over BrokerFeatures).
func (s *Server) putFeatures(resp *kmsg.ApiVersionsResponse, alterFeatureLevel0 bool) {
	for _, f := range kafkaver.Supported {
		if f.Max == 0 || (alterFeatureLevel0 && f.Min == 0) {
			continue
		}
		sf := kmsg.NewApiVersionsResponseSupportedFeature()
		sf.Name, sf.MinVersion, sf.MaxVersion = f.Name, f.Min, f.Max
		resp.SupportedFeatures = append(resp.SupportedFeatures, sf)
	}
	cur := s.features.cur.Load()
	resp.FinalizedFeaturesEpoch = cur.epoch
	for _, name := range slices.Sorted(maps.Keys(cur.levels)) {
		ff := kmsg.NewApiVersionsResponseFinalizedFeature()
		ff.Name, ff.MinVersionLevel, ff.MaxVersionLevel = name, cur.levels[name], cur.levels[name]
		resp.FinalizedFeatures = append(resp.FinalizedFeatures, ff)
	}
}

// apiVersionsTooNew is the KIP-511 answer to an ApiVersions request newer
// than we serve.
func apiVersionsTooNew() reply {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	resp.ErrorCode = kerr.UnsupportedVersion.Code
	k := kmsg.NewApiVersionsResponseApiKey()
	h := handlers[kmsg.ApiVersions]
	k.ApiKey, k.MinVersion, k.MaxVersion = int16(kmsg.ApiVersions), h.min, h.max
	resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{k}
	return msgReply{resp}
}

// validSoftware is Kafka's check of the client software name and version:
// [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?
func validSoftware(s string) bool {
	alnum := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	if s == "" || !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !alnum(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

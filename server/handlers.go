package server

import (
	"fmt"
	"reflect"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// handler serves one API key: the versions it accepts and the function
// that serves a decoded request. A nil serve means the key is not served.
type handler struct {
	min, max int16
	serve    func(*Server, *request) (reply, error)
	// refuse answers a version below min that kmsg can decode, with
	// UNSUPPORTED_VERSION wherever the response has room for an error code.
	// nil: the generic answer (unsupportedResponse).
	refuse func(kmsg.Request) kmsg.Response
}

// request is one decoded request and the connection it came on.
type request struct {
	c    *conn
	hdr  header
	kreq kmsg.Request
}

// handlers is the one table of served APIs; ApiVersions answers from it.
// Indexes are API keys. Versions are every version kmsg knows of each key,
// except where a comment says otherwise.
var handlers = [...]handler{
	kmsg.Produce:                 {min: 0, max: 13, serve: (*Server).handleProduce},
	kmsg.Fetch:                   {min: 4, max: 18, serve: (*Server).handleFetch, refuse: refuseFetch}, // v0-3 need down-conversion (Kafka 4 dropped them too)
	kmsg.ListOffsets:             {min: 0, max: 11, serve: (*Server).handleListOffsets},
	kmsg.Metadata:                {min: 0, max: 13, serve: (*Server).handleMetadata},
	kmsg.OffsetCommit:            {min: 0, max: 10, serve: (*Server).handleOffsetCommit},
	kmsg.OffsetFetch:             {min: 0, max: 10, serve: (*Server).handleOffsetFetch},
	kmsg.FindCoordinator:         {min: 0, max: 6, serve: (*Server).handleFindCoordinator},
	kmsg.JoinGroup:               {min: 0, max: 9, serve: (*Server).handleJoinGroup},
	kmsg.Heartbeat:               {min: 0, max: 4, serve: (*Server).handleHeartbeat},
	kmsg.LeaveGroup:              {min: 0, max: 5, serve: (*Server).handleLeaveGroup},
	kmsg.SyncGroup:               {min: 0, max: 5, serve: (*Server).handleSyncGroup},
	kmsg.DescribeGroups:          {min: 0, max: 6, serve: (*Server).handleDescribeGroups},
	kmsg.ListGroups:              {min: 0, max: 5, serve: (*Server).handleListGroups},
	kmsg.ApiVersions:             {min: 0, max: 5, serve: (*Server).handleApiVersions},
	kmsg.CreateTopics:            {min: 0, max: 7, serve: (*Server).handleCreateTopics},
	kmsg.DeleteTopics:            {min: 0, max: 6, serve: (*Server).handleDeleteTopics},
	kmsg.InitProducerID:          {min: 0, max: 5, serve: (*Server).handleInitProducerID},
	kmsg.OffsetForLeaderEpoch:    {min: 0, max: 4, serve: (*Server).handleOffsetForLeaderEpoch},
	kmsg.AddPartitionsToTxn:      {min: 0, max: 5, serve: (*Server).handleAddPartitionsToTxn},
	kmsg.AddOffsetsToTxn:         {min: 0, max: 4, serve: (*Server).handleAddOffsetsToTxn},
	kmsg.EndTxn:                  {min: 0, max: 5, serve: (*Server).handleEndTxn},
	kmsg.WriteTxnMarkers:         {min: 0, max: 2, serve: (*Server).handleWriteTxnMarkers},
	kmsg.DeleteRecords:           {min: 0, max: 2, serve: (*Server).handleDeleteRecords},
	kmsg.DescribeACLs:            {min: 0, max: 3, serve: (*Server).handleDescribeACLs},
	kmsg.CreateACLs:              {min: 0, max: 3, serve: (*Server).handleCreateACLs},
	kmsg.DeleteACLs:              {min: 0, max: 3, serve: (*Server).handleDeleteACLs},
	kmsg.DescribeConfigs:         {min: 0, max: 4, serve: (*Server).handleDescribeConfigs},
	kmsg.DeleteGroups:            {min: 0, max: 3, serve: (*Server).handleDeleteGroups},
	kmsg.AlterConfigs:            {min: 0, max: 2, serve: (*Server).handleAlterConfigs},
	kmsg.DescribeLogDirs:         {min: 0, max: 5, serve: (*Server).handleDescribeLogDirs},
	kmsg.CreatePartitions:        {min: 0, max: 3, serve: (*Server).handleCreatePartitions},
	kmsg.IncrementalAlterConfigs: {min: 0, max: 1, serve: (*Server).handleIncrementalAlterConfigs},
	kmsg.DescribeCluster:         {min: 0, max: 2, serve: (*Server).handleDescribeCluster},
	kmsg.OffsetDelete:            {min: 0, max: 0, serve: (*Server).handleOffsetDelete},
	kmsg.TxnOffsetCommit:         {min: 0, max: 6, serve: (*Server).handleTxnOffsetCommit},
	kmsg.DescribeProducers:       {min: 0, max: 0, serve: (*Server).handleDescribeProducers},
	kmsg.DescribeTransactions:    {min: 0, max: 0, serve: (*Server).handleDescribeTransactions},
	kmsg.ListTransactions:        {min: 0, max: 2, serve: (*Server).handleListTransactions},
	kmsg.UpdateFeatures:          {min: 0, max: 2, serve: (*Server).handleUpdateFeatures},
	kmsg.UnregisterBroker:        {min: 0, max: 0, serve: (*Server).handleUnregisterBroker},
	kmsg.DescribeClientQuotas:    {min: 0, max: 1, serve: (*Server).handleDescribeClientQuotas},
	kmsg.AlterClientQuotas:       {min: 0, max: 1, serve: (*Server).handleAlterClientQuotas},

	// Delegation tokens (delegation_tokens.go, package auth).
	kmsg.CreateDelegationToken:   {min: 0, max: 3, serve: (*Server).handleCreateDelegationToken},
	kmsg.RenewDelegationToken:    {min: 0, max: 2, serve: (*Server).handleRenewDelegationToken},
	kmsg.ExpireDelegationToken:   {min: 0, max: 2, serve: (*Server).handleExpireDelegationToken},
	kmsg.DescribeDelegationToken: {min: 0, max: 3, serve: (*Server).handleDescribeDelegationToken},

	// Client metrics (KIP-714, package telemetry).
	kmsg.GetTelemetrySubscriptions: {min: 0, max: 0, serve: (*Server).handleGetTelemetrySubscriptions},
	kmsg.PushTelemetry:             {min: 0, max: 0, serve: (*Server).handlePushTelemetry},
	kmsg.ListConfigResources:       {min: 0, max: 1, serve: (*Server).handleListConfigResources},

	// SASL (sasl.go, package auth). On a SASL listener the connection's
	// exchange serves these before authentication; the table's functions
	// answer them elsewhere.
	kmsg.SASLHandshake:                {min: 0, max: 1, serve: (*Server).handleSaslHandshake},
	kmsg.SASLAuthenticate:             {min: 0, max: 2, serve: (*Server).handleSaslAuthenticate},
	kmsg.DescribeUserSCRAMCredentials: {min: 0, max: 0, serve: (*Server).handleDescribeUserScramCredentials},
	kmsg.AlterUserSCRAMCredentials:    {min: 0, max: 0, serve: (*Server).handleAlterUserScramCredentials},
}

// apiKeys is the ApiVersions answer, built from handlers at init (a
// variable initialiser would be an initialisation cycle: handlers refers
// to handleApiVersions, which refers to apiKeys).
var apiKeys []kmsg.ApiVersionsResponseApiKey

func init() {
	for key, h := range handlers {
		if h.serve == nil {
			continue
		}
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = int16(key), h.min, h.max
		apiKeys = append(apiKeys, k)
	}
}

// lookup returns the handler of key, or nil when the key is not served.
func lookup(key int16) *handler {
	if key < 0 || int(key) >= len(handlers) || handlers[key].serve == nil {
		return nil
	}
	return &handlers[key]
}

// dispatch decodes and serves one request frame. It returns the
// correlation ID and the reply (nil: send nothing), or an error that ends
// the connection.
func (s *Server) dispatch(c *conn, frame []byte) (int32, reply, error) {
	if c.saslRawMode() {
		return s.saslFrame(c, frame)
	}
	hdr, body, err := parseHeader(frame)
	if err != nil {
		return 0, nil, err
	}
	if c.sasl != nil {
		if r, err, handled := s.saslGate(c, hdr, body); handled {
			return hdr.corr, r, err
		}
	}
	s.requests.Add(1)
	a := s.reqStats.api(hdr.key)
	if a != nil {
		a.requests[statVersion(hdr.version)].Add(1)
	}
	c.t.api = a
	h := lookup(hdr.key)
	var r reply
	switch {
	case h == nil:
		r = unsupportedReply(hdr, nil, nil)
	case hdr.version > h.max && hdr.key == int16(kmsg.ApiVersions):
		r = apiVersionsTooNew()
	case hdr.version < h.min || hdr.version > h.max:
		r = unsupportedReply(hdr, body, h.refuse)
	}
	if r != nil {
		a.countReplyErrors(hdr.version, r)
		return hdr.corr, r, nil
	}
	kreq := kmsg.RequestForKey(hdr.key)
	kreq.SetVersion(hdr.version)
	if err := kreq.ReadFrom(body); err != nil {
		return 0, nil, fmt.Errorf("%w: %s v%d from %s: %w", errBadRequest, kmsg.NameForKey(hdr.key), hdr.version, c.remote, err)
	}
	s.log.Debug("request", "api", kmsg.NameForKey(hdr.key), "version", hdr.version, "corr", hdr.corr, "client", hdr.clientID, "remote", c.remote)
	r, err = h.serve(s, &request{c: c, hdr: hdr, kreq: kreq})
	if err == nil {
		s.applyQuotas(c, hdr, kreq, r, len(frame))
	}
	a.countReplyErrors(hdr.version, r)
	return hdr.corr, r, err
}

// unsupportedReply answers a key the server does not serve or a version
// outside its range with UNSUPPORTED_VERSION. When kmsg knows the key and
// version, the answer is that API's response with UNSUPPORTED_VERSION in
// its top-level error code (or, through refuse, wherever it has room);
// otherwise it is a v0 header followed by the error code alone, which is
// all a response can carry for an API nobody here knows.
func unsupportedReply(hdr header, body []byte, refuse func(kmsg.Request) kmsg.Response) reply {
	if hdr.known {
		if refuse != nil {
			kreq := kmsg.RequestForKey(hdr.key)
			kreq.SetVersion(hdr.version)
			if kreq.ReadFrom(body) == nil {
				return msgReply{refuse(kreq)}
			}
		}
		return msgReply{unsupportedResponse(hdr.key, hdr.version)}
	}
	code := kerr.UnsupportedVersion.Code
	return rawReply{body: []byte{byte(uint16(code) >> 8), byte(code)}}
}

// unsupportedResponse returns key's response at version with its
// top-level ErrorCode field, when it has one, set to UNSUPPORTED_VERSION.
func unsupportedResponse(key, version int16) kmsg.Response {
	resp := kmsg.ResponseForKey(key)
	resp.SetVersion(version)
	if f := reflect.ValueOf(resp).Elem().FieldByName("ErrorCode"); f.IsValid() && f.Kind() == reflect.Int16 {
		f.SetInt(int64(kerr.UnsupportedVersion.Code))
	}
	return resp
}

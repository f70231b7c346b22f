package server

// Authorization (package acl): the one helper every handler calls, the
// authorizer's start from authorizer.class.name, and the denial counts.
//
// With authorizer.class.name empty s.acl is nil and every check passes,
// as Kafka without an authorizer. Checks are index lookups (acl.Authorizer):
// no lock, no allocation.

import (
	"fmt"
	"net"
	"reflect"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/acl"
)

// Resource types and operations, short for the handlers.
const (
	rtTopic   = kmsg.ACLResourceTypeTopic
	rtGroup   = kmsg.ACLResourceTypeGroup
	rtCluster = kmsg.ACLResourceTypeCluster
	rtTxnID   = kmsg.ACLResourceTypeTransactionalId

	opRead            = kmsg.ACLOperationRead
	opWrite           = kmsg.ACLOperationWrite
	opCreate          = kmsg.ACLOperationCreate
	opDel             = kmsg.ACLOperationDelete
	opAlter           = kmsg.ACLOperationAlter
	opDescribe        = kmsg.ACLOperationDescribe
	opClusterAction   = kmsg.ACLOperationClusterAction
	opDescribeConfigs = kmsg.ACLOperationDescribeConfigs
	opAlterConfigs    = kmsg.ACLOperationAlterConfigs
	opIdempotentWrite = kmsg.ACLOperationIdempotentWrite
)

// noAuthorizedOps is Kafka's authorized-operations value when they were
// not asked for or there is no authorizer (Integer.MIN_VALUE).
const noAuthorizedOps int32 = -2147483648

// aclDenials counts denied checks by resource type and operation.
type aclDenials [kmsg.ACLResourceTypeUser + 1][kmsg.ACLOperationDescribeTokens + 1]atomic.Int64

// openACL starts the authorizer authorizer.class.name names, over the
// bindings of the first log dir.
func (s *Server) openACL() error {
	cfg, on, err := acl.ConfigFromProps(func(name string) (string, bool) {
		v, ok := s.cfg.Unknown[name]
		return v, ok
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if !on {
		return nil
	}
	a, err := acl.Open(s.fs, s.dataDir, cfg)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.acl = a
	return nil
}

// host is the address the connection came from, as ACL hosts name it.
func (c *conn) host() string {
	h, _, err := net.SplitHostPort(c.remote)
	if err != nil {
		return c.remote
	}
	return h
}

// authorize reports whether the connection may do op on rt/name, and
// counts a denial.
func (s *Server) authorize(c *conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool {
	if s.acl == nil {
		return true
	}
	if s.acl.Authorize(c.principal, c.host(), op, rt, name) {
		return true
	}
	s.aclDenied[rt][op].Add(1)
	return false
}

// allowed is authorize without counting a denial, for checks that have
// another way through (Kafka's logIfDenied = false): CREATE on the cluster
// before CREATE on the topic, IDEMPOTENT_WRITE before WRITE on a topic.
func (s *Server) allowed(c *conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool {
	return s.acl == nil || s.acl.Authorize(c.principal, c.host(), op, rt, name)
}

// authorizeCluster is authorize on the cluster resource.
func (s *Server) authorizeCluster(c *conn, op kmsg.ACLOperation) bool {
	return s.authorize(c, op, rtCluster, acl.ClusterName)
}

// authorizeAny reports whether the connection may do op on some resource
// of type rt (Kafka's authorizeByResourceType).
func (s *Server) authorizeAny(c *conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType) bool {
	if s.acl == nil {
		return true
	}
	return s.acl.AuthorizeAny(c.principal, c.host(), op, rt)
}

// authorizedOps is the authorized-operations field for rt/name: when
// asked, the bit field of the operations the principal may do (without an
// authorizer every operation rt supports, as Kafka's AuthHelper), else
// noAuthorizedOps.
func (s *Server) authorizedOps(c *conn, asked bool, rt kmsg.ACLResourceType, name string) int32 {
	if !asked {
		return noAuthorizedOps
	}
	if s.acl == nil {
		var bits int32
		for _, op := range acl.Operations(rt) {
			bits |= 1 << op
		}
		return bits
	}
	return s.acl.Operations(c.principal, c.host(), rt, name)
}

// ACLDenial is one count of denied checks.
type ACLDenial struct {
	ResourceType, Operation string
	Count                   int64
}

// ACLDenials returns the non-zero denial counts, by resource type then
// operation.
func (s *Server) ACLDenials() []ACLDenial {
	var out []ACLDenial
	for rt := range s.aclDenied {
		for op := range s.aclDenied[rt] {
			if n := s.aclDenied[rt][op].Load(); n > 0 {
				out = append(out, ACLDenial{kmsg.ACLResourceType(rt).String(), kmsg.ACLOperation(op).String(), n})
			}
		}
	}
	return out
}

// ACLsEnabled reports whether an authorizer runs.
func (s *Server) ACLsEnabled() bool { return s.acl != nil }

// Kafka's default messages of the authorization errors (Errors.java).
var (
	errTopicDenied   = kerrf(kerr.TopicAuthorizationFailed, "Topic authorization failed.")
	errGroupDenied   = kerrf(kerr.GroupAuthorizationFailed, "Group authorization failed.")
	errClusterDenied = kerrf(kerr.ClusterAuthorizationFailed, "Cluster authorization failed.")
)

// authorizeConfig checks op (DESCRIBE_CONFIGS or ALTER_CONFIGS) on a
// config resource as Kafka's ConfigAdminManager: a topic on the topic, a
// group on the group, a broker, broker logger or client-metrics resource
// on the cluster. It returns the error to answer, or nil.
func (s *Server) authorizeConfig(c *conn, op kmsg.ACLOperation, rt kmsg.ConfigResourceType, name string) error {
	if s.acl == nil {
		return nil
	}
	switch rt {
	case kmsg.ConfigResourceTypeTopic:
		if !s.authorize(c, op, rtTopic, name) {
			return errTopicDenied
		}
	case kmsg.ConfigResourceTypeGroupConfig:
		if !s.authorize(c, op, rtGroup, name) {
			return errGroupDenied
		}
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger, kmsg.ConfigResourceTypeClientMetrics:
		if !s.authorizeCluster(c, op) {
			return errClusterDenied
		}
	}
	return nil
}

// clusterDenied answers a request that needs op on the cluster, when the
// principal may not: nil when it may. The answer is the response with
// CLUSTER_AUTHORIZATION_FAILED in its top-level error code (Kafka's
// getErrorResponse for DescribeLogDirs, UpdateFeatures, UnregisterBroker,
// DescribeUserScramCredentials), or per user for
// AlterUserScramCredentials.
func (s *Server) clusterDenied(r *request, op kmsg.ACLOperation) reply {
	if s.authorizeCluster(r.c, op) {
		return nil
	}
	code := kerr.ClusterAuthorizationFailed.Code
	if req, ok := r.kreq.(*kmsg.AlterUserSCRAMCredentialsRequest); ok {
		resp := req.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
		seen := map[string]bool{}
		add := func(u string) {
			if !seen[u] {
				seen[u] = true
				res := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
				res.User, res.ErrorCode = u, code
				resp.Results = append(resp.Results, res)
			}
		}
		for _, d := range req.Deletions {
			add(d.Name)
		}
		for _, u := range req.Upsertions {
			add(u.Name)
		}
		return msgReply{resp}
	}
	resp := r.kreq.ResponseKind()
	if f := reflect.ValueOf(resp).Elem().FieldByName("ErrorCode"); f.IsValid() && f.Kind() == reflect.Int16 {
		f.SetInt(int64(code))
	}
	return msgReply{resp}
}

package acl

import (
	"errors"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka's names for the wildcard resource, principal and host.
const (
	Wildcard          = "*"
	WildcardPrincipal = "User:*"
	ClusterName       = "kafka-cluster"
)

// Binding is one ACL: Kafka's AclBinding.
type Binding struct {
	ResourceType kmsg.ACLResourceType        `json:"resourceType"`
	ResourceName string                      `json:"resourceName"`
	PatternType  kmsg.ACLResourcePatternType `json:"patternType"`
	Principal    string                      `json:"principal"`
	Host         string                      `json:"host"`
	Operation    kmsg.ACLOperation           `json:"operation"`
	Permission   kmsg.ACLPermissionType      `json:"permission"`
}

// Filter selects bindings: Kafka's AclBindingFilter. A nil string, ANY
// enum, or (for the pattern type) MATCH matches more than one value.
type Filter struct {
	ResourceType kmsg.ACLResourceType
	ResourceName *string
	PatternType  kmsg.ACLResourcePatternType
	Principal    *string
	Host         *string
	Operation    kmsg.ACLOperation
	Permission   kmsg.ACLPermissionType
}

// Errors of Validate, with Kafka's messages (InvalidRequestException).
var (
	ErrInvalid = errors.New("invalid ACL")
)

// Validate reports why b cannot be created, as Kafka's
// AclControlManager.validateNewAcl does, or nil.
func (b Binding) Validate() error {
	switch {
	case b.ResourceType == kmsg.ACLResourceTypeUnknown || b.ResourceType == kmsg.ACLResourceTypeAny || b.ResourceType > kmsg.ACLResourceTypeUser:
		return invalid("Invalid resourceType " + b.ResourceType.String())
	case b.PatternType != kmsg.ACLResourcePatternTypeLiteral && b.PatternType != kmsg.ACLResourcePatternTypePrefixed:
		return invalid("Invalid patternType " + b.PatternType.String())
	case b.Operation == kmsg.ACLOperationUnknown || b.Operation == kmsg.ACLOperationAny || b.Operation > kmsg.ACLOperationDescribeTokens:
		return invalid("Invalid operation " + b.Operation.String())
	case b.Permission != kmsg.ACLPermissionTypeAllow && b.Permission != kmsg.ACLPermissionTypeDeny:
		return invalid("Invalid permissionType " + b.Permission.String())
	case b.ResourceName == "":
		return invalid("Resource name should not be empty")
	case b.ResourceType == kmsg.ACLResourceTypeCluster && b.ResourceName != ClusterName:
		return invalid("The only valid name for the CLUSTER resource is " + ClusterName)
	case b.PatternType == kmsg.ACLResourcePatternTypePrefixed && b.ResourceName == Wildcard:
		return invalid("Invalid pattern type for wildcard resource: PREFIXED")
	}
	typ, _, ok := strings.Cut(b.Principal, ":")
	if !ok || typ == "" {
		return invalid("expected a string in format principalType:principalName but got " + b.Principal)
	}
	if b.Host == "" {
		return invalid("Invalid empty host")
	}
	return nil
}

type invalidError string

func (e invalidError) Error() string { return string(e) }
func (e invalidError) Unwrap() error { return ErrInvalid }

func invalid(msg string) error { return invalidError(msg) }

// Validate reports why f cannot be used to delete or describe, or nil.
func (f Filter) Validate() error {
	switch {
	case f.ResourceType == kmsg.ACLResourceTypeUnknown || f.ResourceType > kmsg.ACLResourceTypeUser:
		return invalid("Invalid resourceType " + f.ResourceType.String())
	case f.PatternType == kmsg.ACLResourcePatternTypeUnknown || f.PatternType > kmsg.ACLResourcePatternTypePrefixed:
		return invalid("Invalid patternType " + f.PatternType.String())
	case f.Operation == kmsg.ACLOperationUnknown || f.Operation > kmsg.ACLOperationDescribeTokens:
		return invalid("Invalid operation " + f.Operation.String())
	case f.Permission == kmsg.ACLPermissionTypeUnknown || f.Permission > kmsg.ACLPermissionTypeAllow:
		return invalid("Invalid permissionType " + f.Permission.String())
	}
	return nil
}

// Matches reports whether f selects b (Kafka's AclBindingFilter.matches):
// MATCH selects the literal binding of the name, the wildcard literal and
// every prefix binding the name starts with.
func (f Filter) Matches(b Binding) bool {
	if f.ResourceType != kmsg.ACLResourceTypeAny && f.ResourceType != b.ResourceType {
		return false
	}
	switch f.PatternType {
	case kmsg.ACLResourcePatternTypeAny:
		if f.ResourceName != nil && *f.ResourceName != b.ResourceName {
			return false
		}
	case kmsg.ACLResourcePatternTypeMatch:
		if f.ResourceName != nil {
			n := *f.ResourceName
			switch b.PatternType {
			case kmsg.ACLResourcePatternTypeLiteral:
				if b.ResourceName != n && b.ResourceName != Wildcard {
					return false
				}
			case kmsg.ACLResourcePatternTypePrefixed:
				if !strings.HasPrefix(n, b.ResourceName) {
					return false
				}
			}
		}
	default:
		if f.PatternType != b.PatternType {
			return false
		}
		if f.ResourceName != nil && *f.ResourceName != b.ResourceName {
			return false
		}
	}
	if f.Principal != nil && *f.Principal != b.Principal {
		return false
	}
	if f.Host != nil && *f.Host != b.Host {
		return false
	}
	if f.Operation != kmsg.ACLOperationAny && f.Operation != b.Operation {
		return false
	}
	if f.Permission != kmsg.ACLPermissionTypeAny && f.Permission != b.Permission {
		return false
	}
	return true
}

// implies reports whether an ALLOW binding of op grants want (Kafka's
// StandardAuthorizerData: ALL grants all; READ, WRITE, DELETE and ALTER
// grant DESCRIBE; ALTER_CONFIGS grants DESCRIBE_CONFIGS).
func implies(op, want kmsg.ACLOperation) bool {
	if op == want || op == kmsg.ACLOperationAll {
		return true
	}
	switch want {
	case kmsg.ACLOperationDescribe:
		return op == kmsg.ACLOperationRead || op == kmsg.ACLOperationWrite || op == kmsg.ACLOperationDelete || op == kmsg.ACLOperationAlter
	case kmsg.ACLOperationDescribeConfigs:
		return op == kmsg.ACLOperationAlterConfigs
	}
	return false
}

// Operations lists the operations a resource type supports (Kafka's
// AclEntry.supportedOperations), for the authorized-operations fields.
func Operations(rt kmsg.ACLResourceType) []kmsg.ACLOperation {
	switch rt {
	case kmsg.ACLResourceTypeTopic:
		return []kmsg.ACLOperation{kmsg.ACLOperationRead, kmsg.ACLOperationWrite, kmsg.ACLOperationCreate, kmsg.ACLOperationDescribe, kmsg.ACLOperationDelete, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribeConfigs, kmsg.ACLOperationAlterConfigs}
	case kmsg.ACLResourceTypeGroup:
		return []kmsg.ACLOperation{kmsg.ACLOperationRead, kmsg.ACLOperationDescribe, kmsg.ACLOperationDelete}
	case kmsg.ACLResourceTypeCluster:
		return []kmsg.ACLOperation{kmsg.ACLOperationCreate, kmsg.ACLOperationClusterAction, kmsg.ACLOperationDescribeConfigs, kmsg.ACLOperationAlterConfigs, kmsg.ACLOperationIdempotentWrite, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribe}
	case kmsg.ACLResourceTypeTransactionalId:
		return []kmsg.ACLOperation{kmsg.ACLOperationDescribe, kmsg.ACLOperationWrite}
	case kmsg.ACLResourceTypeDelegationToken:
		return []kmsg.ACLOperation{kmsg.ACLOperationDescribe}
	case kmsg.ACLResourceTypeUser:
		return []kmsg.ACLOperation{kmsg.ACLOperationCreateTokens, kmsg.ACLOperationDescribeTokens}
	}
	return nil
}

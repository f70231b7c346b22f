package console

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The ACLs page: every ACL binding the cluster describes (DescribeAcls,
// filtered by principal, resource type and resource name as the query
// asks: ?principal=User:alice&type=TOPIC&name=t, the name matched as
// Kafka's MATCH filter does: literal, wildcard and prefixes), a form to
// add one (CreateAcls) and a delete button per binding (DeleteAcls of
// exactly that binding). Both writes are POSTs with the CSRF token, hidden
// in read-only mode. A cluster without an authorizer answers
// SECURITY_DISABLED: the page says so.

type aclRow struct {
	Type, Name, Pattern, Principal, Host, Operation, Permission string
}

type aclData struct {
	Disabled                 string // the broker's message when no authorizer runs
	Rows                     []aclRow
	Principal, Type, RName   string // the filters in force
	Types, Operations, Perms []string
}

var aclTypes = []string{"TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"}

var aclOperations = []string{"ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION", "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS"}

func (s *Server) acls(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := aclData{Principal: q.Get("principal"), Type: q.Get("type"), RName: q.Get("name"), Types: aclTypes, Operations: aclOperations, Perms: []string{"ALLOW", "DENY"}}
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	if d.Type != "" {
		rt, err := kmsg.ParseACLResourceType(d.Type)
		if err != nil || rt < kmsg.ACLResourceTypeTopic {
			return badRequest("unknown resource type %q", d.Type)
		}
		req.ResourceType = rt
	}
	if d.RName != "" {
		req.ResourceName, req.ResourcePatternType = kmsg.StringPtr(d.RName), kmsg.ACLResourcePatternTypeMatch
	}
	if d.Principal != "" {
		req.Principal = kmsg.StringPtr(d.Principal)
	}
	resp, err := req.RequestWith(r.Context(), s.cl)
	if err != nil {
		return err
	}
	switch {
	case resp.ErrorCode == kerr.SecurityDisabled.Code:
		d.Disabled = "No authorizer is configured on the broker (authorizer.class.name)."
		if resp.ErrorMessage != nil {
			d.Disabled = *resp.ErrorMessage + " (authorizer.class.name)."
		}
	case resp.ErrorCode != 0:
		return kafkaRefused(kerr.ErrorForCode(resp.ErrorCode))
	}
	for _, res := range resp.Resources {
		for _, a := range res.ACLs {
			d.Rows = append(d.Rows, aclRow{res.ResourceType.String(), res.ResourceName, res.ResourcePatternType.String(), a.Principal, a.Host, a.Operation.String(), a.PermissionType.String()})
		}
	}
	slices.SortFunc(d.Rows, func(a, b aclRow) int {
		return cmp.Or(cmp.Compare(slices.Index(aclTypes, a.Type), slices.Index(aclTypes, b.Type)), strings.Compare(a.Name, b.Name),
			strings.Compare(a.Pattern, b.Pattern), strings.Compare(a.Principal, b.Principal), strings.Compare(a.Host, b.Host),
			cmp.Compare(slices.Index(aclOperations, a.Operation), slices.Index(aclOperations, b.Operation)), strings.Compare(a.Permission, b.Permission))
	})
	return s.render(w, r, http.StatusOK, "acls.html", "ACLs", "acls", d)
}

// aclForm reads one binding from a form.
func aclForm(r *http.Request) (aclRow, kmsg.ACLResourceType, kmsg.ACLResourcePatternType, kmsg.ACLOperation, kmsg.ACLPermissionType, error) {
	f := r.PostForm
	row := aclRow{Type: f.Get("type"), Name: strings.TrimSpace(f.Get("name")), Pattern: f.Get("pattern"), Principal: strings.TrimSpace(f.Get("principal")),
		Host: strings.TrimSpace(f.Get("host")), Operation: f.Get("operation"), Permission: f.Get("permission")}
	if row.Host == "" {
		row.Host = "*"
	}
	if row.Type == "CLUSTER" && row.Name == "" {
		row.Name = "kafka-cluster"
	}
	rt, err1 := kmsg.ParseACLResourceType(row.Type)
	pt, err2 := kmsg.ParseACLResourcePatternType(row.Pattern)
	op, err3 := kmsg.ParseACLOperation(row.Operation)
	perm, err4 := kmsg.ParseACLPermissionType(row.Permission)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return row, 0, 0, 0, 0, badRequest("bad ACL: %v", err)
	}
	if row.Name == "" || row.Principal == "" {
		return row, 0, 0, 0, 0, badRequest("an ACL needs a resource name and a principal")
	}
	return row, rt, pt, op, perm, nil
}

func (s *Server) addACL(w http.ResponseWriter, r *http.Request) error {
	row, rt, pt, op, perm, err := aclForm(r)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrCreateACLsRequest()
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = rt, row.Name, pt
	c.Principal, c.Host, c.Operation, c.PermissionType = row.Principal, row.Host, op, perm
	req.Creations = []kmsg.CreateACLsRequestCreation{c}
	resp, err := req.RequestWith(r.Context(), s.cl)
	if err != nil {
		return err
	}
	if res := resp.Results[0]; res.ErrorCode != 0 {
		return aclRefused(res.ErrorCode, res.ErrorMessage)
	}
	return redirect(w, r, "/acls?done=added")
}

func (s *Server) deleteACL(w http.ResponseWriter, r *http.Request) error {
	row, rt, pt, op, perm, err := aclForm(r)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourceName, f.ResourcePatternType = rt, kmsg.StringPtr(row.Name), pt
	f.Principal, f.Host, f.Operation, f.PermissionType = kmsg.StringPtr(row.Principal), kmsg.StringPtr(row.Host), op, perm
	req.Filters = []kmsg.DeleteACLsRequestFilter{f}
	resp, err := req.RequestWith(r.Context(), s.cl)
	if err != nil {
		return err
	}
	if res := resp.Results[0]; res.ErrorCode != 0 {
		return aclRefused(res.ErrorCode, res.ErrorMessage)
	}
	return redirect(w, r, "/acls?done=deleted")
}

func aclRefused(code int16, msg *string) error {
	text := errText(kerr.ErrorForCode(code))
	if msg != nil && *msg != "" {
		text += " (" + *msg + ")"
	}
	return &httpError{http.StatusBadRequest, "the cluster refused: " + text}
}

package server

import (
	"reflect"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// countResponseErrors calls fn with every ErrorCode field of resp (the
// top level's and those of its topics, partitions, groups...), as Kafka's
// AbstractResponse.errorCounts counts them for ErrorsPerSec. Produce, the
// hot one, is walked by hand; the others by reflection over a plan made
// once per response type that visits only the fields leading to an
// ErrorCode.
func countResponseErrors(resp kmsg.Response, fn func(int16)) {
	if p, ok := resp.(*kmsg.ProduceResponse); ok {
		for i := range p.Topics {
			for j := range p.Topics[i].Partitions {
				if c := p.Topics[i].Partitions[j].ErrorCode; c != 0 {
					fn(c)
				}
			}
		}
		return
	}
	v := reflect.ValueOf(resp)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	walkErrors(planFor(v.Elem().Type()), v.Elem(), fn)
}

// errPlan says where the ErrorCode fields of a struct type are: its own
// (code >= 0) and, through slices or structs, those of nested types.
type errPlan struct {
	code   int // index of an int16 ErrorCode field; -1: none
	nested []errStep
}

type errStep struct {
	field int
	slice bool // a slice of structs (else a struct)
	plan  *errPlan
}

var errPlans sync.Map // reflect.Type -> *errPlan (nil: no ErrorCode below)

func planFor(t reflect.Type) *errPlan {
	if p, ok := errPlans.Load(t); ok {
		return p.(*errPlan)
	}
	p := makePlan(t, map[reflect.Type]bool{})
	errPlans.Store(t, p)
	return p
}

func makePlan(t reflect.Type, seen map[reflect.Type]bool) *errPlan {
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	defer delete(seen, t)
	p := &errPlan{code: -1}
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case f.Name == "ErrorCode" && f.Type.Kind() == reflect.Int16:
			p.code = i
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			if sub := makePlan(f.Type.Elem(), seen); sub != nil {
				p.nested = append(p.nested, errStep{field: i, slice: true, plan: sub})
			}
		case f.Type.Kind() == reflect.Struct:
			if sub := makePlan(f.Type, seen); sub != nil {
				p.nested = append(p.nested, errStep{field: i, plan: sub})
			}
		}
	}
	if p.code < 0 && len(p.nested) == 0 {
		return nil
	}
	return p
}

func walkErrors(p *errPlan, v reflect.Value, fn func(int16)) {
	if p == nil {
		return
	}
	if p.code >= 0 {
		if c := int16(v.Field(p.code).Int()); c != 0 {
			fn(c)
		}
	}
	for _, st := range p.nested {
		f := v.Field(st.field)
		if !st.slice {
			walkErrors(st.plan, f, fn)
			continue
		}
		for i := range f.Len() {
			walkErrors(st.plan, f.Index(i), fn)
		}
	}
}

package config

import (
	"github.com/stratabroker/strata/internal/props"
)

// Property is one key and value read from a .properties file.
type Property = props.Property

// ParseProperties reads src with the syntax of Java's Properties.load
// (internal/props). Its only error, a malformed \uXXXX escape, wraps
// ErrInvalidConfig.
func ParseProperties(src string) ([]Property, error) {
	p, err := props.Parse(src)
	if err != nil {
		return nil, invalid("", err.Error())
	}
	return p, nil
}

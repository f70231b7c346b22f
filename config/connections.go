package config

import (
	"strconv"
	"strings"
)

// MaxConnectionsPerIPOverride parses max.connections.per.ip.overrides,
// Kafka's "host:count,host:count" (IPv6 hosts as [::1]:count): the limit
// per IP address that replaces max.connections.per.ip for that address.
// Hosts are matched literally against the client's IP (Kafka resolves host
// names once; Strata expects addresses).
func (b *Broker) MaxConnectionsPerIPOverride() (map[string]int, *Error) {
	out := map[string]int{}
	for _, item := range splitList(b.MaxConnectionsPerIPOverrides) {
		i := strings.LastIndex(item, ":")
		if i <= 0 {
			return nil, invalidValue("max.connections.per.ip.overrides", b.MaxConnectionsPerIPOverrides, "Map entry '"+item+"' is not of the form host:count")
		}
		host := strings.Trim(strings.TrimSpace(item[:i]), "[]")
		n, err := strconv.Atoi(strings.TrimSpace(item[i+1:]))
		if err != nil || n < 0 {
			return nil, invalidValue("max.connections.per.ip.overrides", b.MaxConnectionsPerIPOverrides, "Invalid connection count in '"+item+"'")
		}
		out[host] = n
	}
	return out, nil
}

package config

import (
	"net"
	"net/url"
	"strings"
)

// HTTP holds Strata's own properties of its HTTP side: the web console and
// the Prometheus metrics (Kafka has neither in the broker; the names follow
// its style).
type HTTP struct {
	ConsoleEnable      bool   // console.enable: true
	ConsoleListeners   string // console.listeners: "http://127.0.0.1:8080"
	ConsoleReadOnly    bool   // console.read.only: false
	ConsolePprofEnable bool   // console.pprof.enable: false (/debug/pprof on the console's listener)
	MetricsListeners   string // metrics.listeners: "" (/metrics on the console's listeners)
}

func httpProps() []*brokerProp {
	listeners := str()
	listeners.check = func(name, v string) *Error {
		_, err := ParseHTTPListeners(name, v)
		return err
	}
	return []*brokerProp{
		{name: "console.enable", spec: boolean(), dflt: "true",
			get: func(b *Broker) (string, bool) { return btoa(b.HTTP.ConsoleEnable) },
			set: func(b *Broker, v string) { b.HTTP.ConsoleEnable = v == "true" }},
		{name: "console.listeners", spec: listeners, dflt: "http://127.0.0.1:8080",
			get: func(b *Broker) (string, bool) { return b.HTTP.ConsoleListeners, true },
			set: func(b *Broker, v string) { b.HTTP.ConsoleListeners = v }},
		{name: "console.read.only", spec: boolean(), dflt: "false",
			get: func(b *Broker) (string, bool) { return btoa(b.HTTP.ConsoleReadOnly) },
			set: func(b *Broker, v string) { b.HTTP.ConsoleReadOnly = v == "true" }},
		{name: "console.pprof.enable", spec: boolean(), dflt: "false",
			get: func(b *Broker) (string, bool) { return btoa(b.HTTP.ConsolePprofEnable) },
			set: func(b *Broker, v string) { b.HTTP.ConsolePprofEnable = v == "true" }},
		{name: "metrics.listeners", spec: listeners, null: true,
			get: func(b *Broker) (string, bool) { return b.HTTP.MetricsListeners, b.HTTP.MetricsListeners != "" },
			set: func(b *Broker, v string) { b.HTTP.MetricsListeners = v }},
	}
}

// ParseHTTPListeners parses a comma-separated list of http://HOST:PORT
// URLs (an empty host means every interface, port 0 a free port) into
// host:port addresses for net.Listen. Only http is served.
func ParseHTTPListeners(name, v string) ([]string, *Error) {
	var out []string
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, err := url.Parse(part)
		if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, invalidValue(name, v, "each listener must be http://HOST:PORT")
		}
		if _, _, err := net.SplitHostPort(u.Host); err != nil {
			return nil, invalidValue(name, v, "each listener must be http://HOST:PORT")
		}
		out = append(out, u.Host)
	}
	return out, nil
}

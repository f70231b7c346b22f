package config

import (
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Listener is one endpoint of listeners or advertised.listeners.
type Listener struct {
	Name     string // the listener name, upper-cased as Kafka normalises it: PLAINTEXT, PLAINTEXT_HOST, ...
	Protocol string // its security protocol, from listener.security.protocol.map
	Host     string // "" listens on every interface
	Port     int    // 0 asks the OS for a port
}

// Addr is host:port for net.Listen.
func (l Listener) Addr() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// Kafka's endpoint syntax: NAME://host:port, NAME://[v6addr]:port, NAME://:port.
var endpointPattern = regexp.MustCompile(`^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$`)

var securityProtocols = []string{"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}

// parseProtocolMap parses listener.security.protocol.map: NAME:PROTOCOL,...
func parseProtocolMap(prop, v string) (map[string]string, *Error) {
	m := map[string]string{}
	for _, item := range splitList(v) {
		name, proto, ok := strings.Cut(item, ":")
		name, proto = strings.ToUpper(strings.TrimSpace(name)), strings.ToUpper(strings.TrimSpace(proto))
		if !ok || name == "" {
			return nil, invalidValue(prop, v, "Map entry '"+item+"' is not of the form NAME:PROTOCOL")
		}
		if !contains(securityProtocols, proto) {
			return nil, invalidValue(prop, v, "No enum constant for security protocol "+proto)
		}
		if _, dup := m[name]; dup {
			return nil, invalidValue(prop, v, "Duplicate listener name "+name)
		}
		m[name] = proto
	}
	return m, nil
}

func (b *Broker) controllerNames() []string {
	var names []string
	for _, n := range splitList(b.ControllerListenerNames) {
		names = append(names, strings.ToUpper(n))
	}
	return names
}

// parseEndpoints parses a listeners-style list of prop.
func (b *Broker) parseEndpoints(prop, v string) ([]Listener, error) {
	protocols, perr := parseProtocolMap("listener.security.protocol.map", b.ListenerSecurityProtocolMap)
	if perr != nil {
		return nil, perr
	}
	controllers := b.controllerNames()
	var out []Listener
	for _, item := range splitList(v) {
		m := endpointPattern.FindStringSubmatch(item)
		if m == nil {
			return nil, invalidValue(prop, v, "Unable to parse "+item+" to a broker endpoint")
		}
		port, err := strconv.Atoi(m[3])
		if err != nil || port < 0 || port > 65535 {
			return nil, invalidValue(prop, v, "Invalid port "+m[3]+" in "+item)
		}
		l := Listener{Name: strings.ToUpper(m[1]), Host: m[2], Port: port}
		if l.Name == "" {
			return nil, invalidValue(prop, v, "Unable to parse "+item+" to a broker endpoint")
		}
		proto, ok := protocols[l.Name]
		if !ok && contains(controllers, l.Name) {
			proto, ok = "PLAINTEXT", true // Kafka maps unmapped controller listeners to PLAINTEXT
		}
		if !ok {
			return nil, invalidValue(prop, v, "No security protocol defined for listener "+l.Name)
		}
		l.Protocol = proto
		for _, o := range out {
			if o.Name == l.Name {
				return nil, invalidValue(prop, v, "Each listener must have a different name")
			}
			if o.Port == l.Port && l.Port != 0 && prop == "listeners" {
				return nil, invalidValue(prop, v, "Each listener must have a different port")
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// ListenerEndpoints parses listeners, every endpoint with its security
// protocol, controller listeners included.
func (b *Broker) ListenerEndpoints() ([]Listener, error) {
	return b.parseEndpoints("listeners", b.Listeners)
}

// ServedListeners returns the listeners Strata serves: every one that is
// not a controller listener, whatever its security protocol (PLAINTEXT,
// SSL, SASL_PLAINTEXT, SASL_SSL). The apache/kafka image's default
// (PLAINTEXT://localhost:29092, CONTROLLER://localhost:29093,
// PLAINTEXT_HOST://0.0.0.0:9092) yields two. An error wrapping
// ErrInvalidConfig when listeners is malformed or names only controller
// listeners.
func (b *Broker) ServedListeners() ([]Listener, error) {
	all, err := b.ListenerEndpoints()
	if err != nil {
		return nil, err
	}
	controllers := b.controllerNames()
	var served []Listener
	for _, l := range all {
		if !contains(controllers, l.Name) {
			served = append(served, l)
		}
	}
	if len(served) == 0 {
		return nil, invalidValue("listeners", b.Listeners, "no broker listener is configured (every one is a controller listener)")
	}
	return served, nil
}

// ListenAddr is host:port of the first served PLAINTEXT listener, else of
// the first served listener (ServedListeners).
func (b *Broker) ListenAddr() (string, error) {
	served, err := b.ServedListeners()
	if err != nil {
		return "", err
	}
	for _, l := range served {
		if l.Protocol == "PLAINTEXT" {
			return l.Addr(), nil
		}
	}
	return served[0].Addr(), nil
}

// AdvertisedEndpoints returns the endpoints to give clients in Metadata,
// by listener name: advertised.listeners, or the non-controller listeners
// when it is empty. A Metadata response should advertise the endpoint whose
// Name is the listener the client connected to. Host "" or "0.0.0.0" (only
// possible when taken from listeners) and port 0 are for the server to
// replace with the address it actually listens on. Kafka's rules hold: every
// advertised name is a listener's name, none is a controller listener, and
// an explicit advertised host is never 0.0.0.0.
func (b *Broker) AdvertisedEndpoints() ([]Listener, error) {
	listeners, err := b.ListenerEndpoints()
	if err != nil {
		return nil, err
	}
	controllers := b.controllerNames()
	if b.AdvertisedListeners == "" {
		var out []Listener
		for _, l := range listeners {
			if !contains(controllers, l.Name) {
				out = append(out, l)
			}
		}
		return out, nil
	}
	adv, err := b.parseEndpoints("advertised.listeners", b.AdvertisedListeners)
	if err != nil {
		return nil, err
	}
	for _, a := range adv {
		if a.Host == "0.0.0.0" || a.Host == "::" {
			return nil, invalidValue("advertised.listeners", b.AdvertisedListeners,
				"advertised.listeners cannot use the nonroutable meta-address "+a.Host+". Use a routable IP address.")
		}
		if contains(controllers, a.Name) {
			return nil, invalidValue("advertised.listeners", b.AdvertisedListeners,
				"The advertised.listeners config must not contain KRaft controller listeners from controller.listener.names")
		}
		found := false
		for _, l := range listeners {
			found = found || l.Name == a.Name
		}
		if !found {
			return nil, invalidValue("advertised.listeners", b.AdvertisedListeners,
				"advertised.listeners listener names must be equal to or a subset of the ones defined in listeners")
		}
	}
	return adv, nil
}

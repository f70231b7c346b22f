package server

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/auth"
	"github.com/stratabroker/strata/config"
)

// saslConfig reads the SASL configuration of every served SASL listener
// (auth.ListenerFromProps over the properties Strata keeps unparsed).
func saslConfig(cfg *config.Broker, served []config.Listener) (map[string]*auth.Listener, error) {
	out := map[string]*auth.Listener{}
	get := func(name string) (string, bool) {
		v, ok := cfg.Unknown[name]
		return v, ok
	}
	for _, l := range served {
		if !isSASL(l.Protocol) {
			continue
		}
		al, err := auth.ListenerFromProps(l.Name, get)
		if err != nil {
			return nil, err
		}
		out[l.Name] = al
	}
	return out, nil
}

// openAuth opens the SCRAM credential store of the first log dir (always:
// AlterUserScramCredentials works on any listener) and the authenticator
// of the SASL listeners.
func (s *Server) openAuth(listeners map[string]*auth.Listener) error {
	store, err := auth.OpenStore(s.fs, s.dataDir)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.scram = store
	s.auth = auth.New(listeners, store, s.now)
	if err := s.openTokens(); err != nil {
		return err
	}
	s.saslMaxReceive = 524288 // Kafka's default
	if v, ok := s.cfg.Unknown["sasl.server.max.receive.size"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n <= 0 {
			return fmt.Errorf("%w: sasl.server.max.receive.size: %q is not a positive int", ErrConfig, v)
		}
		s.saslMaxReceive = n
	}
	return nil
}

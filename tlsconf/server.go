package tlsconf

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Listener is the TLS side of one listener.
type Listener struct {
	TLS   *tls.Config // the server configuration: certificate, client auth, versions, suites
	Rules *Rules      // ssl.principal.mapping.rules
}

// ErrConfig wraps every error of Server.
var ErrConfig = errors.New("invalid SSL configuration")

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// Server builds a listener's TLS configuration from its SSL properties,
// by their unprefixed names (ssl.keystore.location, ...).
func Server(props map[string]string) (*Listener, error) {
	cert, err := keystore(props)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if cfg.ClientCAs, err = truststore(props); err != nil {
		return nil, err
	}
	switch auth := strings.ToLower(strings.TrimSpace(props["ssl.client.auth"])); auth {
	case "", "none":
		cfg.ClientAuth = tls.NoClientCert
	case "requested":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "required":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, errorf("Invalid value %s for configuration ssl.client.auth: String must be one of: required, requested, none", auth)
	}
	if err := versions(cfg, props); err != nil {
		return nil, err
	}
	if cfg.CipherSuites, err = CipherSuites(props["ssl.cipher.suites"]); err != nil {
		return nil, err
	}
	rules, err := ParseRules(props["ssl.principal.mapping.rules"])
	if err != nil {
		return nil, err
	}
	return &Listener{TLS: cfg, Rules: rules}, nil
}

// storeType checks ssl.keystore.type or ssl.truststore.type: PEM, or unset
// (Kafka's default, JKS, is refused: unset is read as PEM here).
func storeType(prop, v string) error {
	switch t := strings.ToUpper(strings.TrimSpace(v)); t {
	case "", "PEM":
		return nil
	default:
		return errorf("%s=%s is not supported: Strata reads PEM stores only (set %s=PEM and convert the store, e.g. openssl pkcs12 -in store.p12 -nodes)", prop, v, prop)
	}
}

func keystore(props map[string]string) (tls.Certificate, error) {
	if err := storeType("ssl.keystore.type", props["ssl.keystore.type"]); err != nil {
		return tls.Certificate{}, err
	}
	var data []byte
	switch loc, key, chain := props["ssl.keystore.location"], props["ssl.keystore.key"], props["ssl.keystore.certificate.chain"]; {
	case loc != "" && (key != "" || chain != ""):
		return tls.Certificate{}, errorf("ssl.keystore.location and ssl.keystore.key / ssl.keystore.certificate.chain are exclusive")
	case loc != "":
		b, err := os.ReadFile(loc)
		if err != nil {
			return tls.Certificate{}, errorf("ssl.keystore.location: %v", err)
		}
		data = b
	case key != "" && chain != "":
		data = []byte(key + "\n" + chain)
	case key != "" || chain != "":
		return tls.Certificate{}, errorf("ssl.keystore.key and ssl.keystore.certificate.chain must be given together")
	default:
		return tls.Certificate{}, errorf("an SSL listener needs a keystore: ssl.keystore.location or ssl.keystore.key and ssl.keystore.certificate.chain")
	}
	return parseKeystore(data, props["ssl.key.password"] != "")
}

// parseKeystore reads a PEM private key and certificate chain, in any order.
func parseKeystore(data []byte, password bool) (tls.Certificate, error) {
	var cert tls.Certificate
	var key crypto.PrivateKey
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			cert.Certificate = append(cert.Certificate, b.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return cert, errorf("the keystore's private key is encrypted (ssl.key.password): Strata reads unencrypted PKCS#8 keys only (decrypt it with: openssl pkcs8 -in key.pem -out plain.pem)")
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if key != nil {
				return cert, errorf("the keystore holds more than one private key")
			}
			var err error
			if key, err = parseKey(b); err != nil {
				return cert, errorf("keystore private key: %v", err)
			}
		}
	}
	if key == nil {
		return cert, errorf("the keystore holds no PEM private key")
	}
	if len(cert.Certificate) == 0 {
		return cert, errorf("the keystore holds no PEM certificate")
	}
	_ = password // an unencrypted key ignores ssl.key.password, as Kafka does
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return cert, errorf("keystore certificate: %v", err)
	}
	cert.Leaf, cert.PrivateKey = leaf, key
	// The key must belong to the first certificate of the chain.
	if _, err := tls.X509KeyPair(pemCerts(cert.Certificate[:1]), pemKey(key)); err != nil {
		return cert, errorf("keystore: %v", err)
	}
	return cert, nil
}

func parseKey(b *pem.Block) (crypto.PrivateKey, error) {
	switch b.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(b.Bytes)
	}
	return x509.ParsePKCS8PrivateKey(b.Bytes)
}

func pemCerts(ders [][]byte) []byte {
	var out []byte
	for _, d := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})...)
	}
	return out
}

func pemKey(k crypto.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// truststore is the CA pool of ssl.truststore.location or
// ssl.truststore.certificates; nil (the system's roots) when neither is set.
func truststore(props map[string]string) (*x509.CertPool, error) {
	if err := storeType("ssl.truststore.type", props["ssl.truststore.type"]); err != nil {
		return nil, err
	}
	loc, inline := props["ssl.truststore.location"], props["ssl.truststore.certificates"]
	var data []byte
	switch {
	case loc != "" && inline != "":
		return nil, errorf("ssl.truststore.location and ssl.truststore.certificates are exclusive")
	case loc != "":
		b, err := os.ReadFile(loc)
		if err != nil {
			return nil, errorf("ssl.truststore.location: %v", err)
		}
		data = b
	case inline != "":
		data = []byte(inline)
	default:
		return nil, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errorf("the truststore holds no PEM certificate")
	}
	return pool, nil
}

var protocolVersions = map[string]uint16{
	"TLSv1": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11, "TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13,
}

// versions applies ssl.enabled.protocols (default TLSv1.2,TLSv1.3) and
// checks ssl.protocol (the JSSE context's protocol: TLS, TLSv1.2, TLSv1.3).
func versions(cfg *tls.Config, props map[string]string) error {
	if p := strings.TrimSpace(props["ssl.protocol"]); p != "" && p != "TLS" {
		if _, ok := protocolVersions[p]; !ok {
			return errorf("Invalid value %s for configuration ssl.protocol: unknown protocol (TLS, TLSv1.2 or TLSv1.3)", p)
		}
	}
	enabled := props["ssl.enabled.protocols"]
	if strings.TrimSpace(enabled) == "" {
		enabled = "TLSv1.2,TLSv1.3"
	}
	for _, p := range strings.Split(enabled, ",") {
		v, ok := protocolVersions[strings.TrimSpace(p)]
		if !ok {
			return errorf("Invalid value %s for configuration ssl.enabled.protocols: unknown protocol %q", enabled, strings.TrimSpace(p))
		}
		if cfg.MinVersion == 0 || v < cfg.MinVersion {
			cfg.MinVersion = v
		}
		cfg.MaxVersion = max(cfg.MaxVersion, v)
	}
	return nil
}

// CipherSuites maps ssl.cipher.suites (IANA names, as Kafka takes them)
// to Go's ids; nil (Go's defaults) when empty. TLS 1.3 suites (TLS_AES_*,
// TLS_CHACHA20_*) are accepted and not configurable in Go: all three are
// always enabled.
func CipherSuites(v string) ([]uint16, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	byName := map[string]uint16{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		byName[s.Name] = s.ID
	}
	var out []uint16
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		id, ok := byName[name]
		switch {
		case name == "TLS_AES_128_GCM_SHA256", name == "TLS_AES_256_GCM_SHA384", name == "TLS_CHACHA20_POLY1305_SHA256":
		case ok:
			out = append(out, id)
		default:
			return nil, errorf("Invalid value %s for configuration ssl.cipher.suites: unsupported cipher suite %s", v, name)
		}
	}
	return out, nil
}

package cli

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The client side of Kafka's security properties, shared by the Admin,
// producer and consumer mappings: security.protocol (PLAINTEXT, SSL,
// SASL_PLAINTEXT, SASL_SSL), the ssl.* stores as PEM (Kafka's KIP-651:
// ssl.truststore.location or ssl.truststore.certificates for the CAs,
// ssl.keystore.location or ssl.keystore.key with
// ssl.keystore.certificate.chain for a client certificate),
// ssl.endpoint.identification.algorithm ("https", the default, checks the
// broker's host name; "" checks only the chain), ssl.enabled.protocols, and
// sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER) with
// the credentials of sasl.jaas.config (PlainLoginModule and
// ScramLoginModule: username, password, tokenauth; OAuthBearerLoginModule:
// Kafka's unsecured token, unsecuredLoginStringClaim_sub). Properties of a
// layer the protocol does not use (ssl.* under SASL_PLAINTEXT) are ignored,
// as the Java client ignores them.

// securityKey reports whether k is one of the properties SecurityOpts reads.
func securityKey(k string) bool {
	switch k {
	case "security.protocol", "sasl.mechanism", "sasl.jaas.config":
		return true
	}
	return strings.HasPrefix(k, "ssl.")
}

// SecurityOpts maps the security properties to kgo options: a TLS dialer
// and a SASL mechanism as security.protocol asks.
func SecurityOpts(props map[string]string) ([]kgo.Opt, error) {
	proto := strings.ToUpper(strings.TrimSpace(props["security.protocol"]))
	if proto == "" {
		proto = "PLAINTEXT"
	}
	var opts []kgo.Opt
	switch proto {
	case "PLAINTEXT":
		return nil, nil
	case "SSL", "SASL_SSL":
		cfg, err := ClientTLS(props)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	case "SASL_PLAINTEXT":
	default:
		return nil, fmt.Errorf("invalid value %q for property security.protocol: want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", props["security.protocol"])
	}
	if strings.HasPrefix(proto, "SASL_") {
		m, err := SASLMechanism(props)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// ClientTLS is the TLS configuration of the ssl.* client properties.
func ClientTLS(props map[string]string) (*tls.Config, error) {
	for _, k := range []string{"ssl.truststore.type", "ssl.keystore.type"} {
		if t := strings.ToUpper(strings.TrimSpace(props[k])); t != "" && t != "PEM" {
			return nil, fmt.Errorf("%s=%s is not supported: the tools read PEM stores only (%s=PEM)", k, props[k], k)
		}
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	var ca []byte
	switch loc, inline := props["ssl.truststore.location"], props["ssl.truststore.certificates"]; {
	case loc != "":
		b, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %w", err)
		}
		ca = b
	case inline != "":
		ca = []byte(inline)
	}
	if ca != nil {
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("ssl.truststore: no PEM certificate found")
		}
	}
	var ks []byte
	switch loc, key, chain := props["ssl.keystore.location"], props["ssl.keystore.key"], props["ssl.keystore.certificate.chain"]; {
	case loc != "":
		b, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("ssl.keystore.location: %w", err)
		}
		ks = b
	case key != "" || chain != "":
		ks = []byte(key + "\n" + chain)
	}
	if ks != nil {
		if strings.Contains(string(ks), "ENCRYPTED PRIVATE KEY") {
			return nil, fmt.Errorf("ssl.keystore: the private key is encrypted (ssl.key.password); the tools read unencrypted PKCS#8 keys only")
		}
		cert, err := tls.X509KeyPair(ks, ks)
		if err != nil {
			return nil, fmt.Errorf("ssl.keystore: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if v, ok := props["ssl.enabled.protocols"]; ok && strings.TrimSpace(v) != "" {
		cfg.MinVersion, cfg.MaxVersion = 0, 0
		for _, p := range strings.Split(v, ",") {
			var ver uint16
			switch strings.TrimSpace(p) {
			case "TLSv1.2":
				ver = tls.VersionTLS12
			case "TLSv1.3":
				ver = tls.VersionTLS13
			default:
				return nil, fmt.Errorf("invalid value %q for property ssl.enabled.protocols: want TLSv1.2 and/or TLSv1.3", v)
			}
			if cfg.MinVersion == 0 || ver < cfg.MinVersion {
				cfg.MinVersion = ver
			}
			cfg.MaxVersion = max(cfg.MaxVersion, ver)
		}
	}
	switch alg, ok := props["ssl.endpoint.identification.algorithm"]; {
	case !ok || strings.EqualFold(strings.TrimSpace(alg), "https"):
		// crypto/tls checks the host name kgo dials (tls.Config.ServerName
		// is set per broker by kgo).
	case strings.TrimSpace(alg) == "":
		// The chain is checked, not the host name: Kafka's "" disables
		// endpoint identification only.
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("the broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	default:
		return nil, fmt.Errorf("invalid value %q for property ssl.endpoint.identification.algorithm: want https or empty", alg)
	}
	return cfg, nil
}

// SASLMechanism is the mechanism of sasl.mechanism with the credentials of
// sasl.jaas.config.
func SASLMechanism(props map[string]string) (sasl.Mechanism, error) {
	mech := strings.TrimSpace(props["sasl.mechanism"])
	if mech == "" {
		mech = "GSSAPI" // the Java client's default
	}
	jaas, ok := props["sasl.jaas.config"]
	if mech != "GSSAPI" && (!ok || strings.TrimSpace(jaas) == "") {
		return nil, fmt.Errorf("sasl.jaas.config is required with sasl.mechanism=%s (the tools read no JAAS file)", mech)
	}
	var module string
	var opts map[string]string
	if mech != "GSSAPI" {
		var err error
		if module, opts, err = ParseJAAS(jaas); err != nil {
			return nil, err
		}
	}
	wantModule := func(names ...string) error {
		for _, n := range names {
			if module == n || strings.HasSuffix(module, "."+n) {
				return nil
			}
		}
		return fmt.Errorf("sasl.jaas.config: sasl.mechanism=%s needs %s, not %s", mech, strings.Join(names, " or "), module)
	}
	userPass := func() (string, string, error) {
		u, uok := opts["username"]
		p, pok := opts["password"]
		if !uok || !pok {
			return "", "", fmt.Errorf("sasl.jaas.config: username and password are required for %s", mech)
		}
		return u, p, nil
	}
	switch mech {
	case "PLAIN":
		if err := wantModule("PlainLoginModule", "ScramLoginModule"); err != nil {
			return nil, err
		}
		u, p, err := userPass()
		if err != nil {
			return nil, err
		}
		return plain.Auth{User: u, Pass: p}.AsMechanism(), nil
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		if err := wantModule("ScramLoginModule", "PlainLoginModule"); err != nil {
			return nil, err
		}
		u, p, err := userPass()
		if err != nil {
			return nil, err
		}
		a := scram.Auth{User: u, Pass: p, IsToken: strings.EqualFold(opts["tokenauth"], "true")}
		if mech == "SCRAM-SHA-256" {
			return a.AsSha256Mechanism(), nil
		}
		return a.AsSha512Mechanism(), nil
	case "OAUTHBEARER":
		if err := wantModule("OAuthBearerLoginModule"); err != nil {
			return nil, err
		}
		token, ext, err := unsecuredToken(opts, time.Now())
		if err != nil {
			return nil, err
		}
		return oauth.Auth{Token: token, Extensions: ext}.AsMechanism(), nil
	}
	return nil, fmt.Errorf("sasl.mechanism=%s is not supported: want PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER", mech)
}

// unsecuredToken is the token Kafka's OAuthBearerUnsecuredLoginCallbackHandler
// makes from the JAAS options: an unsigned JWT ({"alg":"none"}) with sub
// (unsecuredLoginStringClaim_sub, required), iat, exp (iat plus
// unsecuredLoginLifetimeSeconds, default 3600), the other
// unsecuredLoginStringClaim_<name> claims, and the SASL extensions of
// unsecuredLoginExtension_<name>.
func unsecuredToken(opts map[string]string, now time.Time) (string, map[string]string, error) {
	sub, ok := opts["unsecuredLoginStringClaim_sub"]
	if !ok || sub == "" {
		return "", nil, fmt.Errorf("sasl.jaas.config: OAuthBearerLoginModule needs unsecuredLoginStringClaim_sub (the tools make Kafka's unsecured tokens only)")
	}
	life := int64(3600)
	if v, ok := opts["unsecuredLoginLifetimeSeconds"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return "", nil, fmt.Errorf("sasl.jaas.config: invalid unsecuredLoginLifetimeSeconds %q", v)
		}
		life = n
	}
	claims := map[string]any{}
	ext := map[string]string{}
	for k, v := range opts {
		if name, ok := strings.CutPrefix(k, "unsecuredLoginStringClaim_"); ok {
			claims[name] = v
		}
		if name, ok := strings.CutPrefix(k, "unsecuredLoginExtension_"); ok {
			ext[name] = v
		}
	}
	ms := float64(now.UnixMilli()) / 1000
	claims["iat"], claims["exp"] = ms, ms+float64(life)
	header, _ := json.Marshal(map[string]string{"alg": "none"})
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", nil, err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + ".", ext, nil
}

// ParseJAAS parses one JAAS login module entry as Kafka's JaasConfig does:
// `<class> <flag> key=value ... ;` where a value is a quoted string (with \
// escapes) or a bare word.
func ParseJAAS(s string) (module string, opts map[string]string, err error) {
	bad := func(why string) error { return fmt.Errorf("sasl.jaas.config: %s", why) }
	s = strings.TrimSpace(s)
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	word := func() string {
		start := i
		for i < len(s) && !strings.ContainsRune(" \t\r\n=;\"", rune(s[i])) {
			i++
		}
		return s[start:i]
	}
	skip()
	if module = word(); module == "" {
		return "", nil, bad("a login module class is expected")
	}
	skip()
	switch flag := strings.ToLower(word()); flag {
	case "required", "requisite", "sufficient", "optional":
	default:
		return "", nil, bad("the login module control flag (required) is expected, not " + strconv.Quote(flag))
	}
	opts = map[string]string{}
	for {
		skip()
		if i >= len(s) {
			return "", nil, bad("the entry must end with ';'")
		}
		if s[i] == ';' {
			i++
			skip()
			if i < len(s) {
				return "", nil, bad("one login module entry is expected (text after ';')")
			}
			return module, opts, nil
		}
		key := word()
		skip()
		if key == "" || i >= len(s) || s[i] != '=' {
			return "", nil, bad("key=value expected at " + strconv.Quote(s[i-len(key):]))
		}
		i++
		skip()
		var val string
		if i < len(s) && s[i] == '"' {
			i++
			var b strings.Builder
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
			if i >= len(s) {
				return "", nil, bad("unterminated quoted value for " + key)
			}
			i++
			val = b.String()
		} else {
			val = word()
		}
		opts[key] = val
	}
}

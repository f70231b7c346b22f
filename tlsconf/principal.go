package tlsconf

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// rfc2253Keywords are the attribute types Java's X500Principal.getName()
// (RFC 2253 form) writes by keyword; every other type is written as its
// dotted OID with the value's DER in hex (#...).
var rfc2253Keywords = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
	"2.5.4.11": "OU", "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1": "UID",
}

// SubjectDN is the certificate's subject in RFC 2253 form as Java's
// X500Principal.getName() writes it: the RDNs last to first, separated by
// ",", no spaces, "CN=alice,OU=eng,O=Acme,C=US".
func SubjectDN(cert *x509.Certificate) string {
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(cert.RawSubject, &rdns); err != nil {
		rdns = cert.Subject.ToRDNSequence()
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		atvs := make([]string, 0, len(rdns[i]))
		for _, atv := range rdns[i] {
			atvs = append(atvs, formatATV(atv))
		}
		parts = append(parts, strings.Join(atvs, "+"))
	}
	return strings.Join(parts, ",")
}

func formatATV(atv pkix.AttributeTypeAndValue) string {
	oid := atv.Type.String()
	if kw, ok := rfc2253Keywords[oid]; ok {
		if s, ok := atv.Value.(string); ok {
			return kw + "=" + escape(s)
		}
	}
	der, err := asn1.Marshal(atv.Value)
	if err != nil {
		return oid + "=" + escape(fmt.Sprint(atv.Value))
	}
	return oid + "=#" + hex.EncodeToString(der)
}

// escape escapes an attribute value as RFC 2253 (section 2.4) asks.
func escape(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(",+\"\\<>;", r),
			i == 0 && (r == ' ' || r == '#'),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Rules are ssl.principal.mapping.rules (Kafka's SslPrincipalMapper): the
// first rule that matches the whole DN gives the name; DEFAULT gives the DN
// itself.
type Rules struct{ rules []rule }

type rule struct {
	dflt        bool
	re          *regexp.Regexp
	replacement string
	lower       bool
	upper       bool
}

// ruleSplitter is Kafka's SslPrincipalMapper.RULE_SPLITTER: rules are
// separated by commas, and a RULE's pattern and replacement may hold
// escaped slashes and commas.
var ruleSplitter = regexp.MustCompile(`\s*((DEFAULT)|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?)[^,]*?|([^,]*?))\s*(?:,\s*|$)`)

// ParseRules parses ssl.principal.mapping.rules; "" is DEFAULT.
func ParseRules(v string) (*Rules, error) {
	if strings.TrimSpace(v) == "" {
		v = "DEFAULT"
	}
	r := &Rules{}
	for _, m := range ruleSplitter.FindAllStringSubmatch(v, -1) {
		switch {
		case m[0] == "":
			continue
		case m[2] == "DEFAULT":
			r.rules = append(r.rules, rule{dflt: true})
		case m[6] != "" || !strings.HasPrefix(m[1], "RULE:"):
			return nil, errorf("Invalid value %s for configuration ssl.principal.mapping.rules: Invalid rule: %s", v, m[1])
		default:
			pat := strings.ReplaceAll(m[3], `\/`, "/")
			re, err := regexp.Compile("^(?:" + pat + ")$")
			if err != nil {
				return nil, errorf("Invalid value %s for configuration ssl.principal.mapping.rules: %v", v, err)
			}
			repl := strings.ReplaceAll(m[4], `\/`, "/")
			// Java's $1 is Go's ${1}: "$1x" would name a group "1x" in Go.
			repl = regexp.MustCompile(`\$(\d+)`).ReplaceAllString(repl, "$${$1}")
			r.rules = append(r.rules, rule{re: re, replacement: repl, lower: m[5] == "L", upper: m[5] == "U"})
		}
	}
	if len(r.rules) == 0 {
		return nil, errorf("Invalid value %s for configuration ssl.principal.mapping.rules: no rule", v)
	}
	return r, nil
}

// ErrNoMatchingRule is Kafka's NoMatchingRule: no rule maps the DN.
var ErrNoMatchingRule = fmt.Errorf("no ssl.principal.mapping.rules rule matches the certificate's DN")

// Name maps a DN to the principal's name.
func (r *Rules) Name(dn string) (string, error) {
	for _, ru := range r.rules {
		if ru.dflt {
			return dn, nil
		}
		if !ru.re.MatchString(dn) {
			continue
		}
		out := ru.re.ReplaceAllString(dn, ru.replacement)
		switch {
		case ru.lower:
			out = strings.ToLower(out)
		case ru.upper:
			out = strings.ToUpper(out)
		}
		return out, nil
	}
	return "", fmt.Errorf("%w: %s", ErrNoMatchingRule, dn)
}

// Principal is the Kafka principal of a verified client certificate:
// "User:" + the mapped subject DN.
func (r *Rules) Principal(cert *x509.Certificate) (string, error) {
	name, err := r.Name(SubjectDN(cert))
	if err != nil {
		return "", err
	}
	return "User:" + name, nil
}

package storage

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/internal/scramcred"
)

// scramUser is one --add-scram argument resolved to a credential.
type scramUser struct {
	name, mechanism string
	cred            scramcred.Credential
}

// parseAddScram is Kafka's ScramParser: MECHANISM=[name=..,password=..]
// with optional salt (base64), iterations (4096) and saltedpassword
// (base64, with salt), Kafka's messages for each mistake.
func parseAddScram(input string) (scramUser, error) {
	input = strings.TrimSpace(input)
	eq := strings.IndexByte(input, '=')
	if eq < 0 {
		return scramUser{}, fmt.Errorf("Failed to find equals sign in SCRAM argument '%s'", input)
	}
	mechName, config := input[:eq], input[eq+1:]
	m, ok := scramcred.ByName(mechName)
	if !ok {
		return scramUser{}, fmt.Errorf("The add-scram mechanism %s is not supported.", mechName)
	}
	if !strings.HasPrefix(config, "[") {
		return scramUser{}, errors.New("Expected configuration string to start with [")
	}
	if !strings.HasSuffix(config, "]") {
		return scramUser{}, errors.New("Expected configuration string to end with ]")
	}
	comps := map[string]string{}
	for _, c := range strings.Split(config[1:len(config)-1], ",") {
		c = strings.TrimSpace(c)
		k, v, ok := strings.Cut(c, "=")
		if !ok {
			return scramUser{}, fmt.Errorf("No equals sign found in SCRAM component: %s", c)
		}
		if len(v) >= 2 && strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) {
			v = v[1 : len(v)-1]
		}
		comps[k] = v
	}
	take := func(k string) (string, bool) {
		v, ok := comps[k]
		delete(comps, k)
		return v, ok
	}
	name, ok := take("name")
	if !ok {
		return scramUser{}, errors.New("You must supply 'name' to add-scram")
	}
	var salt []byte
	if s, ok := take("salt"); ok {
		var err error
		if salt, err = base64.StdEncoding.DecodeString(s); err != nil {
			return scramUser{}, fmt.Errorf("Failed to decode given salt: %s", s)
		}
	}
	iterations := scramcred.DefaultIterations
	if s, ok := take("iterations"); ok {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return scramUser{}, fmt.Errorf("Failed to parse iterations count: %s", s)
		}
		iterations = int(n)
	}
	password, hasPassword := take("password")
	saltedStr, hasSalted := take("saltedpassword")
	var salted []byte
	switch {
	case !hasPassword && !hasSalted:
		return scramUser{}, errors.New("You must supply one of 'password' or 'saltedpassword' to add-scram")
	case hasSalted && salt == nil:
		return scramUser{}, errors.New("You must supply 'salt' with 'saltedpassword' to add-scram")
	case hasSalted:
		var err error
		if salted, err = base64.StdEncoding.DecodeString(saltedStr); err != nil {
			return scramUser{}, fmt.Errorf("Failed to decode given saltedPassword: %s", saltedStr)
		}
	}
	if len(comps) > 0 {
		rest := make([]string, 0, len(comps))
		for k := range comps {
			rest = append(rest, k)
		}
		sort.Strings(rest)
		return scramUser{}, fmt.Errorf("Unknown SCRAM configurations: %s", strings.Join(rest, ", "))
	}
	if iterations < scramcred.MinIterations {
		return scramUser{}, fmt.Errorf("The 'iterations' value must be >= %d for add-scram using %s", scramcred.MinIterations, javaMechanism(m.Name))
	}
	if iterations > scramcred.MaxIterations {
		return scramUser{}, fmt.Errorf("The 'iterations' value must be <= %d for add-scram using %s", scramcred.MaxIterations, javaMechanism(m.Name))
	}
	if salt == nil {
		var err error
		if salt, err = randomSalt(); err != nil {
			return scramUser{}, err
		}
	}
	if salted == nil {
		var err error
		if salted, err = m.SaltedPassword(password, salt, iterations); err != nil {
			return scramUser{}, err
		}
	}
	return scramUser{name: name, mechanism: m.Name, cred: m.FromSaltedPassword(salted, salt, iterations)}, nil
}

// javaMechanism is the enum constant Kafka's message prints: SCRAM_SHA_256.
func javaMechanism(name string) string { return strings.ReplaceAll(name, "-", "_") }

func randomSalt() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// Package testcerts makes certificate authorities and certificates for
// tests (crypto/x509, ECDSA P-256): a CA, server certificates for
// 127.0.0.1 and localhost, client certificates with a chosen subject, and
// the PEM files Kafka's ssl.keystore.location / ssl.truststore.location
// (and ssl.ca.location, for librdkafka) take. Only tests import it. It
// holds no state.
package testcerts

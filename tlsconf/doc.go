// Package tlsconf turns Kafka's SSL properties (ssl.keystore.*,
// ssl.truststore.*, ssl.client.auth, ssl.enabled.protocols, ssl.protocol,
// ssl.cipher.suites, ssl.principal.mapping.rules) into a crypto/tls server
// configuration, and a verified client certificate into Kafka's principal
// name.
//
// What it owns:
//   - Server (server.go): the *tls.Config of one listener, from that
//     listener's SSL properties (config.Broker.SSL). Keystores and
//     truststores are PEM only (ssl.keystore.type=PEM, Kafka's KIP-651):
//     a file with the private key and the certificate chain, or the inline
//     ssl.keystore.key and ssl.keystore.certificate.chain; the truststore a
//     file of CA certificates or inline ssl.truststore.certificates. JKS and
//     PKCS12 are refused with a clear error, as are encrypted private keys
//     (ssl.key.password): Go's standard library cannot decrypt PKCS#8.
//   - Principal (principal.go): the subject DN of a client certificate in
//     RFC 2253 form as Java's X500Principal.getName() writes it (Kafka's
//     DefaultKafkaPrincipalBuilder), mapped by ssl.principal.mapping.rules
//     (DEFAULT and RULE:pattern/replacement/[LU], Kafka's
//     SslPrincipalMapper).
//
// The package holds no state and no locks: the server keeps the built
// configuration per listener and swaps it on a dynamic keystore change.
package tlsconf

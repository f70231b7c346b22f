package config

// IsAuthorizerProperty reports whether name is one of the authorizer's
// properties (package acl, through the server): authorizer.class.name,
// super.users, allow.everyone.if.no.acl.found. They stay in
// Broker.Unknown, unparsed here.
func IsAuthorizerProperty(name string) bool {
	switch name {
	case "authorizer.class.name", "super.users", "allow.everyone.if.no.acl.found":
		return true
	}
	return false
}

package server

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// header is a decoded request header.
//
// Request header v1 (every non-flexible request): api key int16, api
// version int16, correlation ID int32, client ID nullable string.
// Request header v2 (flexible requests, KIP-482): v1 followed by tagged
// fields. The client ID stays a non-compact string in v2, so that a broker
// can read the header of an ApiVersions request at any version.
type header struct {
	key      int16
	version  int16
	corr     int32
	clientID string
	flexible bool // the request (and its header) uses flexible encoding, as kmsg knows it
	known    bool // kmsg can decode this key at this version
}

// parseHeader decodes the request header at the start of frame and returns
// the request body after it. A frame too short for a header, or with a
// malformed client ID or tagged-field section, is an error: without a
// trustworthy correlation ID there is nothing to answer.
func parseHeader(frame []byte) (header, []byte, error) {
	r := kbin.Reader{Src: frame}
	h := header{key: r.Int16(), version: r.Int16(), corr: r.Int32()}
	if id := r.NullableString(); id != nil {
		h.clientID = *id
	}
	if err := r.Complete(); err != nil {
		return h, nil, fmt.Errorf("%w: %d bytes", errBadHeader, len(frame))
	}
	if kreq := kmsg.RequestForKey(h.key); kreq != nil && h.version >= 0 && h.version <= kreq.MaxVersion() {
		kreq.SetVersion(h.version)
		h.known = true
		h.flexible = kreq.IsFlexible()
	}
	if h.flexible {
		kmsg.SkipTags(&r)
		if err := r.Complete(); err != nil {
			return h, nil, fmt.Errorf("%w: tagged fields of %s v%d", errBadHeader, kmsg.NameForKey(h.key), h.version)
		}
	}
	return h, r.Src, nil
}

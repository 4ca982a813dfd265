package httpserver

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// newCompression gzips responses above 1 KiB for clients that accept gzip
// (gzhttp: Vary: Accept-Encoding, no compression of types already
// compressed or of responses that set their own Content-Encoding).
// GraphQL responses are JSON, which shrinks to a fraction.
//
// Downloads (/files/{id}) are not routed through it: they are sent as
// stored, with the Content-Length and the ETag (the SHA-256) of the bytes
// uploaded, which compression would change; most are compressed already
// (PDF, images, office documents, archives); and compressing large files
// would spend the server's CPU on every download. /metrics compresses by
// itself (promhttp).
//
// Only gzip is offered, the encoding every client has; a response that
// mixes a secret with what an attacker sends could leak the secret through
// its compressed size (BREACH), but that needs the victim's browser to send
// the attacker's requests with its credentials, and this API's credentials
// are bearer tokens a browser never adds by itself.
func newCompression() (func(http.Handler) http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.EnableZstd(false))
	if err != nil {
		return nil, err
	}
	return func(h http.Handler) http.Handler { return wrap(h) }, nil
}

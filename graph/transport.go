package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"portalgraph/internal/portal"
)

// httpTransport serves GraphQL over HTTP: POST with a JSON body, and GET
// for queries. It answers every other request but multipart uploads
// (multipartTransport) and websocket upgrades, so that each refusal made before GraphQL runs has
// a code and a status of its own: a body over the limit is 413, a body
// that is not one JSON request 400, another content type 415, a spent
// budget 429. The response is written as the executor made it: its data
// is JSON already and is not checked again.
type httpTransport struct{ responder }

var _ graphql.Transport = httpTransport{}

func (httpTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && !isMultipart(r)
}

func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Set("Content-Type", responseContentType(r))
	params, status, err := readParams(w, r)
	if err != nil {
		t.refuse(w, r.Context(), exec, status, err)
		return
	}
	params.Headers = r.Header
	t.execute(w, r, exec, params)
}

// readParams reads a request's operation, or says with which status and
// error to refuse it.
func readParams(w http.ResponseWriter, r *http.Request) (*graphql.RawParams, int, *portal.Error) {
	switch r.Method {
	case http.MethodGet:
		p, err := getParams(r)
		return p, http.StatusBadRequest, err
	case http.MethodPost:
		if mediaType(r) != "application/json" {
			return nil, http.StatusUnsupportedMediaType, portal.BadRequest("a GraphQL request is a POST of Content-Type application/json, a GET, or a multipart upload")
		}
		return postParams(r)
	}
	w.Header().Set("Allow", "GET, POST")
	return nil, http.StatusMethodNotAllowed, portal.BadRequest("%s is not a GraphQL request: use POST, or GET for queries", r.Method)
}

// mediaType is a request's media type without its parameters; "" when
// its Content-Type does not parse. A bare "application/json", what most
// requests send, is taken as it is: mime.ParseMediaType makes a map of
// parameters on every call.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "application/json" {
		return ct
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

// responder runs the operations the transports have read and writes
// their responses. Both transports share one, and its buffers.
type responder struct{ bodies *sync.Pool }

func newResponder() responder {
	return responder{bodies: &sync.Pool{New: func() any { return new([]byte) }}}
}

// execute runs a request's operation and writes the response.
func (rs responder) execute(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams) {
	ctx := r.Context()
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		rs.write(w, statusFor(errs, w.Header().Get("Content-Type")), exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs))
		return
	}
	if r.Method == http.MethodGet && oc.Operation.Operation != ast.Query {
		// A link or an image on another site can make a browser send a
		// GET; it must never change anything.
		w.Header().Set("Allow", "POST")
		rs.refuse(w, ctx, exec, http.StatusNotAcceptable, portal.BadRequest("GET requests only allow query operations"))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	rs.write(w, http.StatusOK, responses(ctx))
}

// refuse answers a request refused before its operation ran.
func (rs responder) refuse(w http.ResponseWriter, ctx context.Context, exec graphql.GraphExecutor, status int, err *portal.Error) {
	rs.write(w, status, exec.DispatchError(ctx, gqlerror.List{{Message: err.Message, Err: err}}))
}

// getParams reads a GET request's query parameters.
func getParams(r *http.Request) (*graphql.RawParams, *portal.Error) {
	q := r.URL.Query()
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName"), ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	for name, into := range map[string]any{"variables": &p.Variables, "extensions": &p.Extensions} {
		if v := q.Get(name); v != "" {
			if err := decodeJSON(strings.NewReader(v), into); err != nil {
				return nil, portal.BadRequest("the %s parameter is not a JSON object", name)
			}
		}
	}
	p.ReadTime.End = graphql.Now()
	return p, nil
}

// postParams reads a POST request's JSON body, which the handler has
// bounded: one request, not a batch.
func postParams(r *http.Request) (*graphql.RawParams, int, *portal.Error) {
	p := &graphql.RawParams{ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		actual := max(r.ContentLength, tooLarge.Limit+1)
		return nil, http.StatusRequestEntityTooLarge, portal.LimitExceeded("maxBodyBytes", tooLarge.Limit, actual,
			fmt.Sprintf("the request body is larger than the limit of %d bytes", tooLarge.Limit))
	case err != nil:
		return nil, http.StatusBadRequest, portal.BadRequest("the request body could not be read")
	}
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
		return nil, http.StatusBadRequest, portal.BadRequest("batched requests are not supported: send one operation per request")
	}
	if err := decodeJSON(bytes.NewReader(body), p); err != nil {
		return nil, http.StatusBadRequest, portal.BadRequest("the request body is not a JSON object of query, operationName, variables and extensions")
	}
	p.ReadTime.End = graphql.Now()
	return p, 0, nil
}

// decodeJSON decodes one JSON value, keeping numbers exact for the
// variables' coercion.
func decodeJSON(r io.Reader, into any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more than one JSON value")
	}
	return nil
}

const graphqlResponseJSON = "application/graphql-response+json"

// responseContentType is the media type of the response the Accept header
// prefers: application/json unless graphql-response+json is asked for.
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json", "*/*", "application/*":
			return "application/json"
		case graphqlResponseJSON:
			return graphqlResponseJSON
		}
	}
	return graphqlResponseJSON
}

// statusFor is the HTTP status of a request refused before it ran: the
// one place where codes become statuses. Requests GraphQL itself refuses
// (parse and validation errors, limits) get 422 as application/json and
// 400 as graphql-response+json, as the GraphQL over HTTP specification
// asks; a spent budget gets 429.
func statusFor(errs gqlerror.List, contentType string) int {
	var pe *portal.Error
	if len(errs) > 0 && errors.As(errs[0], &pe) {
		switch pe.Code {
		case portal.CodeRateLimited:
			return http.StatusTooManyRequests
		case portal.CodeBadRequest:
			return http.StatusBadRequest
		case portal.CodeLimitExceeded:
			return requestErrorStatus(contentType)
		case portal.CodePersistedQueryNotAllowed:
			// The operation is refused to this principal alone.
			return http.StatusForbidden
		}
	}
	if errcode.GetErrorKind(errs) == errcode.KindProtocol {
		return requestErrorStatus(contentType)
	}
	return http.StatusOK
}

func requestErrorStatus(contentType string) int {
	if contentType == graphqlResponseJSON {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// write writes a response as JSON, with its status. Its data was written
// as JSON by the executor, so it is written as it is, not re-encoded.
// The body goes to net/http whole, with its length: given in pieces, a
// body over net/http's 2 KB buffer is sent chunked, in one more write to
// the connection, and a write to a socket costs more than copying a
// dashboard's bytes once.
func (rs responder) write(w http.ResponseWriter, status int, resp *graphql.Response) {
	if resp == nil {
		w.WriteHeader(status)
		return
	}
	kept := rs.bodies.Get().(*[]byte)
	b := append((*kept)[:0], '{')
	if len(resp.Errors) > 0 {
		b = append(b, `"errors":`...)
		b = appendJSON(b, resp.Errors)
		b = append(b, ',')
	}
	b = append(b, `"data":`...)
	if len(resp.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, resp.Data...)
	}
	if len(resp.Extensions) > 0 {
		b = append(b, `,"extensions":`...)
		b = appendJSON(b, resp.Extensions)
	}
	b = append(b, '}')
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	// A buffer grown by a response of megabytes is left to the collector.
	if cap(b) <= 1<<20 {
		*kept = b
		rs.bodies.Put(kept)
	}
}

func appendJSON(b []byte, v any) []byte {
	enc, err := json.Marshal(v)
	if err != nil { // errors and extensions are plain values
		return strconv.AppendQuote(b, err.Error())
	}
	return append(b, enc...)
}

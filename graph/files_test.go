package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"portalgraph/graph"
	"portalgraph/internal/blobstore"
	"portalgraph/internal/signedurl"
	"portalgraph/internal/sqlstore/sqltest"
)

// Files over HTTP: uploads as GraphQL multipart requests, lists and
// versions scoped per audience, signed download links checked when made
// and when used, and deletions that take bytes and metadata together.

const (
	fileFields = `id name contentType size sha256 version downloadUrl client { id } project { id } deliverable { id } request { id } createdAt`
	uploadDoc  = `mutation($in: UploadFileInput!) { uploadFile(input: $in) { file { ` + fileFields + ` } } }`
	// What a contact may ask of a file: no visibility, no staff uploader.
	portalFileDoc = `query($id: ID!) { file(id: $id) { id name version downloadUrl uploadedByContact { name } versions { id version } } }`
)

// pngBytes starts like a PNG, so sniffing names it one whatever the name
// or the declared type say.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 200)...)

// upload is one file part of a multipart request.
type upload struct {
	name    string
	content []byte
}

// multipartRequest builds a GraphQL multipart request: the operation, a
// map of each file to the variable path it fills, and the files.
func (e *env) multipartRequest(t *testing.T, token, query string, variables vars, files map[string]upload, preflight bool) *http.Request {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	ops, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		t.Fatal(err)
	}
	_ = w.WriteField("operations", string(ops))
	paths := map[string][]string{}
	keys := make([]string, 0, len(files))
	for path := range files {
		keys = append(keys, path)
	}
	slices.Sort(keys)
	for i, path := range keys {
		paths[fmt.Sprint(i)] = []string{path}
	}
	m, _ := json.Marshal(paths)
	_ = w.WriteField("map", string(m))
	for i, path := range keys {
		part, err := w.CreateFormFile(fmt.Sprint(i), files[path].name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write(files[path].content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	if preflight {
		req.Header.Set("GraphQL-Require-Preflight", "1")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// uploadAs uploads one file as who with the input's other fields.
func (e *env) uploadAs(t *testing.T, who string, in map[string]any, u upload) *response {
	t.Helper()
	in["file"] = nil
	return e.send(t, e.multipartRequest(t, e.f.Tokens[who], uploadDoc, vars{"in": in}, map[string]upload{"variables.in.file": u}, true))
}

// uploaded is a file as the upload answered it.
type uploaded struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int    `json:"size"`
	Sha256      string `json:"sha256"`
	Version     int    `json:"version"`
	DownloadURL string `json:"downloadUrl"`
	Client      idName `json:"client"`
	Project     *idName
	Deliverable *idName
	Request     *idName
}

func (u uploaded) getID() string { return u.ID }

// mustUpload uploads and returns the file, failing on any error.
func (e *env) mustUpload(t *testing.T, who string, in map[string]any, u upload) uploaded {
	t.Helper()
	var got struct {
		UploadFile struct {
			File uploaded `json:"file"`
		} `json:"uploadFile"`
	}
	e.uploadAs(t, who, in, u).decode(t, &got)
	return got.UploadFile.File
}

// download fetches a download link through the test server, whatever
// host the link names.
func (e *env) download(t *testing.T, link string) (int, http.Header, []byte) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.srv.Client().Get(e.srv.URL + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, body
}

// downloads counts the FILE_DOWNLOADED events of a file.
func (e *env) downloads(t *testing.T, fileID string) int {
	t.Helper()
	var n int
	if err := e.store.DB().Get(&n, e.store.DB().Rebind(`SELECT COUNT(*) FROM activity_events WHERE action = 'FILE_DOWNLOADED' AND record_id = ?`), fileID); err != nil {
		t.Fatal(err)
	}
	return n
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestUploadAndDownload(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		// The name says text, the declared type says text: the bytes say PNG.
		got := e.mustUpload(t, "member", map[string]any{"deliverableId": f.DShared.ID, "visibility": "SHARED"}, upload{"mockup.txt", pngBytes})
		if got.Name != "mockup.txt" || got.ContentType != "image/png" || got.Size != len(pngBytes) || got.Sha256 != sha(pngBytes) || got.Version != 1 {
			t.Errorf("uploaded %+v", got)
		}
		if got.Client.ID != f.A.ID || got.Project == nil || got.Project.ID != f.AShared.ID || got.Deliverable == nil || got.Deliverable.ID != f.DShared.ID {
			t.Errorf("parents %+v", got)
		}
		if n := e.blobs.count(); n != 1 {
			t.Errorf("%d blobs stored, want 1", n)
		}

		// The contact downloads it through their own link.
		var seen struct {
			File struct {
				DownloadURL string `json:"downloadUrl"`
			} `json:"file"`
		}
		e.as(t, "aActive", portalFileDoc, vars{"id": got.ID}).decode(t, &seen)
		status, header, body := e.download(t, seen.File.DownloadURL)
		if status != http.StatusOK || !bytes.Equal(body, pngBytes) {
			t.Fatalf("download: HTTP %d, %d bytes", status, len(body))
		}
		for name, want := range map[string]string{
			"Content-Type": "image/png", "Content-Disposition": `attachment; filename=mockup.txt`,
			"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
		} {
			if header.Get(name) != want {
				t.Errorf("%s: %q, want %q", name, header.Get(name), want)
			}
		}
		// Both the upload and the download are in the client's activity,
		// the download by the contact who used the link.
		var events []struct {
			Action  string  `db:"action"`
			Contact *string `db:"actor_contact_id"`
			User    *string `db:"actor_user_id"`
		}
		if err := e.store.DB().Select(&events, e.store.DB().Rebind(`SELECT action, actor_contact_id, actor_user_id FROM activity_events WHERE record_id = ? ORDER BY id`), got.ID); err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[0].Action != "FILE_UPLOADED" || *events[0].User != f.Member.ID ||
			events[1].Action != "FILE_DOWNLOADED" || events[1].Contact == nil || *events[1].Contact != f.AActive.ID {
			t.Errorf("events %+v", events)
		}
	})
}

// Uploads a contact may and may not make, and what their uploads become.
func TestPortalUploads(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		got := e.mustUpload(t, "aActive", map[string]any{"projectId": f.AShared.ID}, upload{"brief.pdf", []byte("%PDF-1.4 brief")})
		if got.ContentType != "application/pdf" || got.Project == nil || got.Project.ID != f.AShared.ID {
			t.Errorf("uploaded %+v", got)
		}
		// Shared with both sides, uploaded by the contact.
		var staff struct {
			File struct {
				Visibility        string  `json:"visibility"`
				UploadedBy        *idName `json:"uploadedBy"`
				UploadedByContact *idName `json:"uploadedByContact"`
			} `json:"file"`
		}
		e.as(t, "owner", `query($id: ID!) { file(id: $id) { visibility uploadedBy { id name } uploadedByContact { id name } } }`, vars{"id": got.ID}).decode(t, &staff)
		if staff.File.Visibility != "SHARED" || staff.File.UploadedBy != nil || staff.File.UploadedByContact == nil || staff.File.UploadedByContact.ID != f.AActive.ID {
			t.Errorf("as staff: %+v", staff.File)
		}

		e.previewToken(t, f.AActive.ID)
		before := e.tableState(t)
		blobsBefore := e.blobs.count()
		for _, c := range []struct {
			name, who string
			in        map[string]any
			code      string
			fields    []string
		}{
			{"another client's project", "aActive", map[string]any{"projectId": f.BShared.ID}, "BAD_USER_INPUT", []string{"input.projectId: no record with id \"" + f.BShared.ID + "\""}},
			{"an internal deliverable", "aActive", map[string]any{"deliverableId": f.DInternal.ID}, "BAD_USER_INPUT", []string{"input.deliverableId: no record with id \"" + f.DInternal.ID + "\""}},
			{"another workspace's client", "aActive", map[string]any{"clientId": f.X.ID}, "BAD_USER_INPUT", []string{"input.clientId: no record with id \"" + f.X.ID + "\""}},
			{"no parent", "aActive", map[string]any{}, "BAD_USER_INPUT", []string{"input.clientId: give exactly one of clientId, projectId, deliverableId, requestId and replacesId"}},
			{"two parents", "owner", map[string]any{"clientId": f.A.ID, "projectId": f.AShared.ID}, "BAD_USER_INPUT", []string{
				"input.clientId: give exactly one of clientId, projectId, deliverableId, requestId and replacesId",
				"input.projectId: give exactly one of clientId, projectId, deliverableId, requestId and replacesId"}},
			{"a blank name", "owner", map[string]any{"clientId": f.A.ID, "name": "  "}, "BAD_USER_INPUT", []string{"input.name: must not be blank"}},
		} {
			res := e.uploadAs(t, c.who, c.in, upload{"x.pdf", []byte("%PDF-1.4 x")})
			er := res.onlyErrorAt(t, "uploadFile", c.code)
			if c.fields != nil && !slices.Equal(er.fields(), c.fields) {
				t.Errorf("%s: fields %v, want %v", c.name, er.fields(), c.fields)
			}
		}
		// A contact cannot choose a visibility: the portal's input has none.
		res := e.uploadAs(t, "aActive", map[string]any{"clientId": f.A.ID, "visibility": "INTERNAL"}, upload{"x.pdf", []byte("x")})
		if er := res.only(t); er.Extensions.Code != "GRAPHQL_VALIDATION_FAILED" && er.Extensions.Code != "BAD_USER_INPUT" {
			t.Errorf("visibility from the portal: %s", er)
		}
		// Where the client's portal hides files, contacts upload none; a
		// preview is read-only; a viewer may not manage files. Each is
		// refused before its request is read.
		e.exec(t, `UPDATE clients SET portal_files = FALSE WHERE id = ?`, f.A.ID)
		assertUploadRefusedUnread(t, e, "aActive", "this portal does not take files")
		e.exec(t, `UPDATE clients SET portal_files = TRUE WHERE id = ?`, f.A.ID)
		assertUploadRefusedUnread(t, e, "preview", "a preview of the portal is read-only")
		assertUploadRefusedUnread(t, e, "viewer", "the FILES_CREATE permission is required")
		assertUploadRefusedUnread(t, e, "", "anonymous requests cannot upload files")

		equal(t, "tables after refused uploads", e.tableState(t), before)
		if n := e.blobs.count(); n != blobsBefore {
			t.Errorf("refused uploads left %d blobs behind", n-blobsBefore)
		}

		// A request's attachment, by the contact who opened it.
		reqID := e.openRequest(t, "aActive", "New banner", "")
		att := e.mustUpload(t, "aActive", map[string]any{"requestId": reqID}, upload{"banner.png", pngBytes})
		var req struct {
			Request struct {
				Attachments []idName `json:"attachments"`
			} `json:"request"`
		}
		e.as(t, "aActive", `query($id: ID!) { request(id: $id) { attachments { id name } } }`, vars{"id": reqID}).decode(t, &req)
		if a := req.Request.Attachments; len(a) != 1 || a[0].ID != att.ID || a[0].Name != "banner.png" {
			t.Errorf("attachments %+v", a)
		}
	})
}

// endlessUpload is an upload whose file part never ends.
func endlessUpload(t *testing.T, e *env, token string, variables vars) *http.Request {
	t.Helper()
	body, w := io.Pipe()
	t.Cleanup(func() { _ = w.Close() })
	mw := multipart.NewWriter(w)
	go func() {
		ops, _ := json.Marshal(map[string]any{"query": uploadDoc, "variables": variables})
		_ = mw.WriteField("operations", string(ops))
		_ = mw.WriteField("map", `{"0": ["variables.in.file"]}`)
		part, err := mw.CreateFormFile("0", "endless.txt")
		if err != nil {
			return
		}
		chunk := bytes.Repeat([]byte("a"), 512)
		for {
			if _, err := part.Write(chunk); err != nil {
				return // the server stopped reading and the test ended
			}
		}
	}()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("GraphQL-Require-Preflight", "1")
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// assertUploadRefusedUnread sends an upload whose body never arrives: a
// principal who may not upload is answered 403 all the same, so the
// server neither waited for nor kept a byte of it.
func assertUploadRefusedUnread(t *testing.T, e *env, who, message string) {
	t.Helper()
	body, never := io.Pipe()
	defer never.Close()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/graphql", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 45 << 20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("GraphQL-Require-Preflight", "1")
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.f.Tokens[who])
	}
	res := e.send(t, req)
	got := res.only(t)
	equal(t, who+"'s unread upload", []any{res.Status, got.Extensions.Code, got.Message, got.path()}, []any{http.StatusForbidden, "FORBIDDEN", message, ""})
}

// The limits of a multipart request: the preflight header, the size of a
// file and the number of files. Each refusal writes nothing.
func TestUploadLimits(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		before := e.tableState(t)
		in := vars{"in": map[string]any{"clientId": f.A.ID, "file": nil}}

		// No preflight header: refused before anything is read.
		res := e.send(t, e.multipartRequest(t, f.Tokens["owner"], uploadDoc, in, map[string]upload{"variables.in.file": {"a.pdf", []byte("%PDF-1.4")}}, false))
		if er := res.only(t); res.Status != http.StatusBadRequest || !slices.Equal(er.fields(), []string{"GraphQL-Require-Preflight: multipart requests must carry the GraphQL-Require-Preflight header"}) {
			t.Errorf("without the header: HTTP %d %s", res.Status, res.Raw)
		}

		// One byte over the limit, refused as it is read.
		big := bytes.Repeat([]byte("a"), 1025)
		res = e.uploadAs(t, "owner", map[string]any{"clientId": f.A.ID}, upload{"big.txt", big})
		er := res.only(t)
		equal(t, "oversize", []any{res.Status, er.Extensions.Code, er.Message, er.Extensions.limitReport},
			[]any{http.StatusRequestEntityTooLarge, "LIMIT_EXCEEDED", `the file "big.txt" is larger than the limit of 1024 bytes`, limitReport{"maxUploadBytes", 1024, 1025}})
		// Exactly at the limit is fine, and is undone below.
		atLimit := e.mustUpload(t, "owner", map[string]any{"clientId": f.A.ID}, upload{"ok.txt", big[:1024]})

		// Three files where two are allowed, through aliases.
		three := `mutation($a: UploadFileInput!, $b: UploadFileInput!, $c: UploadFileInput!) {
			a: uploadFile(input: $a) { file { id } } b: uploadFile(input: $b) { file { id } } c: uploadFile(input: $c) { file { id } } }`
		v := vars{}
		files := map[string]upload{}
		for _, k := range []string{"a", "b", "c"} {
			v[k] = map[string]any{"clientId": f.A.ID, "file": nil}
			files["variables."+k+".file"] = upload{k + ".pdf", []byte("%PDF-1.4")}
		}
		res = e.send(t, e.multipartRequest(t, f.Tokens["owner"], three, v, files, true))
		if er := res.only(t); res.Status != http.StatusRequestEntityTooLarge || er.Extensions.Code != "LIMIT_EXCEEDED" ||
			er.Message != "the request carries 3 files; at most 2 are allowed" || !res.dataIsNull() {
			t.Errorf("three files: HTTP %d %s", res.Status, res.Raw)
		}

		// A file whose bytes keep coming is refused once it passes the
		// limit, without waiting for the rest.
		res = e.send(t, endlessUpload(t, e, f.Tokens["owner"], in))
		equal(t, "endless", []any{res.Status, res.only(t).Extensions.limitReport}, []any{http.StatusRequestEntityTooLarge, limitReport{"maxUploadBytes", 1024, 1025}})

		// A body larger than every file at its limit is refused from its
		// declared length.
		huge := bytes.Repeat([]byte("a"), 3*1024+2<<20)
		res = e.send(t, e.multipartRequest(t, f.Tokens["owner"], uploadDoc, in, map[string]upload{"variables.in.file": {"huge.txt", huge}}, true))
		if res.Status != http.StatusRequestEntityTooLarge || res.only(t).Extensions.Code != "LIMIT_EXCEEDED" {
			t.Errorf("huge body: HTTP %d %s", res.Status, res.Raw)
		}

		e.as(t, "owner", `mutation($id: ID!) { deleteFile(input: {id: $id}) { deletedFileId } }`, vars{"id": atLimit.ID}).decode(t, &struct{}{})
		after := e.tableState(t)
		// The accepted upload and its deletion leave their activity.
		delete(after, "activity_events")
		delete(before, "activity_events")
		equal(t, "tables after refused uploads", after, before)
		if n := e.blobs.count(); n != 0 {
			t.Errorf("%d blobs left behind", n)
		}
	}, func(c *graph.Config) { c.MaxUploadBytes, c.MaxUploadFiles = 1024, 2 })
}

// A deliverable's file keeps its versions; each audience sees the newest
// version it may see, and the versions it may see.
func TestFileVersions(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		v1 := e.mustUpload(t, "owner", map[string]any{"deliverableId": f.DShared.ID, "visibility": "SHARED"}, upload{"logo.png", pngBytes})
		// A draft for staff over the shared version.
		v2 := e.mustUpload(t, "owner", map[string]any{"replacesId": v1.ID}, upload{"logo-v2.png", append(pngBytes, 1)})
		if v2.Version != 2 || v2.Deliverable == nil || v2.Deliverable.ID != f.DShared.ID {
			t.Fatalf("v2 = %+v", v2)
		}
		const listDoc = `query($id: ID!) { deliverable(id: $id) {
			latest: files { totalCount edges { node { id version versions { id version } } } }
			all: files(allVersions: true) { totalCount edges { node { id version } } } } }`
		type version struct {
			ID       string `json:"id"`
			Version  int    `json:"version"`
			Versions []struct {
				ID      string `json:"id"`
				Version int    `json:"version"`
			} `json:"versions"`
		}
		var got struct {
			Deliverable struct {
				Latest conn[version] `json:"latest"`
				All    conn[version] `json:"all"`
			} `json:"deliverable"`
		}
		e.as(t, "owner", listDoc, vars{"id": f.DShared.ID}).decode(t, &got)
		if l := got.Deliverable.Latest.nodes(); got.Deliverable.Latest.TotalCount != 1 || len(l) != 1 || l[0].ID != v2.ID || len(l[0].Versions) != 2 || l[0].Versions[0].ID != v2.ID {
			t.Errorf("staff latest %+v", got.Deliverable.Latest)
		}
		if got.Deliverable.All.TotalCount != 2 {
			t.Errorf("staff all versions %+v", got.Deliverable.All)
		}
		// The contact still sees the shared version 1, and no trace of 2.
		e.as(t, "aActive", listDoc, vars{"id": f.DShared.ID}).decode(t, &got)
		if l := got.Deliverable.Latest.nodes(); got.Deliverable.Latest.TotalCount != 1 || len(l) != 1 || l[0].ID != v1.ID || len(l[0].Versions) != 1 {
			t.Errorf("portal latest %+v", got.Deliverable.Latest)
		}
		if got.Deliverable.All.TotalCount != 1 {
			t.Errorf("portal all versions %+v", got.Deliverable.All)
		}
		e.as(t, "aActive", portalFileDoc, vars{"id": v2.ID}).onlyErrorAt(t, "file", "NOT_FOUND")

		// Version 3 is shared: now the contact sees it first.
		v3 := e.mustUpload(t, "owner", map[string]any{"replacesId": v2.ID, "visibility": "SHARED"}, upload{"logo-v3.png", append(pngBytes, 2)})
		e.as(t, "aActive", listDoc, vars{"id": f.DShared.ID}).decode(t, &got)
		if l := got.Deliverable.Latest.nodes(); len(l) != 1 || l[0].ID != v3.ID || l[0].Version != 3 || len(l[0].Versions) != 2 || l[0].Versions[1].ID != v1.ID {
			t.Errorf("portal latest after v3 %+v", got.Deliverable.Latest)
		}

		// Only a deliverable's files have versions, and only staff add them.
		other := e.mustUpload(t, "owner", map[string]any{"clientId": f.A.ID}, upload{"contract.pdf", []byte("%PDF-1.4")})
		er := e.uploadAs(t, "owner", map[string]any{"replacesId": other.ID}, upload{"c2.pdf", []byte("%PDF-1.4")}).onlyErrorAt(t, "uploadFile", "BAD_USER_INPUT")
		if want := []string{"input.replacesId: only a deliverable's files have versions"}; !slices.Equal(er.fields(), want) {
			t.Errorf("fields %v", er.fields())
		}
		e.uploadAs(t, "aActive", map[string]any{"replacesId": v3.ID}, upload{"mine.png", pngBytes}).onlyErrorAt(t, "uploadFile", "FORBIDDEN")
	})
}

// What each audience sees of files through every path: lists under a
// client, a project and a deliverable, counts, lookups and node(id).
func TestFileScoping(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		up := func(who string, in map[string]any, name string) string {
			return e.mustUpload(t, who, in, upload{name, []byte("%PDF-1.4 " + name)}).ID
		}
		shared := map[string]any{"visibility": "SHARED"}
		with := func(m map[string]any, k, v string) map[string]any {
			out := map[string]any{k: v}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		onClient := up("owner", with(shared, "clientId", f.A.ID), "client-shared")
		internal := up("owner", map[string]any{"clientId": f.A.ID}, "client-internal")
		onProject := up("owner", with(shared, "projectId", f.AShared.ID), "project-shared")
		onInternalProject := up("owner", with(shared, "projectId", f.AInternal.ID), "internal-project-shared")
		onDeliverable := up("owner", with(shared, "deliverableId", f.DShared.ID), "deliverable-shared")
		onInternalDeliverable := up("owner", with(shared, "deliverableId", f.DInternal.ID), "internal-deliverable-shared")
		ofB := up("owner", with(shared, "clientId", f.B.ID), "bolt-shared")
		ofX := up("owner2", with(shared, "clientId", f.X.ID), "xeno-shared")

		const doc = `query($c: ID!, $p: ID!, $d: ID!) {
			client(id: $c) { files(first: 50) { totalCount edges { node { id } } } }
			project(id: $p) { files(first: 50) { totalCount edges { node { id } } } }
			deliverable(id: $d) { files(first: 50) { totalCount edges { node { id } } } } }`
		var got struct {
			Client      struct{ Files conn[idName] } `json:"client"`
			Project     struct{ Files conn[idName] } `json:"project"`
			Deliverable struct{ Files conn[idName] } `json:"deliverable"`
		}
		check := func(who string, client, project, deliverable []string) {
			t.Helper()
			e.as(t, who, doc, vars{"c": f.A.ID, "p": f.AShared.ID, "d": f.DShared.ID}).decode(t, &got)
			for _, c := range []struct {
				name string
				conn conn[idName]
				want []string
			}{{"client", got.Client.Files, client}, {"project", got.Project.Files, project}, {"deliverable", got.Deliverable.Files, deliverable}} {
				if g := sorted(ids(c.conn.nodes())); !slices.Equal(g, sorted(c.want)) || c.conn.TotalCount != len(c.want) {
					t.Errorf("%s: %s files %v (total %d), want %v", who, c.name, g, c.conn.TotalCount, sorted(c.want))
				}
			}
		}
		check("owner", []string{onClient, internal, onProject, onInternalProject, onDeliverable, onInternalDeliverable},
			[]string{onProject, onDeliverable, onInternalDeliverable}, []string{onDeliverable})
		check("aActive", []string{onClient, onProject, onDeliverable}, []string{onProject, onDeliverable}, []string{onDeliverable})

		// Lookups of what the contact may not see answer like absent IDs.
		for _, id := range []string{internal, onInternalProject, onInternalDeliverable, ofB, ofX} {
			e.as(t, "aActive", portalFileDoc, vars{"id": id}).onlyErrorAt(t, "file", "NOT_FOUND")
			e.as(t, "aActive", `query($id: ID!) { node(id: $id) { id } }`, vars{"id": id}).onlyErrorAt(t, "node", "NOT_FOUND")
		}
		// Another workspace's staff see nothing of it either.
		e.as(t, "owner2", `query($id: ID!) { file(id: $id) { id } }`, vars{"id": onClient}).onlyErrorAt(t, "file", "NOT_FOUND")

		// The files section hidden: the contact sees no files at all.
		e.exec(t, `UPDATE clients SET portal_files = FALSE WHERE id = ?`, f.A.ID)
		check("aActive", nil, nil, nil)
	})
}

// A download link is checked when it is used: forged, altered, expired,
// for another file, or for a file its holder can no longer see.
func TestDownloadLinks(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		f := e.f
		a := e.mustUpload(t, "owner", map[string]any{"clientId": f.A.ID, "visibility": "SHARED"}, upload{"a.pdf", []byte("%PDF-1.4 a")})
		b := e.mustUpload(t, "owner", map[string]any{"clientId": f.A.ID, "visibility": "SHARED"}, upload{"b.pdf", []byte("%PDF-1.4 b")})
		link := func(who, id string) string {
			var got struct {
				File struct {
					DownloadURL string `json:"downloadUrl"`
				} `json:"file"`
			}
			e.as(t, who, `query($id: ID!) { file(id: $id) { downloadUrl } }`, vars{"id": id}).decode(t, &got)
			return got.File.DownloadURL
		}
		expect := func(what, l string, want int) {
			t.Helper()
			if status, _, body := e.download(t, l); status != want {
				t.Errorf("%s: HTTP %d (%s), want %d", what, status, body, want)
			}
		}
		la := link("aActive", a.ID)
		// Asking about the file is not a download.
		head, err := e.srv.Client().Head(e.srv.URL + strings.TrimPrefix(la, "https://portal.example"))
		if err != nil {
			t.Fatal(err)
		}
		head.Body.Close()
		if head.StatusCode != http.StatusOK || head.Header.Get("Content-Length") != "10" || e.downloads(t, a.ID) != 0 {
			t.Errorf("HEAD: HTTP %d, length %q, %d downloads recorded", head.StatusCode, head.Header.Get("Content-Length"), e.downloads(t, a.ID))
		}
		expect("the contact's own link", la, http.StatusOK)

		u, _ := url.Parse(la)
		token := u.Query().Get("token")
		expect("the link on another file's path", strings.Replace(la, a.ID, b.ID, 1), http.StatusForbidden)
		expect("an altered token", strings.Replace(la, token, token[:len(token)-2]+"xx", 1), http.StatusForbidden)
		expect("no token", strings.Split(la, "?")[0], http.StatusForbidden)
		forger, _ := signedurl.New([]byte(strings.Repeat("f", 32)), time.Hour, nil)
		forged, _ := forger.Sign(sqltest.Portal(f.AActive), a.ID)
		expect("a token signed with another key", strings.Replace(la, token, forged, 1), http.StatusForbidden)

		// Unshared after the link was made: the link is refused.
		lb := link("aActive", b.ID)
		e.as(t, "owner", `mutation($id: ID!) { updateFile(input: {id: $id, visibility: INTERNAL}) { file { id } } }`, vars{"id": b.ID}).decode(t, &struct{}{})
		expect("a link to a file unshared since", lb, http.StatusNotFound)
		// Staff links still work for it.
		expect("staff's link to the internal file", link("owner", b.ID), http.StatusOK)

		// The contact suspended, or the portal closed, after the link was
		// made: the session it was made in no longer acts.
		la = link("aActive", a.ID)
		e.exec(t, `UPDATE contacts SET portal_status = 'SUSPENDED' WHERE id = ?`, f.AActive.ID)
		expect("a suspended contact's link", la, http.StatusForbidden)
		e.exec(t, `UPDATE contacts SET portal_status = 'ACTIVE' WHERE id = ?`, f.AActive.ID)
		e.exec(t, `UPDATE clients SET portal_enabled = FALSE WHERE id = ?`, f.A.ID)
		expect("a link into a closed portal", la, http.StatusForbidden)
		e.exec(t, `UPDATE clients SET portal_enabled = TRUE WHERE id = ?`, f.A.ID)
		// The files section hidden: the session acts, the file is gone.
		e.exec(t, `UPDATE clients SET portal_files = FALSE WHERE id = ?`, f.A.ID)
		expect("a link with the files section hidden", la, http.StatusNotFound)
		e.exec(t, `UPDATE clients SET portal_files = TRUE WHERE id = ?`, f.A.ID)

		// Five minutes later the link has expired.
		e.clock.Advance(5 * time.Minute)
		expect("an expired link", la, http.StatusGone)

		// Signing out ends the links made in that session.
		la = link("aActive", a.ID)
		var out struct {
			LogOut struct {
				Ok bool `json:"ok"`
			} `json:"logOut"`
		}
		e.as(t, "aActive", `mutation { logOut { ok } }`, nil).decode(t, &out)
		expect("a link made before signing out", la, http.StatusForbidden)

		// Only the one good download of a, and staff's of b, were recorded.
		if n := e.downloads(t, a.ID); n != 1 {
			t.Errorf("%d downloads of a recorded, want 1", n)
		}
		if n := e.downloads(t, b.ID); n != 1 {
			t.Errorf("%d downloads of b recorded, want 1", n)
		}
	})
}

// Deleting a file takes its metadata and its bytes together; when the
// bytes cannot be removed at once, their removal waits in the queue.
func TestDeleteFile(t *testing.T) {
	t.Parallel()
	const deleteDoc = `mutation($id: ID!) { deleteFile(input: {id: $id}) { deletedFileId } }`
	run(t, func(t *testing.T, e *env) {
		f := e.f
		a := e.mustUpload(t, "member", map[string]any{"clientId": f.A.ID}, upload{"a.pdf", []byte("%PDF-1.4 a")})
		b := e.mustUpload(t, "member", map[string]any{"clientId": f.A.ID}, upload{"b.pdf", []byte("%PDF-1.4 b")})

		// Refused deletions change nothing.
		before := e.tableState(t)
		e.as(t, "viewer", deleteDoc, vars{"id": a.ID}).onlyErrorAt(t, "deleteFile", "FORBIDDEN")
		const updateDoc = `mutation($in: UpdateFileInput!) { updateFile(input: $in) { file { id } } }`
		e.as(t, "viewer", updateDoc, vars{"in": map[string]any{"id": a.ID, "visibility": "SHARED"}}).onlyErrorAt(t, "updateFile", "FORBIDDEN")
		er := e.as(t, "member", updateDoc, vars{"in": map[string]any{"id": a.ID, "name": "a/b.pdf"}}).onlyErrorAt(t, "updateFile", "BAD_USER_INPUT")
		equal(t, "a name with a slash", er.fields(), []string{"input.name: must not contain slashes or NUL"})
		e.as(t, "owner2", updateDoc, vars{"in": map[string]any{"id": a.ID, "name": "mine.pdf"}}).onlyErrorAt(t, "updateFile", "NOT_FOUND")
		e.as(t, "owner2", deleteDoc, vars{"id": a.ID}).onlyErrorAt(t, "deleteFile", "NOT_FOUND")
		if res := e.as(t, "aActive", deleteDoc, vars{"id": a.ID}); res.only(t).Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("deleteFile from the portal: %s", res.Raw)
		}
		equal(t, "tables after refused deletions", e.tableState(t), before)
		if n := e.blobs.count(); n != 2 {
			t.Errorf("%d blobs after refused deletions, want 2", n)
		}

		var got struct {
			DeleteFile struct {
				DeletedFileID string `json:"deletedFileId"`
			} `json:"deleteFile"`
		}
		e.as(t, "member", deleteDoc, vars{"id": a.ID}).decode(t, &got)
		if got.DeleteFile.DeletedFileID != a.ID || e.count(t, "files") != 1 || e.blobs.count() != 1 || e.count(t, "blob_removals") != 0 {
			t.Errorf("after deleting a: %+v, %d files, %d blobs, %d removals queued", got, e.count(t, "files"), e.blobs.count(), e.count(t, "blob_removals"))
		}
		e.as(t, "member", `query($id: ID!) { file(id: $id) { id } }`, vars{"id": a.ID}).onlyErrorAt(t, "file", "NOT_FOUND")

		// Blob storage fails: the metadata goes, the removal waits.
		e.blobs.setFailDeletes(true)
		e.as(t, "member", deleteDoc, vars{"id": b.ID}).decode(t, &got)
		if e.count(t, "files") != 0 || e.blobs.count() != 1 || e.count(t, "blob_removals") != 1 {
			t.Fatalf("after a failed removal: %d files, %d blobs, %d removals queued", e.count(t, "files"), e.blobs.count(), e.count(t, "blob_removals"))
		}
		// The queue is worked off once storage is back.
		e.blobs.setFailDeletes(false)
		n, err := e.blobs.Store.RemoveQueued(context.Background(), e.store, 10)
		if err != nil || n != 1 || e.blobs.count() != 0 || e.count(t, "blob_removals") != 0 {
			t.Errorf("RemoveQueued: %d, %v; %d blobs, %d removals queued", n, err, e.blobs.count(), e.count(t, "blob_removals"))
		}
		var deleted int
		if err := e.store.DB().Get(&deleted, `SELECT COUNT(*) FROM activity_events WHERE action = 'FILE_DELETED'`); err != nil || deleted != 2 {
			t.Errorf("%d FILE_DELETED events, %v", deleted, err)
		}
	})
}

// countingBlobs is blob storage in memory that knows the keys it was
// given and can be made to fail removals.
type countingBlobs struct {
	*blobstore.Store
	mu          sync.Mutex
	keys        map[string]bool
	failDeletes bool
}

func newCountingBlobs(t testing.TB) *countingBlobs {
	t.Helper()
	s, err := blobstore.Open(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &countingBlobs{Store: s, keys: map[string]bool{}}
}

func (b *countingBlobs) Put(ctx context.Context, key string, r io.Reader, max int64) (blobstore.Stored, error) {
	st, err := b.Store.Put(ctx, key, r, max)
	if err == nil {
		b.mu.Lock()
		b.keys[key] = true
		b.mu.Unlock()
	}
	return st, err
}

func (b *countingBlobs) Delete(ctx context.Context, key string) error {
	b.mu.Lock()
	fail := b.failDeletes
	b.mu.Unlock()
	if fail {
		return errors.New("storage unavailable")
	}
	return b.Store.Delete(ctx, key)
}

func (b *countingBlobs) setFailDeletes(fail bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failDeletes = fail
}

// count is how many of the keys given hold bytes, asked of the bucket.
func (b *countingBlobs) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for key := range b.keys {
		if ok, _ := b.Store.Exists(context.Background(), key); ok {
			n++
		}
	}
	return n
}

var largeUploads sync.Mutex

// A file larger than a request keeps in memory is read into a temporary
// file, which is gone when the request ends; its bytes arrive whole.
func TestLargeUpload(t *testing.T) {
	t.Parallel()
	run(t, func(t *testing.T, e *env) {
		temps := func() int {
			names, err := filepath.Glob(filepath.Join(os.TempDir(), "portalgraph-upload-*"))
			if err != nil {
				t.Fatal(err)
			}
			return len(names)
		}
		// The databases' runs take turns, so each counts only its own.
		largeUploads.Lock()
		defer largeUploads.Unlock()
		before := temps()
		content := bytes.Repeat([]byte("0123456789abcdef"), 9<<20/16) // 9 MiB
		got := e.mustUpload(t, "owner", map[string]any{"clientId": e.f.A.ID}, upload{"large.bin", content})
		equal(t, "stored", []any{got.Size, got.Sha256}, []any{len(content), sha(content)})
		if n := temps(); n != before {
			t.Errorf("%d temporary files left behind", n-before)
		}
	})
}

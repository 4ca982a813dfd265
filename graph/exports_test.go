package graph_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/exports"
	"portalgraph/internal/portal"
)

// Exports over HTTP: staff and contacts ask for them, each sees the ones
// their view allows by every path, the worker builds them, and their file
// reads like any other.

const (
	requestExportDoc = `mutation($in: RequestExportInput!) { requestExport(input: $in) { export { id kind status from to client { id } requestedByContact { name } } } }`
	exportDoc        = `query($id: ID!) { export(id: $id) { id kind status finishedAt file { name size sha256 } } }`
)

type exportState struct {
	ID                 string  `json:"id"`
	Kind               string  `json:"kind"`
	Status             string  `json:"status"`
	From               string  `json:"from"`
	To                 string  `json:"to"`
	FinishedAt         *string `json:"finishedAt"`
	RequestedByContact *struct {
		Name string `json:"name"`
	} `json:"requestedByContact"`
	Client *struct {
		ID string `json:"id"`
	} `json:"client"`
	File *struct {
		Name   string `json:"name"`
		Size   int    `json:"size"`
		Sha256 string `json:"sha256"`
	} `json:"file"`
}

func (e exportState) getID() string { return e.ID }

// requestExport asks for an export as who and returns it.
func (e *env) requestExport(t *testing.T, who string, in map[string]any) exportState {
	t.Helper()
	var got struct {
		RequestExport struct {
			Export exportState `json:"export"`
		} `json:"requestExport"`
	}
	e.as(t, who, requestExportDoc, vars{"in": in}).decode(t, &got)
	return got.RequestExport.Export
}

// buildExports runs the export workers until no job waits.
func (e *env) buildExports(t *testing.T) {
	t.Helper()
	// The server's own blob storage, so the CSVs download like any file.
	pool := exports.NewPool(e.store, e.blobs.Store, e.handler.SchemaHas, slog.New(slog.NewTextHandler(io.Discard, nil)), exports.Options{})
	for {
		did, err := pool.RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			return
		}
	}
}

func TestExportsOverHTTP(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		f := e.f
		e.exec(t, `UPDATE clients SET portal_exports = TRUE WHERE id IN (?, ?)`, f.A.ID, f.B.ID)
		year := func(in map[string]any) map[string]any {
			in["from"], in["to"] = "2026-01-01", "2026-12-31"
			return in
		}

		byOwner := e.requestExport(t, "owner", year(map[string]any{"clientId": f.A.ID, "kind": "ACTIVITY"}))
		byViewer := e.requestExport(t, "viewer", year(map[string]any{"clientId": f.A.ID, "kind": "DELIVERABLES"}))
		byAnn := e.requestExport(t, "aActive", year(map[string]any{"kind": "APPROVALS"}))
		byBen := e.requestExport(t, "bActive", year(map[string]any{"kind": "DELIVERABLES"}))
		equal(t, "staff export", []any{byOwner.Kind, byOwner.Status, byOwner.From, byOwner.To, byOwner.Client.ID, byOwner.RequestedByContact},
			[]any{"ACTIVITY", "QUEUED", "2026-01-01", "2026-12-31", f.A.ID, nil})
		equal(t, "portal export", []any{byAnn.Kind, byAnn.Status, byAnn.Client.ID, byAnn.RequestedByContact.Name}, []any{"APPROVALS", "QUEUED", f.A.ID, "Ann Active"})
		equal(t, "other client's export", byBen.Client.ID, f.B.ID)

		// Each sees what their view allows: staff every export of the
		// client, a contact those asked for through their portal.
		const clientExports = `query($id: ID!) { client(id: $id) { exports { totalCount edges { node { id } } } } }`
		for _, c := range []struct {
			who, client string
			want        []string
		}{
			{"owner", f.A.ID, []string{byAnn.ID, byViewer.ID, byOwner.ID}},
			{"aActive", f.A.ID, []string{byAnn.ID}},
			{"bActive", f.B.ID, []string{byBen.ID}},
		} {
			var got struct {
				Client struct {
					Exports conn[exportState] `json:"exports"`
				} `json:"client"`
			}
			e.as(t, c.who, clientExports, vars{"id": c.client}).decode(t, &got)
			equal(t, c.who+"'s exports, newest first", []any{got.Client.Exports.TotalCount, ids(got.Client.Exports.nodes())}, []any{len(c.want), c.want})
		}
		for _, hidden := range []string{byOwner.ID, byViewer.ID, byBen.ID} {
			assertNotFound(t, e, "aActive", lookup{"export", portal.PrefixExport}, hidden)
			assertNotFound(t, e, "aActive", lookup{"node", portal.PrefixExport}, hidden)
		}
		assertNotFound(t, e, "owner2", lookup{"export", portal.PrefixExport}, byAnn.ID)
		var viaNode struct {
			Node exportState `json:"node"`
		}
		e.as(t, "aActive", `query($id: ID!) { node(id: $id) { ... on Export { id status } } }`, vars{"id": byAnn.ID}).decode(t, &viaNode)
		equal(t, "the contact's export by node", viaNode.Node.ID, byAnn.ID)

		// Built in the background: done, with a CSV file.
		e.buildExports(t)
		for _, c := range []struct {
			who, id, name string
		}{
			{"aActive", byAnn.ID, "approvals-2026-01-01-to-2026-12-31.csv"},
			{"owner", byOwner.ID, "activity-2026-01-01-to-2026-12-31.csv"},
			{"viewer", byViewer.ID, "deliverables-2026-01-01-to-2026-12-31.csv"},
		} {
			var got struct {
				Export exportState `json:"export"`
			}
			e.as(t, c.who, exportDoc, vars{"id": c.id}).decode(t, &got)
			x := got.Export
			if x.Status != "DONE" || x.FinishedAt == nil || x.File == nil || x.File.Name != c.name || x.File.Size == 0 || len(x.File.Sha256) != 64 {
				t.Errorf("%s's export after the worker ran: %+v %+v", c.who, x, x.File)
			}
		}
		// The contact read their export's file above; a staff export's
		// file is internal.
		var file struct {
			Export struct {
				File struct {
					ID string `json:"id"`
				} `json:"file"`
			} `json:"export"`
		}
		e.as(t, "owner", `query($id: ID!) { export(id: $id) { file { id } } }`, vars{"id": byOwner.ID}).decode(t, &file)
		assertNotFound(t, e, "aActive", lookup{"node", portal.PrefixFile}, file.Export.File.ID)

		// The contact downloads their CSV like any file; it is not listed
		// among the client's files, and is kept as long as its export.
		var csv struct {
			Export struct {
				File struct {
					ID          string `json:"id"`
					DownloadURL string `json:"downloadUrl"`
				} `json:"file"`
			} `json:"export"`
		}
		e.as(t, "aActive", `query($id: ID!) { export(id: $id) { file { id downloadUrl } } }`, vars{"id": byAnn.ID}).decode(t, &csv)
		status, header, body := e.download(t, csv.Export.File.DownloadURL)
		if status != 200 || !strings.HasPrefix(header.Get("Content-Type"), "text/csv") || !strings.Contains(string(body), "Approve the shared deliverable") ||
			strings.Contains(string(body), "Approve the internal deliverable") {
			t.Errorf("the contact's CSV: HTTP %d %s\n%s", status, header.Get("Content-Type"), body)
		}
		var listed struct {
			Client struct {
				Files conn[idName] `json:"files"`
			} `json:"client"`
		}
		e.as(t, "owner", `query($id: ID!) { client(id: $id) { files { totalCount edges { node { id } } } } }`, vars{"id": f.A.ID}).decode(t, &listed)
		if listed.Client.Files.TotalCount != 0 {
			t.Errorf("export CSVs listed among the client's files: %+v", listed.Client.Files)
		}
		er := e.as(t, "owner", `mutation($id: ID!) { deleteFile(input: {id: $id}) { deletedFileId } }`, vars{"id": csv.Export.File.ID}).onlyErrorAt(t, "deleteFile", "BAD_USER_INPUT")
		equal(t, "deleting an export's CSV", er.fields(), []string{"input.id: an export's CSV is kept with its export"})
	})
}

func TestRequestExportRefusals(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		f := e.f
		before := e.tableState(t)
		exportsBefore := e.count(t, "exports")
		in := func(kv ...any) map[string]any {
			m := map[string]any{"kind": "APPROVALS", "from": "2026-01-01", "to": "2026-01-31"}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}
		// The portal's exports section is hidden.
		r := e.as(t, "aActive", requestExportDoc, vars{"in": in()})
		equal(t, "hidden section", r.onlyErrorAt(t, "requestExport", "FORBIDDEN").Message, "this portal does not offer exports")
		e.exec(t, `UPDATE clients SET portal_exports = TRUE WHERE id = ?`, f.A.ID)
		before = e.tableState(t)
		for _, c := range []struct {
			who    string
			in     map[string]any
			fields []string
		}{
			{"owner", in("clientId", f.A.ID, "from", "2026-02-01"), []string{"input.to: must not be before from"}},
			{"owner", in("clientId", f.A.ID, "from", "2024-01-01"), []string{"input.to: an export covers at most 366 days"}},
			{"owner", in(), []string{"input.clientId: staff name the client to export"}},
			{"owner", in("clientId", f.X.ID), []string{`input.clientId: no record with id "` + f.X.ID + `"`}},
			{"aActive", in("clientId", f.B.ID), []string{`input.clientId: no record with id "` + f.B.ID + `"`}},
		} {
			got := e.as(t, c.who, requestExportDoc, vars{"in": c.in}).onlyErrorAt(t, "requestExport", "BAD_USER_INPUT")
			equal(t, "fields", got.fields(), c.fields)
		}
		// ACTIVITY is not a kind the portal knows.
		r = e.as(t, "aActive", requestExportDoc, vars{"in": in("kind", "ACTIVITY")})
		if len(r.Errors) != 1 || !r.dataIsNull() {
			t.Errorf("a portal export of activity: %s", r.Raw)
		}
		equal(t, "tables", e.tableState(t), before)
		if n := e.count(t, "exports"); n != exportsBefore {
			t.Errorf("refused requests wrote %d exports", n-exportsBefore)
		}
	})
}

func TestExportKindsPerAudience(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		const kinds = `{ __type(name: "ExportKind") { enumValues { name } } }`
		for who, want := range map[string][]string{
			"owner":   {"APPROVALS", "DELIVERABLES", "ACTIVITY", "READS"},
			"aActive": {"APPROVALS", "DELIVERABLES"},
		} {
			var got struct {
				Type struct {
					EnumValues []struct {
						Name string `json:"name"`
					} `json:"enumValues"`
				} `json:"__type"`
			}
			e.as(t, who, kinds, nil).decode(t, &got)
			var names []string
			for _, v := range got.Type.EnumValues {
				names = append(names, v.Name)
			}
			if !slices.Equal(names, want) {
				t.Errorf("ExportKind as %s: %v, want %v", who, names, want)
			}
		}
		// A portal export reaching the worker after its contact was
		// suspended fails; the error is for staff.
		e.exec(t, `UPDATE clients SET portal_exports = TRUE WHERE id = ?`, e.f.A.ID)
		x := e.requestExport(t, "aActive", map[string]any{"kind": "DELIVERABLES", "from": "2026-01-01", "to": "2026-01-31"})
		e.exec(t, `UPDATE contacts SET portal_status = 'SUSPENDED' WHERE id = ?`, e.f.AActive.ID)
		e.buildExports(t)
		var got struct {
			Export struct {
				Status string  `json:"status"`
				Error  *string `json:"error"`
			} `json:"export"`
		}
		e.as(t, "owner", `query($id: ID!) { export(id: $id) { status error } }`, vars{"id": x.ID}).decode(t, &got)
		if got.Export.Status != "FAILED" || got.Export.Error == nil {
			t.Errorf("export of a suspended contact: %+v", got.Export)
		}
	})
}

// exportCSV downloads, as who, the CSV of a finished export and parses it.
func (e *env) exportCSV(t *testing.T, who, exportID string) [][]string {
	t.Helper()
	var got struct {
		Export struct {
			Status string `json:"status"`
			File   *struct {
				DownloadURL string `json:"downloadUrl"`
			} `json:"file"`
		} `json:"export"`
	}
	e.as(t, who, `query($id: ID!) { export(id: $id) { status file { downloadUrl } } }`, vars{"id": exportID}).decode(t, &got)
	if got.Export.Status != "DONE" || got.Export.File == nil {
		t.Fatalf("export %s as %s: %+v", exportID, who, got.Export)
	}
	status, _, body := e.download(t, got.Export.File.DownloadURL)
	if status != 200 {
		t.Fatalf("download of export %s as %s: HTTP %d %s", exportID, who, status, body)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("export %s is no CSV with a header: %v\n%s", exportID, err, body)
	}
	return rows
}

// A CSV has the columns its requester's schema has: a contact's
// deliverables have no updated_at (Deliverable.updatedAt is internal),
// staff's do, and every row has a cell per column. The export workers get
// the schemas from the handler, as the server wires them.
func TestExportColumnsPerRequester(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		f := e.f
		e.exec(t, `UPDATE clients SET portal_exports = TRUE WHERE id = ?`, f.A.ID)
		year := func(in map[string]any) map[string]any {
			in["from"], in["to"] = "2026-01-01", "2026-12-31"
			return in
		}
		annDeliverables := e.requestExport(t, "aActive", year(map[string]any{"kind": "DELIVERABLES"}))
		annApprovals := e.requestExport(t, "aActive", year(map[string]any{"kind": "APPROVALS"}))
		staffDeliverables := e.requestExport(t, "viewer", year(map[string]any{"clientId": f.A.ID, "kind": "DELIVERABLES"}))
		e.buildExports(t)

		shared := []string{"deliverable_id", "project", "title", "status", "due_on", "created_at"}
		for _, c := range []struct {
			who, id string
			header  []string
			rows    int
		}{
			{"aActive", annDeliverables.ID, shared, 1},
			{"viewer", staffDeliverables.ID, append(slices.Clone(shared), "updated_at"), 3},
			// Nothing of an approval's columns is internal.
			{"aActive", annApprovals.ID, []string{"approval_id", "project", "deliverable", "title", "status", "round", "due_on", "requested_at", "resolved_at", "decisions"}, 1},
		} {
			rows := e.exportCSV(t, c.who, c.id)
			equal(t, c.who+"'s header", rows[0], c.header)
			if len(rows) != 1+c.rows {
				t.Errorf("%s's CSV has %d rows, want %d: %v", c.who, len(rows)-1, c.rows, rows)
			}
			for _, r := range rows[1:] {
				if len(r) != len(c.header) {
					t.Errorf("%s's row %v has %d cells for %d columns", c.who, r, len(r), len(c.header))
				}
			}
		}
		rows := e.exportCSV(t, "viewer", staffDeliverables.ID)
		for _, r := range rows[1:] {
			if _, err := time.Parse(time.RFC3339, r[6]); err != nil {
				t.Errorf("staff's updated_at %q: %v", r[6], err)
			}
		}
	})
}

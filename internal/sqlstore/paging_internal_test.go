package sqlstore

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"portalgraph/internal/portal"
)

// Cursors are written by hand; each must be the JSON form every cursor
// has, which parseCursor reads, whatever its key and ID.
func TestCursorOfWritesJSON(t *testing.T) {
	ids := []string{"apr_01JGFJKTB0YMWRNP0KBSK2XSPM", "", "a-b_C9", "a<b", "é", `a"b`, "x\x00", strings.Repeat("z", 200)}
	keys := []any{nil, 0, -1, int64(1) << 40, "", "2026-12-04", "9999-12-31", "Acme & Co", "<b>", `say "hi"`, `back\slash`, "tab\there", "Café", "\x7f",
		strings.Repeat("n", 300), time.Date(2026, 12, 4, 16, 5, 0, 123, time.UTC), 1.5}
	for _, key := range keys {
		o := order[portal.Approval]{key: func(*portal.Approval) any { return key }}
		if key == nil {
			o = byCreation[portal.Approval](false)
		}
		for _, id := range ids {
			b, _ := json.Marshal([]any{key, id})
			want := base64.RawURLEncoding.EncodeToString(b)
			if got := o.cursorOf(&portal.Approval{ID: id}, id); got != want {
				t.Errorf("cursorOf(key %#v, id %q) = %s, want %s", key, id, got, want)
			}
		}
	}
}

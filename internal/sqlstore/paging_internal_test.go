package sqlstore

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"portalgraph/internal/portal"
)

// The default ordering's cursor is written by hand; it must be the JSON
// form every cursor has, which parseCursor reads.
func TestCursorOfWritesJSON(t *testing.T) {
	o := byCreation[portal.Approval](false)
	for _, id := range []string{"apr_01JGFJKTB0YMWRNP0KBSK2XSPM", "", "a-b_C9", "a<b", "é", `a"b`, "x\x00", strings.Repeat("z", 200)} {
		b, _ := json.Marshal([]any{nil, id})
		want := base64.RawURLEncoding.EncodeToString(b)
		if got := o.cursorOf(&portal.Approval{ID: id}, id); got != want {
			t.Errorf("cursorOf(%q) = %s, want %s", id, got, want)
		}
	}
}

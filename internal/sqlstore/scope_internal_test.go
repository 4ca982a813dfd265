package sqlstore

import (
	"strings"
	"testing"

	"portalgraph/internal/portal"
)

// TestEveryRuleSetKeepsToTheWorkspace: writeUnder checks a batch's parents
// apart from its rows, which admits the same rows only if the row's rules
// and every parent's rules each keep to the principal's workspace (or
// admit nothing).
func TestEveryRuleSetKeepsToTheWorkspace(t *testing.T) {
	for _, p := range []portal.Principal{
		{Audience: portal.AudienceStaff, WorkspaceID: "w", UserID: "u", BuiltIn: portal.BuiltInRoleOwner},
		{Audience: portal.AudiencePortal, WorkspaceID: "w", ContactID: "c", ClientID: "k"},
		{Audience: portal.AudiencePortal, WorkspaceID: "w", ContactID: "c", ClientID: "k", Preview: true, PreviewBy: "u"},
		{Audience: portal.AudienceAnonymous},
	} {
		sc := scope{p}
		for name, rs := range map[string]ruleSet{
			"clients": sc.clients(), "contacts": sc.contacts(), "projects": sc.projects(),
			"deliverables": sc.deliverables(), "approvals": sc.approvals(), "decisions": sc.decisions(),
			"users": sc.users(), "files": sc.files(), "reports": sc.reports(), "exports": sc.exports(),
			"requests": sc.requests(), "comments": sc.comments(), "notes": sc.notes(), "activity": sc.activity(),
		} {
			checkWorkspaceKept(t, string(p.Audience)+" "+name, rs)
		}
	}
}

func checkWorkspaceKept(t *testing.T, what string, rs ruleSet) {
	t.Helper()
	kept := false
	for _, r := range rs.rules {
		if r.name == workspaceRule("").name || strings.HasPrefix(r.name, "not shown to ") {
			kept = true
		}
	}
	if !kept {
		t.Errorf("%s: no rule keeps to the principal's workspace", what)
	}
	for _, parent := range rs.parents {
		checkWorkspaceKept(t, what+" → "+parent.table, parent.rules)
	}
}

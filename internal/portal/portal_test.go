package portal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRolePermissions(t *testing.T) {
	all := AllPermission
	cases := []struct {
		role  Role
		grant []Permission
	}{
		{RoleOwner, all},
		{RoleAdmin, all},
		{RoleManager, []Permission{PermissionClientsWrite, PermissionClientsArchive, PermissionContactsWrite, PermissionProjectsWrite, PermissionDeliverablesWrite, PermissionNotesWrite, PermissionBudgetsRead, PermissionApprovalsManage, PermissionApprovalsDecideOnBehalf, PermissionFilesManage, PermissionReportsWrite, PermissionRequestsManage,
			PermissionProjectsDelete, PermissionDeliverablesDelete, PermissionApprovalsDelete, PermissionNotesDelete, PermissionReportsDelete, PermissionRequestsDelete, PermissionCommentsDelete}},
		{RoleMember, []Permission{PermissionContactsWrite, PermissionDeliverablesWrite, PermissionNotesWrite, PermissionApprovalsManage, PermissionFilesManage, PermissionRequestsManage,
			PermissionNotesDelete, PermissionCommentsDelete}},
		{RoleViewer, nil},
	}
	for _, c := range cases {
		for _, perm := range all {
			want := false
			for _, g := range c.grant {
				want = want || g == perm
			}
			if got := c.role.Grants(perm); got != want {
				t.Errorf("%s grants %s = %v, want %v", c.role, perm, got, want)
			}
			p := Principal{Audience: AudienceStaff, Role: c.role}
			if p.Can(perm) != want {
				t.Errorf("staff %s Can(%s) = %v, want %v", c.role, perm, !want, want)
			}
		}
		if got := len(c.role.Permissions()); got != len(c.grant) {
			t.Errorf("%s has %d permissions, want %d", c.role, got, len(c.grant))
		}
	}
	// Only staff hold permissions, whatever a principal's role field says.
	p := Principal{Audience: AudiencePortal, Role: RoleOwner}
	if p.Can(PermissionClientsWrite) || len(p.Permissions()) != 0 {
		t.Error("a portal principal holds a permission")
	}
}

func TestTokenHolderPrincipal(t *testing.T) {
	str := func(s string) *string { return &s }
	role := RoleMember
	status := func(s PortalStatus) *PortalStatus { return &s }
	yes, no := true, false
	contact := func(st PortalStatus, enabled bool, archived bool) TokenHolder {
		return TokenHolder{WorkspaceID: "wsp", ContactID: str("con"), ClientID: str("cli"), PortalStatus: status(st), PortalEnabled: &enabled, ClientArchived: archived}
	}
	cases := []struct {
		name    string
		holder  TokenHolder
		want    Audience
		refused bool
	}{
		{"staff", TokenHolder{WorkspaceID: "wsp", UserID: str("usr"), Role: &role}, AudienceStaff, false},
		{"active contact", contact(PortalStatusActive, true, false), AudiencePortal, false},
		{"suspended contact", contact(PortalStatusSuspended, true, false), "", true},
		{"invited contact", contact(PortalStatusInvited, true, false), "", true},
		{"no portal access", contact(PortalStatusNone, true, false), "", true},
		{"portal disabled", contact(PortalStatusActive, false, false), "", true},
		{"client archived", contact(PortalStatusActive, true, true), "", true},
		{"contact without client state", TokenHolder{WorkspaceID: "wsp", ContactID: str("con"), ClientID: str("cli"), PortalEnabled: &yes}, "", true},
		{"user deleted", TokenHolder{WorkspaceID: "wsp"}, "", true},
		{"contact gone", TokenHolder{WorkspaceID: "wsp", PortalEnabled: &no}, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.holder.Principal()
			if c.refused {
				if ErrorCode(err) != CodeUnauthenticated {
					t.Fatalf("got %v, %v; want UNAUTHENTICATED", p, err)
				}
				return
			}
			if err != nil || p.Audience != c.want || p.WorkspaceID != "wsp" {
				t.Fatalf("got %+v, %v; want audience %s", p, err, c.want)
			}
			if p.IsPortal() && (p.ContactID != "con" || p.ClientID != "cli") {
				t.Fatalf("portal principal %+v lost its contact or client", p)
			}
		})
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2027-02-28")
	if err != nil || d != (Date{2027, time.February, 28}) {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	for _, bad := range []string{"2027-02-30", "27-02-28", "2027/02/28", "", "0000-01-01", "10000-01-01", "-001-01-01", "+2027-02-28"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	var buf bytes.Buffer
	d.MarshalGQL(&buf)
	if buf.String() != `"2027-02-28"` {
		t.Errorf("MarshalGQL = %s", buf.String())
	}
	var u Date
	if err := u.UnmarshalGQL("2027-03-01"); err != nil || u != d.AddDays(1) {
		t.Errorf("UnmarshalGQL = %v, %v", u, err)
	}
	if err := u.UnmarshalGQL(20270301); ErrorCode(err) != CodeBadUserInput {
		t.Errorf("UnmarshalGQL(number) = %v, want BAD_USER_INPUT", err)
	}
	if err := u.UnmarshalGQL("tomorrow"); ErrorCode(err) != CodeBadUserInput || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Errorf("UnmarshalGQL(text) = %v, want BAD_USER_INPUT naming the format", err)
	}
	// Databases hand dates back as time.Time, text or bytes.
	for _, src := range []any{time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC), "2027-02-28", []byte("2027-02-28T00:00:00Z")} {
		var s Date
		if err := s.Scan(src); err != nil || s != d {
			t.Errorf("Scan(%#v) = %v, %v", src, s, err)
		}
	}
	if !d.Before(d.AddDays(1)) || d.AddDays(1).Before(d) {
		t.Error("Before is not chronological")
	}
	// The first and last dates both databases store alike, and a date
	// past them, which is refused rather than stored.
	for _, edge := range []string{"0001-01-01", "9999-12-31"} {
		e, err := ParseDate(edge)
		if v, verr := e.Value(); err != nil || verr != nil || v != edge {
			t.Errorf("ParseDate(%q) = %v, %v; Value = %v, %v", edge, e, err, v, verr)
		}
	}
	if err := u.UnmarshalGQL("0000-01-01"); ErrorCode(err) != CodeBadUserInput {
		t.Errorf("UnmarshalGQL(year 0) = %v, want BAD_USER_INPUT", err)
	}
	if _, err := (Date{9999, 12, 31}).AddDays(1).Value(); ErrorCode(err) != CodeBadUserInput {
		t.Errorf("Value of 10000-01-01 = %v, want BAD_USER_INPUT", err)
	}
}

func TestCheckText(t *testing.T) {
	for _, ok := range []string{"", "plain", "ümlaut ✓ 😀", "tab\tnewline\n"} {
		if err := CheckText(ok); err != nil {
			t.Errorf("CheckText(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"a\x00b", "\x00", "\xff", "half \xe2\x9c", "\xed\xa0\x80"} {
		if err := CheckText(bad); ErrorCode(err) != CodeBadUserInput {
			t.Errorf("CheckText(%q) = %v, want BAD_USER_INPUT", bad, err)
		}
	}
}

func TestCheckInstant(t *testing.T) {
	for _, ok := range []time.Time{
		{}, // the zero time is 0001-01-01 UTC
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 14*3600)),
	} {
		if err := CheckInstant(ok); err != nil {
			t.Errorf("CheckInstant(%v) = %v", ok, err)
		}
	}
	for _, bad := range []time.Time{
		time.Date(0, 12, 31, 23, 0, 0, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		// In range where it is written, not in UTC.
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)),
		time.Date(1, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600)),
	} {
		if err := CheckInstant(bad); ErrorCode(err) != CodeBadUserInput {
			t.Errorf("CheckInstant(%v) = %v, want BAD_USER_INPUT", bad, err)
		}
	}
}

func TestIDs(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := NewID(PrefixProject, at), NewID(PrefixProject, at.Add(time.Millisecond))
	if !HasPrefix(a, PrefixProject) || IDPrefix(a) != "prj" {
		t.Fatalf("NewID = %q", a)
	}
	if a >= b {
		t.Errorf("IDs are not time-sortable: %s >= %s", a, b)
	}
	for _, bad := range []string{"", "prj", "prj_", "prj_short", "01J0000000000000000000000", "_" + a[4:],
		"prj_01J0000000000000000000000\x00", "prj_01J00000000000000000000OIL", "prj_81J00000000000000000000000"} {
		if IDPrefix(bad) != "" {
			t.Errorf("IDPrefix(%q) = %q, want none", bad, IDPrefix(bad))
		}
	}
}

func TestProjectCheck(t *testing.T) {
	p := &Project{StartsOn: &Date{2027, 3, 1}, DueOn: &Date{2027, 2, 1}}
	err := p.Check()
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeBadUserInput || e.Fields[0].Field != "input.dueOn" {
		t.Fatalf("Check = %v, want BAD_USER_INPUT on input.dueOn", err)
	}
	p.DueOn = &Date{2027, 3, 1}
	if err := p.Check(); err != nil {
		t.Fatalf("same-day start and due: %v", err)
	}
}

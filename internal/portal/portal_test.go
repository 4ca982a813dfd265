package portal

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestPermissionsAreActionsOnRecordsOrSpecial(t *testing.T) {
	// Every kind of record the enum names has all four actions: a kind
	// added with only some of them fails here.
	kinds := map[string]int{}
	for _, perm := range AllPermission {
		if records, a, ok := perm.Split(); ok {
			kinds[records]++
			if PermissionTo(a, records) != perm {
				t.Errorf("%s does not read back as %s on %s", perm, a, records)
			}
		}
	}
	if len(kinds) == 0 {
		t.Fatal("no permission is an action on records")
	}
	for records, n := range kinds {
		for _, a := range Actions() {
			if !PermissionsOf(AllPermission...).Has(PermissionTo(a, records)) {
				t.Errorf("%s has no %s permission (%d of 4)", records, a, n)
			}
		}
	}
	if len(AllPermission) > 128 {
		t.Fatalf("%d permissions do not fit a PermissionSet", len(AllPermission))
	}
}

func TestBuiltInRolesAndContacts(t *testing.T) {
	staff := func(r BuiltInRole) Principal {
		return Principal{Audience: AudienceStaff, BuiltIn: r, Perms: BuiltInPermissions(r)}
	}
	for _, perm := range AllPermission {
		_, a, onRecords := perm.Split()
		if got, want := staff(BuiltInRoleOwner).Can(perm), !contactOnly(perm); got != want {
			t.Errorf("OWNER holds %s: %v, want %v", perm, got, want)
		}
		if got, want := staff(BuiltInRoleViewer).Can(perm), onRecords && a == ActionView || perm == PermissionExportsCreate; got != want {
			t.Errorf("VIEWER holds %s: %v, want %v", perm, got, want)
		}
		for _, r := range AllBuiltInRole {
			if staff(r).Can(perm) && !staff(BuiltInRoleAdmin).Can(perm) && r != BuiltInRoleOwner {
				t.Errorf("%s holds %s, which ADMIN does not", r, perm)
			}
			if staff(r).Can(perm) && contactOnly(perm) {
				t.Errorf("%s holds %s, which only contacts do", r, perm)
			}
		}
		if onRecords && a == ActionView {
			for _, r := range AllBuiltInRole {
				if !staff(r).Can(perm) {
					t.Errorf("%s cannot %s", r, perm)
				}
			}
		}
	}
	contact := Principal{Audience: AudiencePortal, ContactID: "con", ClientID: "cli"}
	preview := contact
	preview.Preview, preview.PreviewBy = true, "usr"
	for _, perm := range []Permission{PermissionRequestsCreate, PermissionCommentsCreate, PermissionFilesCreate, PermissionExportsCreate, PermissionApprovalsDecide} {
		if !contact.Can(perm) {
			t.Errorf("a contact cannot %s", perm)
		}
		if err := preview.Require(perm); ErrorCode(err) != CodeForbidden || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("a preview asked for %s: %v, want read-only", perm, err)
		}
	}
	for _, p := range []Principal{contact, preview} {
		for _, perm := range p.Permissions() {
			if records, _, _ := perm.Split(); records == "NOTES" {
				t.Errorf("a contact holds %s", perm)
			}
		}
	}
	// Whatever a principal's role field says, only staff hold its grant.
	p := Principal{Audience: AudiencePartner, BuiltIn: BuiltInRoleOwner, Perms: BuiltInPermissions(BuiltInRoleOwner)}
	if p.Can(PermissionClientsCreate) || len(p.Permissions()) != 0 {
		t.Error("a partner principal holds a permission")
	}
}

func TestTokenHolderPrincipal(t *testing.T) {
	str := func(s string) *string { return &s }
	role := BuiltInRoleMember
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
		{"staff", TokenHolder{WorkspaceID: "wsp", UserID: str("usr"), RoleID: str("rol"), BuiltIn: &role}, AudienceStaff, false},
		{"deactivated staff", TokenHolder{WorkspaceID: "wsp", UserID: str("usr"), RoleID: str("rol"), BuiltIn: &role, Deactivated: true}, "", true},
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

func TestCheckRolePermissions(t *testing.T) {
	for _, c := range []struct {
		perms []Permission
		err   string // "" when allowed
	}{
		{[]Permission{PermissionProjectsView, PermissionProjectsDelete, PermissionBudgetsRead}, ""},
		{[]Permission{PermissionProjectsDelete}, "input.permissions: PROJECTS_DELETE needs PROJECTS_VIEW"},
		{[]Permission{PermissionApprovalsDecide}, "input.permissions: APPROVALS_DECIDE is a portal contact's permission, not staff's"},
		{[]Permission{PermissionOwnershipTransfer}, "input.permissions: only the owner transfers ownership: OWNERSHIP_TRANSFER is not for other roles"},
		{[]Permission{"NOPE"}, `input.permissions: "NOPE" is not a permission`},
	} {
		_, err := CheckRolePermissions("input.permissions", c.perms)
		got := ""
		if err != nil {
			got = err.Error()
			if ErrorCode(err) != CodeBadUserInput {
				t.Errorf("%v: code %s", c.perms, ErrorCode(err))
			}
		}
		if !strings.Contains(got, c.err) || (c.err == "") != (got == "") {
			t.Errorf("%v: %q, want %q", c.perms, got, c.err)
		}
	}
	// Every built-in role but the owner's could be made by hand.
	for _, r := range AllBuiltInRole {
		if r == BuiltInRoleOwner {
			continue
		}
		if _, err := CheckRolePermissions("input.permissions", BuiltInPermissions(r).List()); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
}

// A date is written as fmt's "%04d-%02d-%02d" writes it, in every place
// it is written.
func TestDatesAreWrittenYYYYMMDD(t *testing.T) {
	for _, d := range []Date{{1, 1, 1}, {2026, 6, 30}, {9999, 12, 31}, {987, 10, 5}, {12345, 1, 2}, {-5, 3, 4}} {
		want := fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
		var gql bytes.Buffer
		d.MarshalGQL(&gql)
		js, _ := d.MarshalJSON()
		if d.String() != want || gql.String() != `"`+want+`"` || string(js) != `"`+want+`"` {
			t.Errorf("%#v is written %s, %s and %s; want %s", d, d.String(), gql.String(), js, want)
		}
	}
}

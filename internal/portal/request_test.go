package portal

import "testing"

func TestWhoActsOnRequests(t *testing.T) {
	staff := func(r BuiltInRole) Principal {
		return Principal{Audience: AudienceStaff, BuiltIn: r, Perms: BuiltInPermissions(r)}
	}
	contact := Principal{Audience: AudiencePortal, ContactID: "con", ClientID: "cli"}
	preview := contact
	preview.Preview, preview.PreviewBy = true, "usr"
	cases := []struct {
		name          string
		p             Principal
		open, comment Code // "" when allowed
	}{
		{"owner", staff(BuiltInRoleOwner), CodeForbidden, ""},
		{"member", staff(BuiltInRoleMember), CodeForbidden, ""},
		{"viewer", staff(BuiltInRoleViewer), CodeForbidden, CodeForbidden},
		{"contact", contact, "", ""},
		{"preview", preview, CodeForbidden, CodeForbidden},
		{"partner", Principal{Audience: AudiencePartner}, CodeForbidden, CodeForbidden},
		{"anonymous", Anonymous(), CodeForbidden, CodeForbidden},
	}
	code := func(err error) Code {
		if err == nil {
			return ""
		}
		return ErrorCode(err)
	}
	for _, c := range cases {
		if got := code(c.p.Require(PermissionRequestsCreate)); got != c.open {
			t.Errorf("%s opens a request: %q, want %q", c.name, got, c.open)
		}
		if got := code(c.p.Require(PermissionCommentsCreate)); got != c.comment {
			t.Errorf("%s comments: %q, want %q", c.name, got, c.comment)
		}
	}
	if err := staff(BuiltInRoleViewer).Require(PermissionCommentsCreate); err.Error() != "the COMMENTS_CREATE permission is required" {
		t.Errorf("viewer's refusal: %q", err)
	}
}

func TestStatusAfterComment(t *testing.T) {
	for _, s := range AllClientRequestStatus {
		want := s
		if s == ClientRequestStatusDone || s == ClientRequestStatusDeclined {
			want = ClientRequestStatusOpen
		}
		if got := s.AfterComment(true); got != want {
			t.Errorf("a contact's comment on a %s request makes it %s, want %s", s, got, want)
		}
		if got := s.AfterComment(false); got != s {
			t.Errorf("a staff comment on a %s request makes it %s", s, got)
		}
	}
}
